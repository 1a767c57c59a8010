"""Leads for counsellors (their centre) and admins (all): list, CSV, detail, assign, status, notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.deps import Audit, CounsellorStaff, SessionDep
from admin_api.leads import service
from admin_api.leads.csv_export import leads_csv
from admin_api.leads.schemas import (
    LeadDetail,
    LeadEventRead,
    LeadFilters,
    LeadSummary,
    LeadUpdate,
    NoteIn,
    StatusChange,
)
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import IntId
from admin_api.problems import FieldsNotAllowed, problem_responses
from admin_api.staff.service import check_centre
from leads import service as lifecycle
from leads.models import Lead
from ughi.db import utcnow

router = APIRouter(prefix="/leads", tags=["leads"])
Filters = Annotated[LeadFilters, Query()]
CSV_LIMIT = 50_000
SETTABLE = {"admin": {"assigned_to", "centre_id"}, "counsellor": {"assigned_to"}}


def _summary(lead: Lead) -> LeadSummary:
    return LeadSummary.model_validate(lead).model_copy(update={"overdue": lifecycle.is_overdue(lead, utcnow())})


def _state(lead: Lead) -> dict[str, object]:
    return {
        "status": lead.status,
        "outcome": lead.outcome,
        "assigned_to": lead.assigned_to,
        "centre_id": lead.centre_id,
    }


@router.get("")
async def list_leads(
    staff: CounsellorStaff,
    session: SessionDep,
    audit: Audit,
    filters: Filters,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[LeadSummary]:
    """Newest first. Counsellors see their own centre's leads only (asking for another centre is refused)."""
    query = service.filtered(staff, filters).order_by(Lead.id.desc())
    before = decode_cursor(cursor, int)
    if before:
        query = query.where(Lead.id < before[0])
    rows, next_cursor = page_of(list(await session.scalars(query.limit(limit + 1))), limit, lambda lead: (lead.id,))
    audit.record("list", "lead", "", after={"ids": [lead.id for lead in rows]})
    return Page(items=[_summary(lead) for lead in rows], next_cursor=next_cursor)


@router.get(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_csv(staff: CounsellorStaff, session: SessionDep, audit: Audit, filters: Filters) -> Response:
    """The filtered leads as CSV (no personal data), for the monthly report."""
    query = service.filtered(staff, filters).order_by(Lead.id).limit(CSV_LIMIT)
    leads = list(await session.scalars(query))
    audit.record("export", "lead", "", after={"filters": filters.model_dump(mode="json"), "count": len(leads)})
    return Response(
        leads_csv(leads, utcnow()),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
    )


async def _detail(session: AsyncSession, lead: Lead) -> LeadDetail:
    context = await service.lead_context(session, lead)
    return LeadDetail(
        **_summary(lead).model_dump(),
        reason=lead.reason,
        summary=lead.summary,
        events=[LeadEventRead.model_validate(e) for e in context["events"]],
        intake=context["intake"],
        contact=context["contact"],
        transcript=context["transcript"],
    )


@router.get("/{lead_id}")
async def get_lead(lead_id: IntId, staff: CounsellorStaff, session: SessionDep, audit: Audit) -> LeadDetail:
    """The lead with its history, the intake answers and the person's latest messages (this read is audited)."""
    lead = await service.visible_lead(session, staff=staff, lead_id=lead_id)
    audit.record("read", "lead", lead.id)
    return await _detail(session, lead)


@router.patch("/{lead_id}", responses=problem_responses(409))
async def update_lead(
    lead_id: IntId, body: LeadUpdate, staff: CounsellorStaff, session: SessionDep, audit: Audit
) -> LeadDetail:
    """Hand the lead to someone (`assigned_to`), or move it to another centre (`centre_id`, admins only)."""
    refused = sorted(body.model_fields_set - SETTABLE.get(staff.role, set()))
    if refused:
        raise FieldsNotAllowed(refused)
    lead = await service.visible_lead(session, staff=staff, lead_id=lead_id, lock=True)
    before = _state(lead)
    if body.centre_id is not None:
        check_centre("admin", body.centre_id)
        lead.centre_id, lead.updated_at = body.centre_id, utcnow()
    if body.assigned_to is not None:
        target = await service.assignee(session, staff_id=body.assigned_to, lead=lead, actor=staff)
        await lifecycle.assign(session, lead=lead, staff=target, actor=staff)
    await session.flush()
    audit.record("update", "lead", lead.id, before=before, after=_state(lead))
    return await _detail(session, lead)


@router.post("/{lead_id}/status", responses=problem_responses(409))
async def change_status(
    lead_id: IntId, body: StatusChange, staff: CounsellorStaff, session: SessionDep, audit: Audit
) -> LeadDetail:
    """Move the lead on (new → assigned → in_progress → closed; closing needs an outcome), with a note."""
    lead = await service.visible_lead(session, staff=staff, lead_id=lead_id, lock=True)
    before = _state(lead)
    await lifecycle.change_status(
        session, lead=lead, status=body.status, actor=staff, note=body.note.strip(), outcome=body.outcome
    )
    # the note itself stays in the lead's (encrypted) events: the audit log only says there was one
    audit.record("status", "lead", lead.id, before=before, after=_state(lead) | {"note": bool(body.note.strip())})
    return await _detail(session, lead)


@router.post("/{lead_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(
    lead_id: IntId, body: NoteIn, staff: CounsellorStaff, session: SessionDep, audit: Audit
) -> LeadEventRead:
    lead = await service.visible_lead(session, staff=staff, lead_id=lead_id, lock=True)
    event = await lifecycle.add_note(session, lead=lead, actor=staff, note=body.note)
    audit.record("note", "lead", lead.id, after={"event_id": event.id})
    return LeadEventRead.model_validate(event)
