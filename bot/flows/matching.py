"""Matching typed words to a step's options, in any language and in Latin letters ("ayo", "da", "shirak")."""

from __future__ import annotations

import re
import unicodedata

from bot.flows.schema import Choice, Step

# Armenian emphasis and question marks sit inside words (այո՞): drop them, do not split the word
_INSIDE_WORD = re.compile("[\u055b-\u055e]")
_NOT_WORD = re.compile(r"[^\w\s-]")
_ITEM_SEPARATORS = re.compile(r"[,;/\n]+|\s+(?:and|и|եւ|և|ու)\s+", re.IGNORECASE)
YES_WORDS = frozenset({"yes", "y", "yep", "yeah", "ok", "ayo", "ajo", "ha", "da", "да", "ага", "այո", "հա"})
NO_WORDS = frozenset({"no", "n", "nope", "voch", "voc", "vochi", "och", "che", "ne", "net", "нет", "не", "ոչ", "չէ"})
SKIP_WORDS = frozenset(
    {"skip", "-", "—", "пропустить", "пропуск", "propustit", "բաց թողնել", "bac toxnel", "bats toghnel", "anc"}
)


def normal(text: str) -> str:
    """Lower case, one space between words, no punctuation: "Այո՛" and "այո" become the same."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = _NOT_WORD.sub(" ", _INSIDE_WORD.sub("", text))
    return " ".join(text.split())


def is_skip(text: str) -> bool:
    return text.strip() in ("-", "—") or normal(text) in SKIP_WORDS


def _keys(step: Step, choice: Choice) -> set[str]:
    keys = {normal(label) for label in choice.label.values()} | {normal(a) for a in choice.aliases}
    keys |= {normal(choice.id), normal(choice.id.replace("-", " ").replace("_", " "))}
    if step.type == "yes_no":
        keys |= YES_WORDS if choice.id == "yes" else NO_WORDS
    return keys - {""}


def match_choice(step: Step, text: str) -> Choice | None:
    """The option meant by typed text: its label in any language, its number in the list, or the unique
    option with a word starting with what was typed ("shir" for Shirak)."""
    typed = normal(text)
    if not typed:
        return None
    if typed.isdigit() and step.type != "yes_no":
        position = int(typed)
        return step.choices[position - 1] if 1 <= position <= len(step.choices) else None
    exact = [c for c in step.choices if typed in _keys(step, c)]
    if exact:
        return exact[0]
    if len(typed) < 3:
        return None
    start = re.compile(r"(?:^|\s)" + re.escape(typed))
    partial = [c for c in step.choices if any(start.search(key) for key in _keys(step, c))]
    return partial[0] if len(partial) == 1 else None


def split_items(text: str) -> list[str]:
    """The items of a typed list: "English, Russian and German" gives three."""
    return [item.strip() for item in _ITEM_SEPARATORS.split(text) if item.strip()]
