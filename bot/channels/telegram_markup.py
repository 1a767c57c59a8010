"""The engine's buttons and keyboards as Telegram reply markup, dropping what Telegram would refuse."""

from __future__ import annotations

import logging
from typing import TypeVar

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.engine.types import Button, KeyButton, Reply

log = logging.getLogger(__name__)
MAX_BUTTONS = 100
MAX_DATA_BYTES = 64
T = TypeVar("T")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def reply_markup(reply: Reply) -> Markup | None:
    """Inline buttons, else a reply keyboard, else a keyboard removal: Telegram takes one markup per message."""
    if reply.buttons:
        if reply.keyboard or reply.remove_keyboard:
            log.warning("a reply has both inline buttons and a keyboard; only the buttons are shown")
        rows = _limit([[b for b in map(_inline, row) if b is not None] for row in reply.buttons])
        return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    if reply.keyboard:
        keys = _limit([[b for b in map(_key, row) if b is not None] for row in reply.keyboard])
        return ReplyKeyboardMarkup(keyboard=keys, resize_keyboard=True) if keys else None
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def _inline(button: Button) -> InlineKeyboardButton | None:
    if not button.text.strip():
        log.warning("dropping a button without a label")
        return None
    if button.url:
        if button.url.startswith(("https://", "http://", "tg://")):
            return InlineKeyboardButton(text=button.text, url=button.url)
        log.warning("dropping a button with a link Telegram refuses: %r", button.url)
        return None
    if not button.data or len(button.data.encode()) > MAX_DATA_BYTES:
        log.warning("dropping a button whose payload Telegram refuses: %r", button.data)
        return None
    return InlineKeyboardButton(text=button.text, callback_data=button.data)


def _key(button: KeyButton) -> KeyboardButton | None:
    if not button.text.strip():
        return None
    return KeyboardButton(
        text=button.text,
        request_contact=button.request_contact or None,
        request_location=None if button.request_contact else button.request_location or None,
    )


def _limit(rows: list[list[T]]) -> list[list[T]]:
    kept: list[list[T]] = []
    room = MAX_BUTTONS
    for row in rows:
        row = row[:room]
        if row:
            kept.append(row)
            room -= len(row)
    if room == 0 and sum(len(r) for r in rows) > MAX_BUTTONS:
        log.warning("more than %d buttons; the rest are dropped", MAX_BUTTONS)
    return kept
