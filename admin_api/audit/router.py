"""The audit log, for admins: every staff write and every read of a lead or a person's data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select

from admin_api.deps import AdminStaff, SessionDep
from admin_api.models import AuditEntry
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import MAX_INT

router = APIRouter(prefix="/audit", tags=["audit"])
Word = Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")]


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    staff_id: int | None
    staff_email: str
    action: str
    resource_type: str
    resource_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str


@router.get("")
async def list_audit(
    admin: AdminStaff,
    session: SessionDep,
    staff_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    action: Word = None,
    resource_type: Word = None,
    resource_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_/.-]{1,128}$")] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditRead]:
    """Newest first: who did what, when, and the state before and after."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    before = decode_cursor(cursor, int)
    if before:
        query = query.where(AuditEntry.id < before[0])
    filters = {
        AuditEntry.staff_id: staff_id,
        AuditEntry.action: action,
        AuditEntry.resource_type: resource_type,
        AuditEntry.resource_id: resource_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    rows, next_cursor = page_of(list(await session.scalars(query.limit(limit + 1))), limit, lambda e: (e.id,))
    return Page(items=[AuditRead.model_validate(e) for e in rows], next_cursor=next_cursor)
