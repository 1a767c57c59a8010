"""Reading a person's answer to a flow step: typed text, a button, a shared contact or a location."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers

from bot.flows.forms import (
    EMAIL_EXAMPLE,
    date_bounds,
    date_bounds_text,
    example_for,
    explain,
    long_date,
    number_bounds_text,
    text_bounds,
    whole,
    year_bounds,
    year_bounds_text,
)
from bot.flows.matching import is_skip, match_choice, split_items
from bot.flows.schema import Step, is_answered, text_in
from bot.i18n import format_number, gettext_for

SKIP = "skip"  # the choice id of a Skip button: optional steps only
PHONE_REGION = "AM"  # numbers without a country code are Armenian
_FOREIGN_MONEY = re.compile(r"[$€₽£]|\b(usd|eur|euro|rub|dollar\w*|доллар\w*|евро|руб\w*|долл\w*)\b", re.IGNORECASE)
_AMD = re.compile(r"֏|\b(amd|dram\w*|драм\w*|դրամ\w*)\b", re.IGNORECASE)
_MILLION = re.compile(r"\b(млн|миллион\w*|million\w*|mln|milion\w*|միլիոն\w*)\b|(?<=\d)m\b", re.IGNORECASE)
_THOUSAND = re.compile(r"\b(тыс\w*|thousand\w*|հազար\w*|hazar)\b|(?<=\d)k\b", re.IGNORECASE)
_GROUPED = re.compile(r"^-?[1-9]\d{0,2}([.,])\d{3}(\1\d{3})*$")  # 1,500,000 or 1.500.000
_PLAIN = re.compile(r"^-?\d+([.,]\d+)?$")  # 1500, 1.5, 1,5
_DMY = re.compile(r"^(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4}|\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


@dataclass(frozen=True)
class Parsed:
    value: Any = None  # JSON-ready: text, number, bool, ISO date, E.164 phone, list of choice ids, [lat, lon]
    display: str = ""
    error: str | None = None  # said to the person, in their language

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class _Given:
    lang: str
    text: str | None
    choice: str | None
    phone: str | None
    location: tuple[float, float] | None
    today: date

    def _(self, message: str) -> str:
        return gettext_for(self.lang)(message)


def parse_answer(
    step: Step,
    *,
    lang: str,
    text: str | None = None,
    choice: str | None = None,
    phone: str | None = None,
    location: tuple[float, float] | None = None,
    today: date | None = None,
) -> Parsed:
    """The answer to `step` from what the person sent, or a kind error saying what is expected."""
    given = _Given(lang, text, choice, phone, location, today or date.today())
    if not step.asks:
        return Parsed()
    if choice == SKIP or (text is not None and is_skip(text)):
        if step.optional:
            return Parsed(None, display(step, None, lang))
        if choice == SKIP:
            _ = given._
            return Parsed(error=_("This question is needed to go on, so it cannot be skipped."))
    return _PARSERS[step.type](step, given)


def _ok(step: Step, value: Any, given: _Given) -> Parsed:
    return Parsed(value, display(step, value, given.lang))


def _unreadable(step: Step, given: _Given, message: str) -> Parsed:
    """An answer in a form we cannot read: the flow's own wording, when it has one, replaces ours."""
    return Parsed(error=text_in(step.error, given.lang) if step.error else message)


def _typed(given: _Given) -> str:
    return (given.text or "").strip()


def _text(step: Step, given: _Given) -> Parsed:
    value, _ = _typed(given), given._
    if not value:
        return _unreadable(step, given, _("Please type your answer in a message."))
    low, high = text_bounds(step)
    if len(value) < low:
        return Parsed(error=_("Please write a little more: at least {count} characters.").format(count=low))
    if len(value) > high:
        return Parsed(error=_("That is a bit long: please keep it to {count} characters.").format(count=high))
    return _ok(step, value, given)


def read_number(text: str) -> float | None:
    """A number as people type it: "1 500 000", "1,500,000", "1.5", "1,5", "3 млн", "200k", "50000 ֏"."""
    scale = 1
    text = _AMD.sub(" ", text)
    for pattern, factor in ((_MILLION, 1_000_000), (_THOUSAND, 1_000)):
        if pattern.search(text):
            text, scale = pattern.sub(" ", text), factor
    body = re.sub(r"[\s'’_\u00a0\u202f]", "", text).rstrip(".")
    if _GROUPED.match(body):
        number = float(re.sub(r"[.,]", "", body))
    elif _PLAIN.match(body):
        number = float(body.replace(",", "."))
    else:
        return None
    return round(number * scale, 6)


def _number(step: Step, given: _Given) -> Parsed:
    typed, _ = _typed(given), given._
    example = example_for(step, given.lang, given.today)
    if step.unit and _FOREIGN_MONEY.search(typed):
        message = _("Please write the amount in {unit}, as a number.")
        return Parsed(error=message.format(unit=text_in(step.unit, given.lang)))
    number = read_number(typed) if typed else None
    if number is None:
        return _unreadable(step, given, _("Please write just a number, for example {example}.").format(example=example))
    if step.integer and not number.is_integer():
        return Parsed(error=_("Please write a whole number, for example {example}.").format(example=example))
    if (step.min is not None and number < step.min) or (step.max is not None and number > step.max):
        return Parsed(error=number_bounds_text(step, given.lang))
    return _ok(step, whole(number), given)


def _year(step: Step, given: _Given) -> Parsed:
    _, groups = given._, re.findall(r"\d+", _typed(given))
    if len(groups) != 1 or len(groups[0]) != 4:
        message = _("Please write the year with four digits, for example {example}.")
        return _unreadable(step, given, message.format(example=example_for(step, given.lang, given.today)))
    low, high = year_bounds(step, given.today)
    if not low <= int(groups[0]) <= high:
        return Parsed(error=year_bounds_text(step, given.lang, given.today))
    return _ok(step, int(groups[0]), given)


def read_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) from "21.03.2027", "21/3/27", "21-03-2027" or "2027-03-21"; not checked to exist."""
    typed = " ".join(text.strip().rstrip(".").split())
    if found := _ISO.match(typed):
        return int(found[1]), int(found[2]), int(found[3])
    if found := _DMY.match(typed):
        year = int(found[3])
        return (2000 + year if year < 100 else year), int(found[2]), int(found[1])
    return None


def _date(step: Step, given: _Given) -> Parsed:
    _, parts = given._, read_date(_typed(given))
    if parts is None:
        message = _("Please write the date as day.month.year, for example {example}.")
        return _unreadable(step, given, message.format(example=example_for(step, given.lang, given.today)))
    try:
        when = date(*parts)
    except ValueError:
        return Parsed(error=_("There is no such date. Please check the day and the month."))
    low, high = date_bounds(step, given.today)
    if (low and when < low) or (high and when > high):
        return Parsed(error=date_bounds_text(step, given.lang, given.today))
    return _ok(step, when.isoformat(), given)


def _email(step: Step, given: _Given) -> Parsed:
    _, typed = given._, _typed(given)
    if not _EMAIL.match(typed):
        message = _("This does not look like an email address. Please check it: it is written like {example}.")
        return _unreadable(step, given, message.format(example=EMAIL_EXAMPLE))
    local, domain = typed.rsplit("@", 1)
    return _ok(step, f"{local}@{domain.lower()}", given)


def read_phone(text: str) -> str | None:
    """The E.164 form of a phone number: Armenian without a country code ("091 23 45 67"), else international."""
    digits = re.sub(r"\D", "", text)
    candidates = [text] if text.strip().startswith("+") else [text, "+" + digits]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, PHONE_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return None


def _phone(step: Step, given: _Given) -> Parsed:
    _, raw = given._, given.phone or _typed(given)
    if not raw and step.type == "contact":
        return _unreadable(step, given, _("Please tap the button below to share your phone number, or type it."))
    number = read_phone(raw) if raw else None
    if number is None:
        return _unreadable(
            step,
            given,
            _(
                "This does not look like a phone number. Please write an Armenian number like 091 23 45 67, "
                "or a foreign one with its country code, like +7 912 345 67 89."
            ),
        )
    return _ok(step, number, given)


def _location(step: Step, given: _Given) -> Parsed:
    _, point = given._, given.location
    if point is None or not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        return _unreadable(step, given, _("Please tap the button below to share your location."))
    return _ok(step, [round(point[0], 6), round(point[1], 6)], given)


def _choose_error(step: Step, given: _Given) -> str:
    _ = given._
    if step.type == "yes_no":
        return _("Please answer yes or no: tap one of the buttons below.")
    return _("Please choose one of the options: tap its button below.")


def _one(step: Step, given: _Given) -> Parsed:
    if given.choice is not None:
        chosen = step.choice(given.choice)
    else:
        chosen = match_choice(step, given.text) if given.text else None
    if chosen is None:
        return _unreadable(step, given, _choose_error(step, given))
    return _ok(step, chosen.id == "yes" if step.type == "yes_no" else chosen.id, given)


def toggle(step: Step, current: Sequence[str], choice_id: str) -> list[str]:
    """The selection of a multi step after tapping `choice_id`: on or off; an exclusive choice clears the others."""
    chosen = step.choice(choice_id)
    selected = set(current)
    if chosen is None:
        pass  # a stale button: leave the selection as it was
    elif choice_id in selected:
        selected.discard(choice_id)
    elif chosen.exclusive:
        selected = {choice_id}
    else:
        selected = selected - {c.id for c in step.choices if c.exclusive} | {choice_id}
    return [c.id for c in step.choices if c.id in selected]


def finish_multi(step: Step, selected: Sequence[str], lang: str) -> Parsed:
    """The answer of a multi step when the person taps Done on their selection."""
    chosen = [c.id for c in step.choices if c.id in set(selected)]
    if chosen:
        return Parsed(chosen, display(step, chosen, lang))
    if step.optional:
        return Parsed(None, display(step, None, lang))
    _ = gettext_for(lang)
    return Parsed(error=_("Please choose at least one option, then tap Done."))


def _many(step: Step, given: _Given) -> Parsed:
    _, typed = given._, _typed(given)
    if given.choice is not None:
        if step.choice(given.choice) is None:
            return _unreadable(step, given, _choose_error(step, given))
        return _ok(step, [given.choice], given)
    whole_text = match_choice(step, typed) if typed else None  # a label may itself hold a comma or "and"
    selected: list[str] = [whole_text.id] if whole_text else []
    for piece in [] if whole_text else split_items(typed):
        chosen = match_choice(step, piece)
        if chosen is None:
            message = _("I could not find “{answer}” among the options. Please use the buttons below.")
            return _unreadable(step, given, message.format(answer=piece))
        if chosen.id not in selected:
            selected = toggle(step, selected, chosen.id)
    return finish_multi(step, selected, given.lang)


def display(step: Step, value: Any, lang: str) -> str:
    """An answer as shown in the summary and on the lead card; "—" when skipped."""
    if not is_answered(value):
        return "—"
    if step.type in ("single", "region"):
        chosen = step.choice(str(value))
        return text_in(chosen.label, lang) if chosen else str(value)
    if step.type == "multi":
        return ", ".join(text_in(c.label, lang) for c in step.choices if c.id in value)
    if step.type == "yes_no":
        return text_in(step.choices[0 if value else 1].label, lang)
    show = _DISPLAY.get(step.type)
    return show(value, step, lang) if show else str(value)


def _display_number(value: Any, step: Step, lang: str) -> str:
    shown = format_number(value, lang)
    return f"{shown} {text_in(step.unit, lang)}" if step.unit else shown


def _display_phone(value: Any, _step: Step, _lang: str) -> str:
    try:
        number = phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        return str(value)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _display_date(value: Any, _step: Step, lang: str) -> str:
    try:
        return long_date(date.fromisoformat(str(value)), lang)
    except ValueError:
        return str(value)


def _display_location(value: Any, _step: Step, _lang: str) -> str:
    return f"{float(value[0]):.5f}, {float(value[1]):.5f}"


_DISPLAY: dict[str, Callable[[Any, Step, str], str]] = {
    "number": _display_number,
    "year": lambda value, _step, _lang: str(value),
    "date": _display_date,
    "phone": _display_phone,
    "contact": _display_phone,
    "location": _display_location,
}
_PARSERS: dict[str, Callable[[Step, _Given], Parsed]] = {
    "text": _text,
    "number": _number,
    "year": _year,
    "date": _date,
    "email": _email,
    "phone": _phone,
    "contact": _phone,
    "location": _location,
    "single": _one,
    "region": _one,
    "yes_no": _one,
    "multi": _many,
}


__all__ = ["SKIP", "Parsed", "display", "example_for", "explain", "finish_multi", "parse_answer", "toggle"]
