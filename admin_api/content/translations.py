"""What needs translating: per language, the missing and outdated translations, and a summary."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from admin_api.content.common import LANGUAGES
from admin_api.content.schemas import LanguageReport, TranslationTodo
from admin_api.deps import EditorStaff, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import LANG_PATTERN
from knowledge.freshness import translation_states

router = APIRouter(prefix="/translations", tags=["content"])


@router.get("/summary")
async def summary(editor: EditorStaff, session: SessionDep) -> list[LanguageReport]:
    """For each language: how many articles are up to date, missing it, or have it outdated."""
    states = await translation_states(session, article_ids=None, languages=LANGUAGES)
    counts: dict[str, dict[str, int]] = {}
    for article_states in states.values():
        for state in article_states:
            counts.setdefault(state.lang, {"up_to_date": 0, "missing": 0, "outdated": 0})[state.state] += 1
    ordered = [*LANGUAGES, *sorted(set(counts) - set(LANGUAGES))]
    return [
        LanguageReport(lang=lang, **counts.get(lang, {"up_to_date": 0, "missing": 0, "outdated": 0}))
        for lang in ordered
    ]


@router.get("/todo")
async def todo(
    editor: EditorStaff,
    session: SessionDep,
    lang: Annotated[str, Query(pattern=LANG_PATTERN)],
    state: Literal["missing", "outdated"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TranslationTodo]:
    """The articles whose `lang` translation is missing or outdated, by article id."""
    after = decode_cursor(cursor, str)
    states = await translation_states(session, article_ids=None, languages=[lang])
    items = [
        TranslationTodo(article_id=article_id, lang=lang, state=s.state, outdated_by=list(s.outdated_by))
        for article_id in sorted(states)
        if not after or article_id > after[0]
        for s in states[article_id]
        if s.lang == lang and s.state != "up_to_date" and (state is None or s.state == state)
    ]
    page, next_cursor = page_of(items, limit, lambda t: (t.article_id,))
    return Page(items=page, next_cursor=next_cursor)
