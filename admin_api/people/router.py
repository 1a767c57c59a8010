"""People's data, for admins: find a contact, export everything held about them, erase them (all audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from admin_api.deps import AdminStaff, Audit, SessionDep
from admin_api.pagination import Cursor, Limit, Page, decode_cursor, page_of
from admin_api.params import IntId, Text
from admin_api.people import service
from bot.models import Contact

router = APIRouter(prefix="/contacts", tags=["people's data"])


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    external_id: str
    language: str | None
    consent_version: str | None
    consent_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    blocked: bool


class ErasureRead(BaseModel):
    contact_id: int
    erased: dict[str, int]


@router.get("")
async def find_contacts(
    admin: AdminStaff,
    session: SessionDep,
    audit: Audit,
    channel: Annotated[str | None, Query(pattern=r"^[a-z]{1,16}$")] = None,
    external_id: Annotated[Text | None, Query(max_length=128, description="e.g. the Telegram user id")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ContactRead]:
    """Find the person who asks: by channel and the id they have there. Newest first."""
    query = select(Contact).order_by(Contact.id.desc())
    before = decode_cursor(cursor, int)
    if before:
        query = query.where(Contact.id < before[0])
    if channel:
        query = query.where(Contact.channel == channel)
    if external_id:
        query = query.where(Contact.external_id == external_id)
    rows, next_cursor = page_of(list(await session.scalars(query.limit(limit + 1))), limit, lambda c: (c.id,))
    audit.record("list", "contact", "", after={"ids": [c.id for c in rows]})
    return Page(items=[ContactRead.model_validate(c) for c in rows], next_cursor=next_cursor)


@router.get("/{contact_id}")
async def get_contact(contact_id: IntId, admin: AdminStaff, session: SessionDep, audit: Audit) -> ContactRead:
    contact = await service.get_contact(session, contact_id=contact_id)
    audit.record("read", "contact", contact_id)
    return ContactRead.model_validate(contact)


@router.get("/{contact_id}/export")
async def export_contact(contact_id: IntId, admin: AdminStaff, session: SessionDep, audit: Audit) -> dict[str, Any]:
    """Everything held about the person (messages, answers, consents, leads, feedback, questions) as JSON."""
    data = await service.export_contact(session, contact_id=contact_id)
    audit.record("export", "contact", contact_id)
    return data


@router.delete("/{contact_id}")
async def erase_contact(contact_id: IntId, admin: AdminStaff, session: SessionDep, audit: Audit) -> ErasureRead:
    """Erase the person: messages, answers, consents, questions and the contact go; their leads stay anonymised."""
    counts = await service.erase_contact(session, contact_id=contact_id)
    audit.record("erase", "contact", contact_id, before={"counts": counts})
    return ErasureRead(contact_id=contact_id, erased=counts)
