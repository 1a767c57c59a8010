"""Leads on a real database: creation with its card, the status lifecycle, invalid moves, relay, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flows.models import FlowRun
from bot.models import Contact
from leads import service
from leads.errors import ContactGone, InvalidTransition, StaffUnavailable
from leads.models import Lead, LeadEvent, OutboxMessage, StaffMember
from leads.routing import DEFAULT_RESPONSE_DAYS, due_after
from tests.leads.conftest import MONDAY, add_staff, new_lead
from ughi.db import transaction
from ughi.metrics import REGISTRY


async def events(session: AsyncSession, lead: Lead) -> list[tuple[str, str, str | None, str | None, int | None]]:
    rows = await session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id))
    return [(e.action, e.actor, e.from_status, e.to_status, e.actor_staff_id) for e in rows]


async def outbox(session: AsyncSession) -> list[tuple[str, dict[str, object]]]:
    rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(m.kind, m.payload) for m in rows]


async def test_a_new_lead_has_its_event_due_date_and_one_card_in_the_same_transaction(
    session: AsyncSession, contact: Contact
) -> None:
    lead = await new_lead(session, contact.id, summary={"name": "<b>Ani</b>"})
    assert (lead.status, lead.centre_id, lead.score, lead.outcome) == ("new", "shirak-gyumri", 0.8, None)
    assert lead.due_at == due_after(MONDAY, 2) == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # end of Wed, Yerevan
    assert await events(session, lead) == [("created", "contact", None, "new", None)]
    [(kind, payload)] = await outbox(session)
    assert (kind, payload) == ("lead_card", {"to": "staff", "lead_id": lead.id})
    card = await session.scalar(select(OutboxMessage))
    assert card is not None and card.dedupe_key == f"lead_card:{lead.id}" and card.sent_at is None


async def test_a_lead_from_an_intake_keeps_a_link_to_its_answers(session: AsyncSession, contact: Contact) -> None:
    run = FlowRun(contact_id=contact.id, flow_id="job-seeker", flow_version=1, step_id="summary", answers={})
    session.add(run)
    await session.flush()
    lead = await service.create_lead(
        session,
        contact_id=contact.id,
        source="intake:job-seeker",
        flow_id="job-seeker",
        language="hy",
        region=None,
        topic=None,
        summary={},
        score=1.5,
        reason="",
        centre=None,
        flow_run_id=run.id,
    )
    assert lead.flow_run_id == run.id


async def test_a_lead_without_a_centre_gets_the_default_response_time(session: AsyncSession) -> None:
    lead = await new_lead(session, None, centre=None, source="counsellor")
    assert lead.centre_id is None and lead.flow_id is None
    assert lead.due_at == due_after(MONDAY, DEFAULT_RESPONSE_DAYS)
    assert await events(session, lead) == [("created", "system", None, "new", None)]


async def test_the_whole_lifecycle_is_recorded_with_who_and_when(
    session: AsyncSession, lead: Lead, anna: StaffMember
) -> None:
    await service.assign(session, lead=lead, staff=anna, actor=anna)
    assert (lead.status, lead.assigned_to) == ("assigned", anna.id)
    await service.relay_to_contact(session, lead=lead, actor=anna, text="Բարև, I am Anna")
    assert lead.status == "in_progress"
    await service.add_note(session, lead=lead, actor=anna, note="called back, no answer")
    await service.change_status(session, lead=lead, status="closed", actor=anna, outcome="helped", note="job found")
    assert (lead.status, lead.outcome) == ("closed", "helped") and lead.closed_at is not None
    assert await events(session, lead) == [
        ("created", "contact", None, "new", None),
        ("assigned", "staff", "new", "assigned", anna.id),
        ("status", "staff", "assigned", "in_progress", anna.id),
        ("message", "staff", None, None, anna.id),
        ("note", "staff", None, None, anna.id),
        ("status", "staff", "in_progress", "closed", anna.id),
    ]
    stamps = (await session.scalars(select(LeadEvent.created_at).where(LeadEvent.lead_id == lead.id))).all()
    assert all(stamp.tzinfo is not None for stamp in stamps)
    kinds = [(kind, payload.get("notice") or payload.get("text")) for kind, payload in await outbox(session)]
    assert kinds == [
        ("lead_card", None),
        ("lead_assigned", None),
        ("to_contact", "counsellor_joined"),
        ("to_contact", "Բարև, I am Anna"),
        ("lead_closed", None),
        ("to_contact", "case_closed"),
    ]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("in_progress", None), ("assigned", None), ("closed", None), ("closed", "maybe"), ("new", None), ("lost", None)],
)
async def test_moves_the_lifecycle_does_not_allow_raise(
    session: AsyncSession, lead: Lead, status: str, outcome: str | None
) -> None:
    with pytest.raises(InvalidTransition) as raised:
        await service.change_status(session, lead=lead, status=status, actor=None, outcome=outcome)
    assert raised.value.lead_id == lead.id and raised.value.from_status == "new"
    assert lead.status == "new" and await events(session, lead) == [("created", "contact", None, "new", None)]


async def test_a_closed_lead_stays_closed(session: AsyncSession, lead: Lead, anna: StaffMember) -> None:
    await service.change_status(session, lead=lead, status="closed", actor=anna, outcome="not_eligible")
    for status in ("new", "assigned", "in_progress", "closed"):
        with pytest.raises(InvalidTransition):
            await service.change_status(session, lead=lead, status=status, actor=anna, outcome="helped")
    with pytest.raises(InvalidTransition):
        await service.assign(session, lead=lead, staff=anna, actor=anna)
    with pytest.raises(InvalidTransition):
        await service.relay_from_contact(session, lead=lead, text="hello?")
    taken = await new_lead(session, None)
    await service.assign(session, lead=taken, staff=anna, actor=anna)
    with pytest.raises(InvalidTransition, match="only closing"):
        await service.change_status(session, lead=taken, status="in_progress", actor=anna, outcome="helped")


async def test_only_active_counsellors_and_admins_take_leads(session: AsyncSession, lead: Lead) -> None:
    editor = await add_staff(session, "Edik", 9101, role="editor")
    gone = await add_staff(session, "Gor", 9102)
    gone.active = False
    for member in (editor, gone):
        with pytest.raises(StaffUnavailable):
            await service.assign(session, lead=lead, staff=member, actor=member)
    admin = await add_staff(session, "Armine", 9103, role="admin")
    await service.assign(session, lead=lead, staff=admin, actor=admin)
    assert lead.assigned_to == admin.id


async def test_handing_over_and_releasing_a_lead(session: AsyncSession, lead: Lead, anna: StaffMember) -> None:
    gor = await add_staff(session, "Gor", 9002)
    await service.assign(session, lead=lead, staff=anna, actor=anna)
    await service.assign(session, lead=lead, staff=anna, actor=anna)  # pressing again changes nothing
    await service.assign(session, lead=lead, staff=gor, actor=anna)
    assert (lead.status, lead.assigned_to) == ("assigned", gor.id)
    await service.change_status(session, lead=lead, status="new", actor=gor, note="on leave")
    assert (lead.status, lead.assigned_to) == ("new", None)
    joined = [p for kind, p in await outbox(session) if p.get("notice") == "counsellor_joined"]
    assert len(joined) == 1  # the person is told once that a human is with them
    assert [e[0] for e in await events(session, lead)] == ["created", "assigned", "assigned", "status"]


async def test_relay_targets_and_open_requests_of_a_person(
    session: AsyncSession, contact: Contact, anna: StaffMember
) -> None:
    first = await new_lead(session, contact.id)
    second = await new_lead(session, contact.id, source="counsellor")
    other = await new_lead(session, None)
    assert await service.relay_lead_for_contact(session, contact_id=contact.id) is None
    await service.assign(session, lead=first, staff=anna, actor=anna)
    assert await service.relay_lead_for_contact(session, contact_id=contact.id) is first
    assert [lead.id for lead in await service.open_leads_for_contact(session, contact_id=contact.id)] == [
        second.id,
        first.id,
    ]
    await service.relay_from_contact(session, lead=first, text="<script>hi</script>")
    [payload] = [p for k, p in await outbox(session) if k == "to_staff"]
    assert payload == {"to": "staff", "lead_id": first.id, "text": "<script>hi</script>"}
    await service.change_status(session, lead=first, status="closed", actor=anna, outcome="referred")
    assert await service.relay_lead_for_contact(session, contact_id=contact.id) is None
    assert [lead.id for lead in await service.open_leads_for_contact(session, contact_id=contact.id)] == [second.id]
    assert other.contact_id is None


async def test_nothing_is_relayed_to_a_person_who_erased_their_data(session: AsyncSession, anna: StaffMember) -> None:
    lead = await new_lead(session, None)
    await service.assign(session, lead=lead, staff=anna, actor=anna)
    with pytest.raises(ContactGone):
        await service.relay_to_contact(session, lead=lead, actor=anna, text="hello")
    assert lead.status == "assigned"


async def test_a_note_needs_text(session: AsyncSession, lead: Lead, anna: StaffMember) -> None:
    with pytest.raises(ValueError, match="text"):
        await service.add_note(session, lead=lead, actor=anna, note="   ")
    event = await service.add_note(session, lead=lead, actor=anna, note="  prefers calls after 18:00 ")
    assert (event.action, event.note, event.actor_staff_id) == ("note", "prefers calls after 18:00", anna.id)


async def test_overdue_counts_working_days_and_stops_once_a_counsellor_writes(
    session: AsyncSession, contact: Contact, anna: StaffMember
) -> None:
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 16:00 in Yerevan
    lead = await new_lead(session, contact.id, now=friday)  # 2 working days: due at the end of Tuesday
    tuesday_night = datetime(2026, 12, 1, 19, 59, tzinfo=UTC)  # 23:59 in Yerevan
    assert not service.is_overdue(lead, friday + timedelta(days=3))
    assert not service.is_overdue(lead, tuesday_night)
    assert service.is_overdue(lead, tuesday_night + timedelta(minutes=1))
    assert [x.id for x in await service.overdue_leads(session, now=tuesday_night + timedelta(minutes=1))] == [lead.id]
    assert await service.overdue_leads(session, now=tuesday_night + timedelta(minutes=1), centre_id="yerevan") == []
    await service.assign(session, lead=lead, staff=anna, actor=anna)
    assert service.is_overdue(lead, tuesday_night + timedelta(minutes=1))  # taken, but nobody has written yet
    await service.relay_to_contact(session, lead=lead, actor=anna, text="Hello!")
    assert not service.is_overdue(lead, tuesday_night + timedelta(days=30))
    assert await service.overdue_leads(session, now=tuesday_night + timedelta(days=30)) == []


async def test_staff_are_recognised_by_their_linked_telegram_id(session: AsyncSession, anna: StaffMember) -> None:
    assert await service.staff_by_telegram(session, telegram_user_id=9001) is anna
    assert await service.staff_by_telegram(session, telegram_user_id=1234) is None
    anna.active = False
    assert await service.staff_by_telegram(session, telegram_user_id=9001) is None


async def test_leads_count_in_the_metrics_once_committed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A lead whose transaction is rolled back (then made again, as a failed group of updates is) counts once."""
    before = REGISTRY.get_sample_value("ughi_leads_created_total") or 0.0
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await new_lead(session, None, source="human")
            raise RuntimeError("the rest of the turn failed")
    assert (REGISTRY.get_sample_value("ughi_leads_created_total") or 0.0) == before
    async with transaction(sessions) as session:
        await new_lead(session, None, source="human")
    assert REGISTRY.get_sample_value("ughi_leads_created_total") == before + 1
