"""The inbox: received updates stored before they are acknowledged, so none is lost or handled twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
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
            return max(_rowcount(result), 0)

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


_MARK_HANDLED = (
    update(InboxUpdate)
    .where(InboxUpdate.key == bindparam("k"), InboxUpdate.handled_at.is_(None))
    .values(handled_at=bindparam("now"), payload={}, attempts=InboxUpdate.attempts + 1)
)
_ADD_HANDLED = {
    dialect: insert(InboxUpdate)
    .values(key=bindparam("k"), payload={}, received_at=bindparam("now"), handled_at=bindparam("now"), attempts=1)
    .on_conflict_do_nothing(index_elements=["key"])
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def claim(session: AsyncSession, key: str) -> bool:
    """Within the caller's transaction: False if `key` was handled already, else mark it handled.

    The payload is dropped once handled: the inbox is a delivery log, not a store of what people wrote.
    Core statements on the session's connection: no loaded InboxUpdate objects need keeping in step."""
    connection = await session.connection()
    now = utcnow()
    if _rowcount(await connection.execute(_MARK_HANDLED, {"k": key, "now": now})) == 1:
        return True
    # not stored by a channel beforehand (web, terminal), or handled already
    added = await connection.execute(_ADD_HANDLED[connection.dialect.name], {"k": key, "now": now})
    return _rowcount(added) == 1


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
