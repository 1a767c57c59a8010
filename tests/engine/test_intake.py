"""Guided intakes through the engine: consent, steps, invalid answers, back/skip/edit, resume, submit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.engine import InboundKind, Reply
from bot.flows.models import FlowRun
from bot.models import ConsentRecord
from leads.models import Lead, OutboxMessage
from tests.engine.helpers import ARMENIAN, buttons, inbound, press, say, texts
from ughi.db import utcnow
from ughi.services import Services


async def _start_job_seeker(services: Services, user: str, hint: str = "en") -> list[Reply]:
    await say(services.engine, user, "/start", hint=hint)
    replies = await press(services.engine, user, "flow:job_seeker")
    assert buttons(replies) == ["consent:yes", "consent:no"], "personal questions need consent first"
    return await press(services.engine, user, "consent:yes")


async def _run(services: Services) -> FlowRun:
    async with services.sessions() as session:
        run = await session.scalar(select(FlowRun).order_by(FlowRun.id.desc()))
    assert run is not None
    return run


async def test_the_menu_offers_the_four_intakes(services: Services) -> None:
    replies = await say(services.engine, "i0", "/start", hint="en")
    offered = {d for d in buttons(replies) if d.startswith("flow:")}
    assert offered == {"flow:returnee_profile", "flow:job_seeker", "flow:business_idea", "flow:pre_departure"}


async def test_job_seeker_end_to_end_creates_a_lead_after_share_consent(services: Services) -> None:
    engine = services.engine
    replies = await _start_job_seeker(services, "i1")
    assert "ans:sector:construction" in buttons(replies) and "fnav:cancel" in buttons(replies)
    await press(engine, "i1", "ans:sector:construction")
    await press(engine, "i1", "ans:region:shirak-gyumri")
    replies = await say(engine, "i1", "lots")  # not a number
    assert "fnav:cancel" in buttons(replies) and (await _run(services)).invalid_count == 1
    await say(engine, "i1", "5")
    await press(engine, "i1", "ans:availability:now")
    replies = await press(engine, "i1", "ans:hours:full_time")
    assert any(k.request_contact for r in replies for row in r.keyboard for k in row)
    replies = await say(engine, "i1", "091 23 45 67")
    assert "fsend" in buttons(replies) and "+374 91 234567" in texts(replies)
    replies = await press(engine, "i1", "fedit:experience")
    replies = await say(engine, "i1", "7")
    assert "fsend" in buttons(replies), "after an edit the summary comes back"
    replies = await press(engine, "i1", "fsend")
    assert buttons(replies)[:2] == ["share:yes", "share:no"] and "Gyumri" in texts(replies)
    replies = await press(engine, "i1", "share:yes")
    assert "#1" in texts(replies) and "Gyumri" in texts(replies) and "/my_requests" in texts(replies)
    async with services.sessions() as session:
        lead = await session.scalar(select(Lead))
        cards = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "lead_card"))).all()
        consents = (await session.scalars(select(ConsentRecord.purpose))).all()
    assert lead is not None and lead.centre_id == "shirak-gyumri" and lead.flow_id == "job_seeker"
    assert lead.score >= 3 and len(cards) == 1
    assert set(consents) == {"personal_data", "share_with_centre"}
    run = await _run(services)
    assert run.status == "submitted" and run.answers["experience"] == 7 and run.answers["phone"] == "+37491234567"


async def test_three_invalid_answers_explain_and_offer_a_counsellor(services: Services) -> None:
    await _start_job_seeker(services, "i2")
    await press(services.engine, "i2", "ans:sector:construction")
    await press(services.engine, "i2", "ans:region:yerevan")
    for _ in range(2):
        await say(services.engine, "i2", "many many")
    replies = await say(services.engine, "i2", "many many")
    assert "human" in buttons(replies)


async def test_back_skip_and_cancel(services: Services) -> None:
    engine = services.engine
    await _start_job_seeker(services, "i3")
    await press(engine, "i3", "ans:sector:trade")
    replies = await press(engine, "i3", "fnav:back")
    assert "ans:sector:trade" in buttons(replies)
    await press(engine, "i3", "ans:sector:transport")
    await press(engine, "i3", "ans:region:yerevan")
    await say(engine, "i3", "2")
    await press(engine, "i3", "ans:availability:later")
    replies = await press(engine, "i3", "ans:hours:any")
    assert "fnav:skip" in buttons(replies)
    replies = await press(engine, "i3", "fnav:skip")
    assert "fsend" in buttons(replies)
    replies = await press(engine, "i3", "fnav:cancel")
    assert "Nothing was sent" in texts(replies)
    assert (await _run(services)).status == "cancelled"


async def test_stale_step_button_re_asks_the_current_step(services: Services) -> None:
    await _start_job_seeker(services, "i4")
    await press(services.engine, "i4", "ans:sector:trade")
    replies = await press(services.engine, "i4", "ans:sector:construction")  # a button of the first question
    assert "ans:region:yerevan" in buttons(replies)
    assert (await _run(services)).answers == {"sector": "trade"}


async def test_a_question_in_the_middle_gets_an_answer_and_the_step_again(services: Services) -> None:
    await _start_job_seeker(services, "i5")
    replies = await say(services.engine, "i5", "how do I open a bank account in Armenia")
    assert "fb:bank-account:yes" in buttons(replies) and "ans:sector:construction" in buttons(replies)
    replies = await press(services.engine, "i5", "ans:sector:trade")
    assert "ans:region:yerevan" in buttons(replies)


async def test_coming_back_later_offers_continue_or_start_over(services: Services) -> None:
    await _start_job_seeker(services, "i6", hint="hy")
    await press(services.engine, "i6", "ans:sector:trade")
    async with services.sessions() as session, session.begin():
        await session.execute(update(FlowRun).values(updated_at=utcnow() - timedelta(days=7)))
    replies = await say(services.engine, "i6", "barev")
    assert buttons(replies)[:2] == ["fres:continue", "fres:restart"] and ARMENIAN.search(texts(replies))
    replies = await press(services.engine, "i6", "fres:continue")
    assert "ans:region:yerevan" in buttons(replies)
    replies = await say(services.engine, "i6", "/start")
    assert "fres:continue" in buttons(replies)
    await press(services.engine, "i6", "fres:restart")
    assert (await _run(services)).answers == {}
    async with services.sessions() as session:  # the old run ended, a new one began, each written once
        runs = (await session.scalars(select(FlowRun).order_by(FlowRun.id))).all()
    assert [(r.status, r.finished_at is not None) for r in runs] == [("cancelled", True), ("active", False)]
    assert runs[0].answers == {"sector": "trade"} and (runs[1].step_id, runs[1].answers) == ("sector", {})


async def test_shared_contact_answers_the_phone_step(services: Services) -> None:
    engine = services.engine
    await _start_job_seeker(services, "i7")
    for data in ("ans:sector:trade", "ans:region:yerevan"):
        await press(engine, "i7", data)
    await say(engine, "i7", "3")
    await press(engine, "i7", "ans:availability:now")
    await press(engine, "i7", "ans:hours:any")
    contact = inbound("i7", kind=InboundKind.CONTACT)
    replies = await engine.handle(contact.__class__(**{**contact.__dict__, "phone": "+7 912 345-67-89"}))
    assert "fsend" in buttons(replies)
    assert (await _run(services)).answers["phone"] == "+79123456789"


async def test_refusing_to_share_creates_no_lead(services: Services) -> None:
    engine = services.engine
    await _start_job_seeker(services, "i8")
    for data in ("ans:sector:trade", "ans:region:yerevan"):
        await press(engine, "i8", data)
    await say(engine, "i8", "10")
    await press(engine, "i8", "ans:availability:now")
    await press(engine, "i8", "ans:hours:any")
    await say(engine, "i8", "+374 91 234567")
    replies = await press(engine, "i8", "fsend")
    if "share:no" in buttons(replies):
        replies = await press(engine, "i8", "share:no")
        assert "nothing was sent" in texts(replies)
    async with services.sessions() as session:
        assert (await session.scalars(select(Lead))).all() == []
