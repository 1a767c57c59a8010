"""A cap on request body size: refused from the Content-Length header, or while the body streams in."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE


class BodySizeLimit:
    """Refuse bodies over `default` bytes (or `per_path[suffix]` for paths ending so) with 413."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path or {}

    def limit_for(self, path: str) -> int:
        return next((size for suffix, size in self.per_path.items() if path.endswith(suffix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(scope, send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # raised inside the endpoint's body read, so the problem handler answers it
                    raise HTTPException(413, f"the request body is over {limit} bytes")
            return message

        await self.app(scope, limited, send)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_TYPE + "too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the request body is over {limit} bytes",
            "instance": scope.get("path", ""),
        }
    ).encode()
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
