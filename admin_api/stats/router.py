"""Statistics for staff: contacts, intake funnels, leads (a counsellor's own centre), search answers."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from admin_api.deps import CounsellorStaff, CurrentStaff, SessionDep
from admin_api.stats import service
from admin_api.stats.buckets import Period, Since, Until, time_range

router = APIRouter(prefix="/stats", tags=["statistics"])


class ContactsRow(BaseModel):
    period: str
    channel: str
    language: str | None
    contacts: int


class StepRow(BaseModel):
    step: str
    reached: int
    share: float


class DropOff(BaseModel):
    step: str
    stopped: int


class FunnelRead(BaseModel):
    flow_id: str
    started: int
    submitted: int
    cancelled: int
    active: int
    steps: list[StepRow]
    drop_off: DropOff | None


class CentreLeads(BaseModel):
    centre_id: str | None
    total: int
    by_status: dict[str, int]


class LeadsRead(BaseModel):
    total: int
    by_status: dict[str, int]
    by_outcome: dict[str, int]
    by_centre: list[CentreLeads]


class SearchRow(BaseModel):
    period: str
    questions: int
    answered: int
    unsure: int
    unanswered: int
    answer_rate: float | None
    helpful_yes: int
    helpful_no: int
    helpful_rate: float | None


@router.get("/contacts")
async def contacts(
    staff: CurrentStaff, session: SessionDep, since: Since = None, until: Until = None, period: Period = "week"
) -> list[ContactsRow]:
    """New contacts per period (by first message), channel and language."""
    start, end = time_range(since, until)
    rows = await service.contacts_over_time(session, since=start, until=end, period=period)
    return [ContactsRow(**row) for row in rows]


@router.get("/flows")
async def flows(staff: CurrentStaff, session: SessionDep, since: Since = None, until: Until = None) -> list[FunnelRead]:
    """For each intake flow started in the range: started, reached each step, submitted, and the drop-off step."""
    start, end = time_range(since, until)
    return [FunnelRead(**row) for row in await service.flow_funnels(session, since=start, until=end)]


@router.get("/leads")
async def leads(staff: CounsellorStaff, session: SessionDep, since: Since = None, until: Until = None) -> LeadsRead:
    """Leads created in the range by status, outcome and centre (a counsellor's own centre only)."""
    start, end = time_range(since, until)
    data = await service.leads_by_status(
        session, since=start, until=end, centre=staff.centre_id, everything=staff.role == "admin"
    )
    return LeadsRead(**data)


@router.get("/search")
async def search(
    staff: CurrentStaff, session: SessionDep, since: Since = None, until: Until = None, period: Period = "week"
) -> list[SearchRow]:
    """Per period: questions typed, how many got an answer, how many "did this help?" said yes.

    Questions are the typed messages that were not commands, so free-text answers inside an intake count as
    answered questions too: read the answer rate as an upper bound."""
    start, end = time_range(since, until)
    return [SearchRow(**row) for row in await service.search_over_time(session, since=start, until=end, period=period)]
