"""Conversations with the real bot over HTTP: languages, menus, articles, restarts, crashes, redeliveries."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from bot.engine.types import Inbound, Reply
from bot.models import Contact
from tests.e2e.conftest import Person, Ughi, person, restart
from tests.engine.helpers import ARMENIAN, CYRILLIC
from tests.fakes.bot_api import FakeBotAPI

LATIN = re.compile(r"[A-Za-z]{3}")


def written_in(lang: str, text: str) -> bool:
    if lang == "hy":
        return bool(ARMENIAN.search(text))
    if lang == "ru":
        return bool(CYRILLIC.search(text)) and not ARMENIAN.search(text)
    return bool(LATIN.search(text)) and not ARMENIAN.search(text) and not CYRILLIC.search(text)


@pytest.mark.parametrize("lang", ["hy", "ru", "en"])
async def test_start_menu_topic_article(ughi: Ughi, lang: str) -> None:
    someone = person(ughi, 100, lang)
    [greeting] = await someone.say("/start")
    assert written_in(lang, greeting.text) and greeting.parse_mode == "HTML"
    assert greeting.entities and greeting.entities[0]["type"] == "bold"  # **Ughi**
    assert any(data.startswith("topic:") for data in greeting.callback_data)
    [topic] = await someone.press("topic:")
    assert topic is greeting and len(topic.history) == 1  # the menu became the topic: edited in place
    assert written_in(lang, topic.text) and any(data.startswith("art:") for data in topic.callback_data)
    [article] = await someone.press("art:")
    assert article is not topic and written_in(lang, article.text) and len(article.text) > 200
    assert article.entities[0] == {"type": "bold", "offset": 0, "length": article.entities[0]["length"]}
    assert ughi.api.rejected == []


async def test_unknown_app_language_gets_the_picker_then_keeps_the_choice(ughi: Ughi) -> None:
    hans = person(ughi, 101, "de", first_name="Hans")
    [picker] = await hans.say("/start")
    assert picker.callback_data == ["lang:hy", "lang:ru", "lang:en"]
    [greeting] = await hans.press("lang:en")
    assert written_in("en", greeting.text)
    [menu] = await hans.say("/menu")
    assert written_in("en", menu.text) and ughi.api.rejected == []


async def test_a_language_switch_is_remembered_across_a_restart(ughi: Ughi) -> None:
    ani = person(ughi, 102, "hy")
    [greeting] = await ani.say("/start")
    assert written_in("hy", greeting.text)
    await ani.say("/language")
    [done] = await ani.press("lang:ru")
    assert written_in("ru", done.text)
    await restart(ughi)
    [menu] = await ani.say("/menu")  # the app still says "hy": the choice on the contact wins
    assert written_in("ru", menu.text) and ughi.api.rejected == []


async def test_a_restart_mid_conversation_continues_it(ughi: Ughi) -> None:
    ani = person(ughi, 103, "en")
    await ani.say("/start")
    [topic] = await ani.press("topic:")
    await restart(ughi)
    [article] = await ani.press("art:", topic)  # a button of the previous process
    assert written_in("en", article.text) and len(article.text) > 200
    [back] = await ani.press("topic:", article)
    assert back is article and back.callback_data == topic.callback_data
    assert ughi.api.rejected == []


class _Hanging:
    """An engine that never finishes: the process will die while handling."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        await asyncio.Event().wait()
        return []

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        return None


async def test_an_update_stored_before_a_crash_is_handled_after_the_restart(ughi: Ughi, api: FakeBotAPI) -> None:
    ani = person(ughi, 104, "en")
    await ani.say("/start")
    assert ughi.channel is not None
    ughi.channel.engine = _Hanging()
    update = await api.send_text(ani.user, "/menu")
    await api.wait_confirmed(update)  # stored in the inbox, confirmed to Telegram, not answered
    before = len(ani.outgoing())
    await restart(ughi, crash=True)
    assert update not in api.pending_updates  # Telegram will not send it again: only the inbox has it
    answers = await api.wait_until(lambda: ani.outgoing()[before:], timeout=10)
    await ughi.channel.wait_idle()
    assert len(answers) == 1 and written_in("en", answers[0].text) and answers[0].callback_data


async def test_a_redelivered_update_is_handled_once(ughi: Ughi, api: FakeBotAPI) -> None:
    ani = person(ughi, 105, "en")
    update = await api.send_text(ani.user, "/start")
    assert len(await ani.send(update)) == 1
    assert await ani.send(await api.redeliver(update)) == []
    pressed = await api.press(ani.user, ani.screen, ani.screen.callback_data[0])
    assert len(await ani.send(pressed)) == 1
    assert await ani.send(await api.redeliver(pressed)) == []
    assert ughi.api.rejected == []


async def test_a_person_who_blocked_the_bot(ughi: Ughi, api: FakeBotAPI) -> None:
    ani, bob = person(ughi, 106, "en"), person(ughi, 107, "en")
    await ani.say("/start")
    await ani.send(await api.block(ani.user))
    api.blocked.add(bob.id)  # blocked, and the my_chat_member update was lost
    await bob.say("/start")
    async with ughi.services.sessions() as session:
        blocked = dict((await session.execute(select(Contact.external_id, Contact.blocked))).all())
    assert blocked == {"106": True, "107": True}
    api.blocked.clear()
    assert len(await ani.say("/menu")) == 1  # writing again unblocks


async def test_commands_in_three_languages(ughi: Ughi, api: FakeBotAPI) -> None:
    assert ughi.channel is not None
    await ughi.channel.set_commands()
    assert {lang for _, lang in api.commands} == {"hy", "ru", "en", ""}
    descriptions = {lang: " ".join(c["description"] for c in cmds) for (_, lang), cmds in api.commands.items()}
    assert written_in("hy", descriptions["hy"]) and written_in("ru", descriptions["ru"])
    assert written_in("en", descriptions["en"])
    assert [c["command"] for c in api.commands[("default", "en")]] == [
        "start",
        "menu",
        "language",
        "help",
        "privacy",
        "my_requests",
        "my_data",
        "delete_my_data",
    ]


async def test_many_people_at_once(ughi: Ughi, api: FakeBotAPI) -> None:
    people: list[Person] = [person(ughi, 1000 + i, ("hy", "ru", "en")[i % 3]) for i in range(30)]
    updates = [await api.send_text(p.user, "/start") for p in people]
    await ughi.settle(updates[-1])
    for p, lang in zip(people, ("hy", "ru", "en") * 10, strict=True):
        [greeting] = p.outgoing()
        assert written_in(lang, greeting.text)
    assert api.rejected == []
