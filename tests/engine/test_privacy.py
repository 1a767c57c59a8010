"""Consent before personal questions, and seeing and erasing one's data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.engine.privacy import CONSENT_VERSION
from bot.models import ConsentRecord, Contact, TranscriptEntry
from leads.models import Lead, OutboxMessage
from tests.engine.helpers import buttons, press, say, texts
from ughi.services import Services
from ughi.settings import get_settings


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


async def test_my_data_command_shows_what_is_kept_with_the_answers(services: Services) -> None:
    await say(services.engine, "p6", "/start", hint="en")
    await press(services.engine, "p6", "flow:job_seeker")
    await press(services.engine, "p6", "consent:yes")
    replies = await say(services.engine, "p6", "/my_data")
    text = texts(replies)
    assert "What I keep about you" in text and "Questionnaires: 1" in text and "Requests to a counsellor: 0" in text
    assert "Consent to personal questions: not given" not in text
    assert {"erase:ask", "menu"} <= set(buttons(replies))


async def test_my_data_lists_the_answers_given(services: Services) -> None:
    await say(services.engine, "p7", "/start", hint="en")
    await press(services.engine, "p7", "flow:job_seeker")
    replies = await press(services.engine, "p7", "consent:yes")
    first = next(b for b in buttons(replies) if b.startswith("ans:"))
    await press(services.engine, "p7", first)
    text = texts(await say(services.engine, "p7", "/my_data"))
    assert "Your answers to questionnaires" in text and "I am looking for work" in text


async def test_delete_my_data_command_asks_then_erases(services: Services) -> None:
    await say(services.engine, "p8", "/start", hint="ru")
    await say(services.engine, "p8", "как открыть счёт в банке")
    replies = await say(services.engine, "p8", "/delete_my_data")
    assert buttons(replies) == ["erase:yes", "privacy"] and await _contact(services, "p8") is not None
    replies = await press(services.engine, "p8", "privacy")  # changed their mind
    assert "mydata" in buttons(replies) and await _contact(services, "p8") is not None
    await say(services.engine, "p8", "/delete_my_data")
    replies = await press(services.engine, "p8", "erase:yes")
    assert "все данные о вас удалены" in texts(replies)
    assert await _contact(services, "p8") is None


async def test_privacy_texts_state_the_configured_periods(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGHI_RETENTION_DAYS", "730")
    monkeypatch.setenv("UGHI_TRANSCRIPT_RETENTION_DAYS", "180")
    monkeypatch.setenv("UGHI_INTAKE_RETENTION_DAYS", "45")
    get_settings.cache_clear()
    try:
        await say(services.engine, "p9", "/start", hint="en")
        text = texts(await say(services.engine, "p9", "/privacy"))
        assert "each message 6 months after it was written" in text
        assert "unfinished questionnaire 45 days after your last answer" in text
        assert "Everything else goes 2 years after our last conversation" in text
        assert "/my_data" in text and "/delete_my_data" in text
        consent = texts(await press(services.engine, "p9", "human"))
        assert "each message 6 months, an unfinished questionnaire 45 days, everything else 2 years" in consent
        await press(services.engine, "p9", "lang:ru")
        text = texts(await say(services.engine, "p9", "/privacy"))
        assert "через 6 месяцев" in text and "через 45 дней" in text and "через 2 года" in text
    finally:
        get_settings.cache_clear()
