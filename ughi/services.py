"""The running parts of Ughi, started and stopped together: database, knowledge base, engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.engine import Engine
from bot.engine.flow_versions import FlowCatalog
from bot.inbox import Inbox
from knowledge import repository
from knowledge.articles import load_content
from knowledge.service import KnowledgeBase
from ughi.db import make_engine, make_sessionmaker, transaction, upgrade
from ughi.settings import Settings

log = logging.getLogger(__name__)
CONTENT_POLL_SECONDS = 2.0


@dataclass
class Services:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    knowledge: KnowledgeBase
    engine: Engine
    inbox: Inbox

    async def close(self) -> None:
        await self.db.dispose()


async def import_shipped_content_if_empty(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """First start: fill the database from the YAML content, so the menu is never empty."""
    async with transaction(sessions) as session:
        if await repository.has_content(session):
            return 0
        content = load_content(settings.content_dir) if settings.content_dir else load_content()
        count = await repository.import_content(session, content)
    log.info("imported %d articles of shipped content", count)
    return count


async def start_services(settings: Settings, *, migrate: bool | None = None) -> Services:
    """Connect, migrate (SQLite by default; PostgreSQL migrates with `ughi db upgrade`), load content."""
    db = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    if migrate is None:
        migrate = settings.auto_migrate if settings.auto_migrate is not None else settings.is_sqlite
    if migrate:
        await upgrade(db)
    sessions = make_sessionmaker(db)
    await import_shipped_content_if_empty(sessions, settings)
    knowledge = await KnowledgeBase.from_database(sessions)
    engine = Engine(
        sessions=sessions, knowledge=knowledge, default_language=settings.default_language, flows=FlowCatalog()
    )
    return Services(
        settings=settings, db=db, sessions=sessions, knowledge=knowledge, engine=engine, inbox=Inbox(sessions)
    )


async def follow_content_changes(services: Services, stop: asyncio.Event) -> None:
    """Rebuild the search index when staff change content, also from another process."""
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=CONTENT_POLL_SECONDS)
        if stop.is_set():
            return
        try:
            await services.knowledge.refresh(services.sessions)
        except Exception:  # a database hiccup must not stop the bot; try again next time
            log.exception("content refresh failed")
