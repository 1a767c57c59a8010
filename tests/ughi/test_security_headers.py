"""Security headers on every response (chat page, its JSON, admin API, probes, errors) and no CORS unless asked for."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from ughi.app import create_app
from ughi.settings import Settings

SMALL_CONTENT = Path(__file__).parents[1] / "admin_api" / "content"
SESSION = "headers-session-0123456789"
ADMIN_ORIGIN = "https://admin.example.org"
OTHER_ORIGIN = "https://evil.example.com"
# one request of each kind the app answers: (method, path, body)
REQUESTS = [
    ("GET", "/", None),
    ("GET", "/static/chat.js", None),
    ("GET", "/static/chat.css", None),
    ("POST", "/chat/messages", {"session": SESSION, "text": "/start", "language": "en"}),
    ("POST", "/chat/messages", {"session": "short"}),
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/metrics", None),
    ("GET", "/api/v1/auth/me", None),
    ("GET", "/api/v1/topics", None),
    ("POST", "/api/v1/auth/token", {}),
    ("GET", "/api/v1/docs", None),
    ("GET", "/api/v1/openapi.json", None),
    ("GET", "/no/such/page", None),
]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"content_dir": SMALL_CONTENT}))
    async with application.router.lifespan_context(application):
        yield application


def client(app: FastAPI, *, base_url: str = "http://ughi.test") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def send(http: httpx.AsyncClient, method: str, path: str, body: dict[str, str] | None) -> httpx.Response:
    return await http.request(method, path, json=body) if body is not None else await http.request(method, path)


def assert_hardened(res: httpx.Response) -> None:
    where = f"{res.request.method} {res.request.url.path} ({res.status_code})"
    assert res.headers.get("x-content-type-options") == "nosniff", where
    assert res.headers.get("x-frame-options") == "DENY", where
    assert res.headers.get("referrer-policy") == "no-referrer", where
    assert "frame-ancestors 'none'" in res.headers.get("content-security-policy", ""), where


def directives(res: httpx.Response) -> dict[str, list[str]]:
    policy = res.headers["content-security-policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


async def test_every_kind_of_response_carries_the_security_headers(app: FastAPI) -> None:
    statuses = set()
    async with client(app) as http:
        for method, path, body in REQUESTS:
            res = await send(http, method, path, body)
            statuses.add(res.status_code)
            assert_hardened(res)
            assert "strict-transport-security" not in res.headers  # plain http: HSTS would mean nothing
    assert {200, 401, 404, 422} <= statuses


async def test_an_unexpected_error_still_answers_with_the_headers(app: FastAPI) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    async with client(app) as http:
        res = await http.get("/broken")
    assert res.status_code == 500
    assert_hardened(res)
    assert res.headers["cache-control"] == "no-store"


async def test_json_and_api_responses_are_not_stored_by_caches(app: FastAPI) -> None:
    async with client(app) as http:
        for method, path, body in REQUESTS:
            res = await send(http, method, path, body)
            media_type = res.headers.get("content-type", "")
            if "json" in media_type or path.startswith("/api/") or path in ("/healthz", "/readyz", "/metrics"):
                assert res.headers.get("cache-control") == "no-store", f"{method} {path}: {media_type}"
        page = await http.get("/")
    assert page.headers["cache-control"] == "no-cache"  # the page may be kept, if checked again each time


async def test_hsts_only_when_the_request_came_over_https(app: FastAPI) -> None:
    async with client(app, base_url="https://ughi.test") as https:
        secure = [await https.get(path) for path in ("/", "/healthz", "/api/v1/auth/me")]
    for res in secure:
        assert res.headers["strict-transport-security"].startswith("max-age=")
        assert int(res.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 15_552_000
        assert_hardened(res)


async def test_the_chat_page_runs_under_a_policy_without_inline_code(app: FastAPI) -> None:
    """The page's policy allows only its own scripts and styles; the page has nothing inline, and everything it
    loads is served from here with the right type, as is the endpoint its script talks to."""
    async with client(app) as http:
        page = await http.get("/")
        policy = directives(page)
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["connect-src"] == ["'self'"]
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        html = page.text
        assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son\w+=", html)
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
        assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
        assets = {src: "text/javascript" for src in re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)} | {
            href: "text/css" for href in re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html)
        }
        assert len(assets) == 2
        for src, media_type in assets.items():
            url = urljoin(str(page.url), src)
            assert urlsplit(url).netloc == "ughi.test", src  # same origin: what 'self' allows
            res = await http.get(url)
            assert res.status_code == 200 and res.headers["content-type"].startswith(media_type), src
            assert_hardened(res)
        script = (await http.get(urljoin(str(page.url), next(iter(assets))))).text
        [endpoint] = re.findall(r'data-endpoint="([^"]+)"', html)
        assert 'getAttribute("data-endpoint")' in script and "fetch(endpoint" in script
        reply = await http.post(urljoin(str(page.url), endpoint), json={"session": SESSION, "text": "/start"})
        assert reply.status_code == 200 and reply.json()["replies"]


async def test_only_the_chat_assets_are_served_from_static(app: FastAPI) -> None:
    async with client(app) as http:
        for name in ("chat.html", "..%2Fweb.py", "chat.js.map", "%2e%2e/web.py"):
            assert (await http.get(f"/static/{name}")).status_code == 404, name


@pytest.mark.parametrize("docs", ["/api/v1/docs", "/docs"])
async def test_the_api_docs_pages_may_load_what_they_need(app: FastAPI, docs: str) -> None:
    """Swagger UI comes from a CDN and starts with an inline script; its looser policy allows exactly that."""
    async with client(app) as http:
        res = await http.get(docs)
    assert res.status_code == 200
    assert_hardened(res)
    policy = directives(res)
    for src in re.findall(r'<script[^>]*\ssrc="([^"]+)"', res.text):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(src))
        assert origin in policy["script-src"], src
    for href in re.findall(r'<link[^>]*stylesheet[^>]*href="([^"]+)"', res.text):
        assert "{0.scheme}://{0.netloc}".format(urlsplit(href)) in policy["style-src"], href
    assert "'unsafe-inline'" in policy["script-src"] and "frame-ancestors" in policy


# ---- CORS -------------------------------------------------------------------------------------------------


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }


async def test_no_cors_by_default(app: FastAPI) -> None:
    async with client(app) as http:
        answers = [
            await http.options(path, headers=preflight(origin))
            for path in ("/api/v1/auth/token", "/api/v1/topics", "/chat/messages", "/metrics")
            for origin in (ADMIN_ORIGIN, OTHER_ORIGIN)
        ]
        answers += [
            await http.get("/api/v1/auth/me", headers={"Origin": OTHER_ORIGIN}),
            await http.post(
                "/chat/messages", json={"session": SESSION, "text": "hi"}, headers={"Origin": OTHER_ORIGIN}
            ),
        ]
    for res in answers:
        assert not [h for h in res.headers if h.startswith("access-control-")], res.request.url.path
        assert_hardened(res)


@pytest.fixture
async def cors_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"content_dir": SMALL_CONTENT, "cors_origins": [ADMIN_ORIGIN]}))
    async with application.router.lifespan_context(application):
        yield application


async def test_cors_for_the_listed_origins_on_the_admin_api_only(cors_app: FastAPI) -> None:
    async with client(cors_app) as http:
        allowed = await http.options("/api/v1/auth/token", headers=preflight(ADMIN_ORIGIN))
        request = await http.get("/api/v1/auth/me", headers={"Origin": ADMIN_ORIGIN})
        other = await http.options("/api/v1/auth/token", headers=preflight(OTHER_ORIGIN))
        other_request = await http.get("/api/v1/auth/me", headers={"Origin": OTHER_ORIGIN})
        chat = await http.options("/chat/messages", headers=preflight(ADMIN_ORIGIN))
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ADMIN_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers  # bearer tokens, never cookies
    assert request.status_code == 401 and request.headers["access-control-allow-origin"] == ADMIN_ORIGIN
    for refused in (other, other_request, chat):
        assert "access-control-allow-origin" not in refused.headers, refused.request.url.path
    for res in (allowed, request, other, other_request, chat):
        assert_hardened(res)


@pytest.mark.parametrize(
    ("raw", "origins"),
    [
        ("", []),
        ("https://admin.example.org", ["https://admin.example.org"]),
        ("https://a.example, http://localhost:5173", ["https://a.example", "http://localhost:5173"]),
        ('["https://A.example"]', ["https://a.example"]),
    ],
)
def test_cors_origins_setting(monkeypatch: pytest.MonkeyPatch, raw: str, origins: list[str]) -> None:
    monkeypatch.setenv("UGHI_CORS_ORIGINS", raw)
    assert Settings(_env_file=None).cors_origins == origins


@pytest.mark.parametrize("raw", ["*", "https://a.example/admin", "admin.example.org", "https://a.example,*"])
def test_cors_origins_setting_refuses_wildcards_and_paths(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("UGHI_CORS_ORIGINS", raw)
    with pytest.raises(ValueError, match="origins"):
        Settings(_env_file=None)
