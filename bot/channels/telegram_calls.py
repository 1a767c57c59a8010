"""Every Bot API call of the process: Telegram's flood waits kept per method for all callers, and its errors counted.

`guard(bot)` puts a request middleware on the bot's session. Before a call it waits while the method is closed;
a 429 closes the method for `retry_after` seconds, for every task and every chat of the process (the reply path,
the outbox sender, the counsellors' desk), since Telegram's limits are per bot, not per caller.

It also keeps aiogram's `Response[T]` classes alive: aiogram parametrizes the generic for every answer it reads,
and pydantic caches such classes only while something refers to them, so without this most calls rebuilt one
(a few milliseconds each, more than the HTTP round trip to a local Bot API).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from ughi.metrics import TELEGRAM_ERRORS

__all__ = ["MethodGate", "backoff", "error_code", "guard"]


class MethodGate:
    """Bot API methods closed until a moment Telegram named (429 retry_after); callers wait until it passes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    def close(self, method: str, seconds: float) -> None:
        self._until[method] = max(self._until.get(method, 0.0), self._clock() + seconds)

    def remaining(self, method: str) -> float:
        """Seconds until `method` may be called again (0: now)."""
        left = self._until.get(method, 0.0) - self._clock()
        if left <= 0:
            self._until.pop(method, None)
            return 0.0
        return left

    async def wait(self, method: str) -> None:
        """Until `method` is open; a wait Telegram lengthens meanwhile is waited out too."""
        left = self.remaining(method)
        while left > 0:
            await asyncio.sleep(left)
            left = self.remaining(method)


def error_code(err: Exception) -> str | None:
    """The metrics label of a Bot API error: 429, 403, 400, 5xx or network; None for others (401, 404, 409)."""
    if isinstance(err, TelegramRetryAfter):
        return "429"
    if isinstance(err, TelegramForbiddenError):
        return "403"
    if isinstance(err, TelegramBadRequest):
        return "400"
    if isinstance(err, TelegramServerError):
        return "5xx"
    if isinstance(err, TelegramNetworkError):
        return "network"
    return None


def backoff(attempt: int, base: float, cap: float = 30.0) -> float:
    """Exponential backoff with jitter: between half and all of base·2^(attempt-1), so retries spread out."""
    delay = float(min(base * 2 ** (attempt - 1), cap))
    return delay / 2 + random.uniform(0, delay / 2)


class _Guard(BaseRequestMiddleware):
    def __init__(self, gate: MethodGate) -> None:
        self.gate = gate
        self._responses: dict[Any, type[Response[Any]]] = {}  # Response[T] by T, kept alive (see above)

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        name = method.__api_method__
        returning = method.__returning__
        if returning not in self._responses:
            self._responses[returning] = Response[returning]  # type: ignore[valid-type]
        await self.gate.wait(name)
        try:
            return await make_request(bot, method)
        except TelegramAPIError as err:
            if isinstance(err, TelegramRetryAfter):
                self.gate.close(name, float(err.retry_after))
            code = error_code(err)
            if code is not None:
                TELEGRAM_ERRORS.labels(method=name, code=code).inc()
            raise


_GATES: dict[int, MethodGate] = {}  # one per bot (token) in the process


def guard(bot: Bot) -> MethodGate:
    """Put `bot`'s calls behind the process's gate for its token (once per session); returns the gate."""
    gate = _GATES.setdefault(bot.id, MethodGate())
    if not any(isinstance(middleware, _Guard) for middleware in bot.session.middleware):
        bot.session.middleware(_Guard(gate))
    return gate
