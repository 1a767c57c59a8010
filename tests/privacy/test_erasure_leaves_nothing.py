"""A person who gave their name and phone number, made a request and then deleted their data leaves no trace:
not in the database as stored (SQLite file bytes, a PostgreSQL dump), not in the logs. Before the erasure the
name and number are already unreadable on disk: they are kept encrypted."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, func, select

from bot.flows import load_flows
from bot.flows.models import FlowRun
from bot.models import Contact, TranscriptEntry
from knowledge.models import UnansweredQuestion
from leads import service as lifecycle
from leads.models import Lead, LeadEvent, OutboxMessage, StaffMember
from tests.e2e.conftest import Person, Ughi
from tests.fakes.bot_api import SentMessage
from tests.flow_walker import Answer, Walker
from tests.privacy.raw import database_bytes, found_in
from ughi.db import transaction

TELEGRAM_ID = 6140582937
FIRST_NAME, LAST_NAME = "Zaruhi", "Vardevanyan"
NAME_HY = "Զարուհի Վարդևանյան"
PHONE_SHARED = "37477481926"  # as Telegram sends a shared contact: digits only
PHONE_TYPED = "077 48 19 26"
# every way the number may be written: E.164, international, national, digits
PHONE_FORMS = ["+37477481926", PHONE_SHARED, "+374 77 481926", "077 481926", "077481926", "77481926", PHONE_TYPED]
NAMES = [FIRST_NAME, LAST_NAME, "Զարուհի", "Վարդևանյան"]
PERSONAL = [*NAMES, *PHONE_FORMS]
FLOW = load_flows()["returnee_profile"]  # free text steps and a phone step, and it ends in a request


def screen_of(replies: list[SentMessage]) -> SentMessage:
    return [m for m in replies if m.callback_data][-1]


async def walk_intake(p: Person) -> SentMessage:
    """The intake with the name in its free-text answers and the phone shared as a contact; its summary."""
    await p.say("/start")
    replies = await p.press(f"flow:{FLOW.id}")
    if "consent:yes" in screen_of(replies).callback_data:
        replies = await p.press("consent:yes", screen_of(replies))
    walker = Walker(FLOW, "en")
    while not walker.finished:
        step, answer = walker.step, walker.answer()
        if step.type == "text":
            typed = f"{FIRST_NAME} {LAST_NAME}, welder"
            answer = Answer(step, typed, text=typed)
            replies = await p.say(typed)
        elif step.type == "phone":
            answer = Answer(step, "+37477481926")
            replies = await p.send(await p.api.send_contact(p.user, phone=PHONE_SHARED))
        elif answer.text is not None:
            replies = await p.say(answer.text)
        else:
            screen = screen_of(replies)
            for data in answer.presses:
                replies = await p.press(data, screen)
                screen = screen_of(replies) if any(m.callback_data for m in replies) else screen
        walker.advance(answer)
    return screen_of(replies)


async def make_request(ughi: Ughi, p: Person) -> int:
    """Walk the intake, type the number again (editing it on the summary), send it and pass it to a centre."""
    summary = await walk_intake(p)
    replies = await p.press("fedit:phone", summary)
    assert "Your answer so far: +374 77 481926" in screen_of(replies).text
    replies = await p.say(PHONE_TYPED)
    replies = await p.press("fsend", screen_of(replies))
    [done] = await p.press("share:yes", screen_of(replies))
    assert "has been sent" in done.text
    async with ughi.services.sessions() as session:
        lead: Lead | None = await session.scalar(select(Lead))
        run = await session.scalar(select(FlowRun))
    assert lead is not None and run is not None and run.answers["phone"] == "+37477481926"
    assert f"{FIRST_NAME} {LAST_NAME}, welder" in run.answers.values()
    return lead.id


async def counsellor_takes_it(ughi: Ughi, lead_id: int) -> None:
    """A counsellor takes the request, writes to the person and notes the call, naming them."""
    async with transaction(ughi.services.sessions) as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        counsellor = StaffMember(email="anna@mrc.example", name="Anna", role="counsellor", centre_id=lead.centre_id)
        session.add(counsellor)
        await session.flush()
        await lifecycle.assign(session, lead=lead, staff=counsellor, actor=counsellor)
        text = f"Hello {FIRST_NAME}, I will call you on {PHONE_TYPED} tomorrow."
        await lifecycle.relay_to_contact(session, lead=lead, actor=counsellor, text=text)
        await lifecycle.add_note(session, lead=lead, actor=counsellor, note=f"Called {NAME_HY} on +37477481926")


def deleted_rows_linger(ughi: Ughi) -> None:
    """SQLite as most builds ship it: deleted rows stay in the file's free space unless the erasure clears them."""
    if ughi.services.settings.is_sqlite:

        @event.listens_for(ughi.services.db.sync_engine, "checkout")
        def _no_secure_delete(dbapi_connection, _record, _proxy):  # type: ignore[no-untyped-def]
            dbapi_connection.cursor().execute("PRAGMA secure_delete = 0")


async def test_erasure_leaves_nothing(ughi: Ughi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = ughi.services.settings
    deleted_rows_linger(ughi)
    p = Person(ughi, ughi.api.user(TELEGRAM_ID, language_code="en", first_name=FIRST_NAME, last_name=LAST_NAME))
    await p.say(f"Hello, I am {FIRST_NAME} {LAST_NAME} ({NAME_HY}), my number is {PHONE_TYPED}")
    await p.say(f"{NAME_HY} qzvx wrmpt")  # a question nobody can answer: kept for staff, as typed
    lead_id = await make_request(ughi, p)
    await counsellor_takes_it(ughi, lead_id)
    replies = await p.say(f"Thank you! Call me on +37477481926, {FIRST_NAME}")  # relayed to the counsellor
    assert "Sent to your counsellor" in replies[-1].text
    async with ughi.services.sessions() as session:
        relayed = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "to_staff")))
        questions = list(await session.scalars(select(UnansweredQuestion.text)))
    assert f"{NAME_HY} qzvx wrmpt" in questions
    assert [m.payload["text"] for m in relayed] == [f"Thank you! Call me on +37477481926, {FIRST_NAME}"]

    stored = await database_bytes(settings)
    assert found_in(stored, [str(TELEGRAM_ID)]) == [str(TELEGRAM_ID)], "the scan finds what is there"
    assert found_in(stored, PERSONAL) == [], "names and numbers are encrypted at rest"

    [confirm] = await p.say("/delete_my_data")
    assert "cannot be undone" in confirm.text and "erase:yes" in confirm.callback_data
    [done] = await p.press("erase:yes", confirm)
    assert "has been deleted" in done.text

    async with ughi.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 0
        assert await session.scalar(select(func.count()).select_from(TranscriptEntry)) == 0
        assert await session.scalar(select(func.count()).select_from(UnansweredQuestion)) == 0
        lead = await session.get(Lead, lead_id)
        assert lead is not None and lead.anonymised and lead.contact_id is None and lead.summary == {}
        assert lead.region is not None and lead.status == "in_progress"  # kept for statistics
        assert set(await session.scalars(select(LeadEvent.note))) == {""}
    stored = await database_bytes(settings)
    assert found_in(stored, [*PERSONAL, str(TELEGRAM_ID)]) == [], "the erasure left something behind"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "erased contact" in logged, "the erasure is logged (without saying who)"
    assert found_in(logged.encode(), [*PERSONAL, str(TELEGRAM_ID)]) == []
