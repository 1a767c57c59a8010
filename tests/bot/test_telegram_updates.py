"""Telegram updates of every kind translated into Inbound events (or deliberately ignored)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update

from bot.channels.telegram_updates import blocked_chat, lane_of, pressed_message_id, to_inbound
from bot.engine.types import InboundKind
from tests.fakes import updates as u

ANI = u.FakeUser(id=42, first_name="Ani", language_code="hy")
BOT = {"id": 1, "is_bot": True, "first_name": "Ughi"}


def update(**body: Any) -> Update:
    return Update.model_validate({"update_id": 1000, **body})


def message(content: dict[str, Any], user: u.FakeUser = ANI) -> Update:
    return update(message=u.message(user, 7, content))


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (u.text("Բարև"), InboundKind.TEXT),
        (u.text("/start"), InboundKind.TEXT),
        (u.voice(), InboundKind.VOICE),
        (u.video_note(), InboundKind.VOICE),
        (u.audio(), InboundKind.VOICE),
        (u.photo(), InboundKind.MEDIA),
        (u.video(), InboundKind.MEDIA),
        (u.document(), InboundKind.MEDIA),
        (u.sticker(), InboundKind.MEDIA),
        (u.animation(), InboundKind.MEDIA),
        (u.location(), InboundKind.LOCATION),
        (u.contact(ANI), InboundKind.CONTACT),
        (u.contact(ANI, phone="+37499111111", own=False), InboundKind.OTHER),
        (u.dice(), InboundKind.OTHER),
    ],
)
def test_message_kinds(content: dict[str, Any], kind: InboundKind) -> None:
    inbound = to_inbound(message(content))
    assert inbound is not None
    assert (inbound.kind, inbound.channel, inbound.external_id) == (kind, "telegram", "42")
    assert inbound.update_key == "tg:1000" and inbound.language_hint == "hy" and inbound.display_name == "Ani"


def test_what_each_kind_carries() -> None:
    contact = to_inbound(message(u.contact(ANI)))
    assert contact is not None and contact.phone == ANI.phone
    stranger = to_inbound(message(u.contact(ANI, phone="+37499111111", own=False)))
    assert stranger is not None and stranger.phone is None  # someone else's number is not kept
    place = to_inbound(message(u.location(40.18, 44.51)))
    assert place is not None and (place.latitude, place.longitude) == (40.18, 44.51)
    photo = to_inbound(message(u.photo(caption="my passport")))
    assert photo is not None and photo.text == "my passport"


def test_button_press() -> None:
    query = {
        "id": "77",
        "from": ANI.as_dict(),
        "chat_instance": "1",
        "data": "topic:documents:0",
        "message": {"message_id": 9, "from": BOT, "chat": ANI.chat(), "date": 1, "text": "Menu"},
    }
    pressed = update(callback_query=query)
    inbound = to_inbound(pressed)
    assert inbound is not None and inbound.kind is InboundKind.BUTTON and inbound.data == "topic:documents:0"
    assert pressed_message_id(pressed) == 9 and lane_of(pressed) == "42"
    oversized = to_inbound(update(callback_query={**query, "data": "x" * 65}))
    assert oversized is not None and oversized.data == ""  # treated as a stale button
    old = update(callback_query={**query, "message": {"message_id": 9, "chat": ANI.chat(), "date": 0}})
    assert to_inbound(old) is not None and pressed_message_id(old) is None


def test_hostile_text_is_made_storable() -> None:
    inbound = to_inbound(message(u.text("a\x00b\ud800c" + "x" * 10_000)))
    assert inbound is not None and inbound.text.startswith("ab\ufffdc") and len(inbound.text) == 4096 - 1


@pytest.mark.parametrize(
    "body",
    [
        {"edited_message": {**u.message(ANI, 7, u.text("edited")), "edit_date": 2}},
        {
            "channel_post": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": -100, "type": "channel", "title": "News"},
                "text": "post",
            }
        },
        {"message": {**u.message(ANI, 7, u.text("in a group")), "chat": {"id": -5, "type": "group", "title": "G"}}},
        {"message": {**u.message(ANI, 7, {}), "pinned_message": {"message_id": 1, "chat": ANI.chat(), "date": 0}}},
        {"message": {**u.message(ANI, 7, u.text("from a bot")), "from": BOT}},
        {"future_update_type": {"id": 1}},
    ],
)
def test_ignored_updates(body: dict[str, Any]) -> None:
    assert to_inbound(update(**body)) is None


def test_forged_chats_are_ignored() -> None:
    """In a private chat the sender is the chat; anything else did not come from Telegram."""
    body = u.message(ANI, 7, u.text("hello"))
    assert to_inbound(update(message={**body, "chat": {"id": 43, "type": "private", "first_name": "Bob"}})) is None
    query = {
        "id": "77",
        "from": ANI.as_dict(),
        "chat_instance": "1",
        "data": "menu",
        "message": {"message_id": 9, "from": BOT, "chat": {"id": 43, "type": "private"}, "date": 1},
    }
    assert to_inbound(update(callback_query=query)) is None


def test_message_without_sender_still_belongs_to_its_chat() -> None:
    body = u.message(ANI, 7, u.text("hello"))
    del body["from"]
    inbound = to_inbound(update(message=body))
    assert inbound is not None and inbound.external_id == "42" and inbound.language_hint is None


def test_blocking() -> None:
    assert blocked_chat(update(my_chat_member=u.kicked(ANI, BOT))) == "42"
    assert blocked_chat(update(my_chat_member=u.kicked(ANI, BOT, blocked=False))) is None
    assert to_inbound(update(my_chat_member=u.kicked(ANI, BOT))) is None
