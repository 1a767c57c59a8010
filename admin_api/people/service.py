"""A person's data: everything held about a contact as one document, and erasing it (leads stay, anonymised)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.problems import NotFound
from bot.flows.models import FlowRun
from bot.models import ConsentRecord, Contact, ConversationState, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from leads.models import Lead, LeadEvent, OutboxMessage
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


async def _count(session: AsyncSession, model: type[Base], column: Any, contact_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(column == contact_id)) or 0)


async def erase_contact(session: AsyncSession, *, contact_id: int) -> dict[str, int]:
    """Delete the person's messages, answers, consents, questions and the contact itself. Their leads stay for
    statistics with nothing personal left (no answers, reason or notes); their intakes keep only the steps reached.
    Returns how many of each were erased."""
    await get_contact(session, contact_id=contact_id)
    counts = {
        "transcript": await _count(session, TranscriptEntry, TranscriptEntry.contact_id, contact_id),
        "intakes": await _count(session, FlowRun, FlowRun.contact_id, contact_id),
        "leads_anonymised": await _count(session, Lead, Lead.contact_id, contact_id),
        "consents": await _count(session, ConsentRecord, ConsentRecord.contact_id, contact_id),
        "unanswered_questions": await _count(session, UnansweredQuestion, UnansweredQuestion.contact_id, contact_id),
        "outbox": await _drop_outbox(session, contact_id),
    }
    lead_ids = select(Lead.id).where(Lead.contact_id == contact_id).scalar_subquery()
    await session.execute(update(LeadEvent).where(LeadEvent.lead_id.in_(lead_ids)).values(note=""))
    await session.execute(
        update(Lead)
        .where(Lead.contact_id == contact_id)
        .values(contact_id=None, summary={}, reason="", anonymised=True)
    )
    await session.execute(
        update(FlowRun).where(FlowRun.contact_id == contact_id).values(contact_id=None, answers={}, history=[])
    )
    await session.execute(
        update(ArticleFeedback).where(ArticleFeedback.contact_id == contact_id).values(contact_id=None)
    )
    for model, column in (
        (UnansweredQuestion, UnansweredQuestion.contact_id),
        (TranscriptEntry, TranscriptEntry.contact_id),
        (ConsentRecord, ConsentRecord.contact_id),
        (ConversationState, ConversationState.contact_id),
        (Contact, Contact.id),
    ):
        await session.execute(delete(model).where(column == contact_id))
    return counts


async def _drop_outbox(session: AsyncSession, contact_id: int) -> int:
    """Messages to the person, and their own messages waiting for a counsellor's thread, are not sent any more;
    sent ones lose their text."""
    lead_ids = [lead_id for lead_id in await session.scalars(select(Lead.id).where(Lead.contact_id == contact_id))]
    theirs = OutboxMessage.payload["contact_id"].as_integer() == contact_id
    relayed = (OutboxMessage.kind == "to_staff") & OutboxMessage.payload["lead_id"].as_integer().in_(lead_ids)
    messages = list(await session.scalars(select(OutboxMessage).where(theirs | relayed)))
    for message in messages:
        if message.sent_at is None:
            await session.delete(message)
        else:
            message.payload = {key: value for key, value in message.payload.items() if key != "text"}
    return len(messages)
