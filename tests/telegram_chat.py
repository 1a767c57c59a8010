"""A private chat with the real bot (engine and Telegram channel on a real database) through the fake Bot API,
each update handled as the polling loop hands it over, but in step with the test: for many quick examples."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiogram.types import Update

from bot.channels.telegram import TelegramChannel
from bot.engine.flood import FloodGuard
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.fakes.channel import make_bot
from ughi.services import Services


@asynccontextmanager
async def telegram_channel(api: FakeBotAPI, services: Services) -> AsyncIterator[TelegramChannel]:
    """The Telegram channel of `services` talking to `api`; no polling: updates are given with `Chat.deliver`."""
    services.engine.flood = FloodGuard(capacity=10_000, rate=1000.0)  # examples come faster than anyone types
    bot = make_bot(api)
    try:
        yield TelegramChannel(bot, services.engine, services.inbox, retry_delay=0.05)
    finally:
        await bot.session.close()


@dataclass
class Chat:
    """One person's private chat with the bot."""

    api: FakeBotAPI
    channel: TelegramChannel
    user_id: int
    lang: str

    def __post_init__(self) -> None:
        self.user = self.api.user(self.user_id, self.lang)

    async def deliver(self, update: dict[str, Any]) -> list[SentMessage]:
        """What the bot sent or edited in this chat in answer; Telegram refused nothing."""
        before = len(self.api.outgoing)
        await self.channel.process_update(Update.model_validate(update, context={"bot": self.channel.bot}))
        assert self.api.rejected == [], self.api.rejected[-1]
        return [m for m in self.api.outgoing[before:] if m.chat_id == self.user_id]

    async def say(self, text: str) -> list[SentMessage]:
        return await self.deliver(await self.api.send_text(self.user, text))

    async def press(self, data: str) -> list[SentMessage]:
        """Press the button `data` under the last message that has it."""
        shown = [m for m in self.api.messages(self.user_id) if data in m.callback_data]
        if not shown:
            raise LookupError(f"no {data!r} button in the chat with {self.user_id}")
        return await self.deliver(await self.api.press(self.user, shown[-1], data))

    async def press_anything(self, data: str) -> list[SentMessage]:
        """A press with this callback_data under the bot's last message, whatever its buttons (an old or forged
        button: Telegram delivers what the button carried)."""
        under = self.api.messages(self.user_id)[-1]
        return await self.deliver(await self.api.press(self.user, under, data, strict=False))
