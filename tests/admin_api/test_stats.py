"""Statistics: contacts by language and channel, intake funnels with the drop-off step, leads, search answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from bot.flows.models import FlowRun
from bot.models import Contact, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from tests.admin_api.conftest import Person
from tests.admin_api.seed import person_with_lead
from ughi.db import transaction
from ughi.services import Services

MONDAY = datetime(2026, 11, 2, 10, tzinfo=UTC)
RANGE = {"since": "2026-10-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}


async def test_contacts_by_language_and_channel_over_time(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    async with transaction(services.sessions) as session:
        for i, (channel, lang, day) in enumerate(
            [("telegram", "hy", 0), ("telegram", "hy", 1), ("web", "ru", 2), ("telegram", "en", 8), ("web", "ru", 40)]
        ):
            seen = MONDAY + timedelta(days=day)
            session.add(Contact(channel=channel, external_id=str(i), language=lang, first_seen=seen, last_seen=seen))
    weekly = (await client.get("/stats/contacts", headers=staff["editor"].headers, params=RANGE)).json()
    assert weekly == [
        {"period": "2026-11-02", "channel": "telegram", "language": "hy", "contacts": 2},
        {"period": "2026-11-02", "channel": "web", "language": "ru", "contacts": 1},
        {"period": "2026-11-09", "channel": "telegram", "language": "en", "contacts": 1},
    ]
    monthly = await client.get("/stats/contacts", headers=staff["admin"].headers, params={**RANGE, "period": "month"})
    assert [(row["period"], row["channel"], row["language"], row["contacts"]) for row in monthly.json()] == [
        ("2026-11-01", "telegram", "en", 1),
        ("2026-11-01", "telegram", "hy", 2),
        ("2026-11-01", "web", "ru", 1),
    ]
    backwards = {"since": RANGE["until"], "until": RANGE["since"]}
    assert (await client.get("/stats/contacts", headers=staff["admin"].headers, params=backwards)).status_code == 422


async def test_a_funnel_per_flow_shows_where_people_drop_off(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    runs = [
        ("submitted", "summary", ["country", "experience", "phone", "summary"]),
        ("active", "experience", ["country", "experience"]),
        ("cancelled", "experience", ["country", "experience"]),
        ("active", "phone", ["country", "experience", "phone"]),
        ("active", "country", ["country"]),
    ]
    async with transaction(services.sessions) as session:
        for status, step, reached in runs:
            session.add(
                FlowRun(
                    flow_id="test_intake",  # no flow file: steps in the order people met them
                    flow_version=1,
                    status=status,
                    step_id=step,
                    reached=reached,
                    started_at=MONDAY,
                    updated_at=MONDAY,
                )
            )
    [funnel] = (await client.get("/stats/flows", headers=staff["counsellor"].headers, params=RANGE)).json()
    assert (funnel["flow_id"], funnel["started"], funnel["submitted"], funnel["cancelled"]) == ("test_intake", 5, 1, 1)
    by_step = {step["step"]: step["reached"] for step in funnel["steps"]}
    assert by_step == {"country": 5, "experience": 4, "phone": 2, "summary": 1}
    assert funnel["drop_off"] == {"step": "experience", "stopped": 2}


async def test_leads_by_status_and_centre_a_counsellor_sees_their_own(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    await person_with_lead(services, external_id="1", created_at=MONDAY)
    await person_with_lead(services, external_id="2", created_at=MONDAY)
    await person_with_lead(services, external_id="3", centre="shirak-gyumri", region="shirak", created_at=MONDAY)
    everything = (await client.get("/stats/leads", headers=staff["admin"].headers, params=RANGE)).json()
    assert everything["total"] == 3 and everything["by_status"] == {"new": 3}
    assert [(c["centre_id"], c["total"]) for c in everything["by_centre"]] == [("shirak-gyumri", 1), ("yerevan", 2)]
    own = (await client.get("/stats/leads", headers=staff["counsellor"].headers, params=RANGE)).json()
    assert own["total"] == 2 and [c["centre_id"] for c in own["by_centre"]] == ["yerevan"]
    assert (await client.get("/stats/leads", headers=staff["editor"].headers)).status_code == 403


async def test_search_answer_rate_and_helpful_rate_over_time(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    async with transaction(services.sessions) as session:
        contact = Contact(channel="web", external_id="s", language="en", first_seen=MONDAY, last_seen=MONDAY)
        session.add(contact)
        await session.flush()
        for i, text in enumerate(["/start", "passport", "bank", "flights", "visa"]):
            session.add(
                TranscriptEntry(
                    contact_id=contact.id,
                    direction="in",
                    kind="text",
                    text=text,
                    created_at=MONDAY + timedelta(minutes=i),
                )
            )
        session.add(UnansweredQuestion(text="flights", lang="en", decision="none", candidates=[], created_at=MONDAY))
        session.add(UnansweredQuestion(text="visa", lang="en", decision="choices", candidates=[], created_at=MONDAY))
        for helpful in (True, True, True, False):
            session.add(ArticleFeedback(article_id="bank-account", helpful=helpful, lang="en", created_at=MONDAY))
    [week] = (await client.get("/stats/search", headers=staff["editor"].headers, params=RANGE)).json()
    assert week == {
        "period": "2026-11-02",
        "questions": 4,
        "answered": 2,
        "unsure": 1,
        "unanswered": 1,
        "answer_rate": 0.5,
        "helpful_yes": 3,
        "helpful_no": 1,
        "helpful_rate": 0.75,
    }
