"""Telegram's webhook: the endpoint that checks the secret header, and updates arriving together stored together."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from fastapi import APIRouter, Request, Response

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Batched(Generic[T, R]):
    """`await batched(item)`: items arriving while a batch is at work wait for the next one, so many webhook requests
    share one transaction (a group commit). Each caller gets its own item's result, or the batch's exception."""

    def __init__(self, work: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._work = work  # one result per item, in order
        self._arrived: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._arrived.append((item, done))
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="webhook-batches")
        return await asyncio.shield(done)  # a caller that goes away does not take the others' batch with it

    async def _run(self) -> None:
        try:
            while self._arrived:
                batch, self._arrived = self._arrived, []
                try:
                    results = await self._work([item for item, _ in batch])
                except Exception as err:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(err)
                            done.exception()  # retrieved: a caller gone meanwhile leaves no warning behind
                    continue
                for (_, done), result in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(result)
        finally:
            self._worker = None


def webhook_router(channel: TelegramChannel | Callable[[], TelegramChannel | None], secret: str) -> APIRouter:
    """POST /telegram/webhook: checks Telegram's secret header, stores the update, answers at once."""
    from bot.channels.telegram import TelegramChannel

    router = APIRouter()
    expected = secret.encode()

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return Response(status_code=401)
        if not hmac.compare_digest(given.encode(), expected):
            return Response(status_code=403)
        target = channel if isinstance(channel, TelegramChannel) else channel()
        if target is None:
            return Response(status_code=503)  # still starting: Telegram delivers again later
        try:
            payload = await request.json()
        except ValueError:
            return Response(status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return Response(status_code=400)
        try:
            await target.accept_webhook(payload)
        except Exception:
            log.exception("could not store telegram update %s", payload.get("update_id"))
            return Response(status_code=500)  # not stored: let Telegram deliver it again
        return Response(status_code=200)

    return router


__all__ = ["SECRET_HEADER", "Batched", "webhook_router"]
