"""The engine's buttons and keyboards as Telegram reply markup (the Bot API's JSON), dropping what Telegram would
refuse."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from bot.channels.telegram_plain import Markup
from bot.engine.types import Button, KeyButton, Reply

log = logging.getLogger(__name__)
MAX_BUTTONS = 100
MAX_DATA_BYTES = 64
T = TypeVar("T")
Key = dict[str, Any]


def reply_markup(reply: Reply) -> Markup | None:
    """Inline buttons, else a reply keyboard, else a keyboard removal: Telegram takes one markup per message."""
    if reply.buttons:
        if reply.keyboard or reply.remove_keyboard:
            log.warning("a reply has both inline buttons and a keyboard; only the buttons are shown")
        rows = _limit([[b for b in map(_inline, row) if b is not None] for row in reply.buttons])
        return {"inline_keyboard": rows} if rows else None
    if reply.keyboard:
        keys = _limit([[b for b in map(_key, row) if b is not None] for row in reply.keyboard])
        return {"keyboard": keys, "resize_keyboard": True} if keys else None
    if reply.remove_keyboard:
        return {"remove_keyboard": True}
    return None


def _inline(button: Button) -> Key | None:
    if not button.text.strip():
        log.warning("dropping a button without a label")
        return None
    if button.url:
        if button.url.startswith(("https://", "http://", "tg://")):
            return {"text": button.text, "url": button.url}
        log.warning("dropping a button with a link Telegram refuses: %r", button.url)
        return None
    if not button.data or len(button.data.encode()) > MAX_DATA_BYTES:
        log.warning("dropping a button whose payload Telegram refuses: %r", button.data)
        return None
    return {"text": button.text, "callback_data": button.data}


def _key(button: KeyButton) -> Key | None:
    if not button.text.strip():
        return None
    if button.request_contact:
        return {"text": button.text, "request_contact": True}
    if button.request_location:
        return {"text": button.text, "request_location": True}
    return {"text": button.text}


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
