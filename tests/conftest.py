"""Shared fixtures: a real database per test (SQLite, and PostgreSQL when UGHI_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ughi.services import Services, start_services
from ughi.settings import Settings

POSTGRES_URL = os.environ.get("UGHI_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings pointing at a fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield Settings(
            _env_file=None,
            env="test",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'ughi.sqlite3'}",
            auto_migrate=True,
        )
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Settings(_env_file=None, env="test", database_url=POSTGRES_URL, database_schema=schema, auto_migrate=True)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated and filled with the shipped content once per test process: each test that
    starts the services on SQLite gets a copy, instead of migrating and importing again (half a second each)."""
    path = tmp_path_factory.mktemp("template") / "ughi.sqlite3"
    settings = Settings(_env_file=None, env="test", database_url=f"sqlite+aiosqlite:///{path}", auto_migrate=True)

    async def build() -> None:
        started = await start_services(settings, migrate=True)
        await started.close()

    asyncio.run(build())
    return path


def _copy_if_missing(source: Path, target: Path) -> None:
    if not target.exists():
        shutil.copyfile(source, target)


@pytest.fixture
async def services(settings: Settings, sqlite_template: Path) -> AsyncIterator[Services]:
    """Everything started on the fresh database, migrated, with the shipped content imported."""
    if settings.is_sqlite:
        _copy_if_missing(sqlite_template, Path(settings.resolved_database_url.split(":///", 1)[1]))
    started = await start_services(settings, migrate=True)
    try:
        yield started
    finally:
        await started.close()
