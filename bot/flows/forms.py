"""What each step expects: its bounds, an example answer, and the explanation after repeated wrong answers."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

from bot.flows.schema import Step, text_in
from bot.i18n import format_number, gettext_for

YEAR_MIN = 1900
TEXT_MAX = 1000  # characters, when a text step sets no max
PHONE_EXAMPLE = "091 23 45 67"
EMAIL_EXAMPLE = "name@example.com"


def whole(value: float) -> float | int:
    """1500.0 as 1500, 1.5 as it is."""
    return int(value) if float(value).is_integer() else value


def long_date(value: date | None, lang: str) -> str:
    return format_date(value, format="long", locale=lang) if value else ""


def text_bounds(step: Step) -> tuple[int, int]:
    """A text step's length range: from its min (else 1: not empty) to its max (else 1000 characters)."""
    return int(step.min if step.min is not None else 1), int(step.max if step.max is not None else TEXT_MAX)


def year_bounds(step: Step, today: date) -> tuple[int, int]:
    """A year step's range: from its min (else 1900) to its max (else the current year)."""
    return int(step.min if step.min is not None else YEAR_MIN), int(step.max if step.max is not None else today.year)


def date_bounds(step: Step, today: date) -> tuple[date | None, date | None]:
    """A date step's range: its min and max are days from today (0 is today, -365 a year ago)."""
    low = today + timedelta(days=int(step.min)) if step.min is not None else None
    return low, today + timedelta(days=int(step.max)) if step.max is not None else None


def number_bounds_text(step: Step, lang: str) -> str:
    """ "The number should be between 0 and 60." for the bounds the step has, else ""."""
    _, low, high = gettext_for(lang), step.min, step.max
    if low is not None and high is not None:
        text = _("The number should be between {min} and {max}.")
    elif low is not None:
        text = _("The number should be at least {min}.")
    elif high is not None:
        text = _("The number should be at most {max}.")
    else:
        return ""
    return text.format(min=format_number(whole(low or 0), lang), max=format_number(whole(high or 0), lang))


def date_bounds_text(step: Step, lang: str, today: date) -> str:
    """ "The date should be between …" for the bounds the step has, else ""."""
    _, (low, high) = gettext_for(lang), date_bounds(step, today)
    if low and high:
        text = _("The date should be between {min} and {max}.")
    elif low:
        text = _("The date should not be earlier than {min}.")
    elif high:
        text = _("The date should not be later than {max}.")
    else:
        return ""
    return text.format(min=long_date(low, lang), max=long_date(high, lang))


def year_bounds_text(step: Step, lang: str, today: date) -> str:
    _, (low, high) = gettext_for(lang), year_bounds(step, today)
    return _("The year should be between {min} and {max}.").format(min=low, max=high)


def example_for(step: Step, lang: str, today: date | None = None) -> str:
    """An example answer: the flow's own, else one made from the step's type and bounds."""
    if step.example:
        return text_in(step.example, lang)
    today = today or date.today()
    if step.type == "year":
        low, high = year_bounds(step, today)
        return str(max(low, min(high, today.year - 3)))
    if step.type == "date":
        first, last = date_bounds(step, today)
        candidate = today + timedelta(days=30)
        candidate = min(candidate, last) if last else candidate
        return (max(candidate, first) if first else candidate).strftime("%d.%m.%Y")
    if step.type == "number":
        ceiling = min(step.max, 10) if step.max is not None else 10
        return format_number(whole(max(step.min or 0, ceiling)), lang)
    if step.type in ("phone", "contact"):
        return PHONE_EXAMPLE
    return EMAIL_EXAMPLE if step.type == "email" else ""


def _options(step: Step, lang: str) -> str:
    return "\n".join(f"{n}. {text_in(c.label, lang)}" for n, c in enumerate(step.choices, 1))


def _form(step: Step, lang: str, today: date) -> list[str]:
    """What an answer to `step` looks like, sentence by sentence."""
    _ = gettext_for(lang)
    if step.type == "text":
        low, high = text_bounds(step)
        return [_("A short answer in your own words, from {min} to {max} characters.").format(min=low, max=high)]
    if step.type == "number":
        unit = [_("Amounts are in {unit}.").format(unit=text_in(step.unit, lang))] if step.unit else []
        return [_("Just a number, without words."), number_bounds_text(step, lang), *unit]
    if step.type == "year":
        return [_("A year with four digits."), year_bounds_text(step, lang, today)]
    if step.type == "date":
        return [_("A date written as day.month.year."), date_bounds_text(step, lang, today)]
    if step.type in ("phone", "contact"):
        share = [_("You can also tap the button below to share the number of this phone.")]
        phone = _(
            "A phone number: an Armenian one like 091 23 45 67, or a foreign one that starts with + "
            "and the country code, like +7 912 345 67 89."
        )
        return [phone, *(share if step.type == "contact" else [])]
    if step.type == "email":
        return [_("An email address, like name@example.com.")]
    if step.type == "location":
        return [_("Your location: tap the button below that shares it (this works on a phone).")]
    if step.type == "yes_no":
        return [_("Yes or no: tap a button, or type yes or no.")]
    if step.type == "multi":
        intro = _("One or more of these: tap each one that fits, then tap Done. You can also type them, with commas:")
        return [intro + "\n" + _options(step, lang)]
    return [_("One of these: tap its button, or type its name or its number:") + "\n" + _options(step, lang)]


def explain(step: Step, lang: str, today: date | None = None) -> str:
    """Said after three answers we could not use: what form is expected, with an example."""
    _, today = gettext_for(lang), today or date.today()
    parts = [_("Let me explain what I need here."), *(p for p in _form(step, lang, today) if p)]
    example = text_in(step.example, lang) if step.example else example_for(step, lang, today)
    if example and (step.example or step.type not in ("phone", "contact", "email")):
        parts.append(_("For example: {example}").format(example=example))
    if step.optional:
        parts.append(_("If you would rather not answer, tap Skip."))
    return "\n".join(parts)
