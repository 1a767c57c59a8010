"""The Telegram channel against the fake Bot API, with a scripted engine: delivery, ordering, errors, webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.telegram import TelegramChannel, webhook_router
from bot.engine.types import Button, KeyButton, Reply
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.channel import MemoryInbox, ScriptedEngine, make_bot, polling
from tests.fakes.updates import message, text


@dataclass
class Rig:
    api: FakeBotAPI
    engine: ScriptedEngine
    inbox: MemoryInbox
    channel: TelegramChannel


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with FakeBotAPI() as api:
        inbox = MemoryInbox(api)
        engine = ScriptedEngine(inbox=inbox)
        bot = make_bot(api)
        try:
            yield Rig(api, engine, inbox, TelegramChannel(bot, engine, inbox, concurrency=8, retry_delay=0.01))
        finally:
            await bot.session.close()


async def settle(rig: Rig, update: dict[str, object]) -> None:
    """Until the channel has received `update` and handled everything it accepted."""
    await rig.api.wait_confirmed(update)
    await rig.channel.wait_idle()


async def test_text_in_html_out_and_stored_before_confirmed(rig: Rig) -> None:
    ani = rig.api.user(1, language_code="hy")
    rig.engine.respond = lambda ib: [Reply(f"You wrote **{ib.text}** <ok>", buttons=[[Button("Menu", "menu")]])]
    async with polling(rig.channel):
        update = await rig.api.send_text(ani, "Բարև <b>")
        [message] = await rig.api.wait_for_messages(1, 1)
    assert message.text == "You wrote Բարև <b> <ok>" and message.parse_mode == "HTML"
    assert message.entities[0]["type"] == "bold" and message.callback_data == ["menu"]
    key = f"tg:{update['update_id']}"
    assert rig.inbox.confirmed_at_store[key] <= update["update_id"]  # stored while Telegram still held it
    assert rig.engine.seen[0].language_hint == "hy" and rig.api.rejected == []


async def test_chats_run_side_by_side_and_each_chat_in_order(rig: Rig) -> None:
    slow, quick = rig.api.user(1), rig.api.user(2)
    rig.engine.gates["1"] = asyncio.Event()
    async with polling(rig.channel):
        for text in ("one", "two", "three"):
            await rig.api.send_text(slow, text)
        await rig.api.send_text(quick, "hi")
        await rig.api.wait_for_messages(2, 1)  # answered while the first chat is still busy
        assert rig.api.messages(1) == []
        rig.engine.gates["1"].set()
        answers = await rig.api.wait_for_messages(1, 3)
    assert [m.text for m in answers] == ["echo: one", "echo: two", "echo: three"]


async def test_a_replace_reply_edits_the_pressed_message(rig: Rig) -> None:
    ani = rig.api.user(1)
    rig.engine.respond = lambda ib: [Reply("Topics", buttons=[[Button("Back", "menu")]], replace=ib.kind == "button")]
    async with polling(rig.channel):
        await rig.api.send_text(ani, "/start")
        [menu] = await rig.api.wait_for_messages(1, 1)
        rig.engine.respond = lambda ib: [Reply("Documents", buttons=[[Button("Back", "menu")]], replace=True)]
        pressed = await rig.api.press(ani, menu, "menu")
        await settle(rig, pressed)
    assert [m.text for m in rig.api.messages(1)] == ["Documents"] and menu.history == ["Topics"]
    assert rig.api.calls_to("answerCallbackQuery")[0]["callback_query_id"] == pressed["callback_query"]["id"]


async def test_editing_falls_back_to_sending(rig: Rig) -> None:
    ani = rig.api.user(1)
    rig.engine.respond = lambda ib: [Reply("Again", replace=True)]
    async with polling(rig.channel):
        await rig.api.send_text(ani, "x")
        [first] = await rig.api.wait_for_messages(1, 1)
        again = await rig.api.press(ani, first, "stale", strict=False)  # same text again: "not modified" is fine
        await settle(rig, again)
        rig.api.delete_message(1, first.message_id)  # the person deleted it meanwhile
        pressed = await rig.api.press(ani, first, "stale", strict=False)
        await settle(rig, pressed)
    assert [m.text for m in rig.api.messages(1)] == ["Again"] and rig.api.messages(1)[0] is not first
    assert [e.description.split(":")[1] for e in rig.api.errors if e.method != "getUpdates"] == [
        " message is not modified",
        " message to edit not found",
    ]
    assert rig.api.rejected == []


async def test_long_replies_are_split_with_buttons_last(rig: Rig) -> None:
    ani = rig.api.user(1)
    body = "\n\n".join("Պարբերություն " + "բառ " * 300 for _ in range(6))
    rig.engine.respond = lambda ib: [Reply(body, buttons=[[Button("Menu", "menu")]])]
    async with polling(rig.channel):
        update = await rig.api.send_text(ani, "long")
        await settle(rig, update)
    sent = rig.api.messages(1)
    assert len(sent) > 1 and all(len(m.text) <= 4096 for m in sent)
    assert [bool(m.reply_markup) for m in sent] == [False] * (len(sent) - 1) + [True]
    assert rig.api.rejected == []


async def test_reply_keyboards(rig: Rig) -> None:
    ani = rig.api.user(1)
    rig.engine.respond = lambda ib: [
        Reply(
            "Share?",
            keyboard=[
                [KeyButton("📱 My number", request_contact=True)],
                [KeyButton("📍 Where I am", request_location=True)],
            ],
        ),
        Reply("Thanks", remove_keyboard=True),
    ]
    async with polling(rig.channel):
        update = await rig.api.send_text(ani, "x")
        await settle(rig, update)
    share, thanks = rig.api.messages(1)
    assert share.reply_markup == {
        "keyboard": [
            [{"text": "📱 My number", "request_contact": True}],
            [{"text": "📍 Where I am", "request_location": True}],
        ],
        "resize_keyboard": True,
    }
    assert thanks.reply_markup == {"remove_keyboard": True}


async def test_blocked_people_are_marked(rig: Rig) -> None:
    ani, bob = rig.api.user(1), rig.api.user(2)
    async with polling(rig.channel):
        update = await rig.api.block(ani)
        await settle(rig, update)
        assert rig.engine.blocked == ["1"]
        rig.api.blocked.add(2)  # blocked without Telegram telling us: the 403 says it
        update = await rig.api.send_text(bob, "hi")
        await settle(rig, update)
    assert rig.engine.blocked == ["1", "2"] and rig.api.rejected == []


async def test_rate_limits_and_network_errors_are_retried(rig: Rig) -> None:
    ani = rig.api.user(1)
    rig.api.fail_next("sendMessage", 429, retry_after=1)
    rig.api.drop_next("sendMessage")
    rig.api.fail_next("sendMessage", 502, "Bad Gateway")
    rig.api.drop_next("getUpdates")
    async with polling(rig.channel):
        started = time.monotonic()
        await rig.api.send_text(ani, "hi")
        [message] = await rig.api.wait_for_messages(1, 1, timeout=10)
    assert message.text == "echo: hi" and time.monotonic() - started >= 1  # waited out retry_after
    assert [c.method for c in rig.api.calls].count("sendMessage") == 4


async def test_other_refusals_are_logged_and_the_loop_goes_on(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    ani = rig.api.user(1)
    rig.api.fail_next("sendMessage", 400, "Bad Request: something unexpected")
    async with polling(rig.channel):
        await rig.api.send_text(ani, "first")
        await rig.api.send_text(ani, "second")
        [message] = await rig.api.wait_for_messages(1, 1)
    assert message.text == "echo: second" and "something unexpected" in caplog.text


async def test_an_update_aiogram_cannot_parse_is_skipped(rig: Rig) -> None:
    ani = rig.api.user(1)
    async with polling(rig.channel):
        await rig.api.raw_update({"message": {"message_id": "not a number"}})
        await rig.api.send_text(ani, "after")
        [message] = await rig.api.wait_for_messages(1, 1)
    assert message.text == "echo: after"


async def test_a_batch_is_fetched_again_when_the_inbox_is_down(rig: Rig) -> None:
    ani = rig.api.user(1)
    rig.inbox.fail_stores = 2
    async with polling(rig.channel):
        await rig.api.send_text(ani, "kept")
        [message] = await rig.api.wait_for_messages(1, 1)
    assert message.text == "echo: kept" and len(rig.engine.seen) == 1


async def test_pending_updates_of_a_previous_run_come_first(rig: Rig) -> None:
    ani = rig.api.user(1)
    left = {
        "update_id": 5,
        "message": {"message_id": 1, "date": 1, "chat": ani.chat(), "from": ani.as_dict(), "text": "left over"},
    }
    await rig.inbox.store([("tg:5", left)])
    async with polling(rig.channel):
        await rig.api.send_text(ani, "new")
        sent = await rig.api.wait_for_messages(1, 2)
    assert [m.text for m in sent] == ["echo: left over", "echo: new"]


async def test_buttons_are_always_answered_and_a_redelivery_is_handled_once(rig: Rig) -> None:
    ani = rig.api.user(1)
    async with polling(rig.channel):
        update = await rig.api.send_text(ani, "once")
        await rig.api.wait_for_messages(1, 1)
        await rig.api.redeliver(update)
        group = await rig.api.raw_update(
            {
                "callback_query": {
                    "id": "in-a-group",
                    "from": ani.as_dict(),
                    "chat_instance": "9",
                    "data": "menu",
                    "message": {"message_id": 3, "date": 1, "chat": {"id": -7, "type": "group", "title": "G"}},
                }
            }
        )
        await settle(rig, group)
    assert len(rig.api.messages(1)) == 1 and len(rig.engine.seen) == 1
    assert [c["callback_query_id"] for c in rig.api.calls_to("answerCallbackQuery")] == ["in-a-group"]


async def test_stopping_does_not_wait_for_the_long_poll(rig: Rig) -> None:
    rig.channel.poll_seconds = 25
    async with polling(rig.channel) as stop:
        await rig.api.wait_until(lambda: rig.api.calls_to("getUpdates"))
        started = time.monotonic()
        stop.set()
    assert time.monotonic() - started < 2


async def test_commands_in_every_language(rig: Rig) -> None:
    await rig.channel.set_commands()
    assert {lang for _, lang in rig.api.commands} == {"hy", "ru", "en", ""}
    assert [c["command"] for c in rig.api.commands[("default", "ru")]][:2] == ["start", "menu"]
    assert rig.api.commands[("default", "")] == rig.api.commands[("default", "hy")]
    assert rig.api.commands[("default", "en")] != rig.api.commands[("default", "hy")]


async def test_webhook(rig: Rig) -> None:
    ani = rig.api.user(1)
    left = {
        "update_id": 5,
        "message": {"message_id": 1, "date": 1, "chat": ani.chat(), "from": ani.as_dict(), "text": "left over"},
    }
    await rig.inbox.store([("tg:5", left)])
    await rig.channel.set_webhook("https://ughi.example/telegram/webhook", "s3cret")
    assert rig.api.webhook and rig.api.webhook["secret_token"] == "s3cret"
    await rig.channel.wait_idle()
    assert [m.text for m in rig.api.messages(1)] == ["echo: left over"]  # resumed when the webhook was set
    app = FastAPI()
    app.include_router(webhook_router(lambda: rig.channel, "s3cret"))
    update = {
        "update_id": 77,
        "message": {"message_id": 1, "date": 1, "chat": ani.chat(), "from": ani.as_dict(), "text": "via webhook"},
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.post("/telegram/webhook", json=update)).status_code == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        assert (await http.post("/telegram/webhook", json=update, headers=wrong)).status_code == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        assert (await http.post("/telegram/webhook", content=b"{not json", headers=right)).status_code == 400
        assert (await http.post("/telegram/webhook", json=update, headers=right)).status_code == 200
    assert "tg:77" in rig.inbox.rows
    await rig.channel.wait_idle()
    assert [m.text for m in rig.api.messages(1)] == ["echo: left over", "echo: via webhook"]
    await rig.channel.close()


async def test_webhook_updates_wait_for_room_when_too_many_are_in_hand() -> None:
    async with FakeBotAPI() as api:
        inbox = MemoryInbox(api)
        engine = ScriptedEngine(inbox=inbox, gates={"900": asyncio.Event()})
        bot = make_bot(api)
        try:
            channel = TelegramChannel(bot, engine, inbox, concurrency=1, retry_delay=0.01)
            person = api.user(900)
            full = [
                {"update_id": 80_000 + i, "message": message(person, 10 + i, text(f"m{i}"))}
                for i in range(channel._backlog)
            ]
            for update in full:
                await channel.accept_webhook(update)
            one_more = asyncio.ensure_future(
                channel.accept_webhook({"update_id": 90_000, "message": message(person, 5000, text("late"))})
            )
            await asyncio.sleep(0.2)
            assert not one_more.done() and "tg:90000" not in inbox.rows  # held back, not stored yet
            engine.gates["900"].set()
            await asyncio.wait_for(one_more, 10)
            await asyncio.wait_for(channel.wait_idle(), 10)
            assert "tg:90000" in inbox.rows and len(engine.seen) == channel._backlog + 1
        finally:
            await bot.session.close()
