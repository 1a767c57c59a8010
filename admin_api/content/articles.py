"""Articles for editors: list, create, read, change, publish, delete, and single translations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.content.common import LANGUAGES, audit_view, content_changed, read_article
from admin_api.content.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleSummary,
    ArticleUpdate,
    Status,
    TranslationPatch,
    TranslationStateRead,
)
from admin_api.deps import Audit, EditorStaff, ServicesDep, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import ArticleIdPath, LangPath, Text, TopicId
from admin_api.problems import InvalidInput, problem_responses
from knowledge import editing
from knowledge.articles import Article, Translation
from knowledge.freshness import confirm_translation, translation_states
from knowledge.models import ArticleRow, ArticleTranslationRow

router = APIRouter(prefix="/articles", tags=["content"])


@router.get("")
async def list_articles(
    editor: EditorStaff,
    session: SessionDep,
    topic: TopicId | None = None,
    status: Status | None = None,
    q: Annotated[Text | None, Query(max_length=200, description="part of the id or of a title")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ArticleSummary]:
    """Articles by id, with their titles and the state of each translation."""
    query = select(ArticleRow).order_by(ArticleRow.id)
    after = decode_cursor(cursor, str)
    if after:
        query = query.where(ArticleRow.id > after[0])
    if topic:
        query = query.where(ArticleRow.topic_id == topic)
    if status:
        query = query.where(ArticleRow.status == status)
    if q:
        titled = select(ArticleTranslationRow.article_id).where(ArticleTranslationRow.title.ilike(f"%{q}%"))
        query = query.where(or_(ArticleRow.id.contains(q.lower()), ArticleRow.id.in_(titled)))
    rows, next_cursor = page_of(list(await session.scalars(query.limit(limit + 1))), limit, lambda r: (r.id,))
    return Page(items=await _summaries(session, rows), next_cursor=next_cursor)


async def _summaries(session: AsyncSession, rows: list[ArticleRow]) -> list[ArticleSummary]:
    ids = [row.id for row in rows]
    titles: dict[str, dict[str, str]] = {article_id: {} for article_id in ids}
    for tr in await session.scalars(select(ArticleTranslationRow).where(ArticleTranslationRow.article_id.in_(ids))):
        titles[tr.article_id][tr.lang] = tr.title
    states = await translation_states(session, article_ids=ids, languages=LANGUAGES)
    return [
        ArticleSummary(
            id=row.id,
            topic=row.topic_id,
            status=row.status,
            titles=titles[row.id],
            translation_states=[TranslationStateRead.of(s) for s in states[row.id]],
        )
        for row in rows
    ]


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_article(
    body: ArticleCreate,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> ArticleRead:
    """A new article (a draft unless `status` says published)."""
    article = body.to_article()
    await editing.create_article(session, article=article, staff_id=editor.id, note=body.note)
    audit.record("create", "article", article.id, after=audit_view(article))
    content_changed(background, services, article)
    return await read_article(session, article_id=article.id)


@router.get("/{article_id}")
async def get_article(article_id: ArticleIdPath, editor: EditorStaff, session: SessionDep) -> ArticleRead:
    return await read_article(session, article_id=article_id)


def _merge(old: Article, patches: dict[str, TranslationPatch]) -> dict[str, Translation]:
    merged: dict[str, Translation] = {}
    for lang, patch in patches.items():
        current = old.translations.get(lang)
        title = patch.title if patch.title is not None else (current.title if current else None)
        body = patch.body if patch.body is not None else (current.body if current else None)
        if title is None or body is None:
            raise InvalidInput(f"the new {lang} translation needs a title and a body", field=f"translations.{lang}")
        questions = patch.questions if patch.questions is not None else (current.questions if current else ())
        keywords = patch.keywords if patch.keywords is not None else (current.keywords if current else ())
        merged[lang] = Translation(lang, title.strip(), body.strip(), tuple(questions), tuple(keywords))
    return merged


@router.patch("/{article_id}", responses=problem_responses(409))
async def update_article(
    article_id: ArticleIdPath,
    body: ArticleUpdate,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> ArticleRead:
    """Change the topic, tags or some translations in one save; a published article changes for the bot at once."""
    old = await editing.get_article(session, article_id=article_id)
    await editing.update_article(
        session,
        article_id=article_id,
        topic=body.topic,
        tags=body.tags,
        translations=_merge(old, body.translations or {}),
        staff_id=editor.id,
        note=body.note,
        base_version=body.base_version,
    )
    new = await editing.get_article(session, article_id=article_id)
    audit.record("update", "article", article_id, before=audit_view(old), after=audit_view(new))
    content_changed(background, services, old, new)
    return await read_article(session, article_id=article_id)


@router.delete("/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_article(
    article_id: ArticleIdPath,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> None:
    """Delete an article; its versions stay and any of them can be restored."""
    old = await editing.get_article(session, article_id=article_id)
    await editing.delete_article(session, article_id=article_id, staff_id=editor.id)
    audit.record("delete", "article", article_id, before=audit_view(old))
    content_changed(background, services, old)


async def _set_status(
    article_id: str, status: str, editor: EditorStaff, session: SessionDep, audit: Audit
) -> ArticleRead:
    old = await editing.get_article(session, article_id=article_id)
    await editing.set_status(session, article_id=article_id, status=status, staff_id=editor.id)
    audit.record(
        "publish" if status == "published" else "unpublish",
        "article",
        article_id,
        before={"status": old.status},
        after={"status": status},
    )
    return await read_article(session, article_id=article_id)


@router.post("/{article_id}/publish", responses=problem_responses(409))
async def publish(
    article_id: ArticleIdPath,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> ArticleRead:
    """The bot shows this article (within seconds, in every process)."""
    content_changed(background, services)  # published from now
    return await _set_status(article_id, "published", editor, session, audit)


@router.post("/{article_id}/unpublish")
async def unpublish(
    article_id: ArticleIdPath,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> ArticleRead:
    """Back to draft: the bot stops showing it."""
    content_changed(background, services)  # it was visible until now
    return await _set_status(article_id, "draft", editor, session, audit)


@router.delete("/{article_id}/translations/{lang}", responses=problem_responses(409))
async def delete_translation(
    article_id: ArticleIdPath,
    lang: LangPath,
    editor: EditorStaff,
    session: SessionDep,
    audit: Audit,
    services: ServicesDep,
    background: BackgroundTasks,
) -> ArticleRead:
    old = await editing.get_article(session, article_id=article_id)
    await editing.delete_translation(session, article_id=article_id, lang=lang, staff_id=editor.id)
    audit.record("delete", "translation", f"{article_id}/{lang}", before=audit_view(old))
    content_changed(background, services, old)
    return await read_article(session, article_id=article_id)


@router.post("/{article_id}/translations/{lang}/confirm")
async def confirm(
    article_id: ArticleIdPath, lang: LangPath, editor: EditorStaff, session: SessionDep, audit: Audit
) -> ArticleRead:
    """A translator checked this translation against the changed ones: it is up to date again."""
    await confirm_translation(session, article_id=article_id, lang=lang, staff_id=editor.id)
    audit.record("confirm", "translation", f"{article_id}/{lang}")
    return await read_article(session, article_id=article_id)
