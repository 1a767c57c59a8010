"""Unanswered questions: grouped by wording with counts, then linked to an article, made one, or dismissed."""

from __future__ import annotations

from datetime import timedelta

import httpx

from knowledge.models import UnansweredQuestion
from tests.admin_api.conftest import Person
from ughi.db import transaction, utcnow
from ughi.services import Services

ASKED = [
    ("how do I renew my driving licence abroad", "en", 3),
    ("renew driving licence abroad how", "en", 2),
    ("how to renew driving licence abroad?", "en", 1),
    ("как продлить водительские права за границей", "ru", 1),
    ("buy cheap flights to yerevan", "en", 0),
]


async def ask(services: Services) -> None:
    now = utcnow()
    async with transaction(services.sessions) as session:
        for text, lang, days_ago in ASKED:
            session.add(
                UnansweredQuestion(
                    text=text,
                    lang=lang,
                    decision="none",
                    candidates=[{"article": "bank-account", "score": 0.2}],
                    created_at=now - timedelta(days=days_ago),
                )
            )


async def test_similar_questions_are_grouped_with_counts_languages_and_dates(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    await ask(services)
    groups = (await client.get("/unanswered/groups", headers=staff["editor"].headers)).json()["items"]
    top = groups[0]
    assert top["count"] == 3 and top["languages"] == {"en": 3} and top["text"] == ASKED[0][0]
    assert top["first_seen"] < top["last_seen"]
    assert top["suggested_articles"] == ["bank-account"]
    assert sorted(g["count"] for g in groups) == [1, 1, 3]
    detail = (await client.get(f"/unanswered/groups/{top['key']}", headers=staff["editor"].headers)).json()
    assert detail["questions"] == [text for text, _, _ in ASKED[:3]]


async def test_linking_a_group_teaches_the_article_its_questions(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    editor = staff["editor"]
    await ask(services)
    top = (await client.get("/unanswered/groups", headers=editor.headers)).json()["items"][0]
    linked = await client.post(
        f"/unanswered/groups/{top['key']}/link", headers=editor.headers, json={"article_id": "passport-renewal-abroad"}
    )
    assert linked.status_code == 200, linked.text
    result = linked.json()
    assert result["added"] == {"en": [text for text, _, _ in ASKED[:3]]} and result["not_added"] == []
    assert set(result["added"]["en"]) <= set(result["article"]["translations"]["en"]["questions"])
    versions = (await client.get("/articles/passport-renewal-abroad/versions", headers=editor.headers)).json()
    assert versions["items"][0]["action"] == "linked"
    remaining = (await client.get("/unanswered/groups", headers=editor.headers)).json()["items"]
    assert top["key"] not in [g["key"] for g in remaining]
    again = await client.post(
        f"/unanswered/groups/{top['key']}/link", headers=editor.headers, json={"article_id": "bank-account"}
    )
    assert again.status_code == 404  # already resolved
    preview = await client.post(
        "/search/preview", headers=editor.headers, json={"text": "how do I renew my driving licence abroad"}
    )
    assert preview.json()["hits"][0]["article_id"] == "passport-renewal-abroad"


async def test_a_group_becomes_a_new_article_or_is_dismissed(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    editor = staff["editor"]
    await ask(services)
    groups = (await client.get("/unanswered/groups", headers=editor.headers)).json()["items"]
    russian = next(g for g in groups if g["languages"] == {"ru": 1})
    new = {
        "id": "driving-licence-abroad",
        "topic": "documents",
        "translations": {"ru": {"title": "Водительские права за границей", "body": "Обратитесь в консульство."}},
    }
    made = await client.post(f"/unanswered/groups/{russian['key']}/article", headers=editor.headers, json=new)
    assert made.status_code == 201, made.text
    article = made.json()["article"]
    assert article["status"] == "draft" and article["translations"]["ru"]["questions"] == [ASKED[3][0]]
    flights = next(g for g in groups if g["text"] == "buy cheap flights to yerevan")
    dismissed = await client.post(f"/unanswered/groups/{flights['key']}/dismiss", headers=editor.headers)
    assert dismissed.json() == {"dismissed": 1}
    left = (await client.get("/unanswered/groups", headers=editor.headers)).json()["items"]
    assert [g["count"] for g in left] == [3]
