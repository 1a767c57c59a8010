"""`ughi serve` with a Telegram token: webhook mode over ASGI, and polling mode, against the fake Bot API."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from tests.e2e.test_conversation import written_in
from tests.fakes.bot_api import FakeBotAPI
from ughi.app import create_app
from ughi.services import Services

SECRET = "hook-Secret_0123456789"
HOOK = "https://ughi.example/telegram/webhook"


def start_update(api: FakeBotAPI, user_id: int, update_id: int, text: str = "/start") -> dict[str, Any]:
    user = api.user(user_id, language_code="hy")
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 1, "chat": user.chat(), "from": user.as_dict(), "text": text},
    }


async def test_webhook_mode(api: FakeBotAPI, services: Services) -> None:
    settings = services.settings.model_copy(
        update={
            "telegram_token": SecretStr(api.token),
            "telegram_api_base": api.base_url,
            "webhook_url": HOOK,
            "webhook_secret": SecretStr(SECRET),
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert api.webhook is not None and api.webhook["url"] == HOOK and api.webhook["secret_token"] == SECRET
        assert {lang for _, lang in api.commands} == {"hy", "ru", "en", ""}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ughi.test") as http:
            missing = await http.post("/telegram/webhook", json=start_update(api, 1, 10))
            wrong = await http.post(
                "/telegram/webhook",
                json=start_update(api, 2, 11),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "X"},
            )
            right = await http.post(
                "/telegram/webhook", json=start_update(api, 3, 12), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            again = await http.post(
                "/telegram/webhook", json=start_update(api, 3, 12), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            huge = await http.post(
                "/telegram/webhook",
                content=b'{"update_id": 13, "x": "' + b"y" * (2 * 1024 * 1024) + b'"}',
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            not_json = await http.post(
                "/telegram/webhook", content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            read = await http.get("/telegram/webhook", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert (missing.status_code, wrong.status_code, right.status_code, again.status_code) == (401, 403, 200, 200)
        assert (huge.status_code, not_json.status_code, read.status_code) == (413, 400, 405)
        assert read.headers["allow"] == "POST"
        proxied = httpx.ASGITransport(app=app, root_path="/ughi")  # behind a proxy that adds a prefix
        async with httpx.AsyncClient(transport=proxied, base_url="http://ughi.test") as http:
            behind = await http.post(
                "/ughi/telegram/webhook",
                json=start_update(api, 4, 14),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert behind.status_code == 200
        for answer in (missing, right, huge, read):  # answered before FastAPI, still with the security headers
            assert answer.headers["x-content-type-options"] == "nosniff"
        await app.state.telegram.wait_idle()
    assert api.messages(1) == [] and api.messages(2) == [] and len(api.messages(4)) == 1
    [greeting] = api.messages(3)  # delivered twice by Telegram, answered once
    assert written_in("hy", greeting.text) and api.rejected == []
    assert api.calls_to("getUpdates") == []


async def test_polling_mode(api: FakeBotAPI, services: Services) -> None:
    settings = services.settings.model_copy(
        update={"telegram_token": SecretStr(api.token), "telegram_api_base": api.base_url}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        user = api.user(4, language_code="ru")
        await api.send_text(user, "/start")
        [greeting] = await api.wait_for_messages(user.id, 1)
    assert written_in("ru", greeting.text) and api.rejected == []
    assert {lang for _, lang in api.commands} == {"hy", "ru", "en", ""}
