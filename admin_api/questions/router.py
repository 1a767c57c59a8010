"""Unanswered questions for editors: grouped by wording, then linked to an article, made one, or dismissed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, status
from pydantic import BaseModel

from admin_api.content.common import content_changed, read_article
from admin_api.content.schemas import ArticleCreate, ArticleRead
from admin_api.deps import Audit, EditorStaff, ServicesDep, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import MAX_INT, ArticleId, InputModel
from admin_api.problems import problem_responses
from knowledge import editing, unanswered
from knowledge.unanswered import QuestionGroup

router = APIRouter(prefix="/unanswered", tags=["unanswered questions"])
GroupKey = Annotated[int, Path(ge=1, le=MAX_INT, description="the id of the group's first question")]


class GroupRead(BaseModel):
    key: int
    text: str
    count: int
    languages: dict[str, int]
    first_seen: datetime | None
    last_seen: datetime | None
    samples: list[str]
    suggested_articles: list[str]


class GroupDetail(GroupRead):
    questions: list[str]


class LinkIn(InputModel):
    article_id: ArticleId


class LinkOut(BaseModel):
    article: ArticleRead
    added: dict[str, list[str]]
    not_added: list[str]


class DismissOut(BaseModel):
    dismissed: int


def _group(group: QuestionGroup) -> GroupRead:
    return GroupRead(
        key=group.key,
        text=group.text,
        count=group.count,
        languages=dict(group.languages),
        first_seen=group.first_seen,
        last_seen=group.last_seen,
        samples=group.samples,
        suggested_articles=[article for article, _ in group.suggested.most_common(3)],
    )


@router.get("/groups")
async def list_groups(
    editor: EditorStaff, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[GroupRead]:
    """Open questions grouped by similar wording, the most asked first."""
    after = decode_cursor(cursor, int, int)
    groups = await unanswered.open_groups(session)
    if after:
        groups = [g for g in groups if (-g.count, g.key) > (-after[0], after[1])]
    page, next_cursor = page_of(groups, limit, lambda g: (g.count, g.key))
    return Page(items=[_group(g) for g in page], next_cursor=next_cursor)


@router.get("/groups/{key}")
async def get_group(key: GroupKey, editor: EditorStaff, session: SessionDep) -> GroupDetail:
    group = await unanswered.find_group(session, key=key)
    return GroupDetail(**_group(group).model_dump(), questions=[q.text for q in group.questions])


async def _link(key: int, article_id: str, editor: EditorStaff, session: SessionDep, audit: Audit) -> LinkOut:
    result = await unanswered.link_group(session, key=key, article_id=article_id, staff_id=editor.id)
    audit.record(
        "link",
        "unanswered_group",
        key,
        after={"article_id": article_id, "version": result.version, "added": result.added},
    )
    article = await read_article(session, article_id=article_id)
    return LinkOut(article=article, added=result.added, not_added=result.not_added)


@router.post("/groups/{key}/link")
async def link_group(
    key: GroupKey,
    body: LinkIn,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> LinkOut:
    """The group's questions become the article's alternate questions (each in its language), so search finds it."""
    content_changed(background, services)
    return await _link(key, body.article_id, editor, session, audit)


@router.post("/groups/{key}/article", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def article_from_group(
    key: GroupKey,
    body: ArticleCreate,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> LinkOut:
    """A new article that answers the group (a draft unless `status` says published), linked to it."""
    await unanswered.find_group(session, key=key)
    article = body.to_article()
    await editing.create_article(session, article=article, staff_id=editor.id, note=body.note or "from questions")
    audit.record("create", "article", article.id, after={"from_unanswered_group": key})
    content_changed(background, services)
    return await _link(key, article.id, editor, session, audit)


@router.post("/groups/{key}/dismiss")
async def dismiss_group(key: GroupKey, editor: EditorStaff, session: SessionDep, audit: Audit) -> DismissOut:
    """Nothing to answer here (spam, off topic): the questions leave the list."""
    count = await unanswered.dismiss_group(session, key=key, staff_id=editor.id)
    audit.record("dismiss", "unanswered_group", key, after={"questions": count})
    return DismissOut(dismissed=count)
