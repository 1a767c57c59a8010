"""The whole bot end to end: real aiogram, TelegramChannel and Engine on a real database, fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot

from bot.channels.telegram import TelegramChannel
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.fakes.channel import make_bot
from tests.fakes.updates import FakeUser
from ughi.services import Services, start_services


class Ughi:
    """The bot as it runs in production, polling the fake server; can be stopped, crashed and started again."""

    def __init__(self, api: FakeBotAPI, services: Services) -> None:
        self.api = api
        self.services = services
        self.channel: TelegramChannel | None = None
        self._bot: Bot | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.owned: list[Services] = []  # services started by a restart, closed at the end

    async def start(self, services: Services | None = None) -> TelegramChannel:
        self.services = services or self.services
        self._bot = make_bot(self.api)
        self.channel = TelegramChannel(
            self._bot, self.services.engine, self.services.inbox, concurrency=16, retry_delay=0.05
        )
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.channel.run_polling(self._stop))
        return self.channel

    async def stop(self) -> None:
        """A graceful stop, as on a redeploy."""
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=15)
        await self._close()

    async def crash(self) -> None:
        """The process dies: nothing is finished, nothing is confirmed."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.channel is not None:
            await self.channel.lanes.close(grace=0)
        await self._close()

    async def _close(self) -> None:
        self._task = None
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None

    async def settle(self, update: dict[str, Any]) -> None:
        """Until the bot has received `update` and finished everything it had accepted."""
        assert self.channel is not None
        await self.api.wait_confirmed(update, timeout=10)
        await asyncio.wait_for(self.channel.wait_idle(), timeout=20)


class Person:
    """Someone chatting with the bot: says things, presses buttons, reads what comes back."""

    def __init__(self, ughi: Ughi, user: FakeUser) -> None:
        self.ughi = ughi
        self.api = ughi.api
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    def outgoing(self) -> list[SentMessage]:
        return [m for m in self.api.outgoing if m.chat_id == self.id]

    @property
    def screen(self) -> SentMessage:
        """The message the bot sent or edited last in this chat."""
        return self.outgoing()[-1]

    async def send(self, update: dict[str, Any]) -> list[SentMessage]:
        """What the bot sent or edited in answer to an update already queued."""
        before = len(self.outgoing())
        await self.ughi.settle(update)
        return self.outgoing()[before:]

    async def say(self, text: str) -> list[SentMessage]:
        before = len(self.outgoing())
        await self.ughi.settle(await self.api.send_text(self.user, text))
        return self.outgoing()[before:]

    async def press(self, prefix: str, message: SentMessage | None = None) -> list[SentMessage]:
        """Press the first button whose payload starts with `prefix`, under `message` or the last screen."""
        message = message or self.screen
        data = next((d for d in message.callback_data if d.startswith(prefix)), None)
        assert data is not None, f"no {prefix!r} button in {message.callback_data}"
        before = len(self.outgoing())
        await self.ughi.settle(await self.api.press(self.user, message, data))
        return self.outgoing()[before:]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def ughi(api: FakeBotAPI, services: Services) -> AsyncIterator[Ughi]:
    running = Ughi(api, services)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        for started in running.owned:
            await started.close()


async def restart(ughi: Ughi, *, crash: bool = False) -> None:
    """Stop (or crash) the bot and start a new one, with fresh services, on the same database."""
    await (ughi.crash() if crash else ughi.stop())
    fresh = await start_services(ughi.services.settings, migrate=False)
    ughi.owned.append(fresh)
    await ughi.start(fresh)


def person(ughi: Ughi, user_id: int, language_code: str | None = "hy", first_name: str = "Ani") -> Person:
    return Person(ughi, ughi.api.user(user_id, language_code=language_code, first_name=first_name))
