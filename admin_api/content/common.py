"""What the content routes share: the expected languages, reading an article, refreshing the bot's index."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import BackgroundTasks
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.content.schemas import ArticleRead, TranslationRead, TranslationStateRead
from knowledge import editing
from knowledge.articles import Article, article_to_dict
from knowledge.freshness import translation_states
from ughi.services import Services
from ughi.settings import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)
LANGUAGES = SUPPORTED_LANGUAGES  # every article is expected in these; others present are reported too


async def refresh_knowledge(services: Services) -> None:
    """Rebuild this process's index now (other processes notice the change within seconds by polling)."""
    try:
        await services.knowledge.refresh(services.sessions)
    except Exception:  # the periodic follower tries again; an edit must not fail for this
        log.exception("knowledge refresh after an edit failed")


def content_changed(background: BackgroundTasks, services: Services, *articles: Article | None) -> None:
    """After the response, rebuild this process's index if the bot can see the change: always for topics and
    imports, for articles only when published before or after (draft edits wait for the periodic follower)."""
    if not articles or any(article is not None and article.published for article in articles):
        background.add_task(refresh_knowledge, services)


def audit_view(article: Article | None) -> dict[str, Any] | None:
    return article_to_dict(article) if article is not None else None


async def read_article(session: AsyncSession, *, article_id: str) -> ArticleRead:
    article = await editing.get_article(session, article_id=article_id)
    states = await translation_states(session, article_ids=[article_id], languages=LANGUAGES)
    return ArticleRead(
        id=article.id,
        topic=article.topic,
        status=article.status,
        tags=list(article.tags),
        version=await editing.current_version(session, article_id=article_id),
        translations={
            lang: TranslationRead(
                title=tr.title, body=tr.body, questions=list(tr.questions), keywords=list(tr.keywords)
            )
            for lang, tr in article.translations.items()
        },
        translation_states=[TranslationStateRead.of(state) for state in states[article_id]],
    )
