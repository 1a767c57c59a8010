"""Ranking: lexical scores per article, fuzzy re-ranking of the best few, and the answer/choices/none decision."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from .builder import IndexData, doc_phrases, saturate
from .match import TokenMatch

SAT_REF = saturate(2.0)  # a word found once in a title or question: the "fully matched" level
RERANK = 10  # how many lexical leaders get fuzzy-scored
FUZZY_SHARE = 0.5  # weight of the fuzzy phrase similarity next to the normalised lexical score
HINT_BOOST = 1.05  # documents in the language the caller hinted at win near-ties
SCORER = fuzz.token_set_ratio

# Decision thresholds, on scale-free features: coverage (share of the query's weight the leader
# explains), margin (the leader's lead over the runner-up, relative to its score) and fuzzy (how
# close the query is to one of the leader's stored questions or its title). Calibrated on the
# labelled questions and on a stress test with half the articles removed (so that many questions
# ask about something close to, but not in, the content).
NONE_BELOW = 0.4  # coverage under this: the query is not about anything we have
ANSWER_COVERAGE = 0.65  # to answer, the leader must explain this share of the query's weight,
ANSWER_MARGIN = 0.1  # beat the runner-up by this share of its score,
ANSWER_EVIDENCE = 1.8  # and coverage + margin + fuzzy must reach this (strong on one, fair on all)

Decision = Literal["answer", "choices", "none"]


@dataclass(frozen=True)
class Candidate:
    article: int
    score: float
    coverage: float
    fuzzy: float
    lang: str


def _fuzzy(data: IndexData, docs: list[int], query_keys: Mapping[str, str]) -> dict[int, float]:
    """Best fuzzy similarity (0..1) of the query to each doc's title and questions."""
    scores: dict[int, float] = {}
    for doc in docs:
        query = query_keys.get(data.doc_lang[doc], "")
        phrases = doc_phrases(data.phrases[doc])
        if query and phrases:
            found = process.extractOne(query, phrases, scorer=SCORER)
            scores[doc] = found[1] / 100.0 if found else 0.0
    return scores


def _lang_totals(data: IndexData, matches: list[TokenMatch], article: int, hint: str | None) -> dict[str, float]:
    """How much of an article's score each of its translations gave."""
    totals: dict[str, float] = {}
    for match in matches:
        value = match.per_article.get(article)
        if value:
            lang = data.doc_lang[match.best_doc[article]]
            totals[lang] = totals.get(lang, 0.0) + value * (HINT_BOOST if lang == hint else 1.0)
    return totals


def rank(
    data: IndexData, matches: list[TokenMatch], query_keys: Mapping[str, str], hint: str | None
) -> list[Candidate]:
    """Candidates best first: normalised lexical score plus a share of fuzzy phrase similarity."""
    total_importance = sum(m.importance for m in matches)
    if total_importance <= 0:
        return []
    lexical: dict[int, float] = {}
    for match in matches:
        for article, value in match.per_article.items():
            lexical[article] = lexical.get(article, 0.0) + value
    norm = total_importance * SAT_REF
    leaders = heapq.nlargest(RERANK, lexical, key=lexical.__getitem__)
    fuzzy = _fuzzy(data, [d for a in leaders for d in data.article_docs[a]], query_keys)
    candidates = []
    for article in leaders:
        covered = sum(min(m.importance, m.per_article.get(article, 0.0) / SAT_REF) for m in matches)
        totals = _lang_totals(data, matches, article, hint)
        docs = data.article_docs[article]
        best_doc = max(docs, key=lambda d: totals.get(data.doc_lang[d], 0.0) + FUZZY_SHARE * norm * fuzzy.get(d, 0.0))
        fz = max((fuzzy.get(d, 0.0) for d in docs), default=0.0)
        score = sum(totals.values()) / norm + FUZZY_SHARE * fz
        candidates.append(Candidate(article, score, covered / total_importance, fz, data.doc_lang[best_doc]))
    candidates.sort(key=lambda c: -c.score)
    return candidates


def decide(candidates: list[Candidate]) -> Decision:
    """ "answer" only when the leader explains the query and clearly beats the runner-up;
    "none" when even the leader explains too little of it; "choices" in between."""
    if not candidates or candidates[0].coverage < NONE_BELOW:
        return "none"
    top = candidates[0]
    runner = candidates[1].score if len(candidates) > 1 else 0.0
    margin = (top.score - runner) / top.score if top.score > 0 else 0.0
    evidence = top.coverage + margin + top.fuzzy
    if top.coverage >= ANSWER_COVERAGE and margin >= ANSWER_MARGIN and evidence >= ANSWER_EVIDENCE:
        return "answer"
    return "choices"
