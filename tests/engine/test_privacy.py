"""Consent before personal questions, and seeing and erasing one's data."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.engine.privacy import CONSENT_VERSION
from bot.models import ConsentRecord, Contact, TranscriptEntry
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
    assert "art:find-centre" in buttons(replies) or "art:talk-to-counsellor" in buttons(replies)
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


async def test_counsellor_screen_lists_the_centres_without_unfilled_fields(services: Services) -> None:
    await say(services.engine, "p4", "/start", hint="en")
    await press(services.engine, "p4", "human")
    replies = await press(services.engine, "p4", "consent:yes")
    shown = texts(replies)
    assert "Gyumri" in shown and "Ashtarak" in shown and "Yerevan" in shown
    assert "[CENTRE" not in shown
