"""Test doubles around the Telegram channel: an aiogram Bot on the fake server, a scripted engine, a memory inbox."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.channels.telegram import TelegramChannel
from bot.engine.types import Inbound, Reply
from tests.fakes.bot_api import FakeBotAPI


def make_bot(api: FakeBotAPI) -> Bot:
    return Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))


@dataclass
class ScriptedEngine:
    """Answers each Inbound with `respond(inbound)`; remembers what it saw; exactly once per update_key."""

    respond: Callable[[Inbound], Sequence[Reply]] = lambda inbound: [Reply(f"echo: {inbound.text or inbound.data}")]
    seen: list[Inbound] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)  # external_id -> wait for it before answering
    inbox: MemoryInbox | None = None

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if inbound.update_key and self.inbox is not None and not self.inbox.claim(inbound.update_key):
            return []
        if inbound.external_id in self.gates:
            await self.gates[inbound.external_id].wait()
        self.seen.append(inbound)
        return list(self.respond(inbound))

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        self.blocked.append(external_id)


@dataclass
class MemoryInbox:
    """The inbox contract in memory; `confirmed_at_store` shows what Telegram had been told when each key was stored."""

    api: FakeBotAPI | None = None
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)
    confirmed_at_store: dict[str, int] = field(default_factory=dict)
    fail_stores: int = 0

    async def store(
        self, items: Sequence[tuple[str, dict[str, Any]]], *, order: Mapping[str, tuple[str, int]] | None = None
    ) -> int:
        if self.fail_stores:
            self.fail_stores -= 1
            raise ConnectionError("database is down")
        new = 0
        for key, payload in items:
            if key not in self.rows:
                self.rows[key] = payload
                self.confirmed_at_store[key] = self.api.confirmed if self.api else 0
                new += 1
        return new

    async def pending(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        return [(key, payload) for key, payload in self.rows.items() if key not in self.handled][:limit]

    async def earlier(self, lane: str, seq: int) -> list[tuple[str, dict[str, Any]]]:
        return []  # one process: its lanes keep each chat's order

    def claim(self, key: str) -> bool:
        if key in self.handled:
            return False
        self.handled.add(key)
        return True


@contextlib.asynccontextmanager
async def polling(channel: TelegramChannel) -> AsyncIterator[asyncio.Event]:
    """Run the channel's polling loop for the block; yields the stop event (set on exit)."""
    stop = asyncio.Event()
    task = asyncio.create_task(channel.run_polling(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
