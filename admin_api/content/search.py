"""What the bot would answer to a question, from the index it uses right now, with scores."""

from __future__ import annotations

from fastapi import APIRouter

from admin_api.content.schemas import SearchHitRead, SearchPreviewIn, SearchPreviewOut
from admin_api.deps import CurrentStaff, ServicesDep
from knowledge.search import Hit
from knowledge.service import KnowledgeBase

router = APIRouter(prefix="/search", tags=["content"])


def _hit(knowledge: KnowledgeBase, hit: Hit) -> SearchHitRead:
    article = knowledge.article(hit.article_id)
    title = article.translation(hit.lang).title if article is not None else ""
    topic = article.topic if article is not None else ""
    return SearchHitRead(article_id=hit.article_id, score=hit.score, lang=hit.lang, title=title, topic=topic)


@router.post("/preview")
async def preview(body: SearchPreviewIn, staff: CurrentStaff, services: ServicesDep) -> SearchPreviewOut:
    """The decision (answer, choices or none) and the ranked articles, as the bot would see them."""
    result = services.knowledge.search(body.text, body.lang)
    hits = [_hit(services.knowledge, hit) for hit in result.hits]
    return SearchPreviewOut(
        decision=result.decision,
        query_lang=result.query_lang,
        coverage=round(result.coverage, 4),
        hits=hits,
        answer=hits[0] if result.decision == "answer" and hits else None,
    )
