"""People's data: an admin exports or erases a person; a retention period removes old messages and intakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from admin_api.models import AuditEntry
from admin_api.people.retention import keep_retention, purge_expired
from bot.flows.models import FlowRun
from bot.models import Contact, TranscriptEntry
from knowledge.models import ArticleFeedback
from leads.models import Lead, LeadEvent, OutboxMessage
from tests.admin_api.conftest import Person
from tests.admin_api.seed import person_with_lead
from ughi.db import transaction, utcnow
from ughi.services import Services


async def test_export_holds_everything_about_the_person_and_is_audited(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    person = await person_with_lead(services, external_id="555")
    admin = staff["admin"]
    found = await client.get("/contacts", headers=admin.headers, params={"channel": "telegram", "external_id": "555"})
    assert [c["id"] for c in found.json()["items"]] == [person.contact_id]
    data = (await client.get(f"/contacts/{person.contact_id}/export", headers=admin.headers)).json()
    assert data["contact"]["external_id"] == "555" and data["conversation_state"]["screen"] == "menu"
    assert [m["text"] for m in data["transcript"]] == ["I want to work in Germany", "Let us see."]
    assert data["intakes"][0]["answers"]["phone"] == "+37491000000"
    assert data["leads"][0]["id"] == person.lead_id and data["leads"][0]["events"][0]["action"] == "created"
    assert data["consents"][0]["accepted"] is True
    async with services.sessions() as session:
        audited = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.resource_type == "contact")))
    assert audited == ["list", "export"]
    for role in ("editor", "counsellor"):
        refused = await client.get(f"/contacts/{person.contact_id}/export", headers=staff[role].headers)
        assert refused.status_code == 403


async def test_erasure_removes_the_person_and_keeps_leads_anonymised(
    client: httpx.AsyncClient, staff: dict[str, Person], services: Services
) -> None:
    person = await person_with_lead(services, external_id="777")
    async with transaction(services.sessions) as session:
        session.add(ArticleFeedback(article_id="bank-account", contact_id=person.contact_id, helpful=True, lang="hy"))
        lead = await session.get(Lead, person.lead_id)
        assert lead is not None
        session.add(LeadEvent(lead_id=lead.id, actor="staff", action="note", note="called +37491000000"))
    admin = staff["admin"]
    erased = await client.delete(f"/contacts/{person.contact_id}", headers=admin.headers)
    assert erased.status_code == 200
    assert erased.json()["erased"]["transcript"] == 2 and erased.json()["erased"]["leads_anonymised"] == 1
    assert (await client.get(f"/contacts/{person.contact_id}", headers=admin.headers)).status_code == 404
    async with services.sessions() as session:
        assert await session.get(Contact, person.contact_id) is None
        assert await session.scalar(select(func.count()).select_from(TranscriptEntry)) == 0
        lead = await session.get(Lead, person.lead_id)
        assert lead is not None and lead.anonymised and lead.contact_id is None
        assert (lead.summary, lead.reason, lead.status, lead.centre_id) == ({}, "", "new", "yerevan")
        notes = set(await session.scalars(select(LeadEvent.note).where(LeadEvent.lead_id == lead.id)))
        assert notes == {""}
        run = await session.get(FlowRun, person.run_id)
        assert run is not None and run.answers == {} and run.contact_id is None and run.reached  # the funnel stays
        feedback = await session.scalar(select(ArticleFeedback))
        assert feedback is not None and feedback.contact_id is None and feedback.helpful
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # the lead card only
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "erase"))
    assert entry is not None and entry.staff_id == admin.id and entry.before == {"counts": erased.json()["erased"]}
    lead_view = (await client.get(f"/leads/{person.lead_id}", headers=admin.headers)).json()
    assert lead_view["contact"] is None and lead_view["transcript"] == [] and lead_view["intake"]["answers"] == {}


async def test_retention_deletes_old_messages_and_unfinished_intakes(services: Services) -> None:
    person = await person_with_lead(services, external_id="1", created_at=utcnow() - timedelta(days=400))
    fresh = await person_with_lead(services, external_id="2")
    long_ago = utcnow() - timedelta(days=400)
    async with transaction(services.sessions) as session:
        stale = FlowRun(
            contact_id=fresh.contact_id, flow_id="job_seeker", flow_version=1, step_id="country", updated_at=long_ago
        )
        recent = FlowRun(contact_id=fresh.contact_id, flow_id="job_seeker", flow_version=1, step_id="country")
        session.add_all([stale, recent])
    async with transaction(services.sessions) as session:
        counts = await purge_expired(session, now=utcnow(), days=365)
    assert counts == {"transcript": 2, "intakes": 1}
    async with services.sessions() as session:
        left = set(await session.scalars(select(TranscriptEntry.contact_id)))
        runs = set(await session.scalars(select(FlowRun.id)))
    assert left == {fresh.contact_id}
    assert runs == {person.run_id, fresh.run_id, recent.id}  # submitted intakes are kept with their leads


async def test_the_periodic_job_applies_the_setting(services: Services) -> None:
    await person_with_lead(services, external_id="1", created_at=utcnow() - timedelta(days=3))
    settings = services.settings.model_copy(update={"retention_days": 2, "retention_interval_seconds": 0.05})
    stop = asyncio.Event()
    job = asyncio.create_task(keep_retention(services.__class__(**{**vars(services), "settings": settings}), stop))
    for _ in range(100):
        async with services.sessions() as session:
            if not await session.scalar(select(func.count()).select_from(TranscriptEntry)):
                break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(job, timeout=5)
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TranscriptEntry)) == 0
