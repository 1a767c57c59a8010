"""Text normalisation and tokenisation shared by documents and queries (NFKC, case, Armenian marks, scripts)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Script = Literal["hy", "cyrl", "latn", "other"]

# Armenian marks written inside or after a word: question ՞, emphasis ՛, exclamation ՜, comma ՝,
# abbreviation ՟ and apostrophe ՚. They never change the word, so they are removed.
# Apostrophes of any kind are dropped too: "t'", "ch'" in transliteration, "don't" in English.
_DROPPED = re.compile("[\u055e\u055b\u055c\u055d\u055f\u055a'\u2019\u02bc\u2018`\u00b4]")
_LINKS = re.compile(r"\]\((?:https?://|www\.)[^)\s]*\)|https?://\S+|\[CENTRE:[^\]]*\]")
_EMPHASIS = re.compile(r"[*_#>]+")
_TOKEN = re.compile(r"[\w@]+")
_LATIN = re.compile("[A-Za-z]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")

# Letters that look alike across scripts (people mix keyboards): Latin <-> Cyrillic.
_LAT_TO_CYR = str.maketrans("aeopcxykmtbh", "аеорсхукмтвн")
_CYR_TO_LAT = str.maketrans("аеорсхук", "aeopcxyk")


def script_of(char: str) -> Script:
    code = ord(char)
    if 0x0531 <= code <= 0x058F or 0xFB13 <= code <= 0xFB17:
        return "hy"
    if 0x0400 <= code <= 0x04FF:
        return "cyrl"
    if char.isascii() and (char.isalpha() or char == "@"):
        return "latn"
    if char.isalpha():
        return "latn" if unicodedata.name(char, "").startswith("LATIN") else "other"
    return "other"


def normalize(text: str) -> str:
    """NFKC, case folding, ё→е, Armenian in-word marks removed, և/ւ unified, markup and links dropped."""
    if "](" in text or "http" in text or "[CENTRE" in text:
        text = _LINKS.sub(" ", text)
    text = _EMPHASIS.sub(" ", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _DROPPED.sub("", text.casefold()).replace("ё", "е")
    if "ւ" in text:
        # "ու" is the vowel u; any other yiwn is v: the ligature և becomes եւ under NFKC, then եվ,
        # so "Երևան", "Երեւան" and "Երեվան" all meet
        text = text.replace("ու", "\0").replace("ւ", "վ").replace("\0", "ու")
    return text


@lru_cache(maxsize=50000)
def token_script(token: str) -> Script:
    """The main script of a token: the script of most of its letters (digits alone are "other")."""
    counts: dict[Script, int] = {}
    for char in token:
        kind = script_of(char)
        if kind != "other":
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return "other"
    return max(counts, key=lambda k: counts[k])


def _fix_mixed(token: str, script: Script) -> str:
    """Replace look-alike letters of the other script (e.g. Latin 'o' inside a Cyrillic word)."""
    if script == "cyrl":
        return token.translate(_LAT_TO_CYR)
    if script == "latn":
        return token.translate(_CYR_TO_LAT)
    return token


@lru_cache(maxsize=100000)
def _clean(token: str) -> str:
    script = token_script(token)
    if script in ("cyrl", "latn") and any(script_of(c) not in (script, "other") for c in token):
        return _fix_mixed(token, script)
    return token


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; '@' is kept as a letter (it stands for ը in Latin-letter Armenian)."""
    tokens = _TOKEN.findall(normalize(text))
    if _LATIN.search(text) and _CYRILLIC.search(text):  # look-alike letters are only possible then
        return [_clean(token) for token in tokens if token.strip("@")]
    return [token for token in tokens if token.strip("@")]


def forget_words() -> None:
    """Empty this module's word memos (see analyze.forget_words)."""
    for memo in (token_script, _clean):
        memo.cache_clear()
