"""Writing topics: create, rename, reorder, delete an empty one."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.errors import ContentConflict, ContentNotFound
from knowledge.models import ArticleRow, TopicRow
from ughi.db import utcnow


async def get_topic(session: AsyncSession, *, topic_id: str) -> TopicRow:
    topic = await session.get(TopicRow, topic_id)
    if topic is None:
        raise ContentNotFound(f"no topic {topic_id!r}")
    return topic


async def create_topic(
    session: AsyncSession, *, topic_id: str, title: Mapping[str, str], emoji: str = "", position: int | None = None
) -> TopicRow:
    """A new topic, last in the menu unless a position is given."""
    if await session.get(TopicRow, topic_id) is not None:
        raise ContentConflict(f"topic id {topic_id!r} is already used")
    if position is None:
        position = int(await session.scalar(select(func.coalesce(func.max(TopicRow.position), -1))) or 0) + 1
    topic = TopicRow(id=topic_id, title=dict(title), emoji=emoji, position=position)
    session.add(topic)
    await session.flush()
    return topic


async def update_topic(
    session: AsyncSession,
    *,
    topic_id: str,
    title: Mapping[str, str] | None = None,
    emoji: str | None = None,
    position: int | None = None,
) -> TopicRow:
    """Rename or move a topic; its articles are touched so every process notices and rebuilds its menu."""
    topic = await get_topic(session, topic_id=topic_id)
    if title is not None:
        topic.title = {**topic.title, **title}
    if emoji is not None:
        topic.emoji = emoji
    if position is not None:
        topic.position = position
    # the content revision every process polls counts topics but sees only articles' times
    await session.execute(update(ArticleRow).where(ArticleRow.topic_id == topic_id).values(updated_at=utcnow()))
    await session.flush()
    return topic


async def delete_topic(session: AsyncSession, *, topic_id: str) -> None:
    """Delete a topic that holds no articles."""
    topic = await get_topic(session, topic_id=topic_id)
    count = await session.scalar(select(func.count()).select_from(ArticleRow).where(ArticleRow.topic_id == topic_id))
    if count:
        raise ContentConflict(f"topic {topic_id} still holds {count} articles: move or delete them first")
    await session.delete(topic)
    await session.flush()
