"""The HTTP access log: method, path, status and duration of each request; never the query string.

It replaces uvicorn's access log, whose lines carry the query string (the admin API's people search takes a
Telegram id there). Probes (/healthz, /readyz, /metrics) are logged at DEBUG, so they do not drown the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ughi.http")


class AccessLog:
    """ASGI middleware writing one "request" line per HTTP request to the logger `ughi.http`."""

    def __init__(self, app: ASGIApp, *, quiet_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.quiet_paths = frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            path: str = scope.get("path", "")
            level = logging.DEBUG if path in self.quiet_paths else logging.INFO
            if log.isEnabledFor(level):
                method: str = scope.get("method", "")
                log.log(
                    level,
                    "%s %s %d",
                    method,
                    path,
                    status,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
