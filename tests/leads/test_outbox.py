"""The outbox worker on a real database: once only, in order per lead, retries, Telegram's pauses, stopping."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leads.models import Lead, OutboxMessage
from leads.outbox import GAVE_UP, STAFF, OutboxWorker, Pacer, Rate, SendError, enqueue, to_contact
from tests.leads.conftest import new_lead
from ughi.db import transaction, utcnow
from ughi.settings import Settings

FAST = Rate(1000, 1.0)


class Clock:
    """Wall time for the worker and monotonic time for its pacer, moved by the test."""

    def __init__(self) -> None:
        self.wall = utcnow()
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


@dataclass
class Recorder:
    """A Sender that records what it was given, failing first with the errors queued in `failures`."""

    sent: list[tuple[str, Any]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    delay: float = 0.0

    async def send(self, session: AsyncSession, message: OutboxMessage) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((message.kind, message.payload.get("text", message.payload.get("lead_id"))))


def worker(sessions: async_sessionmaker[AsyncSession], sender: Recorder, clock: Clock, **options: Any) -> OutboxWorker:
    pacer = Pacer(overall=FAST, staff=FAST, person=FAST, clock=clock.monotonic)
    return OutboxWorker(sessions, sender, pacer=pacer, clock=clock.now, retry_base=10, **options)


async def queue(sessions: async_sessionmaker[AsyncSession], *items: tuple[int, str]) -> None:
    """Commit relays to the counsellors' chat: (lead id, text) each."""
    async with transaction(sessions) as session:
        for lead_id, text in items:
            await enqueue(session, kind="to_staff", payload={"to": STAFF, "lead_id": lead_id, "text": text})


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_a_card_committed_before_a_crash_is_sent_once_by_the_next_worker(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:  # the process dies right after this commit
        lead = await new_lead(session, None, now=utcnow())
    recorder, clock = Recorder(), Clock()
    await worker(sessions, recorder, clock).send_due()
    await worker(sessions, recorder, clock).send_due()  # a second start finds nothing left to send
    assert recorder.sent == [("lead_card", lead.id)]
    [card] = await rows(sessions)
    assert card.sent_at == clock.wall and card.attempts == 1 and card.last_error == ""


async def test_one_dedupe_key_is_one_message(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        first = await enqueue(session, kind="lead_card", payload={"to": STAFF, "lead_id": 1}, dedupe_key="lead_card:1")
        again = await enqueue(session, kind="lead_card", payload={"to": STAFF, "lead_id": 1}, dedupe_key="lead_card:1")
        assert again is first
        with pytest.raises(ValueError, match="destination"):
            await enqueue(session, kind="lead_card", payload={"lead_id": 1})
    assert len(await rows(sessions)) == 1


async def test_a_failed_message_holds_back_its_lead_only_and_order_survives_the_retry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await queue(sessions, (1, "a"), (1, "b"), (2, "c"))
    recorder, clock = Recorder(failures=[SendError("network down")]), Clock()
    outbox = worker(sessions, recorder, clock)
    await outbox.send_due()
    assert recorder.sent == [("to_staff", "c")]
    failed = (await rows(sessions))[0]
    assert (failed.attempts, failed.last_error, failed.sent_at) == (1, "network down", None)
    assert failed.next_attempt_at == clock.wall + timedelta(seconds=10)
    assert await outbox.send_due() == pytest.approx(1.0)  # nothing may go yet: sleep until the next poll
    clock.advance(10)
    while await outbox.send_due() == 0:
        pass
    assert recorder.sent == [("to_staff", "c"), ("to_staff", "a"), ("to_staff", "b")]
    done = await rows(sessions)
    assert all(m.sent_at is not None and "text" not in m.payload for m in done)  # texts are not kept once sent


async def test_telegram_flood_wait_pauses_the_destination_without_counting_a_failure(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await queue(sessions, (1, "a"), (2, "b"))
    recorder, clock = Recorder(failures=[SendError("Too Many Requests", retry_after=30)]), Clock()
    outbox = worker(sessions, recorder, clock)
    assert await outbox.send_due() == pytest.approx(1.0)  # the poll interval: lead 2 waits for the pause to end
    assert recorder.sent == []
    paused = (await rows(sessions))[0]
    assert (paused.attempts, paused.next_attempt_at) == (0, clock.wall + timedelta(seconds=30))
    clock.advance(30)
    await outbox.send_due()
    assert recorder.sent == [("to_staff", "a"), ("to_staff", "b")]


async def test_permanent_refusals_and_too_many_failures_are_given_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await queue(sessions, (1, "refused"), (2, "flaky"), (1, "after"))
    failures: list[Exception] = [SendError("chat not found", permanent=True), SendError("502"), SendError("502")]
    recorder, clock = Recorder(failures=failures), Clock()
    outbox = worker(sessions, recorder, clock, max_attempts=2)
    await outbox.send_due()
    clock.advance(10)
    await outbox.send_due()
    refused, flaky, after = await rows(sessions)
    assert refused.last_error == GAVE_UP + "chat not found" and refused.payload == {"to": STAFF, "lead_id": 1}
    assert flaky.last_error == GAVE_UP + "502" and flaky.attempts == 2 and flaky.sent_at is not None
    assert after.sent_at is not None and recorder.sent == [("to_staff", "after")]


async def test_a_sender_crash_rolls_back_its_work_but_its_send_errors_keep_what_happened(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        lead = await new_lead(session, None, now=utcnow())

    class HalfDone(Recorder):
        async def send(self, session: AsyncSession, message: OutboxMessage) -> None:
            row = await session.get(Lead, lead.id)
            assert row is not None
            row.staff_thread_id = (row.staff_thread_id or 0) + 1  # a forum topic was made in Telegram
            await super().send(session, message)

    recorder, clock = HalfDone(failures=[RuntimeError("bug"), SendError("timeout")]), Clock()
    outbox = worker(sessions, recorder, clock)
    await outbox.send_due()
    [card] = await rows(sessions)
    assert (card.attempts, card.last_error) == (1, "RuntimeError: bug")
    async with sessions() as session:
        assert (await session.get(Lead, lead.id)).staff_thread_id is None  # type: ignore[union-attr]
    clock.advance(10)
    await outbox.send_due()
    async with sessions() as session:
        assert (await session.get(Lead, lead.id)).staff_thread_id == 1  # type: ignore[union-attr]


async def test_the_worker_wakes_when_told_and_stops_when_asked(sessions: async_sessionmaker[AsyncSession]) -> None:
    recorder = Recorder()
    outbox = OutboxWorker(sessions, recorder, poll_seconds=30)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox.run(stop))
    await asyncio.sleep(0.05)
    await queue(sessions, (1, "now"))
    outbox.wake()
    async with asyncio.timeout(5):
        while not recorder.sent:  # noqa: ASYNC110 (the recorder has no event to wait on; this is a test)
            await asyncio.sleep(0.01)
    stop.set()
    async with asyncio.timeout(2):
        await task
    assert recorder.sent == [("to_staff", "now")]


def test_the_pacer_keeps_to_telegram_limits() -> None:
    clock = Clock()
    pacer = Pacer(overall=Rate(30, 1.0), staff=Rate(20, 60.0), person=Rate(1, 1.0), clock=clock.monotonic)
    for _ in range(20):
        assert pacer.wait(STAFF) == 0
        pacer.record(STAFF)
    assert pacer.wait(STAFF) == pytest.approx(60.0)  # 20 a minute into the group
    assert pacer.wait(to_contact(1)) == 0
    pacer.record(to_contact(1))
    assert pacer.wait(to_contact(1)) == pytest.approx(1.0)  # one a second into one chat
    for n in range(2, 11):
        pacer.record(to_contact(n))
    assert pacer.wait(to_contact(99)) == pytest.approx(1.0)  # 30 a second overall
    clock.advance(1.0)
    assert pacer.wait(to_contact(1)) == 0 and pacer.wait(STAFF) == pytest.approx(59.0)
    pacer.pause(to_contact(1), 5)
    assert pacer.wait(to_contact(1)) == pytest.approx(5.0) and pacer.wait(to_contact(2)) == 0


async def test_two_workers_never_send_one_message_twice(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    if settings.is_sqlite:
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite runs one worker per database")
    await queue(sessions, *[(n, f"m{n}") for n in range(30)])
    recorder = Recorder(delay=0.01)
    fast = Pacer(overall=FAST, staff=FAST, person=FAST)
    first, second = (OutboxWorker(sessions, recorder, pacer=fast) for _ in range(2))
    await asyncio.gather(first.send_due(), second.send_due())
    assert sorted(text for _, text in recorder.sent) == sorted(f"m{n}" for n in range(30))
