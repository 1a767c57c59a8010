"""Two webhook replicas on one database: each chat's messages are handled in the order they were sent and one at
a time, whichever replica received them, and each reply goes out once."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.engine.types import Inbound, Reply
from bot.models import Contact, TranscriptEntry
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.channel import make_bot
from tests.fakes.updates import FakeUser, message, text
from ughi.services import Services, start_services
from ughi.settings import Settings

_ids = itertools.count(500_000)


class Watched:
    """The replica's engine, with a brake to hold one update back."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.held: dict[str, asyncio.Event] = {}  # update_key -> released

    async def handle(self, inbound: Inbound) -> list[Reply]:
        brake = self.held.get(inbound.update_key or "")
        if brake is not None:
            await brake.wait()
        replies: list[Reply] = await self.inner.handle(inbound)
        return replies

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        await self.inner.mark_blocked(channel, external_id)


@pytest.fixture
async def replicas(api: FakeBotAPI, services: Services, settings: Settings) -> AsyncIterator[list[TelegramChannel]]:
    """Two replicas: each its own engine, connection pool and Telegram connection, one database."""
    second = await start_services(settings, migrate=False)
    bots = [make_bot(api), make_bot(api)]
    channels = [
        TelegramChannel(bot, Watched(s.engine), s.inbox, concurrency=8, retry_delay=0.05)
        for bot, s in zip(bots, (services, second), strict=True)
    ]
    yield channels
    for channel in channels:
        await channel.close()
    for bot in bots:
        await bot.session.close()
    await second.close()


def _update(user: FakeUser, words: str) -> dict[str, Any]:
    return {"update_id": next(_ids), "message": message(user, next(_ids), text(words))}


async def _said(services: Services, user: FakeUser) -> list[str]:
    async with services.sessions() as session:
        rows = await session.scalars(
            select(TranscriptEntry.text)
            .join(Contact, Contact.id == TranscriptEntry.contact_id)
            .where(Contact.external_id == str(user.id), TranscriptEntry.direction == "in")
            .order_by(TranscriptEntry.id)
        )
        return list(rows)


async def test_an_earlier_message_held_up_on_one_replica_is_still_handled_first(
    api: FakeBotAPI, services: Services, replicas: list[TelegramChannel]
) -> None:
    first_replica, second_replica = replicas
    person = FakeUser(id=71_001, language_code="en")
    api.user(person.id, language_code="en")
    earlier, later = _update(person, "/start"), _update(person, "passport")
    brake = asyncio.Event()
    engine = first_replica.engine
    assert isinstance(engine, Watched)
    engine.held[f"tg:{earlier['update_id']}"] = brake  # the first replica is slow with the earlier message

    await first_replica.accept_webhook(earlier)
    await second_replica.accept_webhook(later)
    await asyncio.wait_for(second_replica.wait_idle(), 20)
    brake.set()
    await asyncio.wait_for(first_replica.wait_idle(), 20)

    assert await _said(services, person) == ["/start", "passport"]
    replies = [m for m in api.outgoing if m.chat_id == person.id]
    assert replies and "passport" not in replies[0].text.lower()  # the greeting first, then the answer
    greetings = [m for m in replies if m.reply_markup and "menu" in str(m.reply_markup)]
    assert len(replies) == len({m.message_id for m in replies})
    assert greetings  # sent once by the replica that handled it; the slow replica found it done


async def test_many_people_alternating_between_replicas_keep_their_order(
    api: FakeBotAPI, services: Services, replicas: list[TelegramChannel]
) -> None:
    rng = random.Random(20261123)
    people = [FakeUser(id=72_000 + i, language_code=("hy", "ru", "en")[i % 3]) for i in range(12)]
    words = ["/start", "passport", "work abroad", "/menu", "grant", "/help", "diploma", "return home"]
    for person in people:
        api.user(person.id, language_code=person.language_code)

    async def talk(person: FakeUser) -> None:
        for said in words:  # one after another, as a person types; each to a replica chosen at random
            await rng.choice(replicas).accept_webhook(_update(person, said))
            await asyncio.sleep(rng.uniform(0, 0.01))

    await asyncio.gather(*(talk(p) for p in people))
    await asyncio.wait_for(asyncio.gather(*(r.wait_idle() for r in replicas)), 60)
    for person in people:
        assert await _said(services, person) == words
