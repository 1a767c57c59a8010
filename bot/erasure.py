"""Erasing a person: their messages, answers, consents and questions go; their leads stay, anonymised."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.models import FlowRun
from bot.models import ConsentRecord, Contact, ConversationState, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from leads.models import Lead, LeadEvent, OutboxMessage
from ughi.db import Base


async def _count(session: AsyncSession, model: type[Base], column: Any, contact_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(column == contact_id)) or 0)


async def erase_contact(session: AsyncSession, *, contact_id: int) -> dict[str, int]:
    """Delete the person's messages, answers, consents, questions and the contact itself. Their leads stay for
    statistics with nothing personal left (no answers, reason or notes); their intakes keep only the steps reached.
    Returns how many of each were erased."""
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
