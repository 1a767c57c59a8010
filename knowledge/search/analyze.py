"""Word analysis: which language namespace a token belongs to, its stem term and its phonetic key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import normalize, translit
from .normalize import Script, token_script, tokenize
from .stem import stem, strip_hy_key
from .stopwords import STOPWORDS
from .translit import hy_key, hy_keys_from_latin, latin_to_armenian, latin_to_cyrillic, ru_key

# Languages written in Cyrillic or Armenian script; every other language code is taken as Latin.
_CYRILLIC_LANGS = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn"})
_SCRIPT_NAMESPACE: dict[Script, str] = {"hy": "hy", "cyrl": "ru", "latn": "en"}


def lang_script(lang: str) -> Script:
    if lang == "hy":
        return "hy"
    return "cyrl" if lang in _CYRILLIC_LANGS else "latn"


def key_of(namespace: str, word: str) -> str:
    """The phonetic key of a word of its own script in `namespace` (its surface form for Latin ones)."""
    if namespace == "hy":
        return hy_key(word)
    if lang_script(namespace) == "cyrl":
        return ru_key(word)
    return word


def stem_key(namespace: str, word: str) -> str:
    """The index term of a word of its own script: its Snowball stem as a phonetic key."""
    key = key_of(namespace, stem(namespace, word))
    return strip_hy_key(key) if namespace == "hy" else key


_STOP_KEYS = {ns: frozenset(key_of(ns, w) for w in words) for ns, words in STOPWORDS.items()}


def is_stopword(namespace: str, key: str) -> bool:
    """Whether a phonetic key is a function word of `namespace` (any spelling that maps to it)."""
    return key in _STOP_KEYS.get(namespace, frozenset())


@lru_cache(maxsize=50000)
def analyze_doc_token(token: str, doc_lang: str) -> tuple[str, str, str] | None:
    """(namespace, stem term, surface key) of a document token, or None for stopwords and noise."""
    script = token_script(token)
    if script == "other" or len(token) < 2:
        return None
    namespace = doc_lang if lang_script(doc_lang) == script else _SCRIPT_NAMESPACE[script]
    key = key_of(namespace, token)
    if len(key) < 2 or is_stopword(namespace, key):
        return None
    return namespace, stem_key(namespace, token), key


def doc_terms(text: str, doc_lang: str) -> list[tuple[str, str, str]]:
    analysed = (analyze_doc_token(token, doc_lang) for token in tokenize(text))
    return [item for item in analysed if item is not None]


@dataclass(frozen=True)
class Reading:
    """One way to read a query token: in `namespace`, as these stem terms and phonetic keys."""

    namespace: str
    stems: tuple[str, ...]
    keys: tuple[str, ...]


def _latin_readings(token: str, namespaces: frozenset[str]) -> list[Reading]:
    readings: list[Reading] = []
    for namespace in sorted(namespaces):
        if namespace == "hy":
            keys = hy_keys_from_latin(token)
            stems = tuple(dict.fromkeys(stem_key("hy", s) for s in latin_to_armenian(token)[:3]))
        elif lang_script(namespace) == "cyrl":
            cyrillic = latin_to_cyrillic(token)
            keys, stems = (ru_key(cyrillic),), (stem_key(namespace, cyrillic),)
        else:
            keys, stems = (token,), (stem_key(namespace, token),)
        readings.append(Reading(namespace, stems, keys))
    return readings


@lru_cache(maxsize=20000)
def query_readings(token: str, namespaces: frozenset[str]) -> tuple[Reading, ...]:
    """Readings of a query token in the namespaces the index holds; () for stopwords and noise.

    A Latin token is read as English (or another Latin-script language) and, transliterated,
    as Armenian and as Russian; a stopword in any reading makes the whole token a stopword.
    """
    script = token_script(token)
    if script == "other" or len(token) < 2:
        return ()
    if script == "latn":
        readings = _latin_readings(token, namespaces)
    else:
        same = [ns for ns in namespaces if lang_script(ns) == script] or [_SCRIPT_NAMESPACE[script]]
        readings = [Reading(ns, (stem_key(ns, token),), (key_of(ns, token),)) for ns in sorted(same)]
    if any(is_stopword(r.namespace, r.keys[0]) for r in readings):
        return ()
    return tuple(r for r in readings if len(r.keys[0]) >= 2)


@lru_cache(maxsize=20000)
def stop_namespaces(token: str) -> tuple[str, ...]:
    """Namespaces in which a token is a function word (used as a hint of the query's language)."""
    script = token_script(token)
    if script == "latn":
        found = ["en"] if is_stopword("en", token) else []
        if any(is_stopword("hy", k) for k in hy_keys_from_latin(token)[:1]):
            found.append("hy")
        if is_stopword("ru", ru_key(latin_to_cyrillic(token))):
            found.append("ru")
        return tuple(found)
    if script in ("hy", "cyrl"):
        namespace = _SCRIPT_NAMESPACE[script]
        return (namespace,) if is_stopword(namespace, key_of(namespace, token)) else ()
    return ()


@lru_cache(maxsize=100000)
def phrase_key(token: str, lang: str) -> str:
    """A token (stopwords included) as a phonetic key comparable with text written in `lang`."""
    script = token_script(token)
    if script == "latn" and lang == "hy":
        return hy_keys_from_latin(token)[0]
    if script == "latn" and lang_script(lang) == "cyrl":
        return ru_key(latin_to_cyrillic(token))
    if script == "hy":
        return hy_key(token)
    return ru_key(token) if script == "cyrl" else token


def forget_words() -> None:
    """Empty the word memos. An index build fills them with every word of the content; the search needs only the
    words people ask about, which fill them again as they come."""
    for memo in (analyze_doc_token, query_readings, stop_namespaces, phrase_key):
        memo.cache_clear()
    normalize.forget_words()
    translit.forget_words()
