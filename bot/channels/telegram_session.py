"""The connection to the Bot API: aiogram's aiohttp session, sending JSON bodies.

aiogram sends every call as form data, serialising each field to JSON and then URL-encoding the lot; with an
inline keyboard on nearly every message that encoding costs more than the rest of the call. The Bot API takes
JSON bodies just as well, so calls without files go as one JSON document; calls with files (we send none today)
keep aiogram's multipart form. The reply path's calls (bot.channels.telegram_plain) are JSON already and go as they
are. Responses, errors and timeouts are aiogram's own.
"""

from __future__ import annotations

from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError, ClientTimeout

from bot.channels.telegram_plain import PlainMethod

JSON_HEADERS = {"Content-Type": "application/json"}


class JsonSession(AiohttpSession):
    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        files: dict[str, InputFile] = {}
        body: dict[str, Any] = {}
        if isinstance(method, PlainMethod):
            body = method.payload()
        else:
            for key, value in method.model_dump(warnings=False).items():
                prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
                if prepared:  # as in aiogram's form: empty and false values are left out
                    body[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(body),
                headers=JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)


def make_bot(token: str, api_base: str) -> Bot:
    """A Bot talking to the Bot API at `api_base` (Telegram's, or a local Bot API server) in JSON."""
    return Bot(token, session=JsonSession(api=TelegramAPIServer.from_base(api_base.rstrip("/"))))
