"""Telegram's bad days end to end: flood waits, server errors and resets, people who blocked the bot.

The real channel, engine, outbox worker and sender on a real database, against the fake Bot API's injected faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.channels.telegram import MAX_ATTEMPTS, TelegramChannel
from bot.channels.telegram_outbox import PERSON_KINDS, REPLY, ReplyQueue, TelegramSender
from bot.channels.telegram_plain import PlainSendMessage
from bot.models import Contact
from leads.models import OutboxMessage
from leads.outbox import GAVE_UP, OutboxWorker, Pacer, Rate, enqueue, to_contact
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.fakes.channel import make_bot
from tests.fakes.faults import (
    CUT,
    blocked,
    connection_closed,
    connection_reset,
    server_error,
    too_many_requests,
)
from tests.fakes.updates import FakeUser
from tests.leads.conftest import bare_lead
from ughi.app import telegram_bot
from ughi.db import transaction
from ughi.metrics import REGISTRY
from ughi.services import Services

QUICK = Rate(1000, 1.0)  # the pacer's own limits are tested in tests/leads
FLOOD_WAIT = 1  # seconds Telegram asks to wait in these tests


@dataclasses.dataclass
class Rig:
    """The bot's Telegram side as `ughi serve` wires it when no counsellors' chat is set."""

    api: FakeBotAPI
    services: Services
    channel: TelegramChannel
    outbox: OutboxWorker
    replies: ReplyQueue

    async def settle(self, update: dict[str, Any]) -> None:
        await self.api.wait_confirmed(update, timeout=10)
        await asyncio.wait_for(self.channel.wait_idle(), timeout=20)

    async def say(self, user: FakeUser, text: str) -> list[SentMessage]:
        """What the bot sent this person by the time it has handled their message."""
        before = len(self.api.messages(user.id))
        await self.settle(await self.api.send_text(user, text))
        return self.api.messages(user.id)[before:]

    async def unsent(self) -> list[OutboxMessage]:
        async with self.services.sessions() as session:
            query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
            return list((await session.scalars(query)).all())

    async def drain(self) -> None:
        """Run the outbox worker until nothing is left to send (when it is not running by itself)."""
        async with asyncio.timeout(10):
            while await self.unsent():  # noqa: ASYNC110 (the worker's own round, run by the test)
                await asyncio.sleep(await self.outbox.send_due())

    async def sent_out(self) -> None:
        """Until the running outbox worker has sent everything."""
        async with asyncio.timeout(10):
            while await self.unsent():  # noqa: ASYNC110 (the database says it: no event to wait on)
                await asyncio.sleep(0.02)

    async def contact(self, user: FakeUser) -> Contact:
        async with self.services.sessions() as session:
            found = await session.scalar(select(Contact).where(Contact.external_id == str(user.id)))
            assert found is not None
            return found

    async def to_person(self, user: FakeUser, text: str) -> None:
        """A counsellor's message for this person, queued as leads.service does it."""
        contact = await self.contact(user)
        async with transaction(self.services.sessions) as session:
            payload = {"to": to_contact(contact.id), "lead_id": 1, "contact_id": contact.id, "text": text}
            await enqueue(session, kind="to_contact", payload=payload)
        self.outbox.wake()


@contextlib.asynccontextmanager
async def running(api: FakeBotAPI, services: Services, *, worker: bool = True) -> AsyncIterator[Rig]:
    """Polling and (unless `worker` is False: the test then drains the outbox itself) the outbox worker."""
    bot = make_bot(api)
    sender = TelegramSender(bot, staff_chat_id=None, language="en")
    pacer = Pacer(overall=QUICK, staff=QUICK, person=QUICK)
    outbox = OutboxWorker(
        services.sessions, sender, pacer=pacer, poll_seconds=0.05, retry_base=0.05, kinds=PERSON_KINDS, jitter=0.5
    )
    replies = ReplyQueue(services.sessions, wake=outbox.wake)
    channel = TelegramChannel(bot, services.engine, services.inbox, concurrency=8, retry_delay=0.01, outbox=replies)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(channel.run_polling(stop))]
    if worker:
        tasks.append(asyncio.create_task(outbox.run(stop)))
    try:
        yield Rig(api, services, channel, outbox, replies)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)
        await bot.session.close()


def errors(code: str, method: str = "sendMessage") -> float:
    """Telegram errors counted so far (the counter is the process's: tests compare before and after)."""
    return REGISTRY.get_sample_value("ughi_telegram_errors_total", {"method": method, "code": code}) or 0.0


async def eventually(predicate: Callable[[], object], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 (a state of the bot's process, which no event announces)
            await asyncio.sleep(0.002)


def people(api: FakeBotAPI, first_id: int, count: int) -> list[FakeUser]:
    return [api.user(first_id + n, language_code="en", first_name=f"P{n}") for n in range(count)]


# ---- 429: one gate per method for the whole process -------------------------------------------------------


@pytest.mark.parametrize("met_by", ["reply", "outbox"])
async def test_a_flood_wait_holds_the_method_for_every_sender_then_each_message_goes_once(
    api: FakeBotAPI, services: Services, met_by: str
) -> None:
    victim, bob, cem, eve = people(api, 7001, 4)
    async with running(api, services) as rig:
        for user in (victim, bob, cem, eve):
            assert len(await rig.say(user, "/start")) == 1
        counted = errors("429")
        api.inject("sendMessage", too_many_requests(FLOOD_WAIT), chat_id=victim.id)
        if met_by == "reply":
            asked = await api.send_text(victim, "/help")
        else:
            await rig.replies.queue(victim.id, [PlainSendMessage(chat_id=victim.id, text="kept for you")])
        flood = await api.wait_until(lambda: next((c for c in api.calls if c.status == 429), None))
        await eventually(lambda: rig.channel.gate.remaining("sendMessage") > 0)

        # while Telegram waits: two people write (the reply path) and a message for a third is queued (the outbox)
        written = [await api.send_text(bob, "/menu"), await api.send_text(cem, "/help")]
        await rig.replies.queue(eve.id, [PlainSendMessage(chat_id=eve.id, text="from the outbox")])
        for update in written:
            await rig.settle(update)
        if met_by == "reply":
            await rig.settle(asked)
        for user in (victim, bob, cem, eve):
            await api.wait_for_messages(user.id, 2, timeout=10)
        await rig.sent_out()

    after = [call for call in api.calls_of("sendMessage") if call.at > flood.at]
    assert after and all(call.at >= flood.at + FLOOD_WAIT for call in after), "a call came while Telegram waited"
    for user in (victim, bob, cem, eve):
        assert len(api.messages(user.id)) == 2, f"{user.id}: {[m.text for m in api.messages(user.id)]}"
    assert [c.status for c in api.calls_of("sendMessage", chat_id=victim.id)] == [200, 429, 200]  # then once
    assert api.messages(eve.id)[-1].text == "from the outbox"
    assert errors("429") == counted + 1 and api.rejected == []


# ---- 5xx and resets: backoff, then the outbox, in order ---------------------------------------------------


async def test_a_reply_telegram_will_not_take_waits_in_the_outbox_and_later_replies_go_behind_it(
    api: FakeBotAPI, services: Services
) -> None:
    [ani] = people(api, 7101, 1)
    async with running(api, services, worker=False) as rig:
        [menu] = await rig.say(ani, "/start")
        before = (errors("5xx"), errors("network"))
        api.inject(
            "sendMessage",
            server_error(500),
            server_error(502),
            connection_reset(),
            connection_closed(),
            server_error(503),
            chat_id=ani.id,
        )
        assert await rig.say(ani, "/help") == []  # five attempts, then kept
        assert await rig.say(ani, "/menu") == []  # Telegram is back, but this one goes behind the first
        failed = [c.status for c in api.calls_of("sendMessage", chat_id=ani.id)][1:]
        assert failed == [500, 502, CUT, CUT, 503] and len(failed) == MAX_ATTEMPTS
        assert (errors("5xx"), errors("network")) == (before[0] + 3, before[1] + 2)
        waiting = await rig.unsent()
        contact = await rig.contact(ani)
        assert [m.kind for m in waiting] == [REPLY, REPLY]
        assert all(m.payload["to"] == to_contact(contact.id) for m in waiting)

        api.inject("sendMessage", server_error(502), chat_id=ani.id)  # the outbox's first try fails too
        await rig.drain()
        [help_text, menu_again] = api.messages(ani.id)[1:]
        assert "/start" in help_text.text and menu_again.callback_data == menu.callback_data  # in order, once each
        async with services.sessions() as session:
            done = list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
        assert [m.attempts for m in done] == [2, 1] and all(m.sent_at is not None for m in done)
        assert all(set(m.payload) == {"to", "contact_id"} for m in done)  # the texts are not kept once sent

        [direct] = await rig.say(ani, "/menu")  # nothing waits any more: straight to Telegram
        assert direct.callback_data == menu.callback_data and await rig.unsent() == []
    assert api.rejected == []


# ---- 403: blocked, nothing more tried, back when they write ------------------------------------------------


async def test_a_person_who_blocked_the_bot_is_not_written_to_until_they_write_again(
    api: FakeBotAPI, services: Services
) -> None:
    ani, bob = people(api, 7201, 2)
    async with running(api, services, worker=False) as rig:
        for user in (ani, bob):
            await rig.say(user, "/start")
        counted = errors("403")

        api.inject("sendMessage", blocked(), chat_id=bob.id)  # a reply meets the 403: no retry
        assert await rig.say(bob, "/help") == []
        assert [c.status for c in api.calls_of("sendMessage", chat_id=bob.id)] == [200, 403]
        assert (await rig.contact(bob)).blocked

        api.blocked.add(ani.id)  # blocked in her app; the my_chat_member update was lost
        await rig.to_person(ani, "first")
        await rig.to_person(ani, "second")
        await rig.replies.queue(ani.id, [PlainSendMessage(chat_id=ani.id, text="a late reply")])
        await rig.to_person(bob, "for Bob")
        await rig.drain()
        assert [c.status for c in api.calls_of("sendMessage", chat_id=ani.id)] == [200, 403]  # tried once only
        assert [c.status for c in api.calls_of("sendMessage", chat_id=bob.id)] == [200, 403]  # not tried at all
        assert (await rig.contact(ani)).blocked and errors("403") == counted + 2
        async with services.sessions() as session:
            given_up = (await session.scalars(select(OutboxMessage.last_error).order_by(OutboxMessage.id))).all()
        assert given_up == [
            GAVE_UP + "Forbidden: bot was blocked by the user",
            *[GAVE_UP + "the person blocked the bot"] * 3,
        ]

        api.blocked.discard(ani.id)  # they unblock and write: answered, and written to again
        for user in (ani, bob):
            [answer] = await rig.say(user, "/menu")
            assert answer.callback_data and not (await rig.contact(user)).blocked
            await rig.to_person(user, "welcome back")
        await rig.drain()
        for user in (ani, bob):
            assert "welcome back" in api.messages(user.id)[-1].text
    assert api.rejected == []


# ---- wiring: the outbox runs whenever Telegram is on -------------------------------------------------------


async def test_the_app_runs_the_outbox_without_a_counsellors_chat_and_lead_cards_wait(
    api: FakeBotAPI, services: Services
) -> None:
    [ani] = people(api, 7301, 1)
    async with transaction(services.sessions) as session:
        contact = Contact(channel="telegram", external_id=str(ani.id), language="en")
        session.add(contact)
        await session.flush()
        lead = await bare_lead(session, contact.id, "en")
        payload = {"to": to_contact(contact.id), "lead_id": lead.id, "contact_id": contact.id, "text": "hello"}
        await enqueue(session, kind="to_contact", payload=payload)
    settings = services.settings.model_copy(
        update={"telegram_token": SecretStr(api.token), "telegram_api_base": api.base_url, "staff_chat_id": None}
    )
    async with telegram_bot(dataclasses.replace(services, settings=settings), polling=True):
        [message] = await api.wait_for_messages(ani.id, 1, timeout=10)
    assert message.text.endswith("hello")
    async with services.sessions() as session:
        card = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "lead_card"))
    assert card is not None and card.sent_at is None and card.attempts == 0  # waits for UGHI_STAFF_CHAT_ID
