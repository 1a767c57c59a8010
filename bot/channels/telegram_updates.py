"""Telegram updates translated into the engine's Inbound events: the one place that knows their shapes."""

from __future__ import annotations

import re
from typing import Any

from aiogram.enums import ChatType, ContentType
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message, Update, User

from bot.engine.types import Inbound, InboundKind

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's own limit: anything longer did not come from a real client
MAX_DATA_BYTES = 64

VOICE = {ContentType.VOICE, ContentType.VIDEO_NOTE, ContentType.AUDIO}
MEDIA = {
    ContentType.PHOTO,
    ContentType.VIDEO,
    ContentType.DOCUMENT,
    ContentType.STICKER,
    ContentType.ANIMATION,
    ContentType.PAID_MEDIA,
    ContentType.LIVE_PHOTO,
}
# Things a person sends on purpose that Ughi cannot read; service messages (pins, timers, ...) are ignored.
OTHER = {
    ContentType.DICE,
    ContentType.POLL,
    ContentType.GAME,
    ContentType.STORY,
    ContentType.CHECKLIST,
    ContentType.USERS_SHARED,
    ContentType.CHAT_SHARED,
    ContentType.WEB_APP_DATA,
    ContentType.GIVEAWAY,
    ContentType.INVOICE,
}
# PostgreSQL text holds no NUL, UTF-8 holds no lone surrogate; other control characters are harmless noise.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def update_key(update_id: int) -> str:
    return f"tg:{update_id}"


def to_inbound(update: Update) -> Inbound | None:
    """The engine event for a Telegram update, or None for updates Ughi does not answer.

    Edited messages are ignored on purpose: answering an edit of an old message would confuse more than help.
    A person blocking the bot is not an Inbound either: see `blocked_chat`."""
    if update.message is not None:
        return _from_message(update.message, update_key(update.update_id))
    if update.callback_query is not None:
        return _from_button(update.callback_query, update_key(update.update_id))
    return None


def blocked_chat(update: Update) -> str | None:
    """The contact's id when this update says the person blocked the bot."""
    member = update.my_chat_member
    if member is None or member.chat.type != ChatType.PRIVATE:
        return None
    return str(member.chat.id) if member.new_chat_member.status == "kicked" else None


def pressed_message_id(update: Update) -> int | None:
    """The bot message whose inline button was pressed, when it can still be edited."""
    query = update.callback_query
    if query is None or query.message is None or isinstance(query.message, InaccessibleMessage):
        return None
    return query.message.message_id


def lane_of(update: Update) -> str:
    """Updates with the same lane are handled one after another: one lane per chat."""
    for chat in (
        update.message and update.message.chat,
        update.callback_query and update.callback_query.message and update.callback_query.message.chat,
        update.my_chat_member and update.my_chat_member.chat,
    ):
        if chat:
            return str(chat.id)
    if update.callback_query is not None:
        return str(update.callback_query.from_user.id)
    return f"update:{update.update_id}"


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """Text as Ughi can store it: at most `limit` characters, no NUL, no lone surrogate."""
    return _SURROGATE.sub("\ufffd", text[:limit].replace("\x00", ""))


def _from_message(message: Message, key: str) -> Inbound | None:
    sender = message.from_user
    if message.chat.type != ChatType.PRIVATE or (
        sender is not None and (sender.is_bot or sender.id != message.chat.id)
    ):
        return None  # groups, channels, bots, and private chats that are not the sender's own (only a forgery)
    fields = _content(message, sender)
    if fields is None:
        return None
    return Inbound(
        channel=CHANNEL,
        external_id=str(message.chat.id),
        update_key=key,
        language_hint=_language(sender),
        display_name=_name(sender, message.chat),
        **fields,
    )


def _content(message: Message, sender: User | None) -> dict[str, Any] | None:
    """The Inbound fields saying what the message holds; None for service messages."""
    content = message.content_type
    if content == ContentType.TEXT:
        return {"kind": InboundKind.TEXT, "text": clean(message.text or "")}
    if content == ContentType.CONTACT and message.contact is not None:
        if sender is None or message.contact.user_id != sender.id:
            return {"kind": InboundKind.OTHER}  # someone else's card: a third person's number is not ours to keep
        return {"kind": InboundKind.CONTACT, "phone": clean(message.contact.phone_number, 32)}
    if content in (ContentType.LOCATION, ContentType.VENUE):
        place = message.location or (message.venue.location if message.venue else None)
        if place is not None:
            return {"kind": InboundKind.LOCATION, "latitude": place.latitude, "longitude": place.longitude}
    if content in VOICE:
        return {"kind": InboundKind.VOICE}
    if content in MEDIA:
        return {"kind": InboundKind.MEDIA, "text": clean(message.caption or "")}
    if content in OTHER:
        return {"kind": InboundKind.OTHER}
    return None


def _from_button(query: CallbackQuery, key: str) -> Inbound | None:
    message = query.message
    if message is None or message.chat.type != ChatType.PRIVATE or message.chat.id != query.from_user.id:
        return None  # inline-mode messages, groups, and buttons of someone else's chat (only a forgery)
    data = query.data or ""
    if len(data.encode("utf-8", "surrogatepass")) > MAX_DATA_BYTES or _SURROGATE.search(data) or "\x00" in data:
        data = ""  # Telegram never delivers such data: treat it as a stale button
    return Inbound(
        channel=CHANNEL,
        external_id=str(message.chat.id),
        kind=InboundKind.BUTTON,
        data=data,
        update_key=key,
        language_hint=_language(query.from_user),
        display_name=_name(query.from_user, message.chat),
    )


def _language(sender: User | None) -> str | None:
    code = sender.language_code if sender is not None else None
    return clean(code, 16) if code else None


def _name(sender: User | None, chat: Chat) -> str:
    return clean((sender.first_name if sender is not None else chat.first_name) or "", 64)
