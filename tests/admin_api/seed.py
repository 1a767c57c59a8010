"""Rows the admin API tests start from: contacts with messages, intakes, leads in two centres."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.models import FlowRun
from bot.models import ConsentRecord, Contact, ConversationState, TranscriptEntry
from leads import service as lifecycle
from leads.routing import CentreTarget
from ughi.db import transaction, utcnow
from ughi.services import Services

ANSWERS = {"country": "de", "phone": "+37491000000"}


@dataclass(frozen=True)
class Seeded:
    contact_id: int
    lead_id: int
    run_id: int


async def person_with_lead(
    services: Services,
    *,
    external_id: str,
    centre: str = "yerevan",
    region: str = "yerevan",
    flow_id: str = "job_seeker",
    language: str = "hy",
    score: float = 5.0,
    created_at: datetime | None = None,
    channel: str = "telegram",
) -> Seeded:
    """A person who talked to Ughi, went through an intake and asked for a counsellor."""
    now = created_at or utcnow()
    async with transaction(services.sessions) as session:
        contact = await _person(session, channel=channel, external_id=external_id, language=language, now=now)
        run = FlowRun(
            contact_id=contact.id,
            flow_id=flow_id,
            flow_version=1,
            status="submitted",
            step_id="summary",
            answers=dict(ANSWERS),
            history=["country", "phone"],
            reached=["country", "phone", "summary"],
            started_at=now,
            finished_at=now,
        )
        session.add(run)
        await session.flush()
        lead = await lifecycle.create_lead(
            session,
            contact_id=contact.id,
            source=f"intake:{flow_id}",
            flow_id=flow_id,
            language=language,
            region=region,
            topic="work",
            summary=dict(ANSWERS),
            score=score,
            reason="wants to work abroad",
            centre=CentreTarget(id=centre, region=region),
            now=now,
        )
        lead.flow_run_id = run.id
        return Seeded(contact.id, lead.id, run.id)


async def _person(session: AsyncSession, *, channel: str, external_id: str, language: str, now: datetime) -> Contact:
    """A contact who consented, with a short conversation."""
    contact = Contact(
        channel=channel,
        external_id=external_id,
        language=language,
        consent_version="2026-11-v1",
        consent_at=now,
        first_seen=now,
        last_seen=now,
    )
    session.add(contact)
    await session.flush()
    session.add(ConversationState(contact_id=contact.id, screen="menu", data={}))
    session.add(
        ConsentRecord(
            contact_id=contact.id, purpose="personal_data", version="2026-11-v1", language=language, accepted=True
        )
    )
    for i, (direction, text) in enumerate([("in", "I want to work in Germany"), ("out", "Let us see.")]):
        at = now + timedelta(seconds=i)
        session.add(TranscriptEntry(contact_id=contact.id, direction=direction, kind="text", text=text, created_at=at))
    return contact
