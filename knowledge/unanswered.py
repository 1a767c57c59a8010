"""Unanswered questions for staff: grouped by similar wording, then linked to an article or dismissed."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.editing import get_article, save_article
from knowledge.editing_models import UnansweredResolution
from knowledge.errors import ContentNotFound
from knowledge.models import UnansweredQuestion
from knowledge.search.normalize import tokenize

SIMILARITY = 75  # token_sort_ratio (0-100) from which two questions count as the same one
MAX_OPEN = 5000  # the latest open questions considered; older ones wait until these are handled
MAX_QUESTIONS_PER_TRANSLATION = 200
SAMPLES = 10


@dataclass
class QuestionGroup:
    key: int  # the id of its first question; stays the same while the group has open questions
    text: str
    count: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    question_ids: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    suggested: Counter[str] = field(default_factory=Counter)  # articles search half-matched
    questions: list[UnansweredQuestion] = field(default_factory=list, repr=False)

    def add(self, question: UnansweredQuestion) -> None:
        self.count += 1
        self.languages[question.lang or "?"] += 1
        self.first_seen = min(filter(None, (self.first_seen, question.created_at)))
        self.last_seen = max(filter(None, (self.last_seen, question.created_at)))
        self.question_ids.append(question.id)
        if len(self.samples) < SAMPLES and question.text not in self.samples:
            self.samples.append(question.text)
        for candidate in question.candidates or []:
            if isinstance(candidate, dict) and isinstance(candidate.get("article"), str):
                self.suggested[candidate["article"]] += 1
        self.questions.append(question)


def _key_text(text: str) -> str:
    return " ".join(tokenize(text)) or text.casefold().strip()


def group_questions(questions: list[UnansweredQuestion]) -> list[QuestionGroup]:
    """Greedy grouping, oldest first: a question joins the group whose first question is most similar (from
    SIMILARITY on), else starts its own. Only groups sharing a word with it are compared, so thousands stay fast."""
    groups: list[QuestionGroup] = []
    keys: list[str] = []
    by_word: dict[str, list[int]] = defaultdict(list)
    for question in sorted(questions, key=lambda q: q.id):
        key = _key_text(question.text)
        words = set(key.split())
        candidates = sorted({index for word in words for index in by_word.get(word, ())})
        match = process.extractOne(
            key, [keys[index] for index in candidates], scorer=fuzz.token_sort_ratio, score_cutoff=SIMILARITY
        )
        if match is not None:
            group = groups[candidates[match[2]]]
        else:
            group = QuestionGroup(key=question.id, text=question.text)
            groups.append(group)
            keys.append(key)
            for word in words:
                by_word[word].append(len(groups) - 1)
        group.add(question)
    return groups


async def open_questions(session: AsyncSession) -> list[UnansweredQuestion]:
    resolved = select(UnansweredResolution.question_id)
    rows = await session.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.id.not_in(resolved))
        .order_by(UnansweredQuestion.id.desc())
        .limit(MAX_OPEN)
    )
    return list(rows)


async def _grouped(session: AsyncSession) -> list[QuestionGroup]:
    questions = await open_questions(session)
    return await asyncio.to_thread(group_questions, questions)  # a second or two for thousands: off the loop


async def open_groups(session: AsyncSession) -> list[QuestionGroup]:
    """Open questions grouped, the most asked first."""
    groups = await _grouped(session)
    return sorted(groups, key=lambda g: (-g.count, g.key))


async def find_group(session: AsyncSession, *, key: int) -> QuestionGroup:
    for group in await _grouped(session):
        if group.key == key:
            return group
    raise ContentNotFound(f"no open question group {key}: it may have been resolved, reload the list")


@dataclass(frozen=True)
class LinkResult:
    version: int
    added: dict[str, list[str]]  # language -> questions added to that translation
    not_added: list[str]  # questions in a language the article has no translation in


async def link_group(session: AsyncSession, *, key: int, article_id: str, staff_id: int | None) -> LinkResult:
    """The group's questions become the article's alternate questions, each in its own language."""
    group = await find_group(session, key=key)
    article = await get_article(session, article_id=article_id)
    added: dict[str, list[str]] = {}
    not_added: list[str] = []
    translations = dict(article.translations)
    for question in group.questions:
        text = " ".join(question.text.split())[:300]
        tr = translations.get(question.lang or "")
        if tr is None:
            not_added.append(text)
            continue
        known = {_key_text(q) for q in (*tr.questions, tr.title)}
        if _key_text(text) in known or len(tr.questions) >= MAX_QUESTIONS_PER_TRANSLATION:
            continue
        translations[tr.lang] = dataclasses.replace(tr, questions=(*tr.questions, text))
        added.setdefault(tr.lang, []).append(text)
    version = await save_article(
        session,
        article=dataclasses.replace(article, translations=translations),
        action="linked",
        staff_id=staff_id,
        note=f"linked {group.count} unanswered questions",
    )
    _resolve(session, group, action="linked", article_id=article_id, staff_id=staff_id)
    await session.flush()
    return LinkResult(version=version, added=added, not_added=not_added)


async def dismiss_group(session: AsyncSession, *, key: int, staff_id: int | None) -> int:
    """Nothing to add for these questions (spam, off topic): they leave the list."""
    group = await find_group(session, key=key)
    _resolve(session, group, action="dismissed", article_id=None, staff_id=staff_id)
    await session.flush()
    return group.count


def _resolve(
    session: AsyncSession, group: QuestionGroup, *, action: str, article_id: str | None, staff_id: int | None
) -> None:
    for question_id in group.question_ids:
        session.add(
            UnansweredResolution(question_id=question_id, action=action, article_id=article_id, staff_id=staff_id)
        )
