"""Telegram's webhook: the endpoint that checks the secret header, and updates arriving together stored together."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from fastapi import APIRouter
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_HEADER_RAW = SECRET_HEADER.lower().encode()  # as ASGI gives header names
WEBHOOK_PATH = "/telegram/webhook"
MAX_BODY = 1024 * 1024  # bytes; an update is a few KB even with a 4096-character message and its entities


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


class WebhookEndpoint:
    """POST /telegram/webhook as a bare ASGI app: checks Telegram's secret header, stores the update, answers at once.

    401 without the secret header, 403 with a wrong one, 413 for a body no update is near (Telegram's are a few KB),
    400 for one that is not an update, 503 while the bot is still starting and 500 when the update could not be
    stored: Telegram delivers those again later. It runs outside FastAPI's routing and middleware (see `webhook_first`):
    each request waits for its update to be stored, and a shallow stack keeps those waits cheap."""

    def __init__(self, channel: TelegramChannel | Callable[[], TelegramChannel | None], secret: str) -> None:
        self._channel = channel
        self._expected = secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = await self._status(scope, receive)
        if status is None:
            return  # the client went away
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _status(self, scope: Scope, receive: Receive) -> int | None:
        from bot.channels.telegram import TelegramChannel

        given = _header(scope, SECRET_HEADER_RAW)
        if given is None:
            return 401
        if not hmac.compare_digest(given, self._expected):
            return 403
        target = self._channel if isinstance(self._channel, TelegramChannel) else self._channel()
        if target is None:
            return 503  # still starting: Telegram delivers again later
        body = await _body(receive, MAX_BODY)
        if body is None:
            return None
        if len(body) > MAX_BODY:
            return 413
        try:
            payload = json.loads(body)
        except ValueError:
            return 400
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return 400
        try:
            await target.accept_webhook(payload)
        except Exception:
            log.exception("could not store telegram update %s", payload.get("update_id"))
            return 500  # not stored: let Telegram deliver it again
        return 200


def webhook_first(app: ASGIApp, endpoint: ASGIApp) -> ASGIApp:
    """`app` with POST /telegram/webhook answered by `endpoint` before anything else sees the request."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _app_path(scope) != WEBHOOK_PATH:
            await app(scope, receive, send)
        elif scope["method"] != "POST":
            headers = [(b"allow", b"POST"), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 405, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        else:
            await endpoint(scope, receive, send)

    return dispatch


def webhook_router(channel: TelegramChannel | Callable[[], TelegramChannel | None], secret: str) -> APIRouter:
    """The webhook endpoint as a FastAPI router, for apps that route it themselves."""
    router = APIRouter()
    router.routes.append(
        Route(WEBHOOK_PATH, WebhookEndpoint(channel, secret), methods=["POST"], include_in_schema=False)
    )
    return router


def _app_path(scope: Scope) -> str:
    """The request's path within the app (behind a proxy that adds a prefix, ASGI's path starts with root_path)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _body(receive: Receive, limit: int) -> bytes | None:
    """The request body, cut short once it is over `limit` bytes; None when the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)


__all__ = ["SECRET_HEADER", "WEBHOOK_PATH", "Batched", "WebhookEndpoint", "webhook_first", "webhook_router"]
