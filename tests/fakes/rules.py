"""What the Bot API refuses besides HTML: reply markups, button payloads, command lists, webhook settings."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

MAX_BUTTONS = 100
MAX_CALLBACK_BYTES = 64
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
KEY_REQUESTS = ("request_contact", "request_location", "request_poll", "request_users", "request_chat", "web_app")
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
OLD_QUERY = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class ApiError(Exception):
    """An error response of the Bot API: HTTP status, description and optional retry_after.

    `benign`: a correct bot meets this error in normal life (a double tap, a redelivered update)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None, benign: bool = False) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.benign = benign

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> None:
    """Raise the ApiError Telegram gives for a reply_markup it will not take."""
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline(markup["inline_keyboard"])
    elif inline_only:
        raise bad("inline keyboard expected")
    elif "keyboard" in markup:
        _check_keyboard(markup["keyboard"])
    elif "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad("can't parse reply keyboard markup JSON object")
    elif "force_reply" not in markup:
        raise bad("can't parse reply keyboard markup JSON object")


def _rows(rows: Any, what: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad(f'field "{what}" must be an Array of Array')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad("reply markup is too long")
    return rows


def _check_inline(rows: Any) -> None:
    for row in _rows(rows, "inline_keyboard"):
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad('can\'t parse inline keyboard button: Field "text" must be of type String')
            if not button["text"].strip():
                raise bad("BUTTON_TEXT_EMPTY")
            actions = [key for key in INLINE_ACTIONS if key in button]
            if not actions:
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad(
                    f"can't parse inline keyboard button: field \"{actions[1]}\" can't be used together "
                    f'with "{actions[0]}"'
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8", "surrogatepass")) <= 64:
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button and not valid_button_url(button["url"]):
                raise bad("BUTTON_URL_INVALID")


def _check_keyboard(rows: Any) -> None:
    for row in _rows(rows, "keyboard"):
        for button in row:
            label = button if isinstance(button, str) else button.get("text") if isinstance(button, dict) else None
            if not isinstance(label, str) or not label.strip():
                raise bad("keyboard button text is empty")
            if isinstance(button, dict):
                requests = [key for key in KEY_REQUESTS if button.get(key)]
                if len(requests) > 1:
                    raise bad("can't parse keyboard button: only one of the optional fields can be used")


def valid_button_url(url: Any) -> bool:
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme == "tg"


def check_commands(commands: Any, language_code: str | None) -> list[dict[str, str]]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad("commands must be an Array of at most 100 BotCommand")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            raise bad("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    if language_code and not _LANGUAGE.match(language_code):
        raise bad("LANG_CODE_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


def check_webhook(url: str, secret: str | None) -> None:
    if not url.startswith("https://") or not urlsplit(url).netloc:
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    if secret is not None and not _SECRET.match(secret):
        raise bad("secret token contains unallowed characters")
