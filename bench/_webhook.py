"""Telegram's side of a webhook: people's updates POSTed to webhook bots over a fixed number of connections.

Each connection carries one update at a time, for a person of its own: it posts the update, reads the HTTP answer,
waits for the bot's reply to reach the fake Bot API server, then posts that connection's next update. So at most
`connections` updates are in flight, a person never has two, and a reply cannot be confused with another's.
Several bot URLs share the load round robin, update by update, so one person's messages reach every replica.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence

import aiohttp
from _common import REPLY_TIMEOUT, Result
from _people import Answered, Plan, Watch, text_update

from tests.fakes.bot_api import FakeBotAPI

SECRET = "bench-webhook-secret-0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Poster:
    """Posts people's messages to the bots at `urls` and times each one to its reply."""

    def __init__(self, api: FakeBotAPI, urls: Sequence[str], answered: Answered, connections: int = 40) -> None:
        self.api = api
        self.urls = list(urls)
        self.answered = answered
        self.connections = connections
        self.watch = Watch(api)
        self.refused: dict[int, int] = {}  # HTTP status -> how many updates the bot did not take
        self._update_ids = itertools.count(800_000_001)
        self._posts = itertools.count()

    async def run(self, plans: list[Plan], result: Result) -> None:
        """Every plan's texts, each person's in order; `result.seconds` is until the last reply."""
        for plan in plans:
            self.api.user(plan.user.id, language_code=plan.user.language_code, first_name=plan.user.first_name)
        connector = aiohttp.TCPConnector(limit=self.connections, limit_per_host=self.connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            started = time.perf_counter()
            await asyncio.gather(
                *(self._connection(session, plans[i :: self.connections], result) for i in range(self.connections))
            )
            result.seconds = time.perf_counter() - started

    async def _connection(self, session: aiohttp.ClientSession, plans: list[Plan], result: Result) -> None:
        """One connection's people, their messages interleaved: first messages of all, then second ones..."""
        rounds = itertools.zip_longest(*(plan.texts for plan in plans))
        for texts in rounds:
            for plan, text in zip(plans, texts, strict=True):
                if text is not None:
                    await self.post(session, plan, text, result)

    async def post(self, session: aiohttp.ClientSession, plan: Plan, text: str, result: Result) -> None:
        user = plan.user
        body = json.dumps(text_update(self.api, user, text, next(self._update_ids)))
        url = self.urls[next(self._posts) % len(self.urls)]
        waiter = self.watch.expect(user.id, self.answered)
        started = time.perf_counter()
        try:
            async with session.post(
                url, data=body, headers={"Content-Type": "application/json", SECRET_HEADER: SECRET}
            ) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientError:
            status = 0  # the connection failed: no HTTP answer at all
        result.acks.append(time.perf_counter() - started)
        if status != 200:
            self.refused[status] = self.refused.get(status, 0) + 1
            self.watch.waiting.pop(user.id, None)
            result.lost += 1
            return
        try:
            _, arrived = await asyncio.wait_for(waiter, REPLY_TIMEOUT)
        except TimeoutError:
            self.watch.waiting.pop(user.id, None)
            result.lost += 1
            return
        result.latencies.append(arrived - started)
        result.updates += 1
