"""Sixty hostile or odd updates: the bot keeps running, keeps answering, and never sends what Telegram refuses."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.e2e.conftest import Ughi, person
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.updates import FakeUser

_query_ids = itertools.count(1)

INJECTIONS = [
    "<script>alert(1)</script>",
    "<b>unclosed",
    '"><img src=x onerror=alert(1)>',
    "&amp; &lt; & < > &#0; &#xD800;",
    "[click](javascript:alert(1)) **bold** _it_ `code` \\",
    "</i></b></a>",
    "Բարև <tg-spoiler>x</tg-spoiler> Привет",
]
ODD_TEXTS = [
    "ա" * 10_000,
    "word " * 2_000,
    "",
    "   \n\t  ",
    "\u202e\u200f" * 500 + "passport",
    "\u200b" * 1_000,
    "😀" * 3_000,
    "a\u0338\u0322\u031b" * 400,
    "a\x00b\x1bc",
    "\ud83d lone surrogate",
    "/",
    "/unknown_command",
    "/start@some_other_bot",
    "/" + "x" * 300,
    "/start " + "payload" * 100,
]
CALLBACK_DATA = [
    "nonsense",
    "topic:../../etc:0",
    "topic:documents:99999",
    "art:" + "x" * 60,
    "x" * 200,
    "",
    "lang:xx",
    "menu:extra:args",
    "help:nope:maybe",
    "😀" * 20,
]


async def text_update(api: FakeBotAPI, user: FakeUser, text: str) -> dict[str, Any]:
    message = u.message(user, api.next_message_id(user.id), {"text": text})
    return await api.raw_update({"message": message})


async def press_raw(api: FakeBotAPI, user: FakeUser, data: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    message = {"message_id": 1, "date": 1, "chat": chat or user.chat(), "from": api.bot, "text": "old menu"}
    query = {"id": f"q{next(_query_ids)}", "from": user.as_dict(), "chat_instance": "1", "message": message}
    if data:
        query["data"] = data
    return await api.raw_update({"callback_query": query})


def without_sender(update: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    del changed["message"]["from"]
    return changed


GROUP = {"id": -100500, "type": "supergroup", "title": "Spam"}
CHANNEL = {"id": -100600, "type": "channel", "title": "News"}


async def files_and_shares(api: FakeBotAPI, a: FakeUser, b: FakeUser, c: FakeUser, d: FakeUser) -> list[dict[str, Any]]:
    return [
        await api.send_sticker(a),
        await api.send_sticker(b),
        await api.send_voice(a),
        await api.send_video_note(b),
        await api.send_audio(c),
        await api.send_photo(a, caption="<b>my passport</b>"),
        await api.send_video(d),
        await api.send_document(b, file_name="<script>.pdf"),
        await api.send_animation(c),
        await api.send_dice(d),
        await api.send_contact(a),
        await api.send_contact(b, phone="+37499000000", own=False),
        await api.send_location(c, 91.0, 181.0),
    ]


async def odd_shapes(api: FakeBotAPI, a: FakeUser, b: FakeUser, c: FakeUser, d: FakeUser) -> list[dict[str, Any]]:
    """Updates Ughi must ignore or survive: groups, channels, edits, forgeries, missing or broken fields."""
    forwarded = {
        **u.message(a, 6, u.text("fwd")),
        "forward_origin": {"type": "hidden_user", "date": 1, "sender_user_name": "<b>X</b>"},
    }
    return [
        await press_raw(api, a, "menu", chat=GROUP),
        await press_raw(api, a, "menu", chat=b.chat()),  # someone else's chat: only a forgery can say so
        await api.edit_text(a, await api.send_text(a, "typo"), "edited"),
        await api.raw_update({"edited_message": {**u.message(b, 1, {"text": "/start"}), "edit_date": 2}}),
        await api.raw_update({"channel_post": {"message_id": 1, "date": 1, "text": "<b>post</b>", "chat": CHANNEL}}),
        await api.raw_update({"channel_post": {"message_id": 2, "date": 1, "chat": CHANNEL, **u.photo()}}),
        await api.raw_update(without_sender({"message": u.message(c, 3, u.text("no sender"))})),
        await api.raw_update({"message": {**u.message(d, 4, u.text("hi")), "chat": GROUP}}),
        await api.raw_update({"message": {"message_id": 5, "date": 1, "chat": d.chat(), "from": d.as_dict()}}),
        await api.raw_update({"message": {"message_id": "broken"}}),
        await api.raw_update({"poll": {"id": "1", "question": "?"}}),
        await api.raw_update({"future_update_kind": {"anything": [1, 2, 3]}}),
        await api.raw_update({"message": forwarded}),
        await api.block(d),
        await api.unblock(d),
    ]


async def hostile_updates(api: FakeBotAPI, people: list[FakeUser]) -> list[dict[str, Any]]:
    """Queue sixty odd updates from several people; returns them in order."""
    sent = await files_and_shares(api, *people)
    sent += [await text_update(api, people[i % 4], text) for i, text in enumerate(INJECTIONS + ODD_TEXTS)]
    sent += [await press_raw(api, people[i % 4], data) for i, data in enumerate(CALLBACK_DATA)]
    return sent + await odd_shapes(api, *people)


async def test_sixty_hostile_updates(ughi: Ughi, api: FakeBotAPI) -> None:
    people = [api.user(2000 + i, language_code=lang) for i, lang in enumerate(("hy", "ru", "en", None))]
    for someone in people:
        await ughi.settle(await api.send_text(someone, "/start"))
    updates = await hostile_updates(api, people)
    assert len(updates) == 60
    await ughi.settle(updates[-1])

    assert api.rejected == []
    links = [e["url"] for m in api.outgoing for e in m.entities if e["type"] == "text_link"]
    assert all(url.startswith(("https://", "http://", "tg://")) for url in links)
    assert not any("<script" in m.source or "<img" in m.source for m in api.outgoing)
    assert all(m.chat_id in {p.id for p in people} for m in api.outgoing)  # no group, channel or forged chat

    for someone in people:
        answer = await person(ughi, someone.id, someone.language_code).say("/menu")
        expected = "topic:" if someone.language_code else "lang:"  # no app language, none chosen: the picker
        assert len(answer) == 1 and any(data.startswith(expected) for data in answer[0].callback_data)
    assert api.rejected == []


async def test_an_injection_comes_back_as_plain_text(ughi: Ughi) -> None:
    eve = person(ughi, 2100, "en")
    await eve.say("/start")
    [answer] = await eve.say("<b>qqzzx</b> <script>alert(1)</script> vvbnm")
    assert "<script>alert(1)</script>" in answer.text  # shown literally to the person...
    assert "&lt;script&gt;" in answer.source and not any(
        e["type"] == "bold" and "qqzzx" in answer.text[e["offset"] : e["offset"] + e["length"]] for e in answer.entities
    )  # ...never interpreted
