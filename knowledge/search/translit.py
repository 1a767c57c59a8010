"""Transliteration: Latin chat spelling to Armenian and Cyrillic, and script-neutral phonetic keys."""

from __future__ import annotations

import re
from functools import lru_cache

# --- Latin -> Armenian -------------------------------------------------------------------------
# Each Latin unit maps to Armenian options, most likely first. Longest units are matched first.
_HY_UNITS: dict[str, tuple[str, ...]] = {
    "tch": ("ճ", "չ"),
    "ch": ("չ", "ճ"),
    "sh": ("շ",),
    "zh": ("ժ",),
    "jh": ("ժ",),
    "kh": ("խ",),
    "gh": ("ղ",),
    "ts": ("ց", "ծ"),
    "tz": ("ց", "ծ"),
    "dz": ("ձ",),
    "dj": ("ջ",),
    "th": ("թ",),
    "ph": ("փ",),
    "ou": ("ու",),
    "oo": ("ու",),
    "rr": ("ռ",),
    "a": ("ա",),
    "b": ("բ",),
    "c": ("ց", "ծ", "չ"),
    "d": ("դ",),
    "e": ("ե", "է"),
    "f": ("ֆ",),
    "g": ("գ",),
    "h": ("հ",),
    "i": ("ի",),
    "j": ("ջ", "ժ", "յ"),
    "k": ("կ", "ք"),
    "l": ("լ",),
    "m": ("մ",),
    "n": ("ն",),
    "o": ("ո", "օ"),
    "p": ("պ", "փ"),
    "q": ("ք",),
    "r": ("ր", "ռ"),
    "s": ("ս",),
    "t": ("տ", "թ"),
    "u": ("ու",),
    "v": ("վ",),
    "w": ("շ", "վ"),
    "x": ("խ", "ղ"),
    "y": ("յ", "ը"),
    "z": ("զ",),
    "@": ("ը",),
    "4": ("չ",),
}
# At the start of a word: "ye"/"e" is ե, "vo"/"o" is ո (օ is rarer), "y" before a consonant is ը.
_HY_INITIAL: dict[str, tuple[str, ...]] = {
    "ye": ("ե",),
    "vo": ("ո", "վո"),
    "e": ("ե", "է"),
    "ou": ("ու",),
    "o": ("ո", "օ"),
    "yo": ("յո",),
}
_HY_UNIT = re.compile("|".join(sorted(map(re.escape, _HY_UNITS), key=len, reverse=True)) + "|.")
_HY_INITIAL_UNIT = re.compile("|".join(sorted(_HY_INITIAL, key=len, reverse=True)))
_LATIN_VOWELS = frozenset("aeiouy")


def _hy_options(word: str) -> list[tuple[str, ...]]:
    """The Armenian options for each Latin unit of `word`."""
    options: list[tuple[str, ...]] = []
    pos = 0
    initial = _HY_INITIAL_UNIT.match(word)
    if initial:
        options.append(_HY_INITIAL[initial.group()])
        pos = initial.end()
    for match in _HY_UNIT.finditer(word, pos):
        unit = match.group()
        choices = _HY_UNITS.get(unit, (unit,))
        if unit == "y":
            before = word[match.start() - 1] if match.start() else ""
            after = word[match.end()] if match.end() < len(word) else ""
            if before not in _LATIN_VOWELS and after not in _LATIN_VOWELS:
                choices = ("ը", "յ")  # between consonants or at the end after one: ը (pasporty, ynker)
        options.append(choices)
    return options


@lru_cache(maxsize=20000)
def latin_to_armenian(word: str, limit: int = 6) -> tuple[str, ...]:
    """Armenian spellings of a Latin chat word, most likely first (a small beam over ambiguous letters)."""
    beam: list[tuple[int, str]] = [(0, "")]
    for choices in _hy_options(word.lower()):
        grown = [(cost + rank, text + choice) for cost, text in beam for rank, choice in enumerate(choices)]
        grown.sort(key=lambda item: item[0])
        beam = grown[: limit * 2]
    seen: dict[str, None] = {}
    for _, text in beam:
        seen.setdefault(text, None)
    return tuple(seen)[:limit]


# --- Latin -> Cyrillic -------------------------------------------------------------------------
_RU_UNITS: dict[str, str] = {
    "shch": "щ",
    "sch": "щ",
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "tz": "ц",
    "ya": "я",
    "ja": "я",
    "yu": "ю",
    "ju": "ю",
    "yo": "е",
    "jo": "е",
    "ye": "е",
    "je": "е",
    "a": "а",
    "b": "б",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "х",
    "z": "з",
    "4": "ч",
    "6": "ш",
}
_RU_UNIT = re.compile("|".join(sorted(map(re.escape, _RU_UNITS), key=len, reverse=True)) + "|.")


@lru_cache(maxsize=20000)
def latin_to_cyrillic(word: str) -> str:
    """Russian chat transliteration to Cyrillic: kak→как, zh→ж, shch→щ, ya/ja→я, y→ы/й by context."""
    out: list[str] = []
    word = word.lower()
    for match in _RU_UNIT.finditer(word):
        unit = match.group()
        prev = word[match.start() - 1] if match.start() else ""
        nxt = word[match.end()] if match.end() < len(word) else ""
        if unit in ("y", "j"):
            out.append("й" if prev in _LATIN_VOWELS or (unit == "j" and not nxt) else "ы" if unit == "y" else "ж")
        elif unit == "c":
            out.append("ц" if nxt in ("e", "i", "y") else "к")
        else:
            out.append(_RU_UNITS.get(unit, unit))
    return "".join(out)


# --- Phonetic keys -----------------------------------------------------------------------------
# Both sides (documents in Armenian script, queries in Latin letters) are mapped to one small
# alphabet where the letters people confuse meet: տ/թ→t, կ/ք→k, պ/փ→p, ց/ծ/ձ→c, չ/ճ→č, ժ/ջ→j,
# խ/ղ→x, ր/ռ→r, ե/է→e, ո/օ→o, ու→u; ը is dropped (it is rarely written), doubled letters collapse.
_HY_KEY = str.maketrans(
    {
        "ա": "a",
        "բ": "b",
        "գ": "g",
        "դ": "d",
        "ե": "e",
        "զ": "z",
        "է": "e",
        "ը": "",
        "թ": "t",
        "ժ": "j",
        "ի": "i",
        "լ": "l",
        "խ": "x",
        "ծ": "c",
        "կ": "k",
        "հ": "h",
        "ձ": "c",
        "ղ": "x",
        "ճ": "č",
        "մ": "m",
        "յ": "y",
        "ն": "n",
        "շ": "š",
        "ո": "o",
        "չ": "č",
        "պ": "p",
        "ջ": "j",
        "ռ": "r",
        "ս": "s",
        "վ": "v",
        "տ": "t",
        "ր": "r",
        "ց": "c",
        "ւ": "v",
        "փ": "p",
        "ք": "k",
        "օ": "o",
        "ֆ": "f",
    }
)
_RU_KEY = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "j",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "x",
        "ц": "c",
        "ч": "č",
        "ш": "š",
        "щ": "š",
        "ъ": "",
        "ы": "i",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
    }
)
_DOUBLES = re.compile(r"(.)\1+")


def _collapse(key: str) -> str:
    """Collapse doubled letters, except in short words (abbreviations such as ООО keep their letters)."""
    return _DOUBLES.sub(r"\1", key) if len(key) > 3 else key


@lru_cache(maxsize=50000)
def hy_key(word: str) -> str:
    """Phonetic key of a normalised Armenian-script word."""
    word = word.replace("ու", "u")
    if word.startswith("վո"):
        word = word[1:]
    return _collapse(word.translate(_HY_KEY))


@lru_cache(maxsize=50000)
def ru_key(word: str) -> str:
    """Phonetic key of a normalised Cyrillic word ("сч" sounds as "щ" and meets the Latin "sch")."""
    return _collapse(word.replace("сч", "щ").replace("зч", "щ").translate(_RU_KEY))


@lru_cache(maxsize=20000)
def hy_keys_from_latin(word: str, limit: int = 3) -> tuple[str, ...]:
    """Distinct Armenian phonetic keys of a Latin word's likely spellings, best first."""
    keys: dict[str, None] = {}
    for spelling in latin_to_armenian(word):
        keys.setdefault(hy_key(spelling), None)
    return tuple(keys)[:limit]


def ru_key_from_latin(word: str) -> str:
    return ru_key(latin_to_cyrillic(word))


def forget_words() -> None:
    """Empty this module's word memos (see analyze.forget_words)."""
    for memo in (latin_to_armenian, latin_to_cyrillic, hy_key, ru_key, hy_keys_from_latin):
        memo.cache_clear()
