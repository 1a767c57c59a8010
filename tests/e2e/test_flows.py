"""Every guided intake in every language through the real bot and the fake Bot API, to a request for a centre."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Mapping
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.render import rendered_text
from bot.engine.types import Inbound, Reply
from bot.flows import Flow, Step, load_flows
from bot.flows.answers import display
from bot.flows.forms import number_bounds_text, year_bounds, year_bounds_text
from bot.flows.models import FlowRun
from bot.flows.schema import text_in
from bot.flows.scoring import centre_of, key_answers, qualifies, red_flags, region_of
from bot.i18n import gettext_for
from bot.models import Contact
from leads.models import Lead
from tests.e2e.conftest import Person, Ughi, person, restart
from tests.engine.helpers import ARMENIAN, CYRILLIC
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.flow_walker import (
    MINIMAL,
    MODES,
    PHONE,
    QUALIFY,
    Answer,
    Mode,
    Walker,
    candidates,
    skip,
    store_flow_versions,
)

FLOWS = load_flows()
LANGS = ("hy", "ru", "en")
LATIN = re.compile(r"[A-Za-z]{3}")


def written_in(lang: str, text: str) -> bool:
    if lang == "hy":
        return bool(ARMENIAN.search(text))
    if lang == "ru":
        return bool(CYRILLIC.search(text)) and not ARMENIAN.search(text)
    return bool(LATIN.search(text)) and not ARMENIAN.search(text) and not CYRILLIC.search(text)


def gettext(lang: str, message: str) -> str:
    return gettext_for(lang)(message)


# ---- driving one person ------------------------------------------------------------------------------------


async def tap(p: Person, message: SentMessage, data: str) -> list[SentMessage]:
    """Press the button `data` under `message` (it must be there); what the bot sent or edited in answer."""
    assert data in message.callback_data, f"no {data!r} under {message.text[:60]!r}: {message.callback_data}"
    before = len(p.outgoing())
    await p.ughi.settle(await p.api.press(p.user, message, data))
    return p.outgoing()[before:]


def screen_of(replies: list[SentMessage]) -> SentMessage:
    """The last of these messages that carries buttons: the one to answer."""
    with_buttons = [m for m in replies if m.callback_data]
    assert with_buttons, f"no buttons in {[m.text[:60] for m in replies]}"
    return with_buttons[-1]


async def give(p: Person, screen: SentMessage, answer: Answer) -> list[SentMessage]:
    """Answer a step as a person does: buttons on the message that carried them, typed text, a shared location."""
    if answer.text is not None:
        return await p.say(answer.text)
    if answer.location is not None:
        before = len(p.outgoing())
        await p.ughi.settle(await p.api.send_location(p.user, *answer.location))
        return p.outgoing()[before:]
    replies: list[SentMessage] = []
    for data in answer.presses:
        pressed = await tap(p, screen, data)
        if answer.step.type == "multi" and data.startswith("ans:"):  # ticked in place, Done still to press
            assert [m.message_id for m in pressed] == [screen.message_id], [m.text for m in pressed]
            assert any(b["text"].startswith("✅") for b in screen.buttons), screen.buttons
        replies += pressed
        screen = screen_of(replies)
    return replies


def assert_asks(screen: SentMessage, step: Step, lang: str, *, back: bool) -> None:
    """`screen` asks `step` in `lang`, with its buttons."""
    assert rendered_text(text_in(step.prompt, lang)) in screen.text, f"{step.id!r} not asked: {screen.text[:200]!r}"
    data = screen.callback_data
    assert {f"ans:{step.id}:{c.id}" for c in step.choices} <= set(data), f"{step.id}: {data}"
    assert "fnav:cancel" in data and ("fnav:back" in data) == back and ("fnav:skip" in data) == step.optional
    assert ("fnav:done" in data) == (step.type == "multi")


def assert_summary(screen: SentMessage, walker: Walker) -> None:
    """The summary shows each answer given on the way, and Send."""
    assert "fsend" in screen.callback_data and "fnav:cancel" in screen.callback_data
    assert rendered_text(f"**{text_in(walker.flow.title, walker.lang)}**") in screen.text
    for step_id in walker.history:
        step = walker.flow.step(step_id)
        line = f"{text_in(step.summary_label, walker.lang)}: {display(step, walker.answers[step_id], walker.lang)}"
        assert line in screen.text, f"{line!r} not in the summary {screen.text!r}"
        assert f"fedit:{step_id}" in screen.callback_data


async def open_flow(p: Person, flow: Flow) -> list[SentMessage]:
    """/start, the flow's button on the menu, and consent when the flow asks personal questions."""
    [menu] = await p.say("/start")
    replies = await tap(p, menu, f"flow:{flow.id}")
    if flow.personal:
        consent = screen_of(replies)
        assert consent.callback_data == ["consent:yes", "consent:no"], "personal questions need consent first"
        replies = await tap(p, consent, "consent:yes")
    return replies


async def answer_steps(p: Person, walker: Walker, screen: SentMessage, until: str = "summary") -> SentMessage:
    """Answer the walker's steps from `screen` until step `until` is asked; its screen."""
    while walker.step.id != until and not walker.finished:
        answer = walker.answer()
        replies = await give(p, screen, answer)
        walker.advance(answer)
        screen = screen_of(replies)
        if walker.finished:
            assert_summary(screen, walker)
        else:
            assert_asks(screen, walker.step, walker.lang, back=True)
            if walker.step.type in ("phone", "contact"):
                assert any(k.get("request_contact") for m in replies for k in m.keyboard), "no Share my phone"
    return screen


async def start_walk(p: Person, flow: Flow, lang: str, mode: Mode) -> tuple[Walker, SentMessage]:
    """Open `flow` and check its first question; the walker at that question and its screen."""
    walker = Walker(flow, lang, mode)
    replies = await open_flow(p, flow)
    assert any(rendered_text(text_in(flow.description, lang)) in m.text for m in replies), "no description"
    screen = screen_of(replies)
    assert_asks(screen, walker.step, lang, back=False)
    return walker, screen


async def run_of(ughi: Ughi, p: Person) -> FlowRun:
    async with ughi.services.sessions() as session:
        run = await session.scalar(
            select(FlowRun)
            .join(Contact, Contact.id == FlowRun.contact_id)
            .where(Contact.channel == "telegram", Contact.external_id == str(p.id))
            .order_by(FlowRun.id.desc())
            .limit(1)
        )
    assert run is not None, f"no intake run for {p.id}"
    return run


async def leads_of(ughi: Ughi, p: Person) -> list[Lead]:
    async with ughi.services.sessions() as session:
        found = await session.scalars(
            select(Lead)
            .join(Contact, Contact.id == Lead.contact_id)
            .where(Contact.channel == "telegram", Contact.external_id == str(p.id))
        )
        return list(found)


async def send_and_share(ughi: Ughi, p: Person, walker: Walker, summary: SentMessage) -> Lead:
    """Send the summary of a qualifying intake and agree to pass it on: the request it made."""
    flow, lang = walker.flow, walker.lang
    assert qualifies(flow, walker.answers), f"{flow.id}: the walker's answers score {walker.score} only"
    replies = await tap(p, summary, "fsend")
    flags = red_flags(flow, walker.answers)
    careful = gettext(lang, "**Please be careful.** Some of your answers are warning signs:")
    warned = [m for m in replies if rendered_text(careful) in m.text]
    assert bool(warned) == bool(flags), "red flags are named back exactly when there are some"
    for flag in flags:
        assert rendered_text(text_in(flag.text, lang)) in warned[0].text
    question = screen_of(replies)
    assert question.callback_data == ["share:yes", "share:no"] and written_in(lang, question.text)
    [done] = await tap(p, question, "share:yes")
    [lead] = await leads_of(ughi, p)
    sent = gettext(lang, "Your request #{number} has been sent.").format(number=lead.id)
    assert sent in done.text and str(lead.id) in sent and written_in(lang, done.text), done.text
    assert lead.flow_id == flow.id and lead.source == f"intake:{flow.id}" and lead.language == lang
    assert lead.region == region_of(flow, walker.answers) and lead.centre_id == centre_of(flow, walker.answers)
    assert lead.summary == key_answers(flow, walker.answers, ughi.services.settings.default_language)
    run = await run_of(ughi, p)
    assert run.status == "submitted" and run.answers == walker.answers
    return lead


async def send_without_sharing(ughi: Ughi, p: Person, walker: Walker, summary: SentMessage) -> None:
    """Send the summary of minimal answers: a request is offered only if they still qualify; none is made."""
    lang = walker.lang
    replies = await tap(p, summary, "fsend")
    last = screen_of(replies)
    if qualifies(walker.flow, walker.answers):
        assert last.callback_data == ["share:yes", "share:no"]
        [last] = await tap(p, last, "share:no")
        assert gettext(lang, "All right: your answers stay with you and nothing was sent to a centre.") in last.text
    else:
        assert gettext(lang, "Thank you, your answers are saved. These articles may help you next:") in last.text
        assert "human" in last.callback_data and any(d.startswith("art:") for d in last.callback_data)
    assert written_in(lang, last.text)
    assert await leads_of(ughi, p) == []
    run = await run_of(ughi, p)
    assert run.status == "submitted" and run.answers == walker.answers


async def walk_to_the_end(ughi: Ughi, p: Person, flow: Flow, lang: str, mode: Mode) -> None:
    walker, screen = await start_walk(p, flow, lang, mode)
    summary = await answer_steps(p, walker, screen)
    if mode == MINIMAL:
        assert all(walker.answers[s.id] is None for s in flow.questions if s.optional and s.id in walker.answers)
        await send_without_sharing(ughi, p, walker, summary)
    else:
        await send_and_share(ughi, p, walker, summary)


async def all_of(jobs: Mapping[str, Awaitable[None]]) -> None:
    """Run people's conversations side by side; every failure is reported with whose it was."""
    results = await asyncio.gather(*jobs.values(), return_exceptions=True)
    failures = {name: result for name, result in zip(jobs, results, strict=True) if isinstance(result, BaseException)}
    for result in failures.values():
        if not isinstance(result, Exception):
            raise result  # cancelled, interrupted: not a test failure
    assert not failures, "\n\n".join(f"{name}: {type(err).__name__}: {err}" for name, err in failures.items())


# ---- every flow, every language ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_every_flow_to_a_request(ughi: Ughi, lang: str) -> None:
    """Each flow twice at once: answers that qualify, shared as a request; minimal ones, which make none."""
    assert set(FLOWS) == set(ughi.services.engine.flows.current)
    await store_flow_versions(ughi.services)
    jobs: dict[str, Awaitable[None]] = {}
    for n, (flow_id, mode) in enumerate((f, m) for f in sorted(FLOWS) for m in MODES):
        someone = person(ughi, 2000 + 100 * LANGS.index(lang) + n, lang)
        jobs[f"{flow_id}/{lang}/{mode}"] = walk_to_the_end(ughi, someone, FLOWS[flow_id], lang, mode)
    await all_of(jobs)
    async with ughi.services.sessions() as session:
        leads = (await session.scalars(select(Lead))).all()
    assert sorted(lead.flow_id or "" for lead in leads) == sorted(FLOWS)
    assert len({lead.id for lead in leads}) == len(FLOWS)
    assert ughi.api.rejected == []


# ---- wrong answers -----------------------------------------------------------------------------------------


async def wrong(p: Person, text: str, walker: Walker) -> tuple[SentMessage, SentMessage]:
    """Type a wrong answer: the message saying what is wrong, and the same step asked again."""
    replies = await p.say(text)
    error, again = replies[0], screen_of(replies)
    assert not error.callback_data and len(replies) <= 3, [m.text for m in replies]
    assert written_in(walker.lang, error.text), error.text
    assert_asks(again, walker.step, walker.lang, back=bool(walker.history))
    return error, again


async def wrong_answers_are_asked_again(ughi: Ughi, p: Person, lang: str) -> None:
    flow = FLOWS["returnee_profile"]
    walker, screen = await start_walk(p, flow, lang, QUALIFY)
    error, _ = await wrong(p, "qqzzx vvbnm", walker)  # not one of the options
    assert gettext(lang, "Please choose one of the options: tap its button below.") in error.text
    second = candidates(walker.step, lang)[1]
    replies = await p.say("2")  # typed: the second option
    walker.advance(second)
    assert_asks(screen_of(replies), walker.step, lang, back=True)  # occupation, a text of 2 to 100 characters
    error, screen = await wrong(p, "x", walker)
    assert gettext(lang, "Please write a little more: at least {count} characters.").format(count=2) in error.text
    screen = await answer_steps(p, walker, screen, until="years_abroad")
    error, screen = await wrong(p, "99", walker)
    assert number_bounds_text(walker.step, lang) in error.text and "60" in error.text
    screen = await answer_steps(p, walker, screen, until="return_year")
    low, high = year_bounds(walker.step, date.today())
    for year in (low - 100, high + 5):  # before 1991, after this year: the bounds are said
        error, screen = await wrong(p, str(year), walker)
        assert year_bounds_text(walker.step, lang, date.today()) in error.text
        assert str(low) in error.text and str(high) in error.text
    replies = await p.say("19")  # the third wrong answer in a row: explained, with a way to a person
    explained = next(m for m in replies if "human" in m.callback_data)
    assert gettext(lang, "Let me explain what I need here.") in explained.text and str(low) in explained.text
    assert_asks(screen_of(replies), walker.step, lang, back=True)
    screen = await answer_steps(p, walker, screen_of(replies), until="phone")
    error, screen = await wrong(p, "12345", walker)
    not_a_phone = gettext(
        lang,
        "This does not look like a phone number. Please write an Armenian number like 091 23 45 67, "
        "or a foreign one with its country code, like +7 912 345 67 89.",
    )
    assert not_a_phone in error.text
    summary = await answer_steps(p, walker, screen)
    await send_and_share(ughi, p, walker, summary)
    assert (await run_of(ughi, p)).invalid_count == 0


async def test_wrong_answers_are_asked_again_with_what_is_expected(ughi: Ughi) -> None:
    await store_flow_versions(ughi.services)
    await all_of(
        {lang: wrong_answers_are_asked_again(ughi, person(ughi, 3000 + i, lang), lang) for i, lang in enumerate(LANGS)}
    )
    assert ughi.api.rejected == []


# ---- back, skip, edit --------------------------------------------------------------------------------------


async def back_skip_and_edit(ughi: Ughi, p: Person, lang: str) -> None:
    flow = FLOWS["job_seeker"]
    walker, screen = await start_walk(p, flow, lang, QUALIFY)
    first, answer = walker.step, walker.answer()
    screen = screen_of(await give(p, screen, answer))
    walker.advance(answer)
    replies = await tap(p, screen, "fnav:back")
    walker.back()
    screen = screen_of(replies)
    assert_asks(screen, first, lang, back=False)
    other = candidates(first, lang)[1]  # another answer this time
    screen = screen_of(await give(p, screen, other))
    walker.advance(other)
    screen = await answer_steps(p, walker, screen, until="phone")
    summary = screen_of(await tap(p, screen, "fnav:skip"))
    walker.advance(skip(walker.step))
    assert_summary(summary, walker)
    # change a typed answer from the summary: the step shows the answer so far, then the summary comes back
    experience = flow.step("experience")
    replies = await tap(p, summary, "fedit:experience")
    assert_asks(screen_of(replies), experience, lang, back=True)
    so_far = gettext(lang, "Your answer so far: {answer}").format(answer=walker.answers["experience"])
    assert so_far in screen_of(replies).text
    summary = screen_of(await p.say("7"))
    walker.answers["experience"] = 7
    assert_summary(summary, walker)
    # answer the skipped phone after all, from the summary
    replies = await tap(p, summary, "fedit:phone")
    assert_asks(screen_of(replies), flow.step("phone"), lang, back=True)
    summary = screen_of(await p.say(PHONE))
    walker.answers["phone"] = "+37491234567"
    assert_summary(summary, walker)
    assert "+374 91 234567" in summary.text
    lead = await send_and_share(ughi, p, walker, summary)
    assert display(experience, 7, ughi.services.settings.default_language) in lead.summary.values()


async def cancel_midway(ughi: Ughi, p: Person, lang: str) -> None:
    walker, screen = await start_walk(p, FLOWS["pre_departure"], lang, MINIMAL)
    screen = await answer_steps(p, walker, screen, until="region")  # "no offer" jumps to the region
    assert walker.history == ["destination", "has_offer"]
    replies = await tap(p, screen, "fnav:back")
    walker.back()
    assert_asks(screen_of(replies), walker.step, lang, back=True)
    replies = await give(p, screen_of(replies), Answer(walker.step, True, presses=("ans:has_offer:yes",)))
    walker.advance(Answer(walker.step, True))
    assert walker.step.id == "job_found"
    assert_asks(screen_of(replies), walker.step, lang, back=True)
    [notice, menu] = await tap(p, screen_of(replies), "fnav:cancel")
    assert gettext(lang, "Cancelled. Nothing was sent. You can start again from the menu at any time.") in notice.text
    assert (notice.reply_markup or {}).get("remove_keyboard") is True
    assert any(d.startswith("flow:") for d in menu.callback_data)
    run = await run_of(ughi, p)
    assert run.status == "cancelled" and run.answers == {"destination": "russia", "has_offer": True}
    assert await leads_of(ughi, p) == []


async def summary_after_a_branch(ughi: Ughi, p: Person, q: Person, lang: str) -> None:
    """Questions a branch jumped over, and an answer left on a branch abandoned with Back, are not summed up."""
    flow = FLOWS["pre_departure"]
    walker, screen = await start_walk(p, flow, lang, MINIMAL)
    summary = await answer_steps(p, walker, screen)  # "no offer yet": straight to the region
    shown = {d for d in summary.callback_data if d.startswith("fedit:")}
    assert shown == {f"fedit:{step_id}" for step_id in walker.history}, summary.text
    walker, screen = await start_walk(q, flow, lang, MINIMAL)
    for data in ("ans:destination:eu", "ans:has_offer:yes", "ans:job_found:agency", "fnav:back", "fnav:back"):
        screen = screen_of(await tap(q, screen, data))
    assert_asks(screen, flow.step("has_offer"), lang, back=True)
    for data in ("ans:has_offer:no", "ans:region:yerevan", "fnav:skip"):
        screen = screen_of(await tap(q, screen, data))
    agency = flow.step("job_found").choice("agency")
    assert agency is not None and text_in(agency.label, lang) not in screen.text, screen.text
    assert {d for d in screen.callback_data if d.startswith("fedit:")} == {
        "fedit:destination",
        "fedit:has_offer",
        "fedit:region",
        "fedit:phone",
    }
    await tap(q, screen, "fsend")
    assert await leads_of(ughi, q) == []


async def test_back_skip_edit_and_cancel_through_telegram(ughi: Ughi) -> None:
    await store_flow_versions(ughi.services)
    jobs: dict[str, Awaitable[None]] = {}
    for i, lang in enumerate(LANGS):
        jobs[f"edit/{lang}"] = back_skip_and_edit(ughi, person(ughi, 4000 + i, lang), lang)
        jobs[f"cancel/{lang}"] = cancel_midway(ughi, person(ughi, 4100 + i, lang), lang)
        jobs[f"branch/{lang}"] = summary_after_a_branch(
            ughi, person(ughi, 4200 + i, lang), person(ughi, 4300 + i, lang), lang
        )
    await all_of(jobs)
    assert ughi.api.rejected == []


# ---- a restart in the middle -------------------------------------------------------------------------------


class _Hanging:
    """An engine that never finishes: the process dies while it handles an answer."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        await asyncio.Event().wait()
        return []

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        return None


async def test_an_intake_continues_after_the_bot_is_killed_and_started_again(ughi: Ughi, api: FakeBotAPI) -> None:
    lang, flow = "hy", FLOWS["returnee_profile"]
    ani = person(ughi, 5000, lang)
    walker, screen = await start_walk(ani, flow, lang, QUALIFY)
    screen = await answer_steps(ani, walker, screen, until="years_abroad")
    kept = dict(walker.answers)
    await restart(ughi, crash=True)
    # the same step, typed after the restart: taken, with the earlier answers kept
    answer = walker.answer()
    replies = await give(ani, screen, answer)
    walker.advance(answer)
    screen = screen_of(replies)
    assert_asks(screen, walker.step, lang, back=True)  # back_home
    run = await run_of(ughi, ani)
    assert run.status == "active" and run.answers == {**kept, "years_abroad": answer.value}
    # an answer stored, but not handled when the process dies: handled once after the next start
    assert ughi.channel is not None
    ughi.channel.engine = _Hanging()
    answer = walker.answer()
    pressed = await api.press(ani.user, screen, answer.presses[0])
    await api.wait_confirmed(pressed)
    before = len(ani.outgoing())
    await restart(ughi, crash=True)
    walker.advance(answer)
    question = await api.wait_until(lambda: [m for m in ani.outgoing()[before:] if m.callback_data], timeout=10)
    await ughi.channel.wait_idle()
    assert_asks(question[-1], walker.step, lang, back=True)  # return_year
    assert len([m for m in ani.outgoing()[before:] if m.callback_data]) == 1, "the stored answer is handled once"
    # coming back with /start offers to continue: the same question, then on to the end
    await restart(ughi)
    [offer] = await ani.say("/start")
    assert offer.callback_data[:2] == ["fres:continue", "fres:restart"] and written_in(lang, offer.text)
    assert rendered_text(text_in(flow.title, lang)) in offer.text
    screen = screen_of(await tap(ani, offer, "fres:continue"))
    assert_asks(screen, walker.step, lang, back=True)
    assert (await run_of(ughi, ani)).answers == walker.answers
    summary = await answer_steps(ani, walker, screen)
    lead = await send_and_share(ughi, ani, walker, summary)
    occupation = text_in(flow.step("occupation").summary_label, ughi.services.settings.default_language)
    assert lead.summary[occupation] == kept["occupation"], "an answer from before the crash reached the centre"
    assert ughi.api.rejected == []


# ---- product bugs these tests found, fixed since ------------------------------------------------------------


async def test_a_multi_answer_edited_from_the_summary_keeps_its_choices(ughi: Ughi) -> None:
    ani, bob = person(ughi, 6100, "en"), person(ughi, 6101, "en")
    walker, screen = await start_walk(ani, FLOWS["returnee_profile"], "en", QUALIFY)
    summary = await answer_steps(ani, walker, screen)
    [edit] = await tap(ani, summary, "fedit:languages")
    assert any(b["text"].startswith("✅") for b in edit.buttons), "the earlier choice is ticked"
    edited = await tap(ani, edit, "fnav:done")  # keep it as it is
    walker, screen = await start_walk(bob, FLOWS["returnee_profile"], "en", QUALIFY)
    screen = await answer_steps(bob, walker, screen, until="certificates")
    [again] = await tap(bob, screen, "fnav:back")
    assert any(b["text"].startswith("✅") for b in again.buttons), "the earlier choice is ticked"
    went_on = await tap(bob, again, "fnav:done")
    assert "fsend" in screen_of(edited).callback_data, [m.text for m in edited]
    assert "ans:certificates:yes" in screen_of(went_on).callback_data, [m.text for m in went_on]


async def test_a_request_from_an_intake_is_linked_to_its_answers(ughi: Ughi) -> None:
    ani = person(ughi, 6200, "en")
    walker, screen = await start_walk(ani, FLOWS["job_seeker"], "en", QUALIFY)
    lead = await send_and_share(ughi, ani, walker, await answer_steps(ani, walker, screen))
    assert lead.flow_run_id == (await run_of(ughi, ani)).id


async def test_the_summary_says_the_flows_own_words(ughi: Ughi) -> None:
    ani = person(ughi, 6300, "ru")
    flow = FLOWS["job_seeker"]
    walker, screen = await start_walk(ani, flow, "ru", MINIMAL)
    summary = await answer_steps(ani, walker, screen)
    assert rendered_text(text_in(flow.steps[-1].prompt, "ru")) in summary.text


async def test_the_share_my_phone_keyboard_goes_away_after_the_phone_step(ughi: Ughi) -> None:
    ani = person(ughi, 6400, "en")
    walker, screen = await start_walk(ani, FLOWS["job_seeker"], "en", QUALIFY)
    await answer_steps(ani, walker, screen)
    keyboards = [
        m.reply_markup or {} for m in ani.outgoing() if {"keyboard", "remove_keyboard"} & set(m.reply_markup or {})
    ]
    assert keyboards and "keyboard" in keyboards[0], "the phone step offers its keyboard"
    assert keyboards[-1].get("remove_keyboard") is True, "the summary takes the phone keyboard away"


async def test_two_people_starting_a_new_flow_version_at_the_same_moment(
    ughi: Ughi, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first two starts of a flow version (after a release) meet in FlowCatalog.remember: both get the flow."""
    catalog = ughi.services.engine.flows
    if not ughi.services.settings.is_sqlite:  # SQLite lets one writer at a time through a turn: no race there
        # each start in a transaction of its own, as on two replicas (one process would group them into one)
        monkeypatch.setattr(ughi.services.engine.commits, "limit", 1)
        original, both = catalog.remember, asyncio.Barrier(2)

        async def side_by_side(session: Any, flow: Flow) -> None:  # both look before either has stored it
            async with asyncio.timeout(5):
                await both.wait()
            await original(session, flow)

        monkeypatch.setattr(catalog, "remember", side_by_side)
    ani, bob = person(ughi, 6500, "en"), person(ughi, 6501, "en")
    consents = []
    for someone in (ani, bob):
        [menu] = await someone.say("/start")
        consents.append(screen_of(await tap(someone, menu, "flow:job_seeker")))
    pressed = [
        await ughi.api.press(p.user, consent, "consent:yes") for p, consent in zip((ani, bob), consents, strict=True)
    ]
    for update in pressed:
        await ughi.settle(update)
    first = Walker(FLOWS["job_seeker"], "en").step
    for someone in (ani, bob):
        assert_asks(someone.screen, first, "en", back=False)
    assert ughi.api.rejected == []
