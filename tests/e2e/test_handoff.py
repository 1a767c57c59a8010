"""Handoff end to end with the real bot and engine: lead card, "Take", forum topic or reply thread, relay, closing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_outbox import TelegramSender
from bot.channels.telegram_staff import StaffDesk
from bot.models import Contact, InboxUpdate, TranscriptEntry
from leads import service
from leads.models import LEAD_OUTCOMES, Lead, OutboxMessage, StaffMember
from leads.outbox import OutboxWorker, Pacer, Rate
from leads.routing import CentreTarget
from tests.e2e.test_conversation import written_in
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.fakes.channel import make_bot
from tests.fakes.updates import FakeUser, now
from tests.leads.conftest import bare_lead
from ughi.app import telegram_bot
from ughi.db import transaction
from ughi.services import Services

STAFF_CHAT = -1001234567890
GYUMRI = CentreTarget(id="shirak-gyumri", region="shirak", response_days=2)
QUICK = Rate(1000, 1.0)  # the pacer's real limits are tested in tests/leads; here they would only slow things


@dataclasses.dataclass
class Desk:
    """The bot with its staff desk and outbox worker running against the fake server."""

    api: FakeBotAPI
    services: Services
    channel: TelegramChannel
    outbox: OutboxWorker

    async def settle(self, update: dict[str, Any]) -> None:
        await self.api.wait_confirmed(update, timeout=10)
        await asyncio.wait_for(self.channel.wait_idle(), timeout=10)

    async def lead(self, lead_id: int) -> Lead:
        """The lead as stored once the outbox is empty (a message is seen in Telegram just before its commit)."""
        await self.drained()
        async with self.services.sessions() as session:
            found = await session.get(Lead, lead_id)
            assert found is not None
            return found

    def staff_messages(self) -> list[SentMessage]:
        return self.api.messages(STAFF_CHAT)

    async def drained(self) -> None:
        """Until every outbox message has been sent."""
        async with asyncio.timeout(5):
            while True:
                async with self.services.sessions() as session:
                    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))) is None:
                        return
                await asyncio.sleep(0.02)

    async def staff_message(self, predicate: Any, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        found: SentMessage = await self.api.wait_until(
            lambda: next((m for m in reversed(self.staff_messages()) if predicate(m)), None), timeout
        )
        return found


@contextlib.asynccontextmanager
async def running(api: FakeBotAPI, services: Services) -> AsyncIterator[Desk]:
    bot = make_bot(api)
    sender = TelegramSender(bot, staff_chat_id=STAFF_CHAT, language="en")
    outbox = OutboxWorker(
        services.sessions, sender, pacer=Pacer(overall=QUICK, staff=QUICK, person=QUICK), poll_seconds=0.05
    )
    desk = StaffDesk(bot, services.sessions, staff_chat_id=STAFF_CHAT, language="en", wake=outbox.wake)
    channel = TelegramChannel(bot, services.engine, services.inbox, concurrency=8, retry_delay=0.05, staff=desk)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(channel.run_polling(stop)), asyncio.create_task(outbox.run(stop))]
    try:
        yield Desk(api, services, channel, outbox)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)
        await bot.session.close()


@pytest.fixture
async def desk(api: FakeBotAPI, services: Services) -> AsyncIterator[Desk]:
    api.group(STAFF_CHAT, forum=True)
    async with running(api, services) as started:
        yield started


async def add_staff(services: Services, name: str, telegram_user_id: int) -> int:
    async with transaction(services.sessions) as session:
        member = StaffMember(
            email=f"{name.lower()}@mrc.example", name=name, role="counsellor", telegram_user_id=telegram_user_id
        )
        session.add(member)
        await session.flush()
        return member.id


@dataclasses.dataclass
class Migrant:
    """Someone writing to the bot in their private chat."""

    desk: Desk
    user: FakeUser

    @property
    def id(self) -> int:
        return self.user.id

    def messages(self) -> list[SentMessage]:
        return self.desk.api.messages(self.id)

    async def say(self, text: str) -> list[SentMessage]:
        """What the bot sent back by the time it has handled the message."""
        before = len(self.messages())
        await self.desk.settle(await self.desk.api.send_text(self.user, text))
        return self.messages()[before:]

    async def wait_for(self, count: int) -> SentMessage:
        """The `count`-th message the bot sent this person, once it has arrived."""
        return (await self.desk.api.wait_for_messages(self.id, count))[count - 1]


async def person_with_lead(desk: Desk, user_id: int, lang: str = "hy") -> tuple[Migrant, int]:
    """Someone who has talked to Ughi and then asked for a counsellor (the lead made as the engine will)."""
    someone = Migrant(desk, desk.api.user(user_id, language_code=lang))
    await someone.say("/start")
    async with transaction(desk.services.sessions) as session:
        contact = await session.scalar(select(Contact).where(Contact.external_id == str(user_id)))
        assert contact is not None
        lead = await service.create_lead(
            session,
            contact_id=contact.id,
            source="intake:work-abroad",
            flow_id="work-abroad",
            language=lang,
            region="shirak",
            topic="work",
            summary={"Destination": "Russia <b>Moscow</b>", "Documents": ["passport", "diploma & CV"]},
            score=0.82,
            reason="leaving within 3 months",
            centre=GYUMRI,
        )
    desk.outbox.wake()
    return someone, lead.id


async def staff_writes(
    api: FakeBotAPI,
    user: FakeUser,
    text: str,
    *,
    thread: int | None = None,
    reply_to: SentMessage | None = None,
    root: int | None = None,
) -> dict[str, Any]:
    """A counsellor's message in the staff chat: in a forum topic, or as a reply in a reply thread."""
    chat = api.chat(STAFF_CHAT)
    message: dict[str, Any] = {
        "message_id": api.next_message_id(STAFF_CHAT),
        "from": user.as_dict(),
        "chat": chat,
        "date": now(),
        "text": text,
    }
    if thread is not None:
        message.update(message_thread_id=thread, is_topic_message=True)
    if reply_to is not None:
        message["reply_to_message"] = reply_to.as_message(api.bot, chat)
        message["message_thread_id"] = root or reply_to.message_id  # Telegram: the reply chain's first message
    api.remember(STAFF_CHAT, message)
    return await api.raw_update({"message": message})


def staff_sends(api: FakeBotAPI) -> list[dict[str, Any]]:
    return [call for call in api.calls_to("sendMessage") if int(call["chat_id"]) == STAFF_CHAT]


def answers(api: FakeBotAPI) -> list[str]:
    return [str(call.get("text", "")) for call in api.calls_to("answerCallbackQuery")]


async def press(desk: Desk, user: FakeUser, message: SentMessage, prefix: str) -> None:
    data = next(d for d in message.callback_data if d.startswith(prefix))
    await desk.settle(await desk.api.press(user, message, data))


async def test_a_card_committed_before_a_crash_is_sent_once(api: FakeBotAPI, services: Services) -> None:
    api.group(STAFF_CHAT, forum=True)
    api.user(300, language_code="ru")
    async with transaction(services.sessions) as session:  # the process dies right after this commit
        contact = Contact(channel="telegram", external_id="300", language="ru")
        session.add(contact)
        await session.flush()
        lead = await service.create_lead(
            session,
            contact_id=contact.id,
            source="counsellor",
            flow_id=None,
            language="ru",
            region="shirak",
            topic=None,
            summary={"<script>": "a & b"},
            score=0.5,
            reason="asked for a human",
            centre=GYUMRI,
        )
    async with running(api, services) as desk:  # started again after the crash
        await api.wait_for_messages(STAFF_CHAT, 1)
        await desk.drained()
    async with running(api, services) as desk:  # and once more: nothing is left to send
        await desk.outbox.send_due()
    [card] = api.messages(STAFF_CHAT)
    assert f"Request #{lead.id}" in card.text and "<script>: a & b" in card.text and card.parse_mode == "HTML"
    assert "Shirak Province — Gyumri" in card.text and "Русский" in card.text and "0.5" in card.text
    assert card.callback_data == [f"lead:take:{lead.id}"] and all(len(d.encode()) <= 64 for d in card.callback_data)
    assert (await desk.lead(lead.id)).card_message_id == card.message_id and api.rejected == []


async def test_take_by_staff_opens_a_topic_and_tells_the_person_but_not_by_others(desk: Desk) -> None:
    api = desk.api
    anna_id = await add_staff(desk.services, "Anna", 9001)
    anna, stranger = api.user(9001, "en", "Anna"), api.user(9666, "en", "Mallory")
    ani, lead_id = await person_with_lead(desk, 301, "hy")
    card = await desk.staff_message(lambda m: m.callback_data == [f"lead:take:{lead_id}"])
    assert "Destination: Russia <b>Moscow</b>" in card.text and "diploma & CV" in card.text  # shown literally

    await press(desk, stranger, card, "lead:take:")
    assert answers(api)[-1] == "Only counsellors with a linked Ughi account can do this."
    assert (await desk.lead(lead_id)).status == "new" and api.calls_to("createForumTopic") == []
    assert card.callback_data == [f"lead:take:{lead_id}"] and len(ani.messages()) == 1  # nothing else changed

    await press(desk, anna, card, "lead:take:")
    assert answers(api)[-1] == f"Request #{lead_id} is yours. Write to the person in its thread."
    joined = await ani.wait_for(2)
    assert written_in("hy", joined.text) and f"№{lead_id}" in joined.text and "Գյումրի" in joined.text
    intro = await desk.staff_message(lambda m: m.thread_id is not None)
    lead = await desk.lead(lead_id)
    assert (lead.status, lead.assigned_to, lead.staff_thread_id) == ("assigned", anna_id, intro.thread_id)
    assert api.topic(STAFF_CHAT, intro.thread_id or 0) is True and "Taken by Anna" in intro.text
    assert sorted(intro.callback_data) == sorted(f"lead:close:{lead_id}:{o}" for o in LEAD_OUTCOMES)
    await api.wait_until(lambda: "Taken by Anna" in card.text)
    assert card.callback_data == [] and card.buttons[0]["url"] == f"https://t.me/c/1234567890/{intro.thread_id}"

    stale = await api.press(stranger, card, f"lead:take:{lead_id}", strict=False)  # an old button, someone else
    await desk.settle(stale)
    await press(desk, api.user(9002, "en", "Gor"), intro, "lead:close:")  # not linked to a staff account either
    assert answers(api)[-2:] == ["Only counsellors with a linked Ughi account can do this."] * 2
    assert (await desk.lead(lead_id)).status == "assigned" and api.rejected == []


async def test_relay_both_ways_escaped_then_closing_tells_the_person(desk: Desk) -> None:
    api = desk.api
    await add_staff(desk.services, "Anna", 9001)
    anna = api.user(9001, "en", "Anna")
    ani, lead_id = await person_with_lead(desk, 302, "ru")
    card = await desk.staff_message(lambda m: bool(m.callback_data))
    await press(desk, anna, card, "lead:take:")
    intro = await desk.staff_message(lambda m: m.thread_id is not None)
    await ani.wait_for(2)  # "a counsellor has taken your request"

    [ack] = await ani.say("Здравствуйте! <b>not bold</b> & *stars*")  # the engine passes it on and says so
    assert written_in("ru", ack.text) and "not bold" not in ack.text
    relayed = await desk.staff_message(lambda m: m.text.startswith("💬"))
    assert relayed.text == "💬 Здравствуйте! <b>not bold</b> & *stars*" and relayed.thread_id == intro.thread_id

    await desk.settle(
        await staff_writes(api, anna, "Hello! <i>Send</i> your **passport** & CV", thread=intro.thread_id)
    )
    from_anna = await ani.wait_for(4)
    assert from_anna.text == "🧑‍💼 Консультант\nHello! <i>Send</i> your **passport** & CV"
    assert [e["type"] for e in from_anna.entities] == ["bold"]  # only the label is bold
    assert (await desk.lead(lead_id)).status == "in_progress"
    await desk.settle(await staff_writes(api, api.user(9555, "en"), "I am not staff", thread=intro.thread_id))
    await desk.drained()
    assert len(ani.messages()) == 4
    async with desk.services.sessions() as session:
        texts = (await session.scalars(select(TranscriptEntry.text).where(TranscriptEntry.kind == "counsellor"))).all()
    assert texts == ["Hello! <i>Send</i> your **passport** & CV"]

    await press(desk, anna, intro, f"lead:close:{lead_id}:helped")
    closed = await ani.wait_for(5)
    assert written_in("ru", closed.text) and f"№{lead_id}" in closed.text
    assert intro.callback_data == []
    await api.wait_until(lambda: api.topic(STAFF_CHAT, intro.thread_id or 0) is False)
    await api.wait_until(lambda: "Closed by Anna: Helped" in card.text)
    lead = await desk.lead(lead_id)
    assert (lead.status, lead.outcome) == ("closed", "helped") and lead.closed_at is not None
    [answer] = await ani.say("паспорт")  # the bot answers again: nothing goes to the closed thread
    assert written_in("ru", answer.text) and not answer.text.startswith("🧑‍💼")
    await desk.settle(await staff_writes(api, anna, "one more thing", thread=intro.thread_id))  # an admin, say
    await desk.settle(await staff_writes(api, anna, "lunch, anyone?"))  # chatter outside any lead's thread
    await desk.drained()
    assert len(ani.messages()) == 6 and api.rejected == []
    async with desk.services.sessions() as session:  # every update was handled once; no text is left stored
        stored = (await session.scalars(select(InboxUpdate))).all()
    assert stored and all(row.handled_at is not None and row.payload == {} for row in stored)


async def test_reply_threads_carry_the_relay_where_topics_are_off(api: FakeBotAPI, services: Services) -> None:
    api.group(STAFF_CHAT, forum=False)
    async with running(api, services) as desk:
        await add_staff(services, "Anna", 9001)
        anna = api.user(9001, "en", "Anna")
        ani, lead_id = await person_with_lead(desk, 303, "en")
        card = await desk.staff_message(lambda m: bool(m.callback_data))
        await press(desk, anna, card, "lead:take:")
        intro = await desk.staff_message(lambda m: "Write in this thread" in m.text)
        assert staff_sends(api)[-1]["reply_parameters"]["message_id"] == card.message_id and intro.thread_id is None
        assert (await desk.lead(lead_id)).staff_thread_id == card.message_id

        await ani.say("my question")
        relayed = await desk.staff_message(lambda m: m.text == "💬 my question")
        assert staff_sends(api)[-1]["reply_parameters"]["message_id"] == card.message_id
        await desk.settle(await staff_writes(api, anna, "my answer", reply_to=relayed, root=card.message_id))
        answer = await ani.wait_for(4)
        assert answer.text == "🧑‍💼 Counsellor\nmy answer"

        intro = await desk.staff_message(lambda m: "Write in this thread" in m.text)
        await press(desk, anna, intro, f"lead:close:{lead_id}:referred")
        assert "Your request" in (await ani.wait_for(5)).text
        await desk.settle(await staff_writes(api, anna, "and one more thing", reply_to=card, root=card.message_id))
        notice = await desk.staff_message(lambda m: m.text.startswith("ℹ️"))
        assert "This case is closed" in notice.text and len(ani.messages()) == 5
        assert [r.description for r in api.rejected] == ["Bad Request: the chat is not a forum"]  # asked once


async def test_the_app_runs_the_outbox_beside_polling(api: FakeBotAPI, services: Services) -> None:
    api.group(STAFF_CHAT, forum=True)
    settings = services.settings.model_copy(
        update={"telegram_token": SecretStr(api.token), "telegram_api_base": api.base_url, "staff_chat_id": STAFF_CHAT}
    )
    async with transaction(services.sessions) as session:
        lead = await bare_lead(session, None, "hy")
    async with telegram_bot(dataclasses.replace(services, settings=settings), polling=True):
        [card] = await api.wait_for_messages(STAFF_CHAT, 1, timeout=10)
    assert f"Դիմում №{lead.id}" in card.text and written_in("hy", card.text)
