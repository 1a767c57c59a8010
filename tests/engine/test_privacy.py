"""Consent before personal questions, and seeing and erasing one's data."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.engine.privacy import CONSENT_VERSION
from bot.models import ConsentRecord, Contact, TranscriptEntry
from leads.models import Lead, OutboxMessage
from tests.engine.helpers import buttons, press, say, texts
from ughi.services import Services


async def _contact(services: Services, user: str) -> Contact | None:
    async with services.sessions() as session:
        return await session.scalar(select(Contact).where(Contact.external_id == user))


async def test_counsellor_asks_consent_first_and_refusal_keeps_information(services: Services) -> None:
    await say(services.engine, "p1", "/start", hint="en")
    replies = await press(services.engine, "p1", "human")
    assert "What is kept" in texts(replies) and "For how long" in texts(replies) and "/privacy" in texts(replies)
    assert buttons(replies) == ["consent:yes", "consent:no"]
    replies = await press(services.engine, "p1", "consent:no")
    assert "topic:documents:0" in buttons(replies)
    contact = await _contact(services, "p1")
    assert contact is not None and contact.consent_version is None
    replies = await press(services.engine, "p1", "topic:documents:0")
    assert any(d.startswith("art:") for d in buttons(replies))


async def test_consent_is_recorded_with_version_and_time(services: Services) -> None:
    await say(services.engine, "p2", "/start", hint="ru")
    await press(services.engine, "p2", "human")
    replies = await press(services.engine, "p2", "consent:yes")
    assert "№1" in texts(replies), "the consent was for the counsellor request, which follows at once"
    contact = await _contact(services, "p2")
    assert contact is not None and contact.consent_version == CONSENT_VERSION and contact.consent_at is not None
    async with services.sessions() as session:
        record = await session.scalar(select(ConsentRecord))
    assert record is not None and record.accepted and record.version == CONSENT_VERSION and record.language == "ru"


async def test_show_and_erase_my_data(services: Services) -> None:
    await say(services.engine, "p3", "/start", hint="en")
    await say(services.engine, "p3", "how to open a bank account")
    replies = await say(services.engine, "p3", "/privacy")
    assert {"mydata", "erase:ask"} <= set(buttons(replies))
    replies = await press(services.engine, "p3", "mydata")
    assert "Messages kept" in texts(replies)
    replies = await press(services.engine, "p3", "erase:yes")  # not confirmed yet: asks first
    assert "cannot be undone" in texts(replies)
    assert await _contact(services, "p3") is not None
    replies = await press(services.engine, "p3", "erase:yes")
    assert "deleted" in texts(replies)
    assert await _contact(services, "p3") is None
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TranscriptEntry)) == 0


async def test_talking_to_a_counsellor_creates_one_request(services: Services) -> None:
    await say(services.engine, "p4", "/start", hint="en")
    await press(services.engine, "p4", "human")
    replies = await press(services.engine, "p4", "consent:yes")
    assert "request #1" in texts(replies) and "/my_requests" in texts(replies)
    replies = await press(services.engine, "p4", "human")
    assert "already have an open request #1" in texts(replies)
    replies = await say(services.engine, "p4", "/my_requests")
    assert "#1" in texts(replies) and "received" in texts(replies)
    async with services.sessions() as session:
        leads = (await session.scalars(select(Lead))).all()
        outbox = (await session.scalars(select(OutboxMessage))).all()
    assert [(lead.source, lead.status) for lead in leads] == [("counsellor", "new")]
    assert [m.kind for m in outbox] == ["lead_card"]


async def test_erasing_anonymises_requests(services: Services) -> None:
    await say(services.engine, "p5", "/start", hint="en")
    await press(services.engine, "p5", "human")
    await press(services.engine, "p5", "consent:yes")
    await press(services.engine, "p5", "erase:ask")
    await press(services.engine, "p5", "erase:yes")
    async with services.sessions() as session:
        lead = await session.scalar(select(Lead))
    assert lead is not None and lead.contact_id is None and lead.anonymised and lead.summary == {}
