"""What the fake Bot API records: calls, refusals, the bot's messages, and a method's parameters."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import updates as u
from tests.fakes.rules import bad

JSON_FIELDS = {
    "reply_markup",
    "entities",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "caption_entities",
}


@dataclass
class Call:
    """One request to the Bot API: when it arrived (time.monotonic) and the status it was answered with."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int | None = None  # None while in progress; 0 when the connection was cut without an answer


@dataclass
class Rejection:
    method: str
    params: dict[str, Any]
    error_code: int
    description: str


@dataclass
class SentMessage:
    """A message the bot sent, as Telegram keeps it; edits change it in place and keep the older texts."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    source: str
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    date: int = field(default_factory=u.now)
    thread_id: int | None = None
    history: list[str] = field(default_factory=list)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    @property
    def keyboard(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    def data_of(self, label: str) -> str:
        """The callback_data of the button whose text contains `label`."""
        for button in self.buttons:
            if label in button["text"] and "callback_data" in button:
                return str(button["callback_data"])
        raise LookupError(f"no button {label!r} in {[b['text'] for b in self.buttons]}")

    def as_message(self, bot: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot,
            "chat": chat,
            "date": self.date,
            "text": self.text,
        }
        if self.entities:
            msg["entities"] = self.entities
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            msg["reply_markup"] = self.reply_markup
        if self.history:
            msg["edit_date"] = u.now()
        if self.thread_id is not None:
            msg["message_thread_id"] = self.thread_id
        return msg


class Params:
    """A method's parameters from a query string, form, multipart or JSON body; nested fields JSON-encoded."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.values: dict[str, Any] = {}
        for key, value in raw.items():
            if key in JSON_FIELDS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise bad(f"can't parse {key} JSON object") from None
            self.values[key] = value

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None and required:
            raise bad(f"{name} is empty" if name == "text" else f'parameter "{name}" is required')
        return None if value is None else str(value)

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad(f'parameter "{name}" is required')
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f'field "{name}" must be of type Integer') from None

    def get_bool(self, name: str) -> bool:
        return self.values.get(name) in (True, "true", "True", "1", 1)

    def get_json(self, name: str) -> Any:
        return self.values.get(name)


async def read_params(request: web.Request) -> dict[str, Any]:
    """A method's parameters from the query string and a form, multipart or JSON body."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad("can't parse JSON object")
        params.update(body)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else getattr(value, "filename", "file")
    return params
