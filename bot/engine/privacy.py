"""Consent before personal questions, and a person's view of (and erasure of) what Ughi keeps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot import erasure
from bot.engine import callbacks as cb
from bot.engine import screens
from bot.engine.markup import escape_md
from bot.engine.turn import Turn
from bot.engine.types import Button, Reply
from bot.flows.models import FlowRun
from bot.flows.schema import text_in
from bot.flows.scoring import key_answers
from bot.i18n import format_days, format_when
from bot.models import ConsentRecord, TranscriptEntry
from knowledge.models import ArticleFeedback
from leads.models import Lead
from ughi.db import Base, utcnow
from ughi.settings import get_settings

CONSENT_VERSION = "2026-11-v1"
PERSONAL_DATA = "personal_data"


def retention_periods(lang: str) -> dict[str, str]:
    """How long things are kept, as the retention job applies them (ughi.settings), written for `lang`."""
    settings = get_settings()
    return {
        "messages": format_days(settings.transcript_days, lang),
        "intakes": format_days(settings.intake_days, lang),
        "everything": format_days(settings.retention_days, lang),
    }


def consent_text(t: Turn) -> str:
    _ = t._
    return _(
        "**Before I ask about you**\n\n"
        "To help you personally, I will ask a few questions about your situation (for example your region, "
        "work experience and plans), and may share them with a counsellor of a Migration Resource Centre "
        "only when you ask for it.\n\n"
        "- **What is kept:** your answers, our messages, your language and the dates you wrote.\n"
        "- **Why:** only to advise you and to connect you with a counsellor.\n"
        "- **For how long:** each message {messages}, an unfinished questionnaire {intakes}, everything else "
        "{everything} after our last conversation; then it is deleted (a request sent to a centre stays, with "
        "nothing that identifies you).\n"
        "- **Your control:** /my_data shows what I keep, /delete_my_data deletes it all at any time, "
        "/privacy has both.\n\n"
        "Do you agree? If not, you can still read all the information."
    ).format(**retention_periods(t.lang))


def ask_consent(t: Turn, *, then: str) -> None:
    """Show the consent screen; `then` is the action to continue with after a yes."""
    _ = t._
    t.set_screen("consent", then=then)
    t.say(
        Reply(
            consent_text(t),
            buttons=[
                [Button(_("✅ I agree"), cb.encode("consent", "yes"))],
                [Button(_("No, thanks"), cb.encode("consent", "no"))],
            ],
        )
    )


def has_consent(t: Turn) -> bool:
    return t.contact.consent_version is not None


async def answer_consent(t: Turn, answer: str) -> str | None:
    """Record the answer; returns the action to continue with when consent was given."""
    _ = t._
    then = str(t.data.get("then", "")) if t.state.screen == "consent" else ""
    accepted = answer == "yes"
    t.session.add(
        ConsentRecord(
            contact_id=t.contact.id, purpose=PERSONAL_DATA, version=CONSENT_VERSION, language=t.lang, accepted=accepted
        )
    )
    if accepted:
        t.contact.consent_version, t.contact.consent_at = CONSENT_VERSION, utcnow()
        t.say(Reply(_("Thank you. You can withdraw your consent at any time in /privacy.")))
        return then or None
    t.contact.consent_version, t.contact.consent_at = None, None
    screens.show_menu(
        t, intro=_("No problem: nothing about you will be asked or shared. All the information is still here for you.")
    )
    return None


def show_privacy(t: Turn) -> None:
    _ = t._
    t.set_screen("privacy")
    consent = (
        _("You have agreed that I may ask about your situation (since {when}).").format(
            when=format_when(t.contact.consent_at, t.lang)
        )
        if t.contact.consent_at
        else _("You have not agreed to personal questions, so I do not ask them.")
    )
    text = _(
        "**My data & privacy**\n\n"
        "I keep only what I need to help you: your language, the dates you wrote to me, our messages, "
        'your answers to questionnaires and to "did this help?", your requests to a counsellor and your '
        "consent choices.\n\n"
        "- I delete each message {messages} after it was written, and an unfinished questionnaire {intakes} "
        "after your last answer.\n"
        "- Everything else goes {everything} after our last conversation; your requests to a centre then stay "
        "only as anonymous records.\n"
        "- /my_data shows what I keep; /delete_my_data deletes it all now.\n\n"
        "{consent}"
    ).format(consent=consent, **retention_periods(t.lang))
    toggle = (
        Button(_("Withdraw my consent"), cb.encode("consent", "no"))
        if has_consent(t)
        else Button(_("Give consent"), cb.encode("consent", "yes"))
    )
    t.say(
        Reply(
            text,
            buttons=[
                [Button(_("📋 Show my data"), cb.encode("mydata"))],
                [Button(_("🗑 Delete my data"), cb.encode("erase", "ask"))],
                [toggle],
                [Button(_("⬅ Main menu"), cb.encode("menu"))],
            ],
        )
    )


async def _count(t: Turn, model: type[Base], column: Any) -> int:
    return int(await t.session.scalar(select(func.count()).select_from(model).where(column == t.contact.id)) or 0)


async def show_my_data(t: Turn) -> None:
    """Everything kept about the person (/my_data): what and since when, and their answers to questionnaires."""
    _ = t._
    contact = t.contact
    consent = format_when(contact.consent_at, t.lang) if contact.consent_at else _("not given")
    text = _(
        "**What I keep about you**\n\n"
        "- Channel: {channel}\n"
        "- Language: {language}\n"
        "- First message: {first}\n"
        "- Last message: {last}\n"
        "- Messages kept: {messages}\n"
        '- "Did this help?" answers: {feedback}\n'
        "- Questionnaires: {intakes}\n"
        "- Requests to a counsellor: {requests}\n"
        "- Consent to personal questions: {consent}"
    ).format(
        channel=contact.channel,
        language=t.lang,
        first=format_when(contact.first_seen, t.lang),
        last=format_when(contact.last_seen, t.lang),
        messages=await _count(t, TranscriptEntry, TranscriptEntry.contact_id),
        feedback=await _count(t, ArticleFeedback, ArticleFeedback.contact_id),
        intakes=await _count(t, FlowRun, FlowRun.contact_id),
        requests=await _count(t, Lead, Lead.contact_id),
        consent=consent,
    )
    answers = await _answers(t)
    t.say(
        Reply(
            f"{text}\n\n{answers}" if answers else text,
            buttons=[
                [Button(_("🗑 Delete my data"), cb.encode("erase", "ask"))],
                [Button(_("⬅ Main menu"), cb.encode("menu"))],
            ],
        )
    )


async def _answers(t: Turn) -> str:
    """The person's answers to each questionnaire, as shown on its summary."""
    runs = await t.session.scalars(select(FlowRun).where(FlowRun.contact_id == t.contact.id).order_by(FlowRun.id))
    parts = []
    for run in runs:
        flow = await t.flows.version(t.session, run.flow_id, run.flow_version)
        shown = key_answers(flow, run.answers, t.lang) if flow is not None else {}
        if shown:
            title = text_in(flow.title, t.lang) if flow is not None else run.flow_id
            lines = [f"- {escape_md(label)}: {escape_md(value)}" for label, value in shown.items()]
            parts.append("\n".join([f"_{escape_md(title)}_", *lines]))
    if not parts:
        return ""
    return "\n\n".join([t._("**Your answers to questionnaires**"), *parts])


def confirm_erase(t: Turn) -> None:
    _ = t._
    t.set_screen("erase")
    t.say(
        Reply(
            _("Delete everything I keep about you: messages, answers, language and consent? This cannot be undone."),
            buttons=[
                [Button(_("Yes, delete everything"), cb.encode("erase", "yes"))],
                [Button(_("Cancel"), cb.encode("privacy"))],
            ],
        )
    )


async def erase(t: Turn) -> bool:
    """Delete the contact and everything linked to them. Returns False when not confirmed."""
    _ = t._
    if t.state.screen != "erase":
        confirm_erase(t)
        return False
    await erasure.erase_contact(t.session, contact_id=t.contact.id)
    t.say(
        Reply(
            _(
                "Done: everything I kept about you has been deleted. If you write to me again, "
                "we will start from the beginning."
            ),
            remove_keyboard=True,
        )
    )
    return True
