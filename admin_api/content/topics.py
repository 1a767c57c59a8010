"""Topics of the menu for editors: list, create, rename, reorder, delete an empty one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, status
from sqlalchemy import select, tuple_

from admin_api.content.common import content_changed
from admin_api.content.schemas import TopicCreate, TopicRead, TopicUpdate
from admin_api.deps import Audit, EditorStaff, ServicesDep, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import TopicIdPath
from admin_api.problems import problem_responses
from knowledge import topic_editing
from knowledge.models import TopicRow

router = APIRouter(prefix="/topics", tags=["content"])


def _view(topic: TopicRow) -> dict[str, Any]:
    return TopicRead.model_validate(topic).model_dump()


@router.get("")
async def list_topics(
    editor: EditorStaff, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[TopicRead]:
    """In menu order."""
    query = select(TopicRow).order_by(TopicRow.position, TopicRow.id)
    after = decode_cursor(cursor, int, str)
    if after:
        query = query.where(tuple_(TopicRow.position, TopicRow.id) > tuple_(after[0], after[1]))
    rows, next_cursor = page_of(
        list(await session.scalars(query.limit(limit + 1))), limit, lambda t: (t.position, t.id)
    )
    return Page(items=[TopicRead.model_validate(t) for t in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_topic(
    body: TopicCreate,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
) -> TopicRead:
    """A new topic; it shows in the bot's menu once it holds a published article."""
    topic = await topic_editing.create_topic(
        session, topic_id=body.id, title=body.title, emoji=body.emoji, position=body.position
    )
    audit.record("create", "topic", topic.id, after=_view(topic))
    return TopicRead.model_validate(topic)


@router.get("/{topic_id}")
async def get_topic(topic_id: TopicIdPath, editor: EditorStaff, session: SessionDep) -> TopicRead:
    return TopicRead.model_validate(await topic_editing.get_topic(session, topic_id=topic_id))


@router.patch("/{topic_id}")
async def update_topic(
    topic_id: TopicIdPath,
    body: TopicUpdate,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> TopicRead:
    """Rename (per language) or move; titles not sent stay."""
    before = _view(await topic_editing.get_topic(session, topic_id=topic_id))
    topic = await topic_editing.update_topic(
        session, topic_id=topic_id, title=body.title, emoji=body.emoji, position=body.position
    )
    audit.record("update", "topic", topic_id, before=before, after=_view(topic))
    content_changed(background, services)
    return TopicRead.model_validate(topic)


@router.delete("/{topic_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(409))
async def delete_topic(topic_id: TopicIdPath, editor: EditorStaff, session: SessionDep, audit: Audit) -> None:
    """Only an empty topic can go."""
    before = _view(await topic_editing.get_topic(session, topic_id=topic_id))
    await topic_editing.delete_topic(session, topic_id=topic_id)
    audit.record("delete", "topic", topic_id, before=before)
