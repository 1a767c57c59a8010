"""The knowledge base remembers recent answers, and forgets them as soon as the content changes."""

from __future__ import annotations

from dataclasses import replace

from knowledge import repository
from ughi.db import transaction
from ughi.services import Services


async def test_the_same_question_is_answered_from_memory_until_the_content_changes(services: Services) -> None:
    kb = services.knowledge
    question = "zzqx wobbleferry permit"
    first = kb.search(question, "en")
    assert first.decision == "none"
    assert kb.search("  ZZQX   wobbleferry PERMIT ", "en") is first  # same words: remembered

    async with transaction(services.sessions) as session:
        content = await repository.load_content(session)
        article = content.published()[0]
        en = article.translations["en"]
        changed = replace(
            article, translations={**article.translations, "en": replace(en, questions=(*en.questions, question))}
        )
        await repository.import_content(session, replace(content, articles=[changed]))
    assert await kb.refresh(services.sessions)

    again = kb.search(question, "en")
    assert again is not first
    assert again.hits and again.hits[0].article_id == article.id
