"""The inbox: received updates stored before they are acknowledged, so none is lost or handled twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import InboxUpdate
from ughi.db import reading, transaction, utcnow

MAX_ATTEMPTS = 3


class Inbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def store(
        self, items: Sequence[tuple[str, dict[str, Any]]], *, order: Mapping[str, tuple[str, int]] | None = None
    ) -> int:
        """Store updates not seen before (those seen before are left as they are); committed when this returns.
        Returns how many updates are now safely stored.

        `order` gives some keys their lane (a pseudonym of the chat) and number within it, for `earlier`."""
        if not items:
            return 0
        order = order or {}
        now = utcnow()
        rows = [
            {
                "key": key,
                "payload": payload,
                "received_at": now,
                "lane": order[key][0] if key in order else None,
                "seq": order[key][1] if key in order else None,
            }
            for key, payload in items
        ]
        async with transaction(self._sessions) as session:
            connection = await session.connection()
            await connection.execute(_STORE[connection.dialect.name], rows)  # one prepared statement, many rows
        return len(rows)

    async def pending(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """Stored but unhandled updates, oldest first (skipping those that failed too often)."""
        async with reading(self._sessions) as session:
            rows = await session.execute(
                select(InboxUpdate.key, InboxUpdate.payload)
                .where(InboxUpdate.handled_at.is_(None), InboxUpdate.attempts < MAX_ATTEMPTS)
                .order_by(InboxUpdate.received_at, InboxUpdate.key)
                .limit(limit)
            )
            return [(key, payload) for key, payload in rows.all()]

    async def earlier(self, lane: str, seq: int) -> list[tuple[str, dict[str, Any]]]:
        """Unhandled updates of `lane` numbered before `seq`, in order: received by another replica, perhaps,
        and to be handled before this one."""
        async with reading(self._sessions) as session:
            rows = await session.execute(_EARLIER, {"lane": lane, "seq": seq, "attempts": MAX_ATTEMPTS})
            return [(key, payload) for key, payload in rows.all()]

    async def mark_failed(self, key: str) -> None:
        """Count a failed attempt, so a poisonous update is not retried forever."""
        async with transaction(self._sessions) as session:
            row = await session.get(InboxUpdate, key)
            if row is not None:
                row.attempts += 1


_INBOX = cast(Table, InboxUpdate.__table__)
_STORE = {
    dialect: insert(_INBOX)
    .values(
        key=bindparam("key"),
        payload=bindparam("payload", type_=_INBOX.c.payload.type),
        received_at=bindparam("received_at", type_=_INBOX.c.received_at.type),
        attempts=0,
        lane=bindparam("lane"),
        seq=bindparam("seq"),
    )
    .on_conflict_do_nothing(index_elements=["key"])
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_EARLIER = (
    select(InboxUpdate.key, InboxUpdate.payload)
    .where(
        InboxUpdate.lane == bindparam("lane"),
        InboxUpdate.seq < bindparam("seq"),
        InboxUpdate.handled_at.is_(None),
        InboxUpdate.attempts < bindparam("attempts"),
    )
    .order_by(InboxUpdate.seq)
)
_MARK_HANDLED = (
    update(InboxUpdate)
    .where(InboxUpdate.key == bindparam("k"), InboxUpdate.handled_at.is_(None))
    .values(handled_at=bindparam("now"), payload={}, attempts=InboxUpdate.attempts + 1, lane=None)
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
