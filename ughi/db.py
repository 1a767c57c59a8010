"""The database: declarative base, engine and session factory, migrations on start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from ughi import sqlite_inline

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


READ_ONLY_OPTION = "ughi_read_only"  # an execution option: the session's transactions only read (`reading`)


def make_engine(url: str, *, schema: str | None = None) -> AsyncEngine:
    """An engine for `url`; on PostgreSQL `schema` (if given) is the search path, e.g. one per test."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error in a log must not carry what people wrote or their ids
        engine = create_async_engine(
            url, async_creator=sqlite_inline.connector(path or ":memory:"), hide_parameters=True
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn):  # type: ignore[no-untyped-def]
            # Take the write lock at the start: a transaction that reads first and writes later could
            # otherwise fail at once with "database is locked" when another one committed meanwhile.
            # Sessions opened by `reading` only read: they take no lock, and writers go on meanwhile (WAL).
            read_only = conn.get_execution_options().get(READ_ONLY_OPTION)
            cursor = conn.connection.cursor()  # the driver's own cursor: no statement compiling for a BEGIN
            try:
                cursor.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
            finally:
                cursor.close()

        return engine
    connect_args = {"server_settings": {"search_path": schema}} if schema else {}
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args, hide_parameters=True
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls back on error (services only flush)."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for reading only. On SQLite, where every other transaction takes the write lock at its BEGIN (see
    make_engine), its transaction takes none, so writers go on while it reads, however long the block lasts.

    Its transaction also ends as soon as the block does: AsyncSession's own exit closes it in a task of its own, a
    turn of the event loop later, and on SQLite even a read still open then keeps the WAL from being checkpointed."""
    async with sessions(execution_options={READ_ONLY_OPTION: True}) as session:
        try:
            yield session
        finally:
            await session.rollback()


MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade_sync(connection: Connection, url: str) -> None:
    from alembic import command

    cfg = _alembic_config(url)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Run Alembic migrations up to head on this engine."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync, str(engine.url))


def upgrade_blocking(url: str, schema: str | None = None) -> None:
    async def _run() -> None:
        engine = make_engine(url, schema=schema)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(_run())
