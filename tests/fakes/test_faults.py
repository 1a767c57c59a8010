"""Fault injection in the fake Bot API: scripted answers in order, per method and chat, with every call timed."""

from __future__ import annotations

import itertools

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.faults import (
    CUT,
    blocked,
    connection_closed,
    connection_reset,
    refused,
    server_error,
    too_many_requests,
)

ANI, BOB = 5101, 5102


async def test_faults_come_in_order_then_calls_are_answered_again(api: FakeBotAPI, bot: Bot) -> None:
    api.user(ANI)
    api.inject(
        "sendMessage",
        too_many_requests(7),
        server_error(502),
        connection_reset(),
        connection_closed(),
        blocked(),
        refused(400, "Bad Request: chat not found"),
    )
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(ANI, "1")
    assert flood.value.retry_after == 7
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(ANI, "2")
    for _ in ("reset", "closed"):
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(ANI, "3")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ANI, "4")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(ANI, "5")
    assert api.faults_left == 0 and api.messages(ANI) == []
    await bot.send_message(ANI, "at last")
    assert [m.text for m in api.messages(ANI)] == ["at last"]
    calls = api.calls_of("sendMessage")
    assert [c.status for c in calls] == [429, 502, CUT, CUT, 403, 400, 200]
    assert all(a.at <= b.at for a, b in itertools.pairwise(calls))  # in the order they arrived
    assert [r.error_code for r in api.rejected] == [400]  # the others are Telegram's bad days, not our mistakes


async def test_a_fault_can_be_meant_for_one_method_and_one_chat(api: FakeBotAPI, bot: Bot) -> None:
    api.user(ANI)
    api.user(BOB)
    api.inject("sendMessage", server_error(), server_error(), chat_id=BOB)
    await bot.send_message(ANI, "for Ani")  # another chat: untouched
    assert await bot.get_me()  # another method: untouched
    with pytest.raises(TelegramServerError):
        await bot.send_message(BOB, "for Bob")
    assert api.faults_left == 1
    await bot.send_message(ANI, "again for Ani")
    with pytest.raises(TelegramServerError):
        await bot.send_message(BOB, "for Bob")
    await bot.send_message(BOB, "for Bob")
    assert [c.status for c in api.calls_of("sendMessage", chat_id=BOB)] == [500, 500, 200]
    assert [c.status for c in api.calls_of("sendMessage", chat_id=ANI)] == [200, 200]
