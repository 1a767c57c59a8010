"""Every UI string is translated in every catalog, with the same placeholders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, available_languages, command_descriptions, format_when, gettext_for, pick_language

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _source_messages() -> set[str]:
    found = extract_from_dir(str(BOT_DIR), method_map=[("**.py", "python")], keywords={"_": None})
    return {message for _file, _line, message, _comments, _ctx in found if isinstance(message, str)}


@pytest.mark.parametrize("lang", ["hy", "ru", "en"])
def test_catalog_has_every_message_translated_with_the_same_placeholders(lang: str) -> None:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    source = _source_messages()
    assert source, "no UI strings found: is extraction broken?"
    missing = sorted(m for m in source if m not in catalog or not catalog[m].string)
    assert not missing, f"{lang}: untranslated or missing: {missing[:5]}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy[:5]}"
    for message in source:
        translated = catalog[message].string
        assert isinstance(translated, str)
        assert sorted(PLACEHOLDER.findall(message)) == sorted(PLACEHOLDER.findall(translated)), (lang, message)
        assert message.count("**") == translated.count("**"), (lang, message)


def test_armenian_and_russian_are_written_in_their_own_scripts() -> None:
    assert re.search(r"[\u0531-\u0587]", gettext_for("hy")("Main menu"))
    assert re.search(r"[\u0400-\u04FF]", gettext_for("ru")("Main menu"))


def test_app_language_codes_map_to_supported_languages() -> None:
    assert available_languages()[:3] == ("hy", "ru", "en")
    assert pick_language("ru-RU") == "ru" and pick_language("hy") == "hy" and pick_language("en_US") == "en"
    assert pick_language("de") is None and pick_language(None) is None and pick_language("") is None


def test_commands_have_descriptions_in_each_language() -> None:
    for lang in ("hy", "ru", "en"):
        names = [name for name, _desc in command_descriptions(lang)]
        assert names == ["start", "menu", "language", "help", "privacy", "my_requests", "my_data", "delete_my_data"]
        assert all(0 < len(desc) <= 256 for _name, desc in command_descriptions(lang))


def test_dates_are_written_per_locale() -> None:
    when = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
    assert "Nov" in format_when(when, "en")
    assert "нояб" in format_when(when, "ru")
    assert "նոյ" in format_when(when, "hy")
