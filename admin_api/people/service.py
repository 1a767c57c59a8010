"""A person's data: everything held about a contact as one document, and erasing it (leads stay, anonymised)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.problems import NotFound
from bot import erasure
from bot.flows.models import FlowRun
from bot.models import ConsentRecord, Contact, ConversationState, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from leads.models import Lead, LeadEvent
from ughi.db import Base


def _row(obj: Base, *skip: str) -> dict[str, Any]:
    values = {column.key: getattr(obj, column.key) for column in obj.__table__.columns if column.key not in skip}
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in values.items()}


async def get_contact(session: AsyncSession, *, contact_id: int) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


async def _all(session: AsyncSession, model: type[Base], column: Any, contact_id: int) -> list[Any]:
    return list(await session.scalars(select(model).where(column == contact_id).order_by(model.__table__.c.id)))


async def export_contact(session: AsyncSession, *, contact_id: int) -> dict[str, Any]:
    """Everything Ughi holds about one person, as plain JSON values."""
    contact = await get_contact(session, contact_id=contact_id)
    state = await session.get(ConversationState, contact_id)
    leads = await _all(session, Lead, Lead.contact_id, contact_id)
    events = list(
        await session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id.in_([lead.id for lead in leads])).order_by(LeadEvent.id)
        )
    )
    return {
        "contact": _row(contact),
        "conversation_state": _row(state) if state is not None else None,
        "consents": [_row(r) for r in await _all(session, ConsentRecord, ConsentRecord.contact_id, contact_id)],
        "transcript": [_row(r) for r in await _all(session, TranscriptEntry, TranscriptEntry.contact_id, contact_id)],
        "intakes": [_row(r) for r in await _all(session, FlowRun, FlowRun.contact_id, contact_id)],
        "leads": [
            _row(lead, "staff_chat_id", "staff_thread_id", "card_message_id")
            | {"events": [_row(e, "actor_staff_id") for e in events if e.lead_id == lead.id]}
            for lead in leads
        ],
        "feedback": [_row(r) for r in await _all(session, ArticleFeedback, ArticleFeedback.contact_id, contact_id)],
        "unanswered_questions": [
            _row(r, "candidates")
            for r in await _all(session, UnansweredQuestion, UnansweredQuestion.contact_id, contact_id)
        ],
    }


async def erase_contact(session: AsyncSession, *, contact_id: int) -> dict[str, int]:
    """Erase one person (the same erasure as their own "delete my data"); how many of each were erased."""
    await get_contact(session, contact_id=contact_id)
    return await erasure.erase_contact(session, contact_id=contact_id)
