"""The reply path's Bot API calls with plain JSON fields, answered with plain JSON.

aiogram's own methods build a pydantic model for every keyboard and button of a message, serialise them back to
JSON field by field, and parse Telegram's answer into a full `Message` (sender, chat, the keyboard again). The
reply path sends one or two messages per update and needs nothing of the answer but whether Telegram took it, so
these methods carry the JSON Telegram reads (`reply_markup` as the dict of the Bot API) and return the answer's
`result` as received. They still go through `bot(method)`: the flood-wait gate, error metrics and aiogram's
exceptions for Telegram's refusals are the same as for every other call.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram.methods import TelegramMethod

Markup = dict[str, Any]  # Telegram's InlineKeyboardMarkup, ReplyKeyboardMarkup or ReplyKeyboardRemove, as JSON


class PlainMethod(TelegramMethod[Any]):
    """A Bot API call whose fields are JSON as they stand; its answer is not parsed into aiogram's types."""

    __returning__: ClassVar[Any] = Any

    def payload(self) -> dict[str, Any]:
        """The JSON body: the fields that are set (None, empty and false values are left out, as aiogram does)."""
        return {name: value for name, value in self.__dict__.items() if value}


class _PlainText(PlainMethod):
    """A message's HTML text and optional keyboard, in a chat."""

    chat_id: int
    text: str
    parse_mode: str = "HTML"
    reply_markup: Markup | None = None


class PlainSendMessage(_PlainText):
    """sendMessage with HTML text and an optional keyboard."""

    __api_method__: ClassVar[str] = "sendMessage"


class PlainEditMessageText(_PlainText):
    """editMessageText of a message the bot sent, with an optional inline keyboard."""

    __api_method__: ClassVar[str] = "editMessageText"

    message_id: int


class PlainAnswerCallbackQuery(PlainMethod):
    """answerCallbackQuery: stops the pressed button's spinner."""

    __api_method__: ClassVar[str] = "answerCallbackQuery"

    callback_query_id: str


__all__ = ["Markup", "PlainAnswerCallbackQuery", "PlainEditMessageText", "PlainMethod", "PlainSendMessage"]
