"""The knowledge base as the bot sees it: published content in memory and its search index."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import repository
from knowledge.articles import Article, ContentSet, Topic
from knowledge.search import SearchIndex, SearchResult

log = logging.getLogger(__name__)
REMEMBERED_ANSWERS = 4096  # questions whose search result is kept until the content changes


@dataclass
class _Snapshot:
    content: ContentSet
    index: SearchIndex
    revision: str
    articles: dict[str, Article] = field(default_factory=dict)
    by_topic: dict[str, list[Article]] = field(default_factory=dict)
    answers: OrderedDict[tuple[str | None, str], SearchResult] = field(default_factory=OrderedDict)

    def search(self, text: str, lang: str | None) -> SearchResult:
        """The index's answer, remembered for the most recent questions: people ask the same things."""
        key = (lang, " ".join(text.split()).casefold())
        found = self.answers.get(key)
        if found is not None:
            self.answers.move_to_end(key)
            return found
        result = self.index.search(text, lang=lang, limit=3)
        self.answers[key] = result
        if len(self.answers) > REMEMBERED_ANSWERS:
            self.answers.popitem(last=False)
        return result


_BUILT: OrderedDict[str, _Snapshot] = OrderedDict()  # the last indexes built, by what their content says
_BUILT_KEPT = 2
_BUILT_LOCK = threading.Lock()  # snapshots are built in worker threads


def _snapshot_of(content: ContentSet, revision: str) -> _Snapshot:
    """The snapshot of `content`, built again only when the content itself changed: several parts of one process
    (and a restart of the bot within it) share one index, and an edit undone costs no rebuild."""
    key = hashlib.sha256(repr(content).encode()).hexdigest()
    with _BUILT_LOCK:
        built = _BUILT.get(key)
    if built is None:
        built = _snapshot(content, revision)
        with _BUILT_LOCK:
            _BUILT[key] = built
            while len(_BUILT) > _BUILT_KEPT:
                _BUILT.popitem(last=False)
    return replace(built, revision=revision)


def _snapshot(content: ContentSet, revision: str) -> _Snapshot:
    published = content.published()
    snap = _Snapshot(content=content, index=SearchIndex.build(published, content.synonyms), revision=revision)
    snap.articles = {a.id: a for a in published}
    for article in published:
        snap.by_topic.setdefault(article.topic, []).append(article)
    return snap


class KnowledgeBase:
    """Read side of the content. Swapped whole on refresh, so readers never see half an update."""

    def __init__(self, content: ContentSet | None = None, revision: str = "") -> None:
        self._snap = _snapshot(content or ContentSet(), revision)
        self._refresh_lock = asyncio.Lock()

    @classmethod
    async def from_database(cls, sessions: async_sessionmaker[AsyncSession]) -> KnowledgeBase:
        kb = cls()
        await kb.refresh(sessions, force=True)
        return kb

    async def refresh(self, sessions: async_sessionmaker[AsyncSession], *, force: bool = False) -> bool:
        """Rebuild from the database when its content changed; True when rebuilt."""
        async with self._refresh_lock:
            async with sessions() as session:
                revision = await repository.content_revision(session)
                if not force and revision == self._snap.revision:
                    return False
                content = await repository.load_content(session)
            self._snap = await asyncio.to_thread(_snapshot_of, content, revision)
            log.info("knowledge index rebuilt: %d articles", self._snap.index.size)
            return True

    def topics(self) -> list[Topic]:
        return [t for t in self._snap.content.topics if self._snap.by_topic.get(t.id)]

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self._snap.content.topics if t.id == topic_id), None)

    def articles_in(self, topic_id: str) -> list[Article]:
        return list(self._snap.by_topic.get(topic_id, []))

    def article(self, article_id: str) -> Article | None:
        """A published article, or None (drafts are never shown)."""
        return self._snap.articles.get(article_id)

    def search(self, text: str, lang: str | None) -> SearchResult:
        return self._snap.search(text, lang)
