"""The inbox: received updates stored before they are acknowledged, so none is lost or handled twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import InboxUpdate
from ughi.db import transaction, utcnow

MAX_ATTEMPTS = 3


class Inbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def store(self, items: Sequence[tuple[str, dict[str, Any]]]) -> int:
        """Store updates not seen before; committed when this returns. Returns how many were new."""
        if not items:
            return 0
        async with transaction(self._sessions) as session:
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            rows = [{"key": key, "payload": payload, "received_at": utcnow(), "attempts": 0} for key, payload in items]
            stmt = insert(InboxUpdate).values(rows).on_conflict_do_nothing(index_elements=["key"])
            result = await session.execute(stmt)
            return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def pending(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """Stored but unhandled updates, oldest first (skipping those that failed too often)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(InboxUpdate.key, InboxUpdate.payload)
                .where(InboxUpdate.handled_at.is_(None), InboxUpdate.attempts < MAX_ATTEMPTS)
                .order_by(InboxUpdate.received_at, InboxUpdate.key)
                .limit(limit)
            )
            return [(key, payload) for key, payload in rows.all()]

    async def mark_failed(self, key: str) -> None:
        """Count a failed attempt, so a poisonous update is not retried forever."""
        async with transaction(self._sessions) as session:
            row = await session.get(InboxUpdate, key)
            if row is not None:
                row.attempts += 1


async def claim(session: AsyncSession, key: str) -> bool:
    """Within the caller's transaction: False if `key` was handled already, else mark it handled.

    The payload is dropped once handled: the inbox is a delivery log, not a store of what people wrote."""
    row = await session.get(InboxUpdate, key, with_for_update=True)
    if row is None:
        session.add(InboxUpdate(key=key, payload={}, handled_at=utcnow(), attempts=1))
        await session.flush()
        return True
    if row.handled_at is not None:
        return False
    row.handled_at = utcnow()
    row.payload = {}
    row.attempts += 1
    return True
