"""Group commit: what waits together is committed together; a failure costs the others nothing."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.group_commit import GroupCommit
from bot.models import Contact
from tests.engine.helpers import say
from ughi.db import utcnow
from ughi.services import Services

TRANSACTIONS = itertools.count(1)


class Recorder:
    """Work that stores a contact per item and notes which transaction (session) it ran in."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.sessions: dict[str, list[int]] = {}

    async def __call__(self, session: AsyncSession, item: str) -> str:
        transaction = session.info.setdefault("transaction", next(TRANSACTIONS))
        self.sessions.setdefault(item, []).append(transaction)
        now = utcnow()
        values = {"channel": "group", "external_id": item, "first_seen": now, "last_seen": now, "blocked": False}
        await session.execute(insert(Contact).values(**values))
        if item in self.fail:
            raise ValueError(f"cannot handle {item}")
        return item.upper()


async def _stored(services: Services) -> list[str]:
    async with services.sessions() as session:
        rows = await session.scalars(select(Contact.external_id).where(Contact.channel == "group"))
        return sorted(rows)


async def test_items_waiting_together_share_one_transaction(services: Services) -> None:
    work = Recorder()
    group = GroupCommit(services.sessions, work, limit=32)
    items = [f"p{i:02}" for i in range(40)]
    results = await asyncio.gather(*(group.submit(item) for item in items))
    assert results == [item.upper() for item in items]
    assert await _stored(services) == items
    transactions = {session for runs in work.sessions.values() for session in runs}
    assert 2 <= len(transactions) <= 3  # 40 items, at most 32 a transaction: not one each
    assert all(len(runs) == 1 for runs in work.sessions.values())  # each handled once


async def test_one_failure_costs_the_others_nothing(services: Services) -> None:
    work = Recorder(fail={"p3"})
    group = GroupCommit(services.sessions, work)
    items = [f"p{i}" for i in range(6)]
    results = await asyncio.gather(*(group.submit(item) for item in items), return_exceptions=True)
    assert isinstance(results[3], ValueError)
    assert [r for i, r in enumerate(results) if i != 3] == ["P0", "P1", "P2", "P4", "P5"]
    assert await _stored(services) == ["p0", "p1", "p2", "p4", "p5"]  # nothing of p3, the rest once
    assert len(work.sessions["p0"]) == 2  # together (rolled back), then again alone
    alone = [runs[-1] for runs in work.sessions.values()]
    assert len(set(alone)) == len(items)  # after the failure, each in a transaction of its own


async def test_an_item_alone_waits_for_nothing(services: Services) -> None:
    work = Recorder()
    group = GroupCommit(services.sessions, work)
    assert await group.submit("solo") == "SOLO"
    assert await _stored(services) == ["solo"]
    async with asyncio.timeout(10):  # in this task (no wait_for task): each submitted as the one before is done
        for n in range(50):
            assert await group.submit(f"next{n}") == f"NEXT{n}"


async def test_a_caller_that_gives_up_leaves_the_rest_to_finish(services: Services) -> None:
    work = Recorder()
    group = GroupCommit(services.sessions, work)
    first = asyncio.ensure_future(group.submit("kept"))
    dropped = asyncio.ensure_future(group.submit("dropped"))
    dropped.cancel()
    assert await first == "KEPT"
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert await _stored(services) == ["kept"]  # cancelled before its group ran: not handled


async def test_engine_answers_everyone_once_when_updates_arrive_together(services: Services) -> None:
    people = [f"together-{i}" for i in range(25)]
    first = await asyncio.gather(*(say(services.engine, person, "/start", hint="en") for person in people))
    assert all(replies for replies in first)
    again = await asyncio.gather(*(say(services.engine, person, "passport", hint="en") for person in people))
    assert all(replies for replies in again)
    async with services.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Contact).where(Contact.external_id.in_(people)))
    assert count == len(people)
