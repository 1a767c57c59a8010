"""UI strings: gettext catalogs per language (bot/locales), language choice, locale formatting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from babel.units import format_unit

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("hy", "ru", "en")
LANGUAGE_NAMES = {"hy": "Հայերեն", "ru": "Русский", "en": "English"}


def available_languages() -> tuple[str, ...]:
    """Languages with a catalog; a new language is a new catalog, not new code."""
    found = sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    ordered = [lang for lang in LANGUAGES if lang in found] + [lang for lang in found if lang not in LANGUAGES]
    return tuple(ordered) or LANGUAGES


def pick_language(hint: str | None) -> str | None:
    """The supported language for an app language code like "ru-RU" or "hy", else None."""
    if not hint:
        return None
    code = hint.replace("_", "-").split("-")[0].lower()
    return code if code in available_languages() else None


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog for `lang`: the compiled .mo when it is current, else parsed from the .po."""
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            catalog = read_mo(fh)
    elif po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        return NullTranslations()
    result = Translations()
    for message in catalog:
        if message.id and message.string and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else message.id[0]
            value = message.string if isinstance(message.string, str) else message.string[0]
            result._catalog[key] = value
    return result


def gettext_for(lang: str) -> Callable[[str], str]:
    """`_ = gettext_for(lang)` then `_("Text")`: the translated text, or the English source."""
    return translations(lang).gettext


def command_descriptions(lang: str) -> list[tuple[str, str]]:
    _ = gettext_for(lang)
    return [
        ("start", _("Start over and choose what you need")),
        ("menu", _("Main menu")),
        ("language", _("Change the language")),
        ("help", _("What Ughi can do")),
        ("privacy", _("My data and privacy")),
        ("my_requests", _("My requests to a counsellor")),
        ("my_data", _("What Ughi keeps about me")),
        ("delete_my_data", _("Delete all my data")),
    ]


def format_when(value: datetime, lang: str) -> str:
    """A date and time written the way people of `lang` write it."""
    return format_datetime(value, format="medium", locale=Locale.parse(lang))


def format_days(days: int, lang: str) -> str:
    """A period as people say it: "1 year", "6 months", "45 days" (years or months only when exact)."""
    if days % 365 == 0:
        count, unit = days // 365, "duration-year"
    elif days % 30 == 0:
        count, unit = days // 30, "duration-month"
    else:
        count, unit = days, "duration-day"
    return str(format_unit(count, unit, length="long", locale=Locale.parse(lang)))


def format_number(value: float, lang: str) -> str:
    return format_decimal(value, locale=Locale.parse(lang))
