"""Leads as counsellors read and change them: filters, summaries, detail with answers and conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from admin_api.params import MAX_INT, InputModel, IntValue, Text
from admin_api.staff.schemas import CentreId

LeadStatus = Literal["new", "assigned", "in_progress", "closed"]
Outcome = Literal["helped", "no_contact", "not_eligible", "referred"]
Slug = Annotated[Text, Field(max_length=64)]


class LeadFilters(BaseModel):
    """Filters of the lead list and the CSV export; all optional, combined with AND."""

    status: LeadStatus | None = None
    centre: CentreId | None = None
    region: Slug | None = None
    flow: Slug | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None
    score_min: Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)] | None = None
    score_max: Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)] | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    assigned_to: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None
    overdue: bool | None = None


class LeadSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    outcome: str | None
    centre_id: str | None
    region: str | None
    flow_id: str | None
    source: str
    language: str | None
    topic: str | None
    score: float
    assigned_to: int | None
    anonymised: bool
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    overdue: bool = False


class LeadEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    actor: str
    actor_staff_id: int | None
    from_status: str | None
    to_status: str | None
    note: str
    created_at: datetime


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    direction: str
    kind: str
    text: str
    created_at: datetime


class IntakeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    flow_id: str
    flow_version: int
    status: str
    answers: dict[str, Any]
    reached: list[str]
    started_at: datetime
    finished_at: datetime | None


class ContactBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    language: str | None
    first_seen: datetime
    last_seen: datetime


class LeadDetail(LeadSummary):
    reason: str
    summary: dict[str, Any]
    events: list[LeadEventRead]
    intake: IntakeRead | None
    contact: ContactBrief | None
    transcript: list[MessageRead] = Field(description="the person's latest messages with Ughi, oldest first")


class LeadUpdate(InputModel):
    """`assigned_to` hands the lead to a counsellor; `centre_id` moves it to another centre (admins only)."""

    assigned_to: IntValue | None = None
    centre_id: CentreId | None = None


class StatusChange(InputModel):
    status: LeadStatus
    note: Annotated[str, Field(max_length=4000)] = ""
    outcome: Outcome | None = Field(default=None, description="required when closing")


class NoteIn(InputModel):
    note: Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]
