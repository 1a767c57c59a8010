"""Index construction: per-field term weights (BM25F-style), synonym expansion, vocabulary for fuzzy lookup."""

from __future__ import annotations

import heapq
import math
import struct
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ..articles import Article
from .analyze import analyze_doc_token, doc_terms, phrase_key
from .normalize import tokenize

K1 = 1.2
B_BODY = 0.6
# How much one occurrence counts, by field. Titles and the stored questions say what an article is
# about; the body mentions many things in passing.
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "questions": 2.0, "keywords": 2.5, "tags": 1.0, "synonyms": 2.0}
BODY_SHARE = 0.35  # the body is saturated on its own and counts this much next to the other fields
BODY_DF_SHARE = 0.25  # a body-only mention counts this much of a document for document frequency
SYNONYM_SHARE = 0.8  # a synonym found through a group counts this much of the word it stands for
MAX_POSTINGS = 300  # impact-ordered postings: only the strongest articles of a term are kept
BUCKET_PREFIX = 2  # fuzzy lookup compares a word with the words sharing its first letters

Term = tuple[str, str]  # (namespace, stem term)
Posting = tuple[int, float, int]  # (article, strength, doc) while building
# A term's entry is one bytes object: its idf, then its postings packed one record per posting (the doc and the
# strength; the doc's article is `doc_article[doc]`). A tuple of three numbers costs about 130 bytes, a record 12,
# a separate idf dict another 100 per term, and a large knowledge base has over a million postings.
IDF = struct.Struct("<d")
POSTING = struct.Struct("<id")
_Doc = tuple[dict[Term, float], dict[Term, float], tuple[str, ...]]  # field tf, body tf, phrase keys


def saturate(tf: float) -> float:
    return tf * (K1 + 1.0) / (tf + K1)


@dataclass
class IndexData:
    """Everything the search reads; built once, never mutated afterwards (safe for concurrent reads)."""

    article_ids: list[str] = field(default_factory=list)
    doc_article: list[int] = field(default_factory=list)
    doc_lang: list[str] = field(default_factory=list)
    article_docs: list[tuple[int, ...]] = field(default_factory=list)
    # namespace -> stem term -> the term's idf packed as IDF, then its (doc, strength) records packed as POSTING,
    # strongest first: strength is the saturated field-weighted tf in the article's best translation for that
    # term; idf applies per query token (see term_idf and term_postings)
    postings: dict[str, dict[str, bytes]] = field(default_factory=dict)
    unknown_idf: dict[str, float] = field(default_factory=dict)
    # namespace -> phonetic key -> the stem terms it belongs to, joined by "\n" (most keys have one: the term
    # itself); keys bucketed by first letter for fuzzy lookup
    vocab: dict[str, dict[str, str]] = field(default_factory=dict)
    buckets: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # per doc: the phonetic-key strings of its title and questions joined by "\n", in UTF-8 (for fuzzy
    # re-ranking; the keys are Latin letters with a few like "č", which would make a str two bytes a letter)
    phrases: list[bytes] = field(default_factory=list)


def term_idf(entry: bytes) -> float:
    """The idf of a term, from its postings entry."""
    idf: float = IDF.unpack_from(entry)[0]
    return idf


def term_postings(entry: bytes) -> Iterator[tuple[int, float]]:
    """(doc, strength) of a term's postings, strongest first, from its postings entry."""
    return POSTING.iter_unpack(memoryview(entry)[IDF.size :])


def vocab_terms(terms: str | None) -> list[str]:
    """The stem terms of a vocabulary entry."""
    return terms.split("\n") if terms else []


def doc_phrases(phrases: bytes) -> list[str]:
    """A doc's phrase keys, from its `phrases` entry."""
    return phrases.decode().split("\n") if phrases else []


def idf_of(df: float, n_docs: int) -> float:
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


class _SynonymTable:
    """Synonym groups analysed into term tuples; finds which groups a document's terms touch."""

    def __init__(self, synonyms: Mapping[str, list[list[str]]], seen: set[tuple[str, str, str]]) -> None:
        self.groups: list[list[tuple[Term, ...]]] = []
        self.by_term: dict[Term, list[int]] = defaultdict(list)
        for lang, groups in synonyms.items():
            for group in groups:
                members = []
                for phrase in group:
                    analysed = doc_terms(phrase, lang)
                    seen.update(analysed)
                    if analysed:
                        members.append(tuple((ns, term) for ns, term, _ in analysed))
                if len(members) > 1:
                    for member in members:
                        self.by_term[member[0]].append(len(self.groups))
                    self.groups.append(members)

    def expand(self, present: set[Term]) -> set[Term]:
        """Terms of synonyms of what the document says, that it does not say itself."""
        extra: set[Term] = set()
        for term in self.by_term.keys() & present:
            for index in self.by_term[term]:
                group = self.groups[index]
                if any(all(t in present for t in member) for member in group):
                    extra.update(t for member in group for t in member)
        return extra - present


def _article_fields(article: Article, lang: str) -> dict[str, str]:
    tr = article.translations[lang]
    fields = {"title": tr.title, "questions": "\n".join(tr.questions), "keywords": "\n".join(tr.keywords)}
    if lang == "en" or "en" not in article.translations:
        fields["tags"] = " ".join(t.replace("-", " ") for t in article.tags)
    return fields


Analysed = tuple[str, str, str]  # (namespace, stem term, phonetic key)


class _Words:
    """Per-build memo of word analysis, and every (namespace, term, key) seen (for the vocabulary)."""

    def __init__(self) -> None:
        self.cache: dict[str, dict[str, tuple[Term, str] | None]] = defaultdict(dict)
        self.seen: set[Analysed] = set()

    def analyse(self, token: str, lang: str) -> tuple[Term, str] | None:
        """((namespace, stem term), phonetic key) of a token, or None for stopwords and noise."""
        cache = self.cache[lang]
        if token in cache:
            return cache[token]
        found = analyze_doc_token(token, lang)
        cache[token] = result = None if found is None else ((found[0], found[1]), found[2])
        if found is not None:
            self.seen.add(found)
        return result

    def phrase(self, text: str, lang: str) -> str:
        """A text as the phonetic keys of all its words (for fuzzy phrase similarity)."""
        return " ".join(phrase_key(token, lang) for token in tokenize(text))


def _count(text: str, lang: str, weight: float, into: dict[Term, float], words: _Words) -> None:
    """Add `weight` per occurrence of each term of `text` to `into`."""
    cache = words.cache[lang]
    for token, count in Counter(tokenize(text)).items():
        found = cache[token] if token in cache else words.analyse(token, lang)
        if found is not None:
            into[found[0]] = into.get(found[0], 0.0) + weight * count


def _weigh_doc(article: Article, lang: str, synonyms: _SynonymTable, words: _Words) -> _Doc:
    """Field-weighted term frequencies (outside the body), body term counts, phrase keys."""
    weighted: dict[Term, float] = {}
    for name, text in _article_fields(article, lang).items():
        _count(text, lang, FIELD_WEIGHTS[name], weighted, words)
    tr = article.translations[lang]
    phrases = [words.phrase(text, lang) for text in (tr.title, *tr.questions)]
    body: dict[Term, float] = {}
    _count(tr.body, lang, 1.0, body, words)
    # a synonym counts where the word it stands for was said: in the fields, or only in the body
    for term in synonyms.expand(set(weighted)):
        weighted[term] = weighted.get(term, 0.0) + FIELD_WEIGHTS["synonyms"] * SYNONYM_SHARE
    for term in synonyms.expand(set(body)) - weighted.keys():
        body[term] = body.get(term, 0.0) + SYNONYM_SHARE
    return weighted, body, tuple(p for p in phrases if p)


def build_data(articles: Iterable[Article], synonyms: Mapping[str, list[list[str]]] | None) -> IndexData:
    """Analyse every published translation and fill the index, one document at a time."""
    data = IndexData()
    words = _Words()
    table = _SynonymTable(synonyms or {}, words.seen)
    published = [a for a in articles if a.published]
    lengths = [len(a.translations[lang].body.split()) for a in published for lang in a.translations]
    postings = _Postings(sum(lengths) / max(1, len(lengths)) or 1.0)
    for article in published:
        docs = []
        for lang in sorted(article.translations):
            weighted, body, phrases = _weigh_doc(article, lang, table, words)
            length = len(article.translations[lang].body.split())
            postings.add(len(data.doc_article), len(data.article_ids), weighted, body, length)
            docs.append(len(data.doc_article))
            data.doc_article.append(len(data.article_ids))
            data.doc_lang.append(sys.intern(lang))  # one string per language, also once unpickled
            data.phrases.append("\n".join(phrases).encode())
        data.article_docs.append(tuple(docs))
        data.article_ids.append(article.id)
    postings.finish(data)
    _fill_vocabulary(data, words.seen)
    return data


def _fill_vocabulary(data: IndexData, seen: set[Analysed]) -> None:
    """Phonetic keys of every indexed word, bucketed by their first letters for fuzzy lookup."""
    vocab: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for ns, term, key in seen:
        if term in data.postings.get(ns, {}):  # synonyms no article uses have no postings
            vocab[ns].setdefault(key, set()).add(term)
    for ns, keys in vocab.items():
        # a key's only term is the very string the postings are keyed by (one object, also once unpickled)
        same = {term: term for term in data.postings[ns]}
        data.vocab[ns] = {k: same[v.pop()] if len(v) == 1 else "\n".join(sorted(v)) for k, v in keys.items()}
    for ns, entries in data.vocab.items():
        buckets: dict[str, list[str]] = defaultdict(list)
        for key in sorted(entries):
            buckets[key[:BUCKET_PREFIX]].append(key)
        data.buckets[ns] = {prefix: tuple(found) for prefix, found in buckets.items()}


class _Postings:
    """Collects term strengths document by document, then writes postings and idf.

    Document frequency counts a body-only mention as a fraction: boilerplate every body repeats
    ("ask a counsellor at the centre") must not make the article about that very thing impossible
    to find by its title. A term keeps one posting per article (its strongest translation), and
    long lists are pruned to their strongest entries as they grow, which bounds memory.
    """

    def __init__(self, avg_body: float) -> None:
        self.avg_body = avg_body
        self.df: dict[Term, float] = defaultdict(float)
        self.ns_docs: dict[str, int] = defaultdict(int)
        self.found: dict[str, dict[str, list[Posting]]] = defaultdict(lambda: defaultdict(list))

    def add(self, doc: int, article: int, weighted: dict[Term, float], body: dict[Term, float], length: int) -> None:
        """Add one document; all documents of an article must come one after the other."""
        norm = 1.0 - B_BODY + B_BODY * length / self.avg_body
        k1, k1p, df = K1, K1 + 1.0, self.df
        strengths: list[tuple[Term, float]] = []
        for term, tf in weighted.items():
            df[term] += 1.0
            in_body = body.get(term, 0.0) / norm
            strengths.append((term, tf * k1p / (tf + k1) + BODY_SHARE * in_body * k1p / (in_body + k1)))
        for term, count in body.items():
            if term not in weighted:
                df[term] += BODY_DF_SHARE
                in_body = count / norm
                strengths.append((term, BODY_SHARE * in_body * k1p / (in_body + k1)))
        for ns in {term[0] for term, _ in strengths}:
            self.ns_docs[ns] += 1
        self._post(strengths, article, doc)

    def _post(self, strengths: list[tuple[Term, float]], article: int, doc: int) -> None:
        found = self.found
        for (ns, term), strength in strengths:
            plist = found[ns][term]
            if plist and plist[-1][0] == article:
                if strength > plist[-1][1]:
                    plist[-1] = (article, strength, doc)
                continue
            if len(plist) >= 4 * MAX_POSTINGS:
                plist[:] = heapq.nlargest(MAX_POSTINGS, plist, key=_strength)
            plist.append((article, strength, doc))

    def finish(self, data: IndexData) -> None:
        for ns, terms in self.found.items():
            n_docs = self.ns_docs[ns]
            packed = data.postings[ns] = {}
            while terms:  # the lists are freed as they are packed
                term, plist = terms.popitem()
                packed[term] = pack_postings(idf_of(self.df[(ns, term)], n_docs), plist)
            data.unknown_idf[ns] = idf_of(0, n_docs)


def pack_postings(idf: float, postings: list[Posting]) -> bytes:
    """A term's entry: its idf, then its strongest postings (see IndexData.postings)."""
    strongest = heapq.nlargest(MAX_POSTINGS, postings, key=_strength)
    return IDF.pack(idf) + b"".join(POSTING.pack(doc, strength) for _, strength, doc in strongest)


def _strength(posting: Posting) -> float:
    return posting[1]
