"""Content edge cases seen by a person: missing translations, drafts, many articles in a topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from knowledge.articles import Article, ContentSet, Topic, Translation, write_content
from tests.engine.helpers import buttons, press, say, texts
from ughi.services import Services, start_services
from ughi.settings import Settings


def _article(article_id: str, langs: tuple[str, ...], status: str = "published") -> Article:
    return Article(
        id=article_id,
        topic="papers",
        status=status,
        translations={
            lang: Translation(
                lang=lang,
                title=f"{article_id} {lang} title",
                body=f"Body of {article_id} in {lang}.",
                questions=(f"question about {article_id}",),
            )
            for lang in langs
        },
    )


@pytest.fixture
async def small(settings: Settings, tmp_path: Path) -> AsyncIterator[Services]:
    articles = [_article("only-russian", ("ru",)), _article("secret-draft", ("en", "ru", "hy"), status="draft")]
    articles += [_article(f"filler-{i:02d}", ("en",)) for i in range(11)]
    content = ContentSet(
        topics=[Topic(id="papers", title={"en": "Papers", "ru": "Бумаги", "hy": "Թղթեր"})], articles=articles
    )
    write_content(content, tmp_path / "content")
    started = await start_services(settings.model_copy(update={"content_dir": tmp_path / "content"}), migrate=True)
    try:
        yield started
    finally:
        await started.close()


async def test_missing_translation_falls_back_with_a_note(small: Services) -> None:
    await say(small.engine, "c1", "/start", hint="en")
    replies = await press(small.engine, "c1", "art:only-russian")
    assert "not yet available in English" in texts(replies) and "Body of only-russian in ru" in texts(replies)


async def test_drafts_are_never_shown_or_found(small: Services) -> None:
    await say(small.engine, "c2", "/start", hint="en")
    assert "no longer active" in texts(await press(small.engine, "c2", "art:secret-draft"))
    replies = await say(small.engine, "c2", "question about secret-draft")
    assert "Body of secret-draft" not in texts(replies) and "art:secret-draft" not in buttons(replies)
    listed = [d for page in (0, 1) for d in buttons(await press(small.engine, "c2", f"topic:papers:{page}"))]
    assert "art:secret-draft" not in listed


async def test_a_long_topic_is_paged(small: Services) -> None:
    await say(small.engine, "c3", "/start", hint="en")
    first = buttons(await press(small.engine, "c3", "topic:papers:0"))
    second = buttons(await press(small.engine, "c3", "topic:papers:1"))
    assert "topic:papers:1" in first and "topic:papers:0" in second
    shown = {d for d in first + second if d.startswith("art:")}
    assert len(shown) == 12
