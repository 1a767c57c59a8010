"""The knowledge base as the bot sees it: published content in memory and its search index.

Memory is what a large knowledge base costs: the bot keeps of each article what it shows (its id, topic, titles
and bodies, the bodies compressed); questions, keywords and tags only feed the search index. Content is read from
the database a chunk at a time, and a large index is built in a child process (see `knowledge.search.apart`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import pickle
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import repository
from knowledge.articles import Article, ContentSet, Topic, Translation
from knowledge.search import SearchIndex, SearchResult
from knowledge.search.apart import BuildFailed, pickle_articles
from knowledge.search.index import return_freed_memory
from ughi.db import reading

log = logging.getLogger(__name__)
REMEMBERED_ANSWERS = 4096  # questions whose search result is kept until the content changes
READ_CHUNK = 500  # articles read from the database at a time
INFLATED_KEPT = 256  # article bodies kept unpacked (the most recently shown)
BUILD_APART_FROM = 3000  # translations: an index of this many or more is built in a child process


class ShownTranslations(Mapping[str, Translation]):
    """An article's translations as the bot shows them: titles, and bodies kept compressed (they are most of the
    content, and one is read only when its article is shown). Questions and keywords are left out."""

    __slots__ = ("_entries",)

    def __init__(self, translations: Mapping[str, Translation]) -> None:
        self._entries = tuple(
            (sys.intern(lang), tr.title, zlib.compress(tr.body.encode())) for lang, tr in translations.items()
        )

    def __getitem__(self, lang: str) -> Translation:
        for code, title, body in self._entries:
            if code == lang:
                return Translation(lang=code, title=title, body=_inflated(body))
        raise KeyError(lang)

    def __contains__(self, lang: object) -> bool:
        return any(code == lang for code, _, _ in self._entries)

    def __iter__(self) -> Iterator[str]:
        return (code for code, _, _ in self._entries)

    def __len__(self) -> int:
        return len(self._entries)


@lru_cache(maxsize=INFLATED_KEPT)
def _inflated(body: bytes) -> str:
    """A compressed body as text; the bodies shown most are kept unpacked (a reply lists titles of several)."""
    return zlib.decompress(body).decode()


def shown(article: Article) -> Article:
    """The article as the knowledge base keeps it (see ShownTranslations)."""
    return Article(
        id=article.id,
        topic=sys.intern(article.topic),
        translations=ShownTranslations(article.translations),
        status=article.status,
    )


@dataclass
class _Snapshot:
    topics: list[Topic]
    index: SearchIndex
    revision: str
    articles: dict[str, Article] = field(default_factory=dict)  # published, as `shown` keeps them
    by_topic: dict[str, list[Article]] = field(default_factory=dict)
    answers: OrderedDict[tuple[str | None, str], SearchResult] = field(default_factory=OrderedDict)

    @classmethod
    def of(cls, topics: list[Topic], index: SearchIndex, articles: list[Article], revision: str) -> _Snapshot:
        snap = cls(topics=topics, index=index, revision=revision)
        snap.articles = {a.id: a for a in articles}
        for article in articles:
            snap.by_topic.setdefault(article.topic, []).append(article)
        return snap

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


# The last index built, by what its content says. One only: at 10,000 articles a snapshot holds about 90 MB, too
# much to keep one nobody uses in case an edit is undone.
_BUILT: OrderedDict[str, _Snapshot] = OrderedDict()
_BUILT_KEPT = 1
_BUILT_LOCK = threading.Lock()  # snapshots are built in worker threads


def _snapshot(content: ContentSet, revision: str) -> _Snapshot:
    published = content.published()
    index = SearchIndex.build(published, content.synonyms)
    return _Snapshot.of(content.topics, index, [shown(a) for a in published], revision)


@dataclass
class _Read:
    """Published content read from the database: what the bot shows, and the articles pickled in chunks for the
    index build; `digest` sums all of it up (the same content, the same digest)."""

    topics: list[Topic]
    synonyms: dict[str, list[list[str]]]
    articles: list[Article] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    translations: int = 0
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def take(self, part: list[Article]) -> None:
        self.digest.update(repr(part).encode())
        self.chunks.append(pickle_articles(part))
        self.articles.extend(shown(a) for a in part)
        self.translations += sum(len(a.translations) for a in part)


async def _read(session: AsyncSession) -> _Read:
    read = _Read(topics=await repository.load_topics(session), synonyms=await repository.load_synonyms(session))
    read.digest.update(repr((read.topics, read.synonyms)).encode())
    async for part in repository.published_articles(session, READ_CHUNK):
        await asyncio.to_thread(read.take, part)  # hashing, pickling and compressing: off the event loop
    return read


def _snapshot_of(read: _Read, revision: str) -> _Snapshot:
    """The snapshot of what was read, built again only when the content itself changed: several parts of one
    process (and a restart of the bot within it) share one index."""
    key = read.digest.hexdigest()
    with _BUILT_LOCK:
        built = _BUILT.get(key)
    if built is None:
        built = _Snapshot.of(read.topics, _index_of(read), read.articles, revision)
        with _BUILT_LOCK:
            _BUILT[key] = built
            while len(_BUILT) > _BUILT_KEPT:
                _BUILT.popitem(last=False)
    return replace(built, revision=revision)


def _index_of(read: _Read) -> SearchIndex:
    """The index of what was read; the pickled chunks are let go once it is built."""
    chunks, read.chunks = read.chunks, []
    if read.translations >= BUILD_APART_FROM:
        try:
            index = SearchIndex.build_apart(chunks, read.synonyms)
        except (BuildFailed, OSError):
            log.exception("index build in a child process failed; building it here")
        else:
            chunks.clear()
            return_freed_memory()
            return index
    articles = [article for chunk in chunks for article in pickle.loads(chunk)]
    chunks.clear()
    return SearchIndex.build(articles, read.synonyms)


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
            async with reading(sessions) as session:  # a long read of a large base: writers go on meanwhile
                revision = await repository.content_revision(session)
                if not force and revision == self._snap.revision:
                    return False
                read = await _read(session)
            self._snap = await asyncio.to_thread(_snapshot_of, read, revision)
            del read
            log.info("knowledge index rebuilt: %d articles", self._snap.index.size)
            await asyncio.to_thread(return_freed_memory)  # the previous snapshot's, unless another reader holds it
            return True

    def topics(self) -> list[Topic]:
        return [t for t in self._snap.topics if self._snap.by_topic.get(t.id)]

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self._snap.topics if t.id == topic_id), None)

    def articles_in(self, topic_id: str) -> list[Article]:
        return list(self._snap.by_topic.get(topic_id, []))

    def article(self, article_id: str) -> Article | None:
        """A published article as the bot shows it (titles and bodies), or None (drafts are never shown)."""
        return self._snap.articles.get(article_id)

    def search(self, text: str, lang: str | None) -> SearchResult:
        return self._snap.search(text, lang)
