"""The search index: build from articles, search a query, return ranked hits with a decision."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..articles import Article
from .analyze import forget_words, lang_script, phrase_key, query_readings, stop_namespaces
from .apart import build_apart
from .builder import IndexData, build_data
from .match import TokenMatch, match_token
from .normalize import token_script, tokenize
from .rank import Candidate, Decision, decide, rank

MAX_QUERY_TOKENS = 24
_SCRIPT_LANG = {"hy": "hy", "cyrl": "ru"}


@dataclass(frozen=True)
class Hit:
    """One ranked article; `score` is comparable within one result only."""

    article_id: str
    score: float
    lang: str  # language of the best-matching translation


@dataclass(frozen=True)
class SearchResult:
    """`decision`: "answer" (show hits[0]), "choices" (offer the hits) or "none" (no answer; the hits,
    if any, are weak guesses worth logging but not showing)."""

    decision: Decision
    hits: list[Hit] = field(default_factory=list)
    query_lang: str | None = None
    coverage: float = 0.0  # share of the query's weight the top hit explains (for logs and tuning)


class SearchIndex:
    """An immutable index over published articles; `search` may be called from many threads at once."""

    def __init__(self, data: IndexData, build_seconds: float = 0.0) -> None:
        self._data = data
        self._namespaces = frozenset(data.postings)
        self._langs = tuple(sorted(set(data.doc_lang)))
        self.build_seconds = build_seconds

    @classmethod
    def build(cls, articles: Iterable[Article], synonyms: Mapping[str, list[list[str]]] | None = None) -> SearchIndex:
        """Index the published articles (drafts are skipped); `synonyms` maps lang -> word groups."""
        started = time.perf_counter()
        collecting = gc.isenabled()
        gc.disable()  # the build allocates millions of small tuples and no cycles: skip the collector
        try:
            data = build_data(articles, synonyms)
        finally:
            if collecting:
                gc.enable()
        forget_words()  # the content's words: queries fill the memos with their own
        if collecting:
            # one full pass now untracks the index's tuples, so later collections skip them
            # instead of pausing a search
            gc.collect()
        return_freed_memory()
        return cls(data, time.perf_counter() - started)

    @classmethod
    def build_apart(cls, chunks: Iterable[bytes], synonyms: Mapping[str, list[list[str]]] | None = None) -> SearchIndex:
        """The same index as `build`, built in a child process (see `apart`): for large knowledge bases.
        `chunks` are lists of published articles, each pickled by `apart.pickle_articles`."""
        started = time.perf_counter()
        data = build_apart(chunks, synonyms or {})
        if gc.isenabled():
            gc.collect()  # as after `build`: untrack the index's tuples once
        return_freed_memory()  # the answer's bytes
        return cls(data, time.perf_counter() - started)

    @property
    def size(self) -> int:
        return len(self._data.article_ids)

    def search(self, query: str, lang: str | None = None, limit: int = 3) -> SearchResult:
        """Rank articles for `query`; `lang` (the user's language, optional) breaks near-ties."""
        candidates, query_lang = self.candidates(query, lang)
        if not candidates:
            return SearchResult("none", [], query_lang)
        hits = [self._hit(c) for c in candidates[: max(0, limit)]]
        return SearchResult(decide(candidates), hits, query_lang, candidates[0].coverage)

    def candidates(self, query: str, lang: str | None = None) -> tuple[list[Candidate], str | None]:
        """The ranked candidates with their decision features, and the query's language."""
        tokens = list(dict.fromkeys(tokenize(query)))[:MAX_QUERY_TOKENS]
        readings = {t: query_readings(t, self._namespaces) for t in tokens}
        matches = [match_token(self._data, t, r) for t, r in readings.items() if r]
        query_lang = _guess_lang(tokens, matches)
        if not matches:
            return [], query_lang
        hint = lang if lang in self._langs else None
        query_keys = {doc_lang: " ".join(phrase_key(t, doc_lang) for t in tokens) for doc_lang in self._langs}
        return rank(self._data, matches, query_keys, hint), query_lang

    def _hit(self, candidate: Candidate) -> Hit:
        return Hit(self._data.article_ids[candidate.article], round(candidate.score, 4), candidate.lang)


def _guess_lang(tokens: list[str], matches: list[TokenMatch]) -> str | None:
    """Votes per token: its script, the function words it is, or the namespace it matched best in."""
    votes: dict[str, float] = defaultdict(float)
    evidence = {m.token: m.evidence for m in matches}
    for token in tokens:
        script = token_script(token)
        if script in _SCRIPT_LANG:
            votes[_SCRIPT_LANG[script]] += 1.0
            continue
        if script != "latn":
            continue
        stops = stop_namespaces(token)
        for namespace in stops:
            votes[namespace] += 1.0 / len(stops)
        found = evidence.get(token)
        if found:
            best = max(found, key=lambda ns: found[ns])
            if lang_script(best) == "latn" or best in ("hy", "ru"):
                votes[best] += 1.0
    return max(votes, key=lambda ns: votes[ns]) if votes else None


def return_freed_memory() -> None:
    """Give the heap the build used and freed back to the system: glibc keeps it for reuse otherwise, and a large
    knowledge base's build needs about three times the memory the finished index holds. A no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)
