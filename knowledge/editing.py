"""Writing articles: save, publish, delete, restore, each recorded as a version with who and when."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.articles import Article, ContentError, Translation, article_to_dict, parse_article
from knowledge.editing_models import ArticleVersion, TranslationEdit
from knowledge.errors import ContentConflict, ContentNotFound, StaleVersion
from knowledge.freshness import states_for
from knowledge.models import ArticleRow, ArticleTranslationRow, TopicRow
from ughi.db import utcnow


async def load_article(session: AsyncSession, *, article_id: str) -> Article | None:
    """The editable copy of one article, drafts and translation-less articles included."""
    row = await session.get(ArticleRow, article_id)
    if row is None:
        return None
    rows = await session.scalars(
        select(ArticleTranslationRow)
        .where(ArticleTranslationRow.article_id == article_id)
        .order_by(ArticleTranslationRow.lang)
    )
    translations = {
        tr.lang: Translation(
            lang=tr.lang,
            title=tr.title,
            body=tr.body,
            questions=tuple(tr.questions or ()),
            keywords=tuple(tr.keywords or ()),
        )
        for tr in rows
    }
    return Article(
        id=row.id, topic=row.topic_id, translations=translations, status=row.status, tags=tuple(row.tags or ())
    )


async def get_article(session: AsyncSession, *, article_id: str) -> Article:
    """The article, or ContentNotFound."""
    article = await load_article(session, article_id=article_id)
    if article is None:
        raise ContentNotFound(f"no article {article_id!r}")
    return article


async def current_version(session: AsyncSession, *, article_id: str) -> int:
    """The number of the latest version (0 before the first recorded save, e.g. after a file import)."""
    number = await session.scalar(
        select(func.max(ArticleVersion.number)).where(ArticleVersion.article_id == article_id)
    )
    return int(number or 0)


async def versions_of(session: AsyncSession, *, article_ids: Sequence[str]) -> dict[str, int]:
    """The latest version number of each article."""
    rows = await session.execute(
        select(ArticleVersion.article_id, func.max(ArticleVersion.number))
        .where(ArticleVersion.article_id.in_(list(article_ids)))
        .group_by(ArticleVersion.article_id)
    )
    return {article_id: int(number) for article_id, number in rows.all()}


async def save_article(
    session: AsyncSession,
    *,
    article: Article,
    action: str,
    staff_id: int | None,
    note: str = "",
    base_version: int | None = None,
) -> int:
    """Make `article` the current state of its id and record it as a new version; returns its number.
    Saving what is already there changes nothing and returns the current number."""
    if await session.get(TopicRow, article.topic) is None:
        raise ContentError(f"topic {article.topic!r} does not exist")
    if article.published and not article.translations:
        raise ContentConflict("a published article needs at least one translation")
    now = utcnow()
    old = await load_article(session, article_id=article.id)
    number = await _next_version(
        session, old=old, article_id=article.id, base_version=base_version, now=now, new=article
    )
    if number is None:
        return await current_version(session, article_id=article.id)
    await _write_rows(session, article=article, staff_id=staff_id, now=now)
    session.add(
        ArticleVersion(
            article_id=article.id,
            number=number,
            action=action,
            snapshot=article_to_dict(article),
            staff_id=staff_id,
            note=note[:500],
            created_at=now,
        )
    )
    await session.flush()
    return number


async def _next_version(
    session: AsyncSession,
    *,
    old: Article | None,
    article_id: str,
    base_version: int | None,
    now: datetime,
    new: Article | None = None,
) -> int | None:
    """The number of the version about to be saved (None: `new` is what is there already)."""
    number = await current_version(session, article_id=article_id)
    if base_version is not None and base_version != number:
        raise StaleVersion(f"article {article_id} is at version {number}, not {base_version}: reload and edit again")
    if old is not None and new is not None and article_to_dict(old) == article_to_dict(new):
        return None
    if old is not None and number == 0:
        # the first recorded save of imported content: keep what was there, so it can be restored
        session.add(
            ArticleVersion(
                article_id=article_id,
                number=1,
                action="baseline",
                snapshot=article_to_dict(old),
                staff_id=None,
                note="as it was before the first edit",
                created_at=now,
            )
        )
        number = 1
    return number + 1


async def _write_rows(session: AsyncSession, *, article: Article, staff_id: int | None, now: datetime) -> None:
    row = await session.get(ArticleRow, article.id)
    if row is None:
        row = ArticleRow(id=article.id)
        session.add(row)
    row.topic_id, row.status, row.tags, row.updated_at = article.topic, article.status, list(article.tags), now
    await session.flush()
    existing = {
        tr.lang: tr
        for tr in await session.scalars(
            select(ArticleTranslationRow).where(ArticleTranslationRow.article_id == article.id)
        )
    }
    edits = {
        edit.lang: edit
        for edit in await session.scalars(select(TranslationEdit).where(TranslationEdit.article_id == article.id))
    }
    following = {s.lang for s in states_for(existing, edits, ()) if s.state == "outdated"}
    following |= set(article.translations) - set(existing)
    text_changed: list[str] = []
    for lang, tr in article.translations.items():
        current = existing.pop(lang, None)
        if current is None:
            current = ArticleTranslationRow(article_id=article.id, lang=lang, title=tr.title, body=tr.body)
            session.add(current)
            text_changed.append(lang)
        elif (current.title, current.body) != (tr.title, tr.body):
            text_changed.append(lang)
        new = (tr.title, tr.body, list(tr.questions), list(tr.keywords))
        if (current.title, current.body, list(current.questions or []), list(current.keywords or [])) != new:
            current.title, current.body, current.questions, current.keywords = new
            current.updated_at = now
    for gone in existing.values():
        await session.delete(gone)
        await session.execute(
            delete(TranslationEdit).where(TranslationEdit.article_id == article.id, TranslationEdit.lang == gone.lang)
        )
    await session.flush()
    _mark_text_changes(session, article.id, text_changed, edits, following=following, staff_id=staff_id, now=now)
    await session.flush()


def _mark_text_changes(
    session: AsyncSession,
    article_id: str,
    langs: list[str],
    edits: dict[str, TranslationEdit],
    *,
    following: set[str],
    staff_id: int | None,
    now: datetime,
) -> None:
    """A changed text makes the other languages outdated, unless it was following them: a new translation, or an
    outdated one brought up to date, is synced with the others instead."""
    for lang in langs:
        edit = edits.get(lang)
        if edit is None:
            edit = TranslationEdit(article_id=article_id, lang=lang)
            session.add(edit)
        if lang in following:
            edit.reviewed_at = now
        else:
            edit.text_changed_at = now
        edit.staff_id = staff_id


async def create_article(session: AsyncSession, *, article: Article, staff_id: int | None, note: str = "") -> int:
    """A new article; ContentConflict when the id is taken."""
    if await session.get(ArticleRow, article.id) is not None:
        raise ContentConflict(f"article id {article.id!r} is already used")
    return await save_article(session, article=article, action="created", staff_id=staff_id, note=note)


async def update_article(
    session: AsyncSession,
    *,
    article_id: str,
    topic: str | None = None,
    tags: Sequence[str] | None = None,
    translations: Mapping[str, Translation] | None = None,
    staff_id: int | None,
    note: str = "",
    base_version: int | None = None,
) -> int:
    """Change the topic, tags and the given translations (others stay as they are)."""
    old = await get_article(session, article_id=article_id)
    merged = {**old.translations, **(translations or {})}
    new = dataclasses.replace(
        old,
        topic=topic if topic is not None else old.topic,
        tags=tuple(tags) if tags is not None else old.tags,
        translations=merged,
    )
    return await save_article(
        session, article=new, action="updated", staff_id=staff_id, note=note, base_version=base_version
    )


async def set_status(session: AsyncSession, *, article_id: str, status: str, staff_id: int | None) -> int:
    """Publish (the bot shows it) or take back to draft."""
    old = await get_article(session, article_id=article_id)
    action = "published" if status == "published" else "unpublished"
    return await save_article(
        session, article=dataclasses.replace(old, status=status), action=action, staff_id=staff_id
    )


async def delete_translation(session: AsyncSession, *, article_id: str, lang: str, staff_id: int | None) -> int:
    """Remove one language of an article; the last one cannot go (delete the article instead)."""
    old = await get_article(session, article_id=article_id)
    if lang not in old.translations:
        raise ContentNotFound(f"article {article_id} has no {lang} translation")
    if len(old.translations) == 1:
        raise ContentConflict("an article needs at least one translation: delete the article instead")
    rest = {code: tr for code, tr in old.translations.items() if code != lang}
    return await save_article(
        session,
        article=dataclasses.replace(old, translations=rest),
        action="updated",
        staff_id=staff_id,
        note=f"deleted the {lang} translation",
    )


async def delete_article(session: AsyncSession, *, article_id: str, staff_id: int | None) -> int:
    """Delete an article; its history stays, so it can be restored."""
    old = await get_article(session, article_id=article_id)
    now = utcnow()
    number = await _next_version(session, old=old, article_id=article_id, base_version=None, now=now)
    assert number is not None  # without a new state to compare, there is always a next version
    session.add(
        ArticleVersion(
            article_id=article_id,
            number=number,
            action="deleted",
            snapshot=article_to_dict(old),
            staff_id=staff_id,
            created_at=now,
        )
    )
    await session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
    await session.flush()
    return number


async def list_versions(
    session: AsyncSession, *, article_id: str, before: int | None, limit: int
) -> list[ArticleVersion]:
    """Versions of an article, newest first."""
    query = select(ArticleVersion).where(ArticleVersion.article_id == article_id)
    if before is not None:
        query = query.where(ArticleVersion.number < before)
    return list(await session.scalars(query.order_by(ArticleVersion.number.desc()).limit(limit)))


async def get_version(session: AsyncSession, *, article_id: str, number: int) -> ArticleVersion:
    version = await session.scalar(
        select(ArticleVersion).where(ArticleVersion.article_id == article_id, ArticleVersion.number == number)
    )
    if version is None:
        raise ContentNotFound(f"article {article_id} has no version {number}")
    return version


async def restore_version(session: AsyncSession, *, article_id: str, number: int, staff_id: int | None) -> int:
    """Make an old version current again (also brings back a deleted article), as a new version."""
    version = await get_version(session, article_id=article_id, number=number)
    article = parse_article(version.snapshot, f"version {number} of {article_id}")
    return await save_article(
        session, article=article, action="restored", staff_id=staff_id, note=f"restored version {number}"
    )
