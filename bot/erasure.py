"""Erasing a person: their messages, answers, consents and questions go; their leads stay, anonymised."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.models import FlowRun
from bot.models import ConsentRecord, Contact, ConversationState, InboxUpdate, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from leads.models import Lead, LeadEvent, OutboxMessage
from leads.outbox import PRIVATE_KEYS
from ughi.db import Base

log = logging.getLogger(__name__)
PERSONAL_OUTBOX_KINDS = ("to_contact", "to_staff")  # the only messages that carry what someone wrote


async def _count(session: AsyncSession, model: type[Base], column: Any, contact_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(column == contact_id)) or 0)


async def erase_contact(session: AsyncSession, *, contact_id: int) -> dict[str, int]:
    """Delete the person's messages, answers, consents, questions and the contact itself. Their leads stay for
    statistics with nothing personal left (no answers, reason or notes); their intakes keep only the steps reached.
    Returns how many of each were erased."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        return {}
    async with _overwriting_deleted_rows(session):
        lead_ids = list(await session.scalars(select(Lead.id).where(Lead.contact_id == contact_id)))
        counts = {
            "transcript": await _count(session, TranscriptEntry, TranscriptEntry.contact_id, contact_id),
            "intakes": await _count(session, FlowRun, FlowRun.contact_id, contact_id),
            "leads_anonymised": len(lead_ids),
            "consents": await _count(session, ConsentRecord, ConsentRecord.contact_id, contact_id),
            "unanswered_questions": await _count(
                session, UnansweredQuestion, UnansweredQuestion.contact_id, contact_id
            ),
            "outbox": await _drop_outbox(session, contact, lead_ids),
            "inbox": await _drop_failed_updates(session, contact),
        }
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
    log.info("erased contact %d (%s): %s", contact_id, contact.channel, counts)  # never who they were
    return counts


@asynccontextmanager
async def _overwriting_deleted_rows(session: AsyncSession) -> AsyncIterator[None]:
    """On SQLite, deleted rows are overwritten with zeros instead of lingering in free space of the file: the
    Telegram id (kept in clear, to find the person) must not outlive the erasure. PostgreSQL's dead rows are
    unreachable and cleared by VACUUM."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = int(await session.scalar(text("PRAGMA secure_delete")) or 0)
    await session.execute(text("PRAGMA secure_delete = 1"))
    try:
        yield
        await session.flush()  # rows deleted through the session go now, while deleted content is overwritten
    finally:
        await session.execute(text(f"PRAGMA secure_delete = {before}"))


async def _drop_outbox(session: AsyncSession, contact: Contact, lead_ids: list[int]) -> int:
    """Messages to the person, and their own messages waiting for a counsellor's thread, are not sent any more;
    sent ones lose their text. Payloads are encrypted, so they are read here rather than searched in SQL."""
    candidates = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind.in_(PERSONAL_OUTBOX_KINDS), OutboxMessage.created_at >= contact.first_seen
        )
    )
    messages = [
        message
        for message in candidates
        if message.payload.get("contact_id") == contact.id
        or (message.kind == "to_staff" and message.payload.get("lead_id") in lead_ids)
    ]
    for message in messages:
        if message.sent_at is None:
            await session.delete(message)
        else:
            message.payload = {key: value for key, value in message.payload.items() if key not in PRIVATE_KEYS}
    return len(messages)


async def _drop_failed_updates(session: AsyncSession, contact: Contact) -> int:
    """Updates from the person that failed to be handled keep what they sent: their content goes.
    (Updates still on their way are emptied when handled, as every update is.)"""
    failed = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.handled_at.is_(None), InboxUpdate.attempts > 0)
    )
    theirs = [row for row in failed if _mentions(row.payload, contact.external_id)]
    for row in theirs:
        row.payload = {}
    return len(theirs)


def _mentions(value: Any, external_id: str) -> bool:
    """Whether a received update names the sender `external_id` (as Telegram does in "from" and "chat")."""
    if isinstance(value, dict):
        if "id" in value and str(value["id"]) == external_id:
            return True
        return any(_mentions(item, external_id) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, external_id) for item in value)
    return False
