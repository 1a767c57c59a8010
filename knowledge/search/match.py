"""Query-token matching: exact and typo-tolerant term lookup, and per-document lexical contributions."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from .analyze import Reading
from .builder import BUCKET_PREFIX, IndexData, term_idf, term_postings, vocab_terms

FUZZY_CUTOFF = 0.9  # Jaro-Winkler similarity of phonetic keys below which words are different words
FUZZY_MIN_LEN = 4
FUZZY_LIMIT = 5
FUZZY_ON_MISS = False
UNKNOWN_SHARE = 1.0  # weight of a word the index does not know, relative to the rarest word it knows
VARIANT_SHARE = 0.95  # a less likely transliteration counts a little less than the likeliest one


def fuzzy_weight(similarity: float) -> float:
    """Map a Jaro-Winkler similarity above the cutoff to a match weight in [0.5, 0.95]."""
    return 0.5 + 0.45 * (similarity - FUZZY_CUTOFF) / (1.0 - FUZZY_CUTOFF)


def _fuzzy(data: IndexData, namespace: str, key: str, terms: dict[str, float], share: float) -> None:
    bucket = data.buckets.get(namespace, {}).get(key[:BUCKET_PREFIX])
    if not bucket:
        return
    found = process.extract(
        key, bucket, scorer=JaroWinkler.normalized_similarity, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_LIMIT
    )
    vocab = data.vocab[namespace]
    for candidate, similarity, _ in found:
        if candidate == key:
            continue
        weight = fuzzy_weight(similarity) * share
        for term in vocab_terms(vocab[candidate]):
            if weight > terms.get(term, 0.0):
                terms[term] = weight


def expand(data: IndexData, reading: Reading) -> dict[str, float]:
    """Stem terms of `reading.namespace` this reading may stand for, with a similarity weight each."""
    namespace = reading.namespace
    postings = data.postings.get(namespace)
    if postings is None:
        return {}
    terms: dict[str, float] = {}
    for rank, stem_term in enumerate(reading.stems):
        if stem_term in postings:
            terms[stem_term] = max(terms.get(stem_term, 0.0), 1.0 if rank == 0 else VARIANT_SHARE)
    vocab = data.vocab.get(namespace, {})
    for rank, key in enumerate(reading.keys[:2]):
        share = 1.0 if rank == 0 else VARIANT_SHARE
        for term in vocab_terms(vocab.get(key)):
            terms[term] = max(terms.get(term, 0.0), share)
        if len(key) >= FUZZY_MIN_LEN and not (FUZZY_ON_MISS and terms):
            _fuzzy(data, namespace, key, terms, share)
    return terms


@dataclass
class TokenMatch:
    """What one query token matched: its importance and its best contribution to each document."""

    token: str
    importance: float
    per_article: dict[int, float] = field(default_factory=dict)  # article -> best value
    best_doc: dict[int, int] = field(default_factory=dict)  # article -> the translation that gave it
    evidence: dict[str, float] = field(default_factory=dict)  # namespace -> how well it read there


def match_token(data: IndexData, token: str, readings: tuple[Reading, ...]) -> TokenMatch:
    """Match one token in all its readings; a document keeps the best value any reading gave it.

    The token's weight (idf) is that of its likeliest term, so a rare look-alike word found by
    fuzzy lookup never weighs more than the word the user most probably meant.
    """
    unknown = UNKNOWN_SHARE * max((data.unknown_idf.get(r.namespace, 0.0) for r in readings), default=0.0)
    expanded = [(r.namespace, expand(data, r)) for r in readings]
    evidence: dict[str, float] = {}
    best = (0.0, 0.0)  # (similarity, idf) of the likeliest term
    for namespace, terms in expanded:
        entries = data.postings[namespace] if terms else {}
        for term, sim in terms.items():
            evidence[namespace] = max(evidence.get(namespace, 0.0), sim)
            best = max(best, (sim, -term_idf(entries[term])))
    sim_best, token_idf = best[0], -best[1]
    per_article: dict[int, float] = {}
    best_doc: dict[int, int] = {}
    doc_article = data.doc_article
    for namespace, terms in expanded:
        postings = data.postings.get(namespace, {})
        for term, sim in terms.items():
            factor = sim * token_idf
            for doc, strength in term_postings(postings[term]):
                article = doc_article[doc]
                value = factor * strength
                if value > per_article.get(article, 0.0):
                    per_article[article] = value
                    best_doc[article] = doc
    # an unknown word weighs as much as the rarest word; a fuzzy match leaves part of it unexplained
    importance = sim_best * token_idf + (1.0 - sim_best) * unknown
    return TokenMatch(token, importance, per_article, best_doc, evidence)
