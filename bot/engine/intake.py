"""The runner of guided intakes: one step at a time, answers saved at every step, resumable."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, select

from bot.engine import callbacks as cb
from bot.engine import privacy, screens
from bot.engine.markup import escape_md
from bot.engine.turn import Run, Turn
from bot.engine.types import Button, InboundKind, KeyButton, Reply
from bot.flows import Flow, Step
from bot.flows.answers import SKIP, Parsed, display, explain, finish_multi, parse_answer, toggle
from bot.flows.models import FlowRun
from bot.flows.schema import text_in
from bot.flows.scoring import red_flags
from ughi.db import utcnow

RESUME_AFTER = timedelta(minutes=30)  # a run untouched this long is offered "continue or start over"
MAX_INVALID = 3
INTAKE_SCREENS = ("intake", "summary")


# Built once: every intake step reads its run and writes it back. Runs are plain data (turn.Run, Core), kept in
# the turn while it lasts and saved after it (save_runs): an ORM object costs more to load and a flush to save.
_RUNS = cast(Table, FlowRun.__table__)
_RUN_COLUMNS = [_RUNS.c[name] for name in Run.COLUMNS]
_ACTIVE_RUN = (
    select(*_RUN_COLUMNS).where(_RUNS.c.contact_id == bindparam("contact_id"), _RUNS.c.status == "active").limit(1)
)
_RUN_BY_ID = select(*_RUN_COLUMNS).where(_RUNS.c.id == bindparam("run_id"))
_INSERT_RUN = insert(_RUNS)


async def active_run(t: Turn) -> Run | None:
    """The person's run under way (one at most), as this turn has it."""
    for run in t.runs.values():
        if run.status == "active":
            return run
    connection = await t.session.connection()
    row = (await connection.execute(_ACTIVE_RUN, {"contact_id": t.contact.id})).mappings().first()
    if row is None or row["id"] in t.runs:  # one this turn already ended (cancelled, sent) is not under way
        return None
    run = t.runs[row["id"]] = Run(row)
    return run


async def run_by_id(t: Turn, run_id: object) -> Run | None:
    """A run of this person by its id (any status), as this turn has it."""
    if not isinstance(run_id, int):
        return None
    if run_id in t.runs:
        return t.runs[run_id]
    connection = await t.session.connection()
    row = (await connection.execute(_RUN_BY_ID, {"run_id": run_id})).mappings().first()
    if row is None or row["contact_id"] != t.contact.id:
        return None
    run = t.runs[run_id] = Run(row)
    return run


async def save_runs(t: Turn) -> None:
    """Write back what this turn changed of its runs (the time of the change with it)."""
    if not t.runs:
        return
    connection = await t.session.connection()
    for run in t.runs.values():
        await run.save(connection, _RUNS, updated_at=utcnow())


async def flow_of(t: Turn, run: Run) -> Flow | None:
    return await t.flows.version(t.session, run.flow_id, run.flow_version)


async def start(t: Turn, flow_id: str) -> None:
    """Begin `flow_id`, after consent when it asks personal questions; one active run per person."""
    flow = t.flows.current.get(flow_id)
    if flow is None:
        screens.stale_button(t)
        return
    run = await active_run(t)
    if run is not None:
        offer_resume(t, run, wanted=flow_id)
        return
    if flow.personal and t.contact.consent_version is None:
        privacy.ask_consent(t, then=f"flow:{flow_id}")
        return
    await t.flows.remember(t.session, flow)
    first, now = flow.first({}), utcnow()
    values = {
        "contact_id": t.contact.id,
        "flow_id": flow.id,
        "flow_version": flow.version,
        "status": "active",
        "step_id": first.id,
        "answers": {},
        "history": [],
        "reached": [first.id],
        "invalid_count": 0,
        "started_at": now,
        "updated_at": now,
        "finished_at": None,
    }
    connection = await t.session.connection()
    created = await connection.execute(_INSERT_RUN, values)
    key = created.inserted_primary_key
    if not key or key[0] is None:  # every backend here reports it; were it not to, say so rather than go on
        raise RuntimeError("the new intake run got no id")
    run = t.runs[int(key[0])] = Run({**values, "id": int(key[0])})
    description = text_in(flow.description, t.lang)
    if description:
        t.say(Reply(f"{flow.emoji} **{text_in(flow.title, t.lang)}**\n\n{description}".strip()))
    await show_step(t, run, flow, first)


def offer_resume(t: Turn, run: Run, *, wanted: str | None = None) -> None:
    _ = t._
    flow = t.flows.current.get(run.flow_id)
    title = text_in(flow.title, t.lang) if flow else run.flow_id
    t.set_screen("resume", wanted=wanted or run.flow_id)
    t.say(
        Reply(
            _("You have an unfinished questionnaire: “{title}”. Continue where you left off, or start over?").format(
                title=title
            ),
            buttons=[
                [Button(_("▶ Continue"), cb.encode("fres", "continue"))],
                [Button(_("🔄 Start over"), cb.encode("fres", "restart"))],
                [Button(_("✖ Cancel it"), cb.encode("fnav", "cancel"))],
            ],
        )
    )


async def resume(t: Turn, choice: str) -> None:
    run = await active_run(t)
    if run is None:
        screens.stale_button(t)
        return
    wanted = str(t.data.get("wanted") or run.flow_id)
    flow = await flow_of(t, run)
    if choice == "restart" or flow is None:
        run.status, run.finished_at = "cancelled", utcnow()
        await save_runs(t)
        await start(t, wanted if wanted in t.flows.current else run.flow_id)
        return
    await show_current(t, run, flow)


async def show_current(t: Turn, run: Run, flow: Flow) -> None:
    step = flow.step(run.step_id) if flow.has_step(run.step_id) else flow.first(run.answers)
    await show_step(t, run, flow, step)


async def show_step(t: Turn, run: Run, flow: Flow, step: Step, *, replace: bool = False) -> None:
    """Ask `step` (or show the summary); info steps are shown and passed at once."""
    while step.type == "info":
        t.say(Reply(text_in(step.prompt, t.lang)))
        following = flow.after(step.id, run.answers)
        if following is None:
            return
        step = following
    run.step_id = step.id
    if step.id not in run.reached:
        run.reached = [*run.reached, step.id]
    if step.type == "summary":
        show_summary(t, run, flow)
        return
    previous = run.answers.get(step.id)
    t.set_screen(
        "intake",
        run=run.id,
        sel=list(previous) if isinstance(previous, list) else [],  # a multi step shown again keeps its ticks
        step=step.id,
        editing=bool(t.data.get("editing")),
    )
    t.say(_step_reply(t, run, flow, step, replace=replace))


def _step_reply(t: Turn, run: Run, flow: Flow, step: Step, *, replace: bool) -> Reply:
    _ = t._
    number = next((i + 1 for i, s in enumerate(flow.questions) if s.id == step.id), 0)
    text = f"_{number}/{len(flow.questions)}_  {text_in(step.prompt, t.lang)}"
    previous = run.answers.get(step.id)
    if previous is not None and step.type not in ("single", "multi", "region", "yes_no"):
        text += "\n\n" + _("Your answer so far: {answer}").format(answer=escape_md(display(step, previous, t.lang)))
    rows: list[list[Button]] = []
    selected = set(t.data.get("sel") or (previous if isinstance(previous, list) else []))
    for choice in step.choices:
        mark = "✅ " if step.type == "multi" and choice.id in selected else ""
        rows.append([Button(mark + text_in(choice.label, t.lang), cb.encode("ans", step.id, choice.id))])
    if step.type == "multi":
        rows.append([Button(_("✔ Done"), cb.encode("fnav", "done"))])
    nav = []
    if run.history:
        nav.append(Button(_("⬅ Back"), cb.encode("fnav", "back")))
    if step.optional:
        nav.append(Button(_("Skip ⏭"), cb.encode("fnav", SKIP)))
    nav.append(Button(_("✖ Cancel"), cb.encode("fnav", "cancel")))
    rows.append(nav)
    keyboard: list[list[KeyButton]] = []
    if step.type in ("phone", "contact"):
        keyboard = [[KeyButton(_("📱 Share my phone number"), request_contact=True)]]
    elif step.type == "location":
        keyboard = [[KeyButton(_("📍 Share my location"), request_location=True)]]
    if keyboard:
        t.say(Reply(_("You can use the button below the text field, or type it."), keyboard=keyboard))
    return Reply(text, buttons=rows, replace=replace)


def show_summary(t: Turn, run: Run, flow: Flow) -> None:
    _ = t._
    t.set_screen("summary", run=run.id)
    summary_step = next((s for s in flow.steps if s.type == "summary"), None)
    intro = text_in(summary_step.prompt, t.lang) if summary_step else ""
    lines = [f"**{text_in(flow.title, t.lang)}**", "", intro or _("Please check your answers:"), ""]
    rows: list[list[Button]] = []
    for step in flow.path(run.answers):
        if not step.asks or step.type == "summary":
            continue
        label = text_in(step.summary_label, t.lang) or text_in(step.prompt, t.lang)
        lines.append(f"- {escape_md(label)}: {escape_md(display(step, run.answers.get(step.id), t.lang))}")
        rows.append([Button("✏️ " + label[:40], cb.encode("fedit", step.id))])
    flags = red_flags(flow, run.answers)
    if flags:
        lines += ["", _("**Please be careful.** Some of your answers are warning signs:"), ""]
        lines += [f"- ⚠️ {text_in(flag.text, t.lang)}" for flag in flags]
    rows.append([Button(_("✅ Send"), cb.encode("fsend"))])
    rows.append([Button(_("✖ Cancel"), cb.encode("fnav", "cancel"))])
    t.say(Reply("\n".join(lines), buttons=rows))


async def on_button(t: Turn, action: cb.Action) -> bool:
    """Intake buttons; False when the action is not an intake one."""
    name, args = action.name, action.args
    if name == "flow":
        await start(t, args[0])
    elif name == "fres":
        await resume(t, args[0])
    elif name in ("ans", "fnav", "fedit", "fsend"):
        run = await active_run(t)
        flow = await flow_of(t, run) if run is not None else None
        if run is None or flow is None:
            screens.stale_button(t)
        elif name == "ans":
            await _answer_choice(t, run, flow, args[0], args[1])
        elif name == "fnav":
            await _navigate(t, run, flow, args[0])
        elif name == "fedit" and flow.has_step(args[0]) and flow.step(args[0]).asks:
            t.set_screen("intake", run=run.id, step=args[0], editing=True, sel=[])
            await show_step(t, run, flow, flow.step(args[0]))
        elif name == "fsend" and t.state.screen == "summary":
            from bot.engine import requests  # requests reads runs through this module: imported when needed

            await requests.submit(t, run, flow)
        else:
            await show_current(t, run, flow)
    else:
        return False
    return True


async def _answer_choice(t: Turn, run: Run, flow: Flow, step_id: str, choice_id: str) -> None:
    step = flow.step(run.step_id) if flow.has_step(run.step_id) else None
    if step is None or step.id != step_id or step.choice(choice_id) is None:
        await show_current(t, run, flow)  # a button of an earlier question: ask the current one again
        return
    if step.type == "multi":
        current = t.data.get("sel") if t.data.get("step") == step.id else run.answers.get(step.id)
        selection = toggle(step, list(current or []), choice_id)
        t.set_screen("intake", run=run.id, step=step.id, sel=selection, editing=bool(t.data.get("editing")))
        t.say(_step_reply(t, run, flow, step, replace=True))
        return
    await _accept(t, run, flow, step, parse_answer(step, lang=t.lang, choice=choice_id))


async def _navigate(t: Turn, run: Run, flow: Flow, move: str) -> None:
    _ = t._
    step = flow.step(run.step_id) if flow.has_step(run.step_id) else flow.first(run.answers)
    if move == "cancel":
        run.status, run.finished_at = "cancelled", utcnow()
        t.say(
            Reply(
                _("Cancelled. Nothing was sent. You can start again from the menu at any time."), remove_keyboard=True
            )
        )
        screens.show_menu(t)
    elif move == "back" and run.history:
        previous = run.history[-1]
        run.history = run.history[:-1]
        t.set_screen("intake", run=run.id, step=previous, sel=[])
        await show_step(t, run, flow, flow.step(previous))
    elif move == SKIP:
        await _accept(t, run, flow, step, parse_answer(step, lang=t.lang, choice=SKIP))
    elif move == "done" and step.type == "multi":
        selection = t.data.get("sel") if t.data.get("step") == step.id else run.answers.get(step.id)
        await _accept(t, run, flow, step, finish_multi(step, list(selection or []), t.lang))
    else:
        await show_current(t, run, flow)


async def on_message(t: Turn, run: Run) -> None:
    """Typed text, a shared contact or location, or anything else, while a step waits for its answer."""
    flow = await flow_of(t, run)
    if flow is None:
        run.status = "cancelled"
        screens.show_menu(t)
        return
    if t.state.screen not in INTAKE_SCREENS or utcnow() - run.updated_at > RESUME_AFTER:
        offer_resume(t, run)
        return
    if t.state.screen == "summary":
        show_summary(t, run, flow)
        return
    step = flow.step(run.step_id)
    ib = t.inbound
    if ib.kind is InboundKind.CONTACT:
        parsed = parse_answer(step, lang=t.lang, phone=ib.phone, text=None)
    elif ib.kind is InboundKind.LOCATION and ib.latitude is not None and ib.longitude is not None:
        parsed = parse_answer(step, lang=t.lang, location=(ib.latitude, ib.longitude))
    elif ib.kind is InboundKind.TEXT:
        parsed = parse_answer(step, lang=t.lang, text=ib.text)
        if not parsed.ok and await _answered_as_question(t, ib.text):
            t.say(_step_reply(t, run, flow, step, replace=False))
            return
    else:
        screens.unsupported(t, "voice" if ib.kind is InboundKind.VOICE else "media")
        t.say(_step_reply(t, run, flow, step, replace=False))
        return
    await _accept(t, run, flow, step, parsed)


async def _answered_as_question(t: Turn, text: str) -> bool:
    """A question typed in the middle of an intake gets its article, then the step is asked again."""
    result = t.kb.search(text, t.lang)
    article = t.kb.article(result.hits[0].article_id) if result.decision == "answer" and result.hits else None
    if article is None:
        return False
    screen, data = t.state.screen, dict(t.data)
    screens.show_article(t, article)
    t.state.screen, t.state.data = screen, data  # still on the same step
    return True


async def _accept(t: Turn, run: Run, flow: Flow, step: Step, parsed: Parsed) -> None:
    _ = t._
    if not parsed.ok:
        run.invalid_count += 1
        if run.invalid_count >= MAX_INVALID:
            rows = [[Button(_("🧑‍💼 Talk to a counsellor"), cb.encode("human"))]]
            if step.optional:
                rows.insert(0, [Button(_("Skip ⏭"), cb.encode("fnav", SKIP))])
            t.say(Reply(explain(step, t.lang), buttons=rows))
        else:
            t.say(Reply(parsed.error or _("Sorry, I could not read that answer.")))
        t.say(_step_reply(t, run, flow, step, replace=False))
        return
    if step.type in ("phone", "contact", "location"):
        t.say(Reply(f"✓ {escape_md(parsed.display)}", remove_keyboard=True))  # and the share button goes away
    editing = bool(t.data.get("editing"))
    run.answers = {**run.answers, step.id: parsed.value}
    run.invalid_count = 0
    if not run.history or run.history[-1] != step.id:
        run.history = [*run.history, step.id]
    following = flow.after(step.id, run.answers)
    while editing and following is not None and following.asks and following.id in run.answers:
        following = flow.after(following.id, run.answers)  # after an edit, go back to the summary
    t.set_screen("intake", run=run.id, editing=editing, sel=[])
    if following is None:
        show_summary(t, run, flow)
    else:
        await show_step(t, run, flow, following)
