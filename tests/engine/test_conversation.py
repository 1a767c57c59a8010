"""The conversation engine on a real database: language, menu, articles, odd input, exactly-once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.engine import InboundKind
from bot.models import Contact, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from tests.engine.helpers import ARMENIAN, CYRILLIC, buttons, inbound, press, say, texts
from ughi.services import Services


async def test_start_greets_in_the_app_language_and_shows_topics(services: Services) -> None:
    for hint, script in (("hy", ARMENIAN), ("ru", CYRILLIC)):
        replies = await say(services.engine, f"user-{hint}", "/start", hint=hint)
        assert script.search(texts(replies)), texts(replies)
        data = buttons(replies)
        assert "topic:documents:0" in data
        assert {"ask", "human", "privacy", "lang:pick"} <= set(data)
    replies = await say(services.engine, "user-en", "/start", hint="en-GB")
    assert "Ughi" in texts(replies) and not ARMENIAN.search(texts(replies))


async def test_unknown_app_language_gets_a_picker_and_the_choice_is_remembered(services: Services) -> None:
    replies = await say(services.engine, "u1", "/start", hint="de")
    assert buttons(replies) == ["lang:hy", "lang:ru", "lang:en"]
    replies = await press(services.engine, "u1", "lang:hy")
    assert ARMENIAN.search(texts(replies))
    replies = await say(services.engine, "u1", "/menu", hint="de")
    assert ARMENIAN.search(texts(replies)), "the chosen language must stick"
    replies = await press(services.engine, "u1", "lang:ru")
    assert CYRILLIC.search(texts(replies))
    async with services.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.external_id == "u1"))
    assert contact is not None and contact.language == "ru"


async def test_browse_topic_read_article_and_say_it_helped(services: Services) -> None:
    await say(services.engine, "u2", "/start", hint="en")
    replies = await press(services.engine, "u2", "topic:documents:0")
    articles = [d for d in buttons(replies) if d.startswith("art:")]
    assert articles and replies[0].replace
    replies = await press(services.engine, "u2", articles[0])
    assert replies[0].text.startswith("**")
    article_id = articles[0].removeprefix("art:")
    assert f"fb:{article_id}:yes" in buttons(replies) and "topic:documents:0" in buttons(replies)
    await press(services.engine, "u2", f"fb:{article_id}:yes")
    async with services.sessions() as session:
        rows = (await session.scalars(select(ArticleFeedback))).all()
    assert [(r.article_id, r.helpful) for r in rows] == [(article_id, True)]


async def test_stale_or_tampered_buttons_lead_back_to_the_menu(services: Services) -> None:
    await say(services.engine, "u3", "/start", hint="en")
    for data in (
        "art:no-such-article",
        "zzz",
        "topic:documents",
        "lang:xx:yy",
        "art:../../etc",
        "fb:x:maybe",
        "x" * 200,
        "topic:no-such-topic:0",
    ):
        replies = await press(services.engine, "u3", data)
        assert "no longer active" in texts(replies), data
        assert "ask" in buttons(replies)


async def test_things_ughi_cannot_read_get_a_kind_answer(services: Services) -> None:
    engine = services.engine
    await say(engine, "u4", "/start", hint="en")
    voice = await engine.handle(inbound("u4", kind=InboundKind.VOICE))
    assert "voice" in texts(voice) and "human" in buttons(voice)
    for kind in (InboundKind.MEDIA, InboundKind.OTHER):
        assert "text" in texts(await engine.handle(inbound("u4", kind=kind)))
    assert "command" in texts(await say(engine, "u4", "/frobnicate"))
    assert "long message" in texts(await say(engine, "u4", "я " * 5000))
    shared = await engine.handle(inbound("u4", kind=InboundKind.CONTACT))
    assert "not kept" in texts(shared)


async def test_a_redelivered_update_is_handled_once(services: Services) -> None:
    first = await services.engine.handle(inbound("u5", text="/start", hint="en", key="tg:77"))
    again = await services.engine.handle(inbound("u5", text="/start", hint="en", key="tg:77"))
    assert first and again == []
    async with services.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(TranscriptEntry).where(TranscriptEntry.direction == "in")
        )
    assert count == 1


async def test_updates_of_one_contact_are_handled_one_at_a_time(services: Services) -> None:
    await say(services.engine, "u6", "/start", hint="en")
    results = await asyncio.gather(*(say(services.engine, "u6", "/menu") for _ in range(15)))
    assert all(r and "no longer" not in texts(r) for r in results)
    async with services.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(TranscriptEntry).where(TranscriptEntry.direction == "in")
        )
    assert count == 16


async def test_free_text_gets_an_answer_choices_or_an_honest_no(services: Services) -> None:
    await say(services.engine, "u7", "/start", hint="en")
    replies = await say(services.engine, "u7", "my passport expired, I live in France, how do I renew it")
    assert "fb:passport-renewal-abroad:yes" in buttons(replies) or "art:passport-renewal-abroad" in buttons(replies)
    replies = await say(services.engine, "u7", "qwzx vbnm plkj")
    assert "don't know" in texts(replies) and "human" in buttons(replies)
    async with services.sessions() as session:
        logged = (await session.scalars(select(UnansweredQuestion))).all()
    assert "qwzx vbnm plkj" in [q.text for q in logged]
    assert all(q.decision in ("none", "choices") for q in logged)


async def test_user_text_is_escaped_when_echoed(services: Services) -> None:
    await say(services.engine, "u8", "/start", hint="en")
    replies = await say(services.engine, "u8", "**[evil](javascript:alert(1))** zzqx")
    assert "\\*\\*\\[evil\\]\\(javascript:alert\\(1\\)\\)\\*\\*" in texts(replies)


async def test_what_an_update_changes_of_the_contact_is_written_back(services: Services) -> None:
    """The engine reads the contact as plain data and writes back only what changed: the language chosen, that
    they are no longer blocked, when they last wrote (to the minute)."""
    await say(services.engine, "u42", "/start", hint="de")  # no language yet: a picker
    async with services.sessions() as session:
        contact = (await session.scalars(select(Contact).where(Contact.external_id == "u42"))).one()
        assert contact.language is None
        contact.blocked = True  # the person had blocked the bot
        contact.last_seen = contact.last_seen - timedelta(hours=2)
        await session.commit()
        before = contact.last_seen
    await press(services.engine, "u42", "lang:ru")
    async with services.sessions() as session:
        contact = (await session.scalars(select(Contact).where(Contact.external_id == "u42"))).one()
    assert (contact.language, contact.blocked) == ("ru", False) and contact.last_seen > before
    seen = contact.last_seen
    await say(services.engine, "u42", "/menu")  # within the minute: nothing to write about the contact
    async with services.sessions() as session:
        again = (await session.scalars(select(Contact).where(Contact.external_id == "u42"))).one()
    assert (again.language, again.blocked, again.last_seen) == ("ru", False, seen)
