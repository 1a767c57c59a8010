"""The knowledge base keeps little of each article and builds a large index apart, yet shows and finds the same."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import replace

import pytest

from knowledge import repository, service
from knowledge.articles import Article, ContentSet, load_content
from knowledge.search import SearchIndex, apart
from knowledge.search.builder import IndexData, build_data
from knowledge.service import KnowledgeBase, ShownTranslations, shown
from tests.engine.helpers import press, say, texts
from ughi.db import transaction
from ughi.services import Services

QUESTIONS = [
    "how do I renew my passport abroad",
    "anjnagir poxel",
    "как получить разрешение на работу",
    "Ինչպե՞ս գտնել աշխատանք",
    "pasport",
    "zzqx wobbleferry",
]


@pytest.fixture(scope="module")
def content() -> ContentSet:
    return load_content()


def test_a_kept_article_shows_what_the_content_says(content: ContentSet) -> None:
    kb = KnowledgeBase(content)
    for article in content.published():
        kept = kb.article(article.id)
        assert kept is not None and kept.topic == article.topic and set(kept.translations) == set(article.translations)
        for lang in (*article.translations, "xx", None):
            want, got = article.translation(lang), kept.translation(lang)
            assert (got.lang, got.title, got.body) == (want.lang, want.title, want.body)
        # what only the index needs is not kept
        assert all(not tr.questions and not tr.keywords for tr in kept.translations.values())


def test_shown_translations_behave_as_a_mapping(content: ContentSet) -> None:
    article = next(a for a in content.published() if len(a.translations) > 1)
    kept = shown(article)
    assert isinstance(kept.translations, ShownTranslations)
    assert list(kept.translations) == list(article.translations) and len(kept.translations) == len(article.translations)
    assert "en" in kept.translations and "xx" not in kept.translations
    with pytest.raises(KeyError):
        kept.translations["xx"]


def test_an_index_built_apart_is_the_same_index(content: ContentSet) -> None:
    published = content.published()
    chunks = [apart.pickle_articles(published[i : i + 10]) for i in range(0, len(published), 10)]
    assert apart.build_apart(chunks, content.synonyms) == build_data(published, content.synonyms)
    here, there = SearchIndex.build(published, content.synonyms), SearchIndex.build_apart(chunks, content.synonyms)
    for question in QUESTIONS:
        for lang in ("hy", "ru", "en", None):
            assert here.search(question, lang) == there.search(question, lang)


def test_a_failed_build_apart_says_so(content: ContentSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apart, "_CHILD", "import sys; sys.exit(3)")
    with pytest.raises(apart.BuildFailed):
        apart.build_apart([apart.pickle_articles(content.published())], content.synonyms)


def test_a_build_apart_that_hangs_is_stopped(content: ContentSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apart, "_CHILD", "import sys, time; sys.stdin.buffer.read(); time.sleep(60)")
    with pytest.raises(apart.BuildFailed):
        apart.build_apart([apart.pickle_articles(content.published())], content.synonyms, timeout=0.5)


async def test_published_articles_are_read_in_chunks_as_load_content_reads_them(services: Services) -> None:
    async with services.sessions() as session:
        whole = (await repository.load_content(session)).published()
        chunked = [a async for part in repository.published_articles(session, chunk=7) for a in part]
    assert chunked == whole and len(whole) > 7


async def _edit_body(services: Services, article_id: str, lang: str, body: str) -> Article:
    async with transaction(services.sessions) as session:
        content = await repository.load_content(session)
        article = next(a for a in content.articles if a.id == article_id)
        changed = replace(
            article, translations={**article.translations, lang: replace(article.translations[lang], body=body)}
        )
        await repository.import_content(session, replace(content, articles=[changed]))
    return changed


@pytest.mark.parametrize("apart_from", [0, 10**9], ids=["built-apart", "built-here"])
async def test_the_article_screen_shows_the_database_text_and_its_edits(
    services: Services, monkeypatch: pytest.MonkeyPatch, apart_from: int
) -> None:
    monkeypatch.setattr(service, "BUILD_APART_FROM", apart_from)
    monkeypatch.setattr(service, "READ_CHUNK", 5)
    built_apart: list[int] = []
    real = apart.build_apart

    def spy(chunks: Iterable[bytes], synonyms: Mapping[str, list[list[str]]]) -> IndexData:
        built_apart.append(1)
        return real(chunks, synonyms)

    monkeypatch.setattr("knowledge.search.index.build_apart", spy)  # what SearchIndex.build_apart calls
    kb = services.knowledge
    async with services.sessions() as session:
        article = (await repository.load_content(session)).published()[0]
    body = article.translations["en"].body
    assert await kb.refresh(services.sessions, force=True)
    await say(services.engine, "kb1", "/start", hint="en")
    assert f"**{article.translations['en'].title}**\n\n{body}" in texts(
        await press(services.engine, "kb1", f"art:{article.id}")
    )

    edited = body + "\n\nCall the zzqx wobbleferry line first."
    await _edit_body(services, article.id, "en", edited)
    assert await kb.refresh(services.sessions)
    assert edited in texts(await press(services.engine, "kb1", f"art:{article.id}"))
    found = kb.search("zzqx wobbleferry", "en")  # words only the edited body says
    assert found.hits and found.hits[0].article_id == article.id
    assert bool(built_apart) == (apart_from == 0)


async def test_a_failed_build_apart_is_built_here(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service, "BUILD_APART_FROM", 0)
    monkeypatch.setattr(apart, "_CHILD", "import sys; sys.exit(3)")
    service._BUILT.clear()  # not the index another test built
    with caplog.at_level(logging.ERROR, logger="knowledge.service"):
        assert await services.knowledge.refresh(services.sessions, force=True)
    assert "failed; building it here" in caplog.text
    result = services.knowledge.search("how do I renew my passport abroad", "en")
    assert result.hits and services.knowledge.article(result.hits[0].article_id) is not None


def test_chunks_are_let_go_as_the_index_is_built(content: ContentSet) -> None:
    read = service._Read(topics=content.topics, synonyms=content.synonyms)
    read.take(content.published())
    assert read.chunks
    index = service._index_of(read)
    assert not read.chunks and index.size == len(content.published())
    assert pickle.loads(apart.pickle_articles(content.published())) == content.published()
