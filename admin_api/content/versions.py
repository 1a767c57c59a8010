"""An article's version history: who saved what and when, and restoring an old version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path

from admin_api.content.common import audit_view, content_changed, read_article
from admin_api.content.schemas import ArticleRead, VersionRead, VersionSummary
from admin_api.deps import Audit, EditorStaff, ServicesDep, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import MAX_INT, ArticleIdPath
from knowledge import editing

router = APIRouter(prefix="/articles/{article_id}/versions", tags=["content"])
Number = Annotated[int, Path(ge=1, le=MAX_INT)]


@router.get("")
async def list_versions(
    article_id: ArticleIdPath, editor: EditorStaff, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[VersionSummary]:
    """Newest first; also for a deleted article, whose history stays."""
    before = decode_cursor(cursor, int)
    rows = await editing.list_versions(
        session, article_id=article_id, before=before[0] if before else None, limit=limit + 1
    )
    items, next_cursor = page_of(rows, limit, lambda v: (v.number,))
    return Page(items=[VersionSummary.model_validate(v) for v in items], next_cursor=next_cursor)


@router.get("/{number}")
async def get_version(
    article_id: ArticleIdPath, number: Number, editor: EditorStaff, session: SessionDep
) -> VersionRead:
    return VersionRead.model_validate(await editing.get_version(session, article_id=article_id, number=number))


@router.post("/{number}/restore")
async def restore_version(
    article_id: ArticleIdPath,
    number: Number,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> ArticleRead:
    """Make this version current again, as a new version (a deleted article comes back)."""
    old = await editing.load_article(session, article_id=article_id)
    await editing.restore_version(session, article_id=article_id, number=number, staff_id=editor.id)
    new = await editing.get_article(session, article_id=article_id)
    audit.record(
        "restore",
        "article",
        article_id,
        before=audit_view(old),
        after={**(audit_view(new) or {}), "from_version": number},
    )
    content_changed(background, services, old, new)
    return await read_article(session, article_id=article_id)
