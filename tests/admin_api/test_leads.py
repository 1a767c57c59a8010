"""Leads: a counsellor sees their centre's, filters them, reads answers and conversation, assigns, closes, exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from sqlalchemy import select

from admin_api.models import AuditEntry
from leads.models import Lead
from tests.admin_api.conftest import Person
from tests.admin_api.seed import Seeded, person_with_lead
from ughi.db import transaction, utcnow
from ughi.services import Services


async def three_leads(services: Services) -> list[Seeded]:
    now = utcnow()
    return [
        await person_with_lead(
            services, external_id="1", score=8.0, language="hy", created_at=now - timedelta(days=10)
        ),
        await person_with_lead(services, external_id="2", score=3.0, language="ru", flow_id="business_idea"),
        await person_with_lead(services, external_id="3", centre="shirak-gyumri", region="shirak", language="en"),
    ]


async def ids(client: httpx.AsyncClient, person: Person, **params: str | float) -> list[int]:
    response = await client.get("/leads", headers=person.headers, params=params)
    assert response.status_code == 200, response.text
    return [lead["id"] for lead in response.json()["items"]]


async def test_a_counsellor_sees_and_filters_only_their_centres_leads(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    first, second, shirak = await three_leads(services)
    counsellor, admin = staff["counsellor"], staff["admin"]
    assert await ids(client, counsellor) == [second.lead_id, first.lead_id]  # newest first, own centre only
    assert await ids(client, admin) == [shirak.lead_id, second.lead_id, first.lead_id]
    assert await ids(client, staff["other_counsellor"]) == [shirak.lead_id]
    assert await ids(client, counsellor, score_min=5) == [first.lead_id]
    assert await ids(client, counsellor, score_max=5) == [second.lead_id]
    assert await ids(client, counsellor, language="ru") == [second.lead_id]
    assert await ids(client, counsellor, flow="business_idea") == [second.lead_id]
    assert await ids(client, counsellor, status="new", region="yerevan") == [second.lead_id, first.lead_id]
    since = (utcnow() - timedelta(days=1)).isoformat()
    assert await ids(client, counsellor, created_from=since) == [second.lead_id]
    assert await ids(client, admin, centre="shirak-gyumri") == [shirak.lead_id]
    assert await ids(client, counsellor, limit=1) == [second.lead_id]
    refused = await client.get("/leads", headers=counsellor.headers, params={"centre": "shirak-gyumri"})
    assert refused.status_code == 403
    naive = await client.get("/leads", headers=counsellor.headers, params={"created_from": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


async def test_lead_detail_has_answers_and_conversation_and_its_reading_is_audited(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    first, _, shirak = await three_leads(services)
    counsellor = staff["counsellor"]
    detail = (await client.get(f"/leads/{first.lead_id}", headers=counsellor.headers)).json()
    assert detail["intake"]["answers"] == {"country": "de", "phone": "+37491000000"}
    assert [m["text"] for m in detail["transcript"]] == ["I want to work in Germany", "Let us see."]
    assert detail["contact"]["id"] == first.contact_id and detail["events"][0]["action"] == "created"
    assert detail["overdue"] is True  # ten days old and nobody has answered
    async with transaction(services.sessions) as session:  # a lead the intake did not link to its run
        unlinked = await session.get(Lead, first.lead_id)
        assert unlinked is not None
        unlinked.flow_run_id = None
    again = (await client.get(f"/leads/{first.lead_id}", headers=counsellor.headers)).json()
    assert again["intake"]["id"] == first.run_id
    hidden = await client.get(f"/leads/{shirak.lead_id}", headers=counsellor.headers)
    assert hidden.status_code == 404  # another centre's lead does not exist for this counsellor
    async with services.sessions() as session:
        reads = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "read", AuditEntry.resource_type == "lead")
            )
        )
    assert [(e.staff_id, e.resource_id) for e in reads] == [(counsellor.id, str(first.lead_id))] * 2


async def test_assign_change_status_with_a_note_and_add_notes(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    first, *_ = await three_leads(services)
    counsellor, url = staff["counsellor"], f"/leads/{first.lead_id}"
    taken = await client.patch(url, headers=counsellor.headers, json={"assigned_to": counsellor.id})
    assert taken.status_code == 200 and taken.json()["status"] == "assigned"
    assert taken.json()["assigned_to"] == counsellor.id
    elsewhere = await client.patch(url, headers=counsellor.headers, json={"assigned_to": staff["other_counsellor"].id})
    assert elsewhere.status_code == 403  # only to colleagues of the lead's centre
    moving = await client.post(
        f"{url}/status", headers=counsellor.headers, json={"status": "in_progress", "note": "called"}
    )
    assert moving.json()["status"] == "in_progress"
    unfinished = await client.post(f"{url}/status", headers=counsellor.headers, json={"status": "closed"})
    assert unfinished.status_code == 409 and unfinished.json()["type"].endswith("invalid-transition")
    note = await client.post(f"{url}/notes", headers=counsellor.headers, json={"note": "sent the checklist"})
    assert note.status_code == 201 and note.json()["action"] == "note"
    closed = await client.post(
        f"{url}/status", headers=counsellor.headers, json={"status": "closed", "outcome": "helped", "note": "done"}
    )
    body = closed.json()
    assert body["status"] == "closed" and body["outcome"] == "helped" and body["closed_at"] is not None
    assert [(e["action"], e["to_status"]) for e in body["events"]] == [
        ("created", "new"),
        ("assigned", "assigned"),
        ("status", "in_progress"),
        ("note", None),
        ("status", "closed"),
    ]
    assert body["events"][2]["note"] == "called" and body["events"][4]["note"] == "helped: done"


async def test_a_counsellor_may_not_move_a_lead_to_another_centre(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    first, *_ = await three_leads(services)
    url = f"/leads/{first.lead_id}"
    refused = await client.patch(
        url,
        headers=staff["counsellor"].headers,
        json={"centre_id": "shirak-gyumri", "assigned_to": staff["counsellor"].id},
    )
    assert refused.status_code == 403 and refused.json()["fields"] == ["centre_id"]
    unchanged = (await client.get(url, headers=staff["counsellor"].headers)).json()
    assert unchanged["centre_id"] == "yerevan" and unchanged["assigned_to"] is None  # nothing of it was applied
    moved = await client.patch(url, headers=staff["admin"].headers, json={"centre_id": "shirak-gyumri"})
    assert moved.status_code == 200 and moved.json()["centre_id"] == "shirak-gyumri"
    assert (await client.get(url, headers=staff["counsellor"].headers)).status_code == 404
    assert (await client.get(url, headers=staff["other_counsellor"].headers)).status_code == 200
    unknown = await client.patch(url, headers=staff["admin"].headers, json={"centre_id": "atlantis"})
    assert unknown.status_code == 422


async def test_csv_export_for_the_monthly_report(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    first, second, _ = await three_leads(services)
    response = await client.get("/leads/export.csv", headers=staff["counsellor"].headers, params={"status": "new"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["id"]) for r in rows] == [first.lead_id, second.lead_id]
    assert {r["centre_id"] for r in rows} == {"yerevan"} and rows[0]["overdue"] == "True"
    assert "phone" not in response.text and "+374" not in response.text  # no personal data in the report
    async with services.sessions() as session:
        export = await session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert export is not None and export.after is not None
    assert export.after["count"] == 2 and export.after["filters"]["status"] == "new"
