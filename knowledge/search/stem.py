"""Snowball stemming (PyStemmer) for Armenian, Russian and English, one stemmer per thread."""

from __future__ import annotations

import threading

import Stemmer

ALGORITHMS = {"hy": "armenian", "ru": "russian", "en": "english"}
_local = threading.local()


def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    # PyStemmer objects keep internal state, so each thread gets its own.
    stemmers: dict[str, Stemmer.Stemmer | None] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if lang not in stemmers:
        algorithm = ALGORITHMS.get(lang, lang)
        stemmers[lang] = Stemmer.Stemmer(algorithm) if algorithm in Stemmer.algorithms() else None
    return stemmers[lang]


def stem(lang: str, word: str) -> str:
    """The Snowball stem of a normalised word; the word itself for languages without a stemmer."""
    stemmer = _stemmer(lang)
    return stemmer.stemWord(word) if stemmer is not None else word


def stem_words(lang: str, words: list[str]) -> list[str]:
    stemmer = _stemmer(lang)
    return stemmer.stemWords(words) if stemmer is not None else list(words)


# Endings the Snowball Armenian stemmer leaves on chat forms (1st person "-եմ", "-ամ", possessive
# "-ս", "-դ", case endings on short words, "-ություն"), written in the phonetic-key alphabet so the
# same stripping applies to Armenian script and to Latin-letter Armenian.
_HY_KEY_ENDINGS = tuple(
    sorted(
        {
            "utyamb",
            "utyun",
            "utyan",
            "uty",
            "neri",
            "nerin",
            "nerov",
            "nerum",
            "nerc",
            "ner",
            "eri",
            "erin",
            "erov",
            "erum",
            "er",
            "velu",
            "elu",
            "alu",
            "vel",
            "vum",
            "vac",
            "el",
            "al",
            "em",
            "es",
            "ek",
            "enk",
            "en",
            "am",
            "as",
            "ak",
            "ank",
            "an",
            "um",
            "ic",
            "ov",
            "uc",
            "ac",
            "ec",
            "eci",
            "ir",
            "i",
            "s",
            "d",
            "n",
        },
        key=len,
        reverse=True,
    )
)
_HY_MIN_STEM = 3


def strip_hy_key(key: str) -> str:
    """A light second stemming pass over an Armenian phonetic key (at most two endings)."""
    for _ in range(2):
        for ending in _HY_KEY_ENDINGS:
            if key.endswith(ending) and len(key) - len(ending) >= _HY_MIN_STEM:
                key = key[: -len(ending)]
                break
        else:
            break
    return key
