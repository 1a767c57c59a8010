"""Every Bot API call of the process: the per-method flood gate, backoff with jitter, errors counted by code."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.methods import Response
from aiogram.types import Message

from bot.channels.telegram_calls import MethodGate, backoff, guard
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.channel import make_bot
from tests.fakes.faults import (
    blocked,
    connection_closed,
    connection_reset,
    refused,
    server_error,
    too_many_requests,
)
from ughi.metrics import REGISTRY

ANI, BOB = 6101, 6102


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.user(ANI)
        server.user(BOB)
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    client = make_bot(api)
    guard(client)
    yield client
    await client.session.close()


def counted(code: str, method: str = "sendMessage") -> float:
    return REGISTRY.get_sample_value("ughi_telegram_errors_total", {"method": method, "code": code}) or 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_gate_stays_closed_for_the_longest_wait_asked() -> None:
    clock = Clock()
    gate = MethodGate(clock)
    gate.close("sendMessage", 5)
    gate.close("sendMessage", 2)  # a shorter wait asked meanwhile does not open it earlier
    assert gate.remaining("sendMessage") == 5 and gate.remaining("getMe") == 0
    clock.now += 4
    assert gate.remaining("sendMessage") == 1
    clock.now += 1
    assert gate.remaining("sendMessage") == 0


def test_backoff_doubles_within_a_cap_and_is_spread_by_jitter() -> None:
    for attempt in range(1, 9):
        full = min(0.5 * 2 ** (attempt - 1), 30.0)
        delays = {backoff(attempt, 0.5) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays), (attempt, delays)
        assert len(delays) > 1  # two clients failing together do not come back together


async def test_guarding_twice_or_another_bot_of_the_same_token_shares_one_gate(api: FakeBotAPI, bot: Bot) -> None:
    other = make_bot(api)
    try:
        assert guard(bot) is guard(other) is guard(bot)
        assert len(bot.session.middleware) == 1 and len(other.session.middleware) == 1
    finally:
        await other.session.close()


async def test_a_flood_wait_holds_that_method_for_every_caller_and_no_other(api: FakeBotAPI, bot: Bot) -> None:
    api.inject("sendMessage", too_many_requests(1))
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ANI, "too fast")
    [flood] = api.calls_of("sendMessage")
    assert await bot.get_me()  # another method: not held
    [me] = api.calls_of("getMe")
    async with asyncio.timeout(10):
        await asyncio.gather(bot.send_message(ANI, "again"), bot.send_message(BOB, "meanwhile"))
    later = api.calls_of("sendMessage")[1:]
    assert me.at < flood.at + 1 and len(later) == 2 and all(call.at >= flood.at + 1 for call in later)
    assert [m.text for m in api.messages(ANI) + api.messages(BOB)] == ["again", "meanwhile"]


async def test_errors_are_counted_by_method_and_code(api: FakeBotAPI, bot: Bot) -> None:
    before = {code: counted(code) for code in ("429", "403", "400", "5xx", "network")}
    api.inject(
        "sendMessage",
        server_error(500),
        server_error(502),
        connection_reset(),
        connection_closed(),
        blocked(),
        refused(400, "Bad Request: chat not found"),
        too_many_requests(1),
    )
    for _ in range(7):
        with pytest.raises(TelegramAPIError):
            await bot.send_message(ANI, "x")
    after = {code: counted(code) - before[code] for code in before}
    assert after == {"429": 1, "403": 1, "400": 1, "5xx": 2, "network": 2}
    await guard(bot).wait("sendMessage")  # the gate is the process's: leave it open for the next test


async def test_the_response_class_aiogram_builds_for_each_call_is_kept(bot: Bot) -> None:
    await bot.send_message(ANI, "first")
    built = weakref.ref(Response[Message])
    gc.collect()
    assert built() is not None  # pydantic would otherwise drop it, and aiogram build it again for the next call
