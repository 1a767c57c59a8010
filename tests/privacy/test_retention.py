"""Retention on a frozen clock: old messages, unfinished intakes and received updates go after their periods;
a person silent for the retention period is erased, their request kept for statistics, anonymised."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from admin_api.people.retention import apply_retention, keep_retention
from bot.flows.models import FlowRun
from bot.models import ConsentRecord, Contact, InboxUpdate, TranscriptEntry
from leads import service as lifecycle
from leads.models import Lead, LeadEvent
from leads.routing import CentreTarget
from ughi.db import transaction
from ughi.services import Services

NOW = datetime(2031, 3, 14, 9, 30, tzinfo=UTC)  # the clock the job is given, far from the real one
ANSWERS = {"country": "de", "phone": "+37477481926"}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def someone(services: Services, external_id: str, *, last_seen: datetime) -> int:
    async with transaction(services.sessions) as session:
        contact = Contact(
            channel="telegram",
            external_id=external_id,
            language="en",
            consent_version="2026-11-v1",
            consent_at=last_seen,
            first_seen=last_seen - timedelta(days=30),
            last_seen=last_seen,
        )
        session.add(contact)
        await session.flush()
        session.add(
            ConsentRecord(contact_id=contact.id, purpose="personal_data", version="v1", language="en", accepted=True)
        )
        return contact.id


async def said(services: Services, contact_id: int, text: str, at: datetime) -> None:
    async with transaction(services.sessions) as session:
        session.add(TranscriptEntry(contact_id=contact_id, direction="in", kind="text", text=text, created_at=at))


async def intake(services: Services, contact_id: int, status: str, touched: datetime) -> int:
    async with transaction(services.sessions) as session:
        run = FlowRun(
            contact_id=contact_id,
            flow_id="job_seeker",
            flow_version=1,
            status=status,
            step_id="summary" if status == "submitted" else "phone",
            answers=dict(ANSWERS),
            history=["country", "phone"],
            reached=["country", "phone"],
            started_at=touched,
            updated_at=touched,
        )
        session.add(run)
        await session.flush()
        return run.id


async def request(services: Services, contact_id: int, run_id: int, at: datetime) -> int:
    async with transaction(services.sessions) as session:
        lead = await lifecycle.create_lead(
            session,
            contact_id=contact_id,
            source="intake:job_seeker",
            flow_id="job_seeker",
            language="en",
            region="yerevan",
            topic="work",
            summary={"Phone": "+374 77 481926"},
            score=5.0,
            reason="wants to work abroad",
            centre=CentreTarget(id="yerevan", region="yerevan"),
            flow_run_id=run_id,
            now=at,
        )
        return lead.id


async def received(services: Services, key: str, at: datetime) -> None:
    async with transaction(services.sessions) as session:
        session.add(InboxUpdate(key=key, payload={"message": {"text": "hi"}}, received_at=at, attempts=0))


async def test_the_job_on_a_frozen_clock(services: Services) -> None:
    settings = services.settings.model_copy(
        update={"retention_days": 365, "transcript_retention_days": 90, "intake_retention_days": 30}
    )
    # a person silent for more than a year, with a request to a centre
    silent = await someone(services, "1001", last_seen=days_ago(400))
    await said(services, silent, "I want to work in Germany", days_ago(400))
    await intake(services, silent, "active", days_ago(400))
    silent_run = await intake(services, silent, "submitted", days_ago(401))
    silent_lead = await request(services, silent, silent_run, days_ago(401))
    # a person who still writes: only what is past its own period goes
    active = await someone(services, "1002", last_seen=days_ago(1))
    await said(services, active, "an old message", days_ago(91))
    await said(services, active, "a recent message", days_ago(89))
    stale = await intake(services, active, "active", days_ago(31))
    fresh = await intake(services, active, "cancelled", days_ago(29))
    kept_run = await intake(services, active, "submitted", days_ago(200))
    kept_lead = await request(services, active, kept_run, days_ago(200))
    await received(services, "tg:1", days_ago(91))
    await received(services, "tg:2", days_ago(89))

    async with transaction(services.sessions) as session:
        counts = await apply_retention(session, settings=settings, now=NOW)
    assert counts == {"transcript": 2, "intakes": 2, "inbox": 1, "people": 1}

    async with services.sessions() as session:
        assert set(await session.scalars(select(Contact.id))) == {active}
        assert set(await session.scalars(select(TranscriptEntry.text))) == {"a recent message"}
        runs = {run.id: run for run in await session.scalars(select(FlowRun))}
        assert set(runs) == {silent_run, fresh, kept_run} and stale not in runs
        assert runs[silent_run].answers == {} and runs[silent_run].contact_id is None and runs[silent_run].reached
        assert runs[kept_run].answers == ANSWERS and runs[fresh].answers == ANSWERS
        leads = {lead.id: lead for lead in await session.scalars(select(Lead))}
        gone = leads[silent_lead]
        assert gone.anonymised and gone.contact_id is None and gone.summary == {} and gone.reason == ""
        assert (gone.region, gone.centre_id, gone.status) == ("yerevan", "yerevan", "new")  # the statistics stay
        assert not leads[kept_lead].anonymised and leads[kept_lead].summary == {"Phone": "+374 77 481926"}
        notes = set(await session.scalars(select(LeadEvent.note).where(LeadEvent.lead_id == silent_lead)))
        assert notes == {""}
        assert set(await session.scalars(select(InboxUpdate.key))) == {"tg:2"}
        assert set(await session.scalars(select(ConsentRecord.contact_id))) == {active}

    async with transaction(services.sessions) as session:
        again = await apply_retention(session, settings=settings, now=NOW)
    assert again == {"transcript": 0, "intakes": 0, "inbox": 0, "people": 0}
    async with transaction(services.sessions) as session:  # a day later, the next message is past its period
        later = await apply_retention(session, settings=settings, now=NOW + timedelta(days=2))
    assert later == {"transcript": 1, "intakes": 1, "inbox": 1, "people": 0}


async def test_the_periodic_job_uses_its_clock_and_the_settings(services: Services) -> None:
    silent = await someone(services, "2001", last_seen=days_ago(11))
    await said(services, silent, "hello", days_ago(11))
    active = await someone(services, "2002", last_seen=days_ago(1))
    settings = services.settings.model_copy(update={"retention_days": 10, "retention_interval_seconds": 0.05})
    stop = asyncio.Event()
    job = asyncio.create_task(keep_retention(dataclasses.replace(services, settings=settings), stop, clock=lambda: NOW))
    try:
        for _ in range(100):
            async with services.sessions() as session:
                if await session.get(Contact, silent) is None:
                    break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(job, timeout=5)
    async with services.sessions() as session:
        assert set(await session.scalars(select(Contact.id))) == {active}
