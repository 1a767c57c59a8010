"""Consent before personal questions, and a person's view of (and erasure of) what Ughi keeps."""

from __future__ import annotations

from sqlalchemy import func, select

from bot import erasure
from bot.engine import callbacks as cb
from bot.engine import screens
from bot.engine.turn import Turn
from bot.engine.types import Button, Reply
from bot.i18n import format_when
from bot.models import ConsentRecord, TranscriptEntry
from knowledge.models import ArticleFeedback
from ughi.db import utcnow

CONSENT_VERSION = "2026-11-v1"
PERSONAL_DATA = "personal_data"
RETENTION_MONTHS = 12


def consent_text(t: Turn) -> str:
    _ = t._
    return _(
        "**Before I ask about you**\n\n"
        "To help you personally, I will ask a few questions about your situation (for example your region, "
        "work experience and plans), and may share them with a counsellor of a Migration Resource Centre "
        "only when you ask for it.\n\n"
        "- **What is kept:** your answers, our messages, your language and the dates you wrote.\n"
        "- **Why:** only to advise you and to connect you with a counsellor.\n"
        "- **For how long:** at most {months} months after our last conversation, then it is deleted.\n"
        "- **Your control:** /privacy shows what I keep and lets you delete it all at any time.\n\n"
        "Do you agree? If not, you can still read all the information."
    ).format(months=RETENTION_MONTHS)


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
        'your answers to "did this help?", and your consent choices. I delete messages at most '
        "{months} months after our last conversation.\n\n{consent}"
    ).format(months=RETENTION_MONTHS, consent=consent)
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


async def show_my_data(t: Turn) -> None:
    _ = t._
    contact = t.contact
    messages = (
        await t.session.scalar(
            select(func.count()).select_from(TranscriptEntry).where(TranscriptEntry.contact_id == contact.id)
        )
        or 0
    )
    feedback = (
        await t.session.scalar(
            select(func.count()).select_from(ArticleFeedback).where(ArticleFeedback.contact_id == contact.id)
        )
        or 0
    )
    consent = format_when(contact.consent_at, t.lang) if contact.consent_at else _("not given")
    text = _(
        "**What I keep about you**\n\n"
        "- Channel: {channel}\n"
        "- Language: {language}\n"
        "- First message: {first}\n"
        "- Last message: {last}\n"
        "- Messages kept: {messages}\n"
        '- "Did this help?" answers: {feedback}\n'
        "- Consent to personal questions: {consent}"
    ).format(
        channel=contact.channel,
        language=t.lang,
        first=format_when(contact.first_seen, t.lang),
        last=format_when(contact.last_seen, t.lang),
        messages=messages,
        feedback=feedback,
        consent=consent,
    )
    t.say(
        Reply(
            text,
            buttons=[
                [Button(_("🗑 Delete my data"), cb.encode("erase", "ask"))],
                [Button(_("⬅ Main menu"), cb.encode("menu"))],
            ],
        )
    )


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
