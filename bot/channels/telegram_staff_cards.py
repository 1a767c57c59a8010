"""What counsellors and people see of a lead in Telegram: the card, the thread's messages, the staff buttons."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel import Locale
from babel.dates import format_date

from bot.channels.render import split_message, to_html, utf16_len
from bot.engine.markup import escape_md
from bot.i18n import LANGUAGE_NAMES, format_number, gettext_for
from knowledge.centres import load_centres
from leads.models import LEAD_OUTCOMES, Lead
from leads.routing import YEREVAN

CARD_LIMIT = 3800  # Telegram takes 4096 characters: room is kept for the thread's opening words
VALUE_LIMIT = 300  # characters of one key answer, or of the need, on the card
TOPIC_NAME_LIMIT = 128
PREFIX = "lead"  # staff buttons: "lead:take:<id>", "lead:close:<id>:<outcome>"


@dataclass(frozen=True)
class StaffAction:
    name: str  # "take" or "close"
    lead_id: int
    outcome: str | None = None


def take_data(lead_id: int) -> str:
    return f"{PREFIX}:take:{lead_id}"


def close_data(lead_id: int, outcome: str) -> str:
    return f"{PREFIX}:close:{lead_id}:{outcome}"


def parse_action(data: str | None) -> StaffAction | None:
    """The staff action a button stands for, or None when the data is stale, tampered or not ours."""
    parts = (data or "").split(":")
    if len(parts) < 3 or parts[0] != PREFIX or not parts[2].isdigit() or len(parts[2]) > 12:
        return None
    if parts[1] == "take" and len(parts) == 3:
        return StaffAction("take", int(parts[2]))
    if parts[1] == "close" and len(parts) == 4 and parts[3] in LEAD_OUTCOMES:
        return StaffAction("close", int(parts[2]), parts[3])
    return None


def outcome_label(outcome: str | None, lang: str) -> str:
    _ = gettext_for(lang)
    labels = {
        "helped": _("Helped"),
        "no_contact": _("No contact"),
        "not_eligible": _("Not eligible"),
        "referred": _("Referred elsewhere"),
    }
    return labels.get(outcome or "", outcome or "")


def centre_name(centre_id: str | None, lang: str) -> str | None:
    """The centre's name in `lang`, from the shipped centres list; the bare id when it is not listed."""
    if centre_id is None:
        return None
    found = next((c for c in load_centres() if c.id == centre_id), None)
    return found.name_in(lang) if found is not None else centre_id


def centre_city(centre_id: str | None, lang: str) -> str | None:
    found = next((c for c in load_centres() if c.id == centre_id), None) if centre_id else None
    if found is None:
        return None
    return found.city.get(lang) or found.city.get("en") or found.name_in(lang)


def card_html(lead: Lead, *, lang: str, assignee: str | None = None, closed_by: str | None = None) -> str:
    """The lead card for the counsellors' chat: who, language, region, need, score, key answers and its state."""
    _ = gettext_for(lang)
    e = html.escape
    if lead.source == "counsellor":
        origin = _("asked to talk to a counsellor")
    else:
        origin = _("intake: {flow}").format(flow=e(lead.flow_id or lead.source))
    contact = _("person #{number}").format(number=lead.contact_id) if lead.contact_id is not None else "—"
    language = LANGUAGE_NAMES.get(lead.language or "", lead.language or "—")
    need = _short(" — ".join(x for x in (lead.topic, lead.reason) if x) or "—")
    lines = [
        "🆕 <b>" + _("Request #{number}").format(number=lead.id) + "</b> · " + origin,
        _row("👤", _("Who"), contact),
        _row("🗣", _("Language"), e(language)),
        _row("📍", _("Region"), e(_short(lead.region or "—"))),
        _row("🏢", _("Centre"), e(centre_name(lead.centre_id, lang) or "—")),
        _row("🎯", _("Need"), e(need)),
        _row("📊", _("Score"), format_number(round(lead.score, 2), lang)),
    ]
    if lead.due_at is not None:
        last_day = (lead.due_at.astimezone(YEREVAN) - timedelta(seconds=1)).date()
        when = format_date(last_day, format="EEE d MMM", locale=Locale.parse(lang))
        lines.append(_row("⏰", _("Answer by"), e(when)))
    lines.append(_status_line(lead, lang, assignee, closed_by))
    answers = _answers(lead.summary)
    if answers:
        lines += ["", "<b>" + _("Key answers") + "</b>"]
    text = "\n".join(lines)
    for line in answers:
        if utf16_len(text) + utf16_len(line) + 2 > CARD_LIMIT:
            return text + "\n…"
        text += "\n" + line
    return text


def _row(icon: str, label: str, value: str) -> str:
    return f"{icon} {label}: {value}"


def _status_line(lead: Lead, lang: str, assignee: str | None, closed_by: str | None) -> str:
    _ = gettext_for(lang)
    if lead.status == "closed":
        outcome = outcome_label(lead.outcome, lang)
        if closed_by:
            return "🔒 " + _("Closed by {name}: {outcome}").format(name=html.escape(closed_by), outcome=outcome)
        return "🔒 " + _("Closed: {outcome}").format(outcome=outcome)
    if assignee is not None:
        return "✅ " + _("Taken by {name}").format(name=html.escape(assignee))
    return "⏳ " + _("Waiting for a counsellor")


def _answers(summary: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in summary.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        lines.append(f"• {html.escape(_short(str(key)))}: {html.escape(_short(shown))}")
    return lines


def _short(text: str) -> str:
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


def card_markup(lead: Lead, *, lang: str, chat_id: int | None) -> InlineKeyboardMarkup | None:
    """The "Take" button while nobody has taken the lead, then a link to its forum topic (where there is one)."""
    _ = gettext_for(lang)
    if lead.status == "new":
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=_("✋ Take"), callback_data=take_data(lead.id))]]
        )
    link = topic_link(chat_id, lead.staff_thread_id) if lead.staff_thread_id != lead.card_message_id else None
    if lead.status != "closed" and link is not None:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("💬 Open the thread"), url=link)]])
    return None


def topic_link(chat_id: int | None, thread_id: int | None) -> str | None:
    """https://t.me/c/... for a topic of a supergroup (ids starting -100), else None."""
    if chat_id is None or thread_id is None or not str(chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(chat_id)[4:]}/{thread_id}"


def close_markup(lead_id: int, lang: str) -> InlineKeyboardMarkup:
    _ = gettext_for(lang)
    rows = [["helped", "referred"], ["no_contact", "not_eligible"]]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="🔒 " + outcome_label(o, lang), callback_data=close_data(lead_id, o))
                for o in row
            ]
            for row in rows
        ]
    )


def topic_name(lead: Lead) -> str:
    """A topic title without personal data: the number, region and language of the request."""
    parts = [f"#{lead.id}", lead.region or "", lead.language or ""]
    return " · ".join(p for p in parts if p)[:TOPIC_NAME_LIMIT]


def thread_intro_html(lead: Lead, *, lang: str, assignee: str) -> str:
    _ = gettext_for(lang)
    return (
        card_html(lead, lang=lang, assignee=assignee)
        + "\n\n"
        + _("Write in this thread to talk with the person: Ughi passes your messages on and brings their replies here.")
    )


def relayed_to_staff(text: str) -> list[str]:
    """The person's message as HTML for the lead's thread, in as many messages as it takes."""
    return [to_html(chunk) for chunk in split_message("💬 " + escape_md(text))]


def relayed_to_person(text: str, lang: str) -> list[str]:
    """A counsellor's message as HTML for the person, escaped like anything else people type."""
    _ = gettext_for(lang)
    header = "🧑‍💼 **" + escape_md(_("Counsellor")) + "**"
    return [to_html(chunk) for chunk in split_message(header + "\n" + escape_md(text))]


def notice_for_person(notice: str, lead: Lead, lang: str) -> str | None:
    """The person's notice that a counsellor is with them now, or that their case is closed (Markdown-lite)."""
    _ = gettext_for(lang)
    if notice == "counsellor_joined":
        city = centre_city(lead.centre_id, lang)
        if city:
            return _(
                "🧑‍💼 A counsellor of the Migration Resource Centre ({centre}) has taken your request #{number}. "
                "From now on, what you write here goes to the counsellor, and their answers come here."
            ).format(centre=escape_md(city), number=lead.id)
        return _(
            "🧑‍💼 A counsellor of the Migration Resource Centre has taken your request #{number}. "
            "From now on, what you write here goes to the counsellor, and their answers come here."
        ).format(number=lead.id)
    if notice == "case_closed":
        return _(
            "✅ Your request #{number} is closed. Thank you for writing to us!\n\n"
            "You are talking with Ughi again: choose a topic in /menu or ask a new question."
        ).format(number=lead.id)
    return None
