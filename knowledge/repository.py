"""All knowledge-base queries: content import/export, unanswered questions, feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.articles import Article, ContentSet, Topic, Translation
from knowledge.models import (
    ArticleFeedback,
    ArticleRow,
    ArticleTranslationRow,
    SynonymsRow,
    TopicRow,
    UnansweredQuestion,
)
from ughi.db import utcnow


async def has_content(session: AsyncSession) -> bool:
    return (await session.scalar(select(func.count()).select_from(TopicRow))) != 0


async def import_content(session: AsyncSession, content: ContentSet) -> int:
    """Upsert topics, articles and synonyms from `content`; returns the number of articles written."""
    for position, topic in enumerate(content.topics):
        row = await session.get(TopicRow, topic.id)
        if row is None:
            row = TopicRow(id=topic.id)
            session.add(row)
        row.position, row.emoji, row.title = position, topic.emoji, dict(topic.title)
    await session.flush()
    for article in content.articles:
        await _upsert_article(session, article)
    for lang, groups in content.synonyms.items():
        syn = await session.get(SynonymsRow, lang)
        if syn is None:
            session.add(SynonymsRow(lang=lang, groups=groups))
        else:
            syn.groups = groups
    await session.flush()
    return len(content.articles)


async def _upsert_article(session: AsyncSession, article: Article) -> None:
    row = await session.get(ArticleRow, article.id)
    if row is None:
        row = ArticleRow(id=article.id)
        session.add(row)
    row.topic_id, row.status, row.tags, row.updated_at = article.topic, article.status, list(article.tags), utcnow()
    await session.execute(delete(ArticleTranslationRow).where(ArticleTranslationRow.article_id == article.id))
    await session.flush()
    for tr in article.translations.values():
        session.add(
            ArticleTranslationRow(
                article_id=article.id,
                lang=tr.lang,
                title=tr.title,
                body=tr.body,
                questions=list(tr.questions),
                keywords=list(tr.keywords),
            )
        )


async def load_topics(session: AsyncSession) -> list[Topic]:
    return [
        Topic(id=row.id, title=dict(row.title), emoji=row.emoji)
        for row in (await session.scalars(select(TopicRow).order_by(TopicRow.position, TopicRow.id))).all()
    ]


async def load_synonyms(session: AsyncSession) -> dict[str, list[list[str]]]:
    return {row.lang: row.groups for row in (await session.scalars(select(SynonymsRow))).all()}


async def load_content(session: AsyncSession) -> ContentSet:
    """The editable copy in the database, drafts included, as plain content objects."""
    topics = await load_topics(session)
    by_article: dict[str, dict[str, Translation]] = {}
    for tr in (await session.scalars(select(ArticleTranslationRow))).all():
        by_article.setdefault(tr.article_id, {})[tr.lang] = Translation(
            lang=tr.lang,
            title=tr.title,
            body=tr.body,
            questions=tuple(tr.questions or ()),
            keywords=tuple(tr.keywords or ()),
        )
    articles = [
        Article(
            id=row.id,
            topic=row.topic_id,
            status=row.status,
            tags=tuple(row.tags or ()),
            translations=by_article.get(row.id, {}),
        )
        for row in (await session.scalars(select(ArticleRow).order_by(ArticleRow.id))).all()
        if by_article.get(row.id)
    ]
    return ContentSet(topics=topics, articles=articles, synonyms=await load_synonyms(session))


async def published_articles(session: AsyncSession, chunk: int = 500) -> AsyncIterator[list[Article]]:
    """The published articles with their translations, in the order of `load_content`, `chunk` articles at a
    time: a large knowledge base is read without ever holding all of its rows."""
    heads = (
        await session.execute(
            select(ArticleRow.id, ArticleRow.topic_id, ArticleRow.tags)
            .where(ArticleRow.status == "published")
            .order_by(ArticleRow.id)
        )
    ).all()
    tr = ArticleTranslationRow
    for start in range(0, len(heads), chunk):
        part = heads[start : start + chunk]
        rows = await session.execute(
            select(tr.article_id, tr.lang, tr.title, tr.body, tr.questions, tr.keywords).where(
                tr.article_id.in_([head.id for head in part])
            )
        )
        by_article: dict[str, dict[str, Translation]] = {}
        for article_id, lang, title, body, questions, keywords in rows:
            by_article.setdefault(article_id, {})[lang] = Translation(
                lang=lang, title=title, body=body, questions=tuple(questions or ()), keywords=tuple(keywords or ())
            )
        yield [
            Article(id=article_id, topic=topic, status="published", tags=tuple(tags or ()), translations=translations)
            for article_id, topic, tags in part
            if (translations := by_article.get(article_id))
        ]


async def content_revision(session: AsyncSession) -> str:
    """Changes whenever content changes: lets every process notice an edit and rebuild its index."""
    art = (await session.execute(select(func.count(), func.max(ArticleRow.updated_at)))).one()
    tr = (await session.execute(select(func.count(), func.max(ArticleTranslationRow.updated_at)))).one()
    topics = await session.scalar(select(func.count()).select_from(TopicRow))
    return f"{art[0]}|{art[1]}|{tr[0]}|{tr[1]}|{topics}"


async def log_unanswered(
    session: AsyncSession,
    *,
    text: str,
    lang: str | None,
    decision: str,
    candidates: list[dict[str, Any]],
    contact_id: int | None,
) -> None:
    """Keep a question Ughi could not answer confidently, for staff (a Core insert: a busy bot logs many, and
    nothing needs them as objects in the session)."""
    row = {"text": text[:2000], "lang": lang, "decision": decision, "candidates": candidates, "contact_id": contact_id}
    await (await session.connection()).execute(_INSERT_UNANSWERED, {**row, "created_at": utcnow()})


async def record_feedback(
    session: AsyncSession, *, article_id: str, helpful: bool, lang: str | None, contact_id: int | None
) -> None:
    row = {"article_id": article_id, "helpful": helpful, "lang": lang, "contact_id": contact_id}
    await (await session.connection()).execute(_INSERT_FEEDBACK, {**row, "created_at": utcnow()})


_INSERT_UNANSWERED = insert(cast(Table, UnansweredQuestion.__table__))  # built once, like the engine's statements
_INSERT_FEEDBACK = insert(cast(Table, ArticleFeedback.__table__))
