"""Decisions about leads: creation, assignment, the status lifecycle, overdue checks and the relay in both directions.

Contract for callers (the engine, the Telegram staff desk, the admin API):

- Every function works inside the caller's transaction and only flushes; the caller commits. What must reach a
  person or the counsellors later is queued in the outbox in that same transaction (see leads.outbox): a crash
  between commit and send loses nothing, and the worker marks a message sent in the transaction that claimed it
  (only a crash in the instant between Telegram's answer and that commit could repeat one).
- Status lifecycle: new → assigned → in_progress → closed. `assign` takes a lead (new → assigned, or hands it to
  another counsellor); the first message a counsellor relays moves it to in_progress; closing needs an outcome
  (helped, no_contact, not_eligible, referred). An assigned lead may be released back to new. Anything else raises
  leads.errors.InvalidTransition. Every change is a LeadEvent with who made it and when.
- Outbox kinds queued here, for the sender to render: "lead_card" (once per lead), "lead_assigned", "lead_closed"
  and "to_staff" (the person's message for the lead's thread) go to "staff"; "to_contact" goes to the person, with
  either "text" (a counsellor's message) or "notice" ("counsellor_joined", "case_closed").
- Relay: while a lead is assigned or in progress, `relay_lead_for_contact` returns it and the person's messages
  go through `relay_from_contact` to the lead's thread; counsellors' messages come back through `relay_to_contact`.
  The thread is made when the lead is taken; messages written before it exists wait in the outbox behind it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from leads.errors import ContactGone, InvalidTransition, StaffUnavailable
from leads.models import LEAD_OUTCOMES, LEAD_STATUSES, Lead, LeadEvent, StaffMember
from leads.outbox import STAFF, enqueue, to_contact
from leads.routing import CentreTarget, due_after, response_days
from ughi.db import utcnow
from ughi.metrics import LEADS_CREATED

_CREATED = "leads_created"


@event.listens_for(Session, "after_commit")
def _count_created(session: Session) -> None:
    """Leads count when their transaction commits: one rolled back (and done again) is not two leads."""
    created = session.info.pop(_CREATED, 0)
    if created:
        LEADS_CREATED.inc(created)


@event.listens_for(Session, "after_rollback")
def _forget_created(session: Session) -> None:
    session.info.pop(_CREATED, None)


TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"assigned", "closed"}),
    "assigned": frozenset({"new", "in_progress", "closed"}),
    "in_progress": frozenset({"closed"}),
    "closed": frozenset(),
}
RELAYING = ("assigned", "in_progress")
AWAITING_ANSWER = ("new", "assigned")  # no counsellor has written yet: the response target still runs
STAFF_WHO_TAKE_LEADS = ("counsellor", "admin")


async def create_lead(
    session: AsyncSession,
    *,
    contact_id: int | None,
    source: str,
    flow_id: str | None,
    language: str | None,
    region: str | None,
    topic: str | None,
    summary: dict[str, Any],
    score: float,
    reason: str,
    centre: CentreTarget | None,
    flow_run_id: int | None = None,
    now: datetime | None = None,
) -> Lead:
    """Record a request for a counsellor, its first event and its card for the counsellors' chat."""
    now = now or utcnow()
    lead = Lead(
        contact_id=contact_id,
        flow_run_id=flow_run_id,
        source=source[:32],
        flow_id=flow_id,
        language=language,
        region=region,
        topic=topic,
        centre_id=centre.id if centre is not None else None,
        score=score if math.isfinite(score) else 0.0,
        reason=reason,
        summary=dict(summary),
        status="new",
        due_at=due_after(now, response_days(centre)),
        anonymised=False,
        created_at=now,
        updated_at=now,
    )
    session.add(lead)
    await session.flush()
    _event(session, lead, None, "created", to_status="new", note=reason, now=now, by_contact=contact_id is not None)
    await enqueue(session, kind="lead_card", payload=_to_staff(lead), dedupe_key=f"lead_card:{lead.id}", now=now)
    session.info[_CREATED] = session.info.get(_CREATED, 0) + 1  # counted once committed (_count_created)
    return lead


async def assign(session: AsyncSession, *, lead: Lead, staff: StaffMember, actor: StaffMember | None) -> Lead:
    """Give the lead to `staff` (who took it, or to whom `actor` handed it); the person is told a human is there."""
    if lead.status == "closed":
        raise InvalidTransition(lead.id, lead.status, "assigned", "a closed lead cannot be assigned")
    if not staff.active or staff.role not in STAFF_WHO_TAKE_LEADS:
        raise StaffUnavailable(lead.id, f"staff member {staff.id} cannot take leads")
    if lead.assigned_to == staff.id:
        return lead
    first_time = lead.assigned_to is None
    from_status = lead.status
    now = utcnow()
    lead.assigned_to = staff.id
    lead.status = "assigned" if from_status == "new" else from_status
    lead.updated_at = now
    _event(session, lead, actor, "assigned", from_status, lead.status, note=f"to staff {staff.id}", now=now)
    await enqueue(session, kind="lead_assigned", payload={**_to_staff(lead), "staff_id": staff.id}, now=now)
    if first_time and lead.contact_id is not None:
        await _notify_contact(session, lead, "counsellor_joined")
    await session.flush()
    return lead


async def change_status(
    session: AsyncSession,
    *,
    lead: Lead,
    status: str,
    actor: StaffMember | None,
    note: str = "",
    outcome: str | None = None,
) -> Lead:
    """Move the lead along its lifecycle; closing needs an outcome and tells the person and the counsellors."""
    _check_transition(lead, status, outcome)
    from_status, now = lead.status, utcnow()
    lead.status = status
    lead.updated_at = now
    if status == "new":
        lead.assigned_to = None
    if status == "closed":
        lead.outcome, lead.closed_at = outcome, now
    detail = f"{outcome}: {note}" if outcome and note else (outcome or note)
    _event(session, lead, actor, "status", from_status, status, note=detail, now=now)
    if status == "closed":
        payload = {**_to_staff(lead), "outcome": outcome, "staff_id": actor.id if actor else None}
        await enqueue(session, kind="lead_closed", payload=payload, now=now)
        if lead.contact_id is not None:
            await _notify_contact(session, lead, "case_closed")
    await session.flush()
    return lead


def _check_transition(lead: Lead, status: str, outcome: str | None) -> None:
    if status not in LEAD_STATUSES or status not in TRANSITIONS[lead.status]:
        raise InvalidTransition(lead.id, lead.status, status)
    if status in ("assigned", "in_progress") and lead.assigned_to is None:
        raise InvalidTransition(lead.id, lead.status, status, "nobody has taken this lead yet")
    if status == "closed" and outcome not in LEAD_OUTCOMES:
        raise InvalidTransition(
            lead.id, lead.status, status, f"closing needs an outcome: one of {', '.join(LEAD_OUTCOMES)}"
        )
    if status != "closed" and outcome is not None:
        raise InvalidTransition(lead.id, lead.status, status, "only closing takes an outcome")


async def add_note(session: AsyncSession, *, lead: Lead, actor: StaffMember, note: str) -> LeadEvent:
    """A counsellor's note on the lead's history."""
    text = note.strip()
    if not text:
        raise ValueError("a note needs some text")
    lead.updated_at = utcnow()
    event = _event(session, lead, actor, "note", note=text, now=lead.updated_at)
    await session.flush()
    return event


def is_overdue(lead: Lead, now: datetime) -> bool:
    """Whether no counsellor has written yet and the centre's response time (working days) is over."""
    if lead.status not in AWAITING_ANSWER:
        return False
    due = lead.due_at or due_after(lead.created_at, response_days(None))
    return now >= due


async def overdue_leads(session: AsyncSession, *, now: datetime, centre_id: str | None = None) -> list[Lead]:
    """Leads past their response target and still unanswered, oldest first; of one centre if given."""
    query = select(Lead).where(Lead.status.in_(AWAITING_ANSWER), Lead.due_at <= now)
    if centre_id is not None:
        query = query.where(Lead.centre_id == centre_id)
    return list((await session.scalars(query.order_by(Lead.due_at, Lead.id))).all())


async def open_leads_for_contact(session: AsyncSession, *, contact_id: int) -> list[Lead]:
    """The person's requests that are not closed yet, newest first (for /my_requests)."""
    query = (
        select(Lead)
        .where(Lead.contact_id == contact_id, Lead.status != "closed")
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    return list((await session.scalars(query)).all())


async def relay_lead_for_contact(session: AsyncSession, *, contact_id: int) -> Lead | None:
    """The lead whose thread carries this person's messages now: the latest one taken and not closed."""
    query = (
        select(Lead)
        .where(Lead.contact_id == contact_id, Lead.status.in_(RELAYING))
        .order_by(Lead.updated_at.desc(), Lead.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def relay_from_contact(session: AsyncSession, *, lead: Lead, text: str) -> None:
    """Queue the person's message for the lead's thread in the counsellors' chat."""
    if lead.status not in RELAYING:
        raise InvalidTransition(lead.id, lead.status, lead.status, "only a lead being worked on relays messages")
    now = utcnow()
    _event(session, lead, None, "message", note="from the person", now=now, by_contact=True)
    await enqueue(session, kind="to_staff", payload={**_to_staff(lead), "text": text}, now=now)


async def relay_to_contact(session: AsyncSession, *, lead: Lead, actor: StaffMember, text: str) -> None:
    """Queue a counsellor's message for the person; the first one puts the lead in progress."""
    if lead.status not in RELAYING:
        raise InvalidTransition(lead.id, lead.status, lead.status, "only a lead being worked on relays messages")
    if lead.contact_id is None:
        raise ContactGone(lead.id, "the person erased their data and can no longer be reached")
    if lead.status == "assigned":
        await change_status(session, lead=lead, status="in_progress", actor=actor)
    now = utcnow()
    _event(session, lead, actor, "message", note="to the person", now=now)
    payload = {"to": to_contact(lead.contact_id), "lead_id": lead.id, "contact_id": lead.contact_id, "text": text}
    await enqueue(session, kind="to_contact", payload=payload, now=now)


async def lead_in_thread(session: AsyncSession, *, chat_id: int, thread_id: int) -> Lead | None:
    """The lead whose thread (forum topic, or reply thread under its card) this is; its row locked until commit."""
    query = select(Lead).where(Lead.staff_chat_id == chat_id, Lead.staff_thread_id == thread_id).with_for_update()
    return await session.scalar(query.order_by(Lead.id.desc()).limit(1))


async def lead_for_update(session: AsyncSession, *, lead_id: int) -> Lead | None:
    """The lead, its row locked until commit, so two counsellors pressing "Take" at once do not both get it."""
    return await session.get(Lead, lead_id, with_for_update=True, populate_existing=True)


async def staff_by_telegram(session: AsyncSession, *, telegram_user_id: int) -> StaffMember | None:
    """The active staff account linked to this Telegram user, if any."""
    query = select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id, StaffMember.active.is_(True))
    return await session.scalar(query)


async def _notify_contact(session: AsyncSession, lead: Lead, notice: str) -> None:
    assert lead.contact_id is not None
    payload = {"to": to_contact(lead.contact_id), "lead_id": lead.id, "contact_id": lead.contact_id, "notice": notice}
    await enqueue(session, kind="to_contact", payload=payload)


def _to_staff(lead: Lead) -> dict[str, Any]:
    return {"to": STAFF, "lead_id": lead.id}


def _event(
    session: AsyncSession,
    lead: Lead,
    actor: StaffMember | None,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    *,
    note: str = "",
    now: datetime,
    by_contact: bool = False,
) -> LeadEvent:
    kind = "staff" if actor is not None else "contact" if by_contact else "system"
    event = LeadEvent(
        lead_id=lead.id,
        actor_staff_id=actor.id if actor is not None else None,
        actor=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now,
    )
    session.add(event)
    return event
