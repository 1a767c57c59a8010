"""The web chat page and its JSON endpoint, over ASGI with a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.engine.helpers import ARMENIAN
from ughi.app import create_app
from ughi.settings import Settings

SESSION = "web-session-0123456789"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ughi.test") as http:
            yield http


async def test_page_is_served_and_usable_on_a_phone(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'name="viewport"' in page.text and "chat/messages" in page.text


async def test_a_conversation_in_armenian(client: httpx.AsyncClient) -> None:
    res = await client.post("/chat/messages", json={"session": SESSION, "text": "/start", "language": "hy-AM"})
    assert res.status_code == 200
    reply = res.json()["replies"][0]
    assert ARMENIAN.search(reply["html"]) and "<b>" in reply["html"]
    topic = next(b for row in reply["buttons"] for b in row if b["data"].startswith("topic:"))
    res = await client.post("/chat/messages", json={"session": SESSION, "data": topic["data"]})
    article = next(b for row in res.json()["replies"][0]["buttons"] for b in row if b["data"].startswith("art:"))
    res = await client.post("/chat/messages", json={"session": SESSION, "data": article["data"]})
    assert ARMENIAN.search(res.json()["replies"][0]["html"])


async def test_html_typed_by_a_person_comes_back_escaped(client: httpx.AsyncClient) -> None:
    await client.post("/chat/messages", json={"session": SESSION, "text": "/start", "language": "en"})
    res = await client.post(
        "/chat/messages", json={"session": SESSION, "text": "<script>alert(1)</script> qqzzx vvbnm"}
    )
    html = res.json()["replies"][0]["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html


async def test_a_retried_message_is_handled_once(client: httpx.AsyncClient) -> None:
    body = {"session": SESSION, "text": "/start", "message_id": "m-1", "language": "en"}
    first = await client.post("/chat/messages", json=body)
    second = await client.post("/chat/messages", json=body)
    assert first.json()["replies"] and second.json()["replies"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"session": "short", "text": "hi"},
        {"session": SESSION},
        {"session": SESSION, "text": "hi", "data": "menu"},
        {"session": SESSION, "data": "x" * 65},
        {"session": SESSION, "text": "x" * 20_001},
    ],
)
async def test_bad_requests_are_refused_precisely(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    res = await client.post("/chat/messages", json=body)
    assert res.status_code == 422
