"""All content in one YAML document (topics, synonyms, articles), for export and for import with history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import repository
from knowledge.articles import (
    ContentError,
    ContentSet,
    article_to_dict,
    dump_yaml,
    parse_article,
    parse_synonyms,
    parse_topics,
)
from knowledge.editing import load_article, save_article
from knowledge.models import ArticleRow, SynonymsRow, TopicRow
from ughi.db import utcnow


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    topics: int = 0
    synonyms_changed: bool = False


def dump_bundle(content: ContentSet) -> str:
    """One YAML document: `topics`, `synonyms`, `articles` (each in the shape of an article file)."""
    data: dict[str, Any] = {
        "topics": [{"id": t.id, "emoji": t.emoji, "title": dict(t.title)} for t in content.topics],
        "synonyms": content.synonyms,
        "articles": [article_to_dict(a) for a in content.articles],
    }
    return dump_yaml(data)


def parse_bundle(text: str) -> ContentSet:
    """Validate a bundle; a single article document (as in an article file) is accepted too."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ContentError(f"not valid YAML ({exc})") from exc
    if isinstance(data, dict) and "translations" in data:
        return ContentSet(articles=[parse_article(data, "article")])
    if not isinstance(data, dict):
        raise ContentError("expected a mapping with topics, synonyms and articles")
    unknown = set(data) - {"topics", "synonyms", "articles"}
    if unknown:
        raise ContentError(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    raw_articles = data.get("articles") or []
    if not isinstance(raw_articles, list):
        raise ContentError("articles must be a list")
    articles = [parse_article(item, f"articles[{i}]") for i, item in enumerate(raw_articles)]
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        raise ContentError("an article id appears twice")
    topics = parse_topics(data["topics"], "topics") if data.get("topics") is not None else []
    return ContentSet(topics=topics, articles=articles, synonyms=parse_synonyms(data.get("synonyms"), "synonyms"))


async def export_bundle(session: AsyncSession) -> str:
    return dump_bundle(await repository.load_content(session))


async def import_bundle(session: AsyncSession, *, content: ContentSet, staff_id: int | None) -> ImportReport:
    """Upsert topics and synonyms; save each changed article as a new version. Nothing is deleted."""
    report = ImportReport(topics=len(content.topics))
    topics_changed = await _import_topics(session, content)
    known = set(await session.scalars(select(TopicRow.id)))
    for article in content.articles:
        if article.topic not in known:
            raise ContentError(f"article {article.id}: topic {article.topic!r} does not exist")
        old = await load_article(session, article_id=article.id)
        if old is not None and article_to_dict(old) == article_to_dict(article):
            report.unchanged.append(article.id)
            continue
        await save_article(session, article=article, action="imported", staff_id=staff_id, note="YAML import")
        (report.created if old is None else report.updated).append(article.id)
    report.synonyms_changed = await _import_synonyms(session, content.synonyms)
    if report.synonyms_changed or topics_changed:
        # every process rebuilds its index when an article's time moves; synonyms and topic titles count too
        await session.execute(update(ArticleRow).values(updated_at=utcnow()))
    await session.flush()
    return report


async def _import_topics(session: AsyncSession, content: ContentSet) -> bool:
    changed = False
    for position, topic in enumerate(content.topics):
        row = await session.get(TopicRow, topic.id)
        if row is None:
            row = TopicRow(id=topic.id, title={})
            session.add(row)
        new = (position, topic.emoji, dict(topic.title))
        if (row.position, row.emoji, row.title) != new:
            row.position, row.emoji, row.title = new
            changed = True
    await session.flush()
    return changed


async def _import_synonyms(session: AsyncSession, synonyms: dict[str, list[list[str]]]) -> bool:
    changed = False
    for lang, groups in synonyms.items():
        row = await session.get(SynonymsRow, lang)
        if row is None:
            session.add(SynonymsRow(lang=lang, groups=groups))
            changed = True
        elif row.groups != groups:
            row.groups = groups
            changed = True
    return changed
