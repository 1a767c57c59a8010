"""Security headers on every HTTP response of the app: no sniffing, no framing, no referrer, a content policy."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The chat page loads its script and style from this server and talks to it with fetch; nothing inline.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI and ReDoc pages load their code from a CDN and start it with an inline script;
# they show only the OpenAPI schema, never anything a person wrote.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# JSON, metrics, problems: nothing there is meant to be rendered or to run
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware; `docs_paths` are the API documentation pages, `no_store_prefixes` never go to a cache."""

    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str], no_store_prefixes: Iterable[str]) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        self.no_store_prefixes = tuple(no_store_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.add_headers(MutableHeaders(scope=message), path=path, https=https)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def add_headers(self, headers: MutableHeaders, *, path: str, https: bool) -> None:
        for name, value in ALWAYS.items():
            headers[name] = value
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        html = media_type == "text/html"
        if path in self.docs_paths:
            headers["Content-Security-Policy"] = DOCS_POLICY
        elif html:
            headers["Content-Security-Policy"] = PAGE_POLICY
        else:
            headers["Content-Security-Policy"] = DATA_POLICY
        is_json = media_type == "application/json" or media_type.endswith("+json")
        if is_json or path.startswith(self.no_store_prefixes) or "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"
        if https:
            headers["Strict-Transport-Security"] = HSTS
