"""Whether each translation is up to date, missing, or outdated because another language's text changed since."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.editing_models import TranslationEdit
from knowledge.errors import ContentNotFound
from knowledge.models import ArticleTranslationRow
from ughi.db import utcnow

State = Literal["up_to_date", "missing", "outdated"]


@dataclass(frozen=True)
class TranslationState:
    lang: str
    state: State
    text_changed_at: datetime | None = None
    outdated_by: tuple[str, ...] = ()  # languages whose title or body changed after this one was last synced


def _synced_at(edit: TranslationEdit | None) -> datetime | None:
    if edit is None:
        return None
    times = [t for t in (edit.text_changed_at, edit.reviewed_at) if t is not None]
    return max(times) if times else None


def states_for(
    present: Iterable[str], edits: Mapping[str, TranslationEdit], languages: Sequence[str]
) -> list[TranslationState]:
    """States of one article's translations. Translations never edited here (e.g. imported together) agree."""
    have = set(present)
    result = []
    for lang in [*languages, *sorted(have - set(languages))]:
        if lang not in have:
            result.append(TranslationState(lang, "missing"))
            continue
        edit = edits.get(lang)
        synced = _synced_at(edit)
        newer = tuple(
            sorted(
                other
                for other in have - {lang}
                if (changed := getattr(edits.get(other), "text_changed_at", None)) is not None
                and (synced is None or changed > synced)
            )
        )
        changed_at = edit.text_changed_at if edit is not None else None
        result.append(TranslationState(lang, "outdated" if newer else "up_to_date", changed_at, newer))
    return result


async def translation_states(
    session: AsyncSession, *, article_ids: Sequence[str] | None, languages: Sequence[str]
) -> dict[str, list[TranslationState]]:
    """States per article (all articles when `article_ids` is None), for `languages` and any others present."""
    present_query = select(ArticleTranslationRow.article_id, ArticleTranslationRow.lang)
    edits_query = select(TranslationEdit)
    if article_ids is not None:
        present_query = present_query.where(ArticleTranslationRow.article_id.in_(list(article_ids)))
        edits_query = edits_query.where(TranslationEdit.article_id.in_(list(article_ids)))
    present: dict[str, set[str]] = defaultdict(set)
    for article_id, lang in (await session.execute(present_query)).all():
        present[article_id].add(lang)
    edits: dict[str, dict[str, TranslationEdit]] = defaultdict(dict)
    for edit in await session.scalars(edits_query):
        edits[edit.article_id][edit.lang] = edit
    ids = list(article_ids) if article_ids is not None else sorted(present)
    return {article_id: states_for(present.get(article_id, ()), edits[article_id], languages) for article_id in ids}


async def confirm_translation(session: AsyncSession, *, article_id: str, lang: str, staff_id: int | None) -> None:
    """A translator checked this translation against the others: it is up to date again."""
    row = await session.get(ArticleTranslationRow, (article_id, lang))
    if row is None:
        raise ContentNotFound(f"article {article_id} has no {lang} translation")
    edit = await session.get(TranslationEdit, (article_id, lang))
    if edit is None:
        edit = TranslationEdit(article_id=article_id, lang=lang)
        session.add(edit)
    edit.reviewed_at, edit.staff_id = utcnow(), staff_id
    await session.flush()
