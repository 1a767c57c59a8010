"""Lead queries for the admin API: the filtered list a counsellor may see, one lead with what belongs to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.leads.schemas import LeadFilters
from admin_api.problems import Forbidden, NotFound
from bot.flows.models import FlowRun
from bot.models import Contact, TranscriptEntry
from leads.models import Lead, LeadEvent, StaffMember
from leads.service import AWAITING_ANSWER
from ughi.db import utcnow

TRANSCRIPT_LINES = 200


def filtered(staff: StaffMember, filters: LeadFilters) -> Select[Lead]:
    """The leads matching `filters` among those `staff` may see: a counsellor's own centre's, an admin's all."""
    query = select(Lead)
    centre = filters.centre
    if staff.role != "admin":
        if centre is not None and centre != staff.centre_id:
            raise Forbidden("counsellors see the leads of their own centre only")
        centre = staff.centre_id
        if centre is None:
            return query.where(false())
    simple = {
        Lead.status: filters.status,
        Lead.centre_id: centre,
        Lead.region: filters.region,
        Lead.flow_id: filters.flow,
        Lead.language: filters.language,
        Lead.assigned_to: filters.assigned_to,
    }
    for column, value in simple.items():
        if value is not None:
            query = query.where(column == value)
    if filters.score_min is not None:
        query = query.where(Lead.score >= filters.score_min)
    if filters.score_max is not None:
        query = query.where(Lead.score <= filters.score_max)
    if filters.created_from is not None:
        query = query.where(Lead.created_at >= filters.created_from)
    if filters.created_to is not None:
        query = query.where(Lead.created_at < filters.created_to)
    if filters.overdue is not None:
        late = and_(Lead.status.in_(AWAITING_ANSWER), Lead.due_at <= utcnow())
        query = query.where(
            late
            if filters.overdue
            else or_(~Lead.status.in_(AWAITING_ANSWER), Lead.due_at.is_(None), Lead.due_at > utcnow())
        )
    return query


async def visible_lead(session: AsyncSession, *, staff: StaffMember, lead_id: int, lock: bool = False) -> Lead:
    """The lead if this staff member may see it; another centre's lead is "not found", like a missing one."""
    lead = await session.get(Lead, lead_id, with_for_update=lock, populate_existing=lock)
    if lead is None or (staff.role != "admin" and lead.centre_id != staff.centre_id):
        raise NotFound(f"no lead {lead_id}")
    return lead


async def lead_context(session: AsyncSession, lead: Lead) -> dict[str, Any]:
    """Its history, the intake answers, the person and their latest messages."""
    events = list(await session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id)))
    intake = await intake_of(session, lead)
    contact = await session.get(Contact, lead.contact_id) if lead.contact_id is not None else None
    transcript: list[TranscriptEntry] = []
    if contact is not None:
        latest = await session.scalars(
            select(TranscriptEntry)
            .where(TranscriptEntry.contact_id == contact.id)
            .order_by(TranscriptEntry.created_at.desc(), TranscriptEntry.id.desc())
            .limit(TRANSCRIPT_LINES)
        )
        transcript = list(reversed(list(latest)))
    return {"events": events, "intake": intake, "contact": contact, "transcript": transcript}


async def intake_of(session: AsyncSession, lead: Lead) -> FlowRun | None:
    """The intake the lead came from: its own link, else the person's latest submitted run of that flow before it."""
    if lead.flow_run_id is not None:
        return await session.get(FlowRun, lead.flow_run_id)
    if lead.contact_id is None or lead.flow_id is None:
        return None
    return await session.scalar(
        select(FlowRun)
        .where(
            FlowRun.contact_id == lead.contact_id,
            FlowRun.flow_id == lead.flow_id,
            FlowRun.status == "submitted",
            FlowRun.started_at <= lead.created_at,
        )
        .order_by(FlowRun.id.desc())
        .limit(1)
    )


async def assignee(session: AsyncSession, *, staff_id: int, lead: Lead, actor: StaffMember) -> StaffMember:
    """The staff member to hand the lead to; a counsellor hands leads only within the lead's centre."""
    target = await session.get(StaffMember, staff_id)
    if target is None:
        raise NotFound(f"no staff member {staff_id}")
    if actor.role != "admin" and target.centre_id != lead.centre_id:
        raise Forbidden("a counsellor hands leads only to counsellors of the lead's centre")
    return target
