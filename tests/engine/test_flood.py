"""Flood: one person sending fifty messages in five seconds gets one polite slow-down; nothing they wrote is
lost, and nobody else waits for them."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.channels.lanes import Lanes
from bot.engine.flood import CAPACITY, FloodGuard, Verdict
from bot.models import Contact, TranscriptEntry
from tests.engine.helpers import inbound, say, texts
from ughi.services import Services


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _transcript(services: Services, user: str, direction: str) -> list[str]:
    async with services.sessions() as session:
        rows = await session.scalars(
            select(TranscriptEntry.text)
            .join(Contact, Contact.id == TranscriptEntry.contact_id)
            .where(Contact.external_id == user, TranscriptEntry.direction == direction)
            .order_by(TranscriptEntry.id)
        )
        return list(rows)


async def test_fifty_messages_in_five_seconds_get_one_slow_down_and_are_all_kept(services: Services) -> None:
    clock = Clock()
    services.engine.flood = FloodGuard(clock=clock)
    await say(services.engine, "flooder", "/start", hint="en")
    answered, notices, silent = 0, 0, 0
    for i in range(50):
        clock.now += 0.1  # fifty messages in five seconds
        replies = await say(services.engine, "flooder", f"passport {i}")
        if not replies:
            silent += 1
        elif "faster than I can read" in texts(replies):
            notices += 1
        else:
            answered += 1
    assert notices == 1  # told once, not fifty times
    assert silent > 0 and answered >= CAPACITY - 1
    assert answered + notices + silent == 50
    kept = await _transcript(services, "flooder", "in")
    assert [t for t in kept if t.startswith("passport")] == [f"passport {i}" for i in range(50)]  # nothing lost

    clock.now += 30  # after a pause they are answered as usual again
    replies = await say(services.engine, "flooder", "passport")
    assert replies and "faster than I can read" not in texts(replies)


async def test_the_slow_down_is_in_the_persons_language(services: Services) -> None:
    clock = Clock()
    services.engine.flood = FloodGuard(capacity=2, rate=0.1, clock=clock)
    await say(services.engine, "ru1", "/start", hint="ru")
    await say(services.engine, "ru1", "паспорт")
    replies = await say(services.engine, "ru1", "паспорт")
    assert "быстрее" in texts(replies)


async def test_a_redelivered_update_over_the_limit_is_still_handled_once(services: Services) -> None:
    services.engine.flood = FloodGuard(capacity=1, rate=0.001, clock=Clock())
    await say(services.engine, "p", "/start", hint="en")
    again = inbound("p", text="hello")
    first = await services.engine.handle(again)
    second = await services.engine.handle(again)
    assert "faster than I can read" in texts(first) and second == []
    assert (await _transcript(services, "p", "in")).count("hello") == 1


async def test_other_people_are_answered_while_one_floods(services: Services) -> None:
    order: list[str] = []

    async def work(item: tuple[str, str]) -> None:
        user, text = item
        await say(services.engine, user, text, hint="en")
        order.append(user)

    lanes: Lanes[tuple[str, str]] = Lanes(8, work)
    for i in range(50):
        lanes.put("flooder", ("flooder", f"question {i}"))
    lanes.put("calm", ("calm", "passport"))
    await asyncio.wait_for(lanes.wait_idle(), 60)
    assert order.count("flooder") == 50
    assert order.index("calm") < 5  # not queued behind the flood


def test_buckets_refill_and_idle_people_are_forgotten() -> None:
    clock = Clock()
    guard = FloodGuard(capacity=3, rate=1.0, clock=clock)
    key = ("test", "a")
    assert [guard.check(key) for _ in range(5)] == [
        Verdict.OK,
        Verdict.OK,
        Verdict.OK,
        Verdict.SLOW_DOWN,
        Verdict.QUIET,
    ]
    clock.now += 1.0
    assert [guard.check(key) for _ in range(2)] == [Verdict.OK, Verdict.QUIET]  # the same flood: told once
    clock.now += 3.0  # full again: the flood is over
    assert [guard.check(key) for _ in range(4)] == [Verdict.OK, Verdict.OK, Verdict.OK, Verdict.SLOW_DOWN]


async def test_resent_updates_do_not_count_as_flooding(services: Services) -> None:
    """Telegram resends what it thinks was not received: the copies are not the person writing again."""
    clock = Clock()
    services.engine.flood = FloodGuard(clock=clock)
    await say(services.engine, "resent", "/start", hint="en")
    question = inbound("resent", text="passport", hint="en", key="test:resent-question")
    first = await services.engine.handle(question)
    copies = [await services.engine.handle(question) for _ in range(3 * CAPACITY)]
    assert first and all(copy == [] for copy in copies)  # answered once, the copies with nothing
    later = await say(services.engine, "resent", "work abroad", hint="en")
    assert later and not any("faster than I can read" in text for text in texts(later))
