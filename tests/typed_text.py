"""What people can type in Telegram, as Hypothesis strategies, and how Ughi may show it back once it has echoed it.

Telegram delivers any Unicode text without lone surrogates (they cannot be encoded in its JSON), at most 4096
UTF-16 units long, never empty or only whitespace. Shown back, a text may differ from what was typed only by what
the renderer documents (bot/channels/render.py): control characters other than tab and newline are dropped, CR LF
becomes LF, "- " at the start of a line shows as a bullet; and Telegram trims a message's outer whitespace.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

MAX_UNITS = 4096
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LIST_ITEM = re.compile(r"^(\s*)- ", re.MULTILINE)

# Pieces that stress an echo: HTML and Markdown-lite markup, entities, scripts written right to left, emoji
# sequences, invisible and control characters, line ends.
PIECES = (
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;b&gt;",
    "&#128512;",
    "<b>bold</b>",
    "</i>",
    '<a href="https://x.am">x</a>',
    "*",
    "**",
    "**bold**",
    "_",
    "_italic_",
    "snake_case_name",
    "`code`",
    "[",
    "]",
    "(",
    ")",
    "[MRC](https://mrc.am/?a=1&b=2)",
    "[js](javascript:alert(1))",
    "\\",
    "\\*",
    "\\\\",
    "- ",
    "\n- ",
    "  - ",
    "~",
    "|",
    "#",
    '"',
    "'",
    " ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u00a0",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "Բարև Ձեզ, ինչպե՞ս եք։",
    "Ուղի",
    "Здравствуйте",
    "ё",
    "שלום עולם",
    "مرحبا بالعالم",
    "😀",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🇦🇲",
    "1️⃣",
    "𝕏",
    "e\u0301",
)
CHARACTER = st.characters(codec="utf-8")  # every code point but the surrogates
piece = st.one_of(st.sampled_from(PIECES), st.text(CHARACTER, min_size=1, max_size=12))


def _clip(text: str, units: int = MAX_UNITS) -> str:
    """`text` cut to at most `units` UTF-16 units, never inside a character."""
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            break
        out.append(ch)
    return "".join(out)


def _repeated(pattern: str, length: int) -> str:
    return (pattern * (length // len(pattern) + 1))[:length]


short_texts = st.lists(piece, min_size=1, max_size=40).map("".join)
long_texts = st.builds(_repeated, st.lists(piece, min_size=1, max_size=6).map("".join), st.integers(300, MAX_UNITS))


def typed_texts(*, min_size: int = 1, max_size: int = MAX_UNITS) -> st.SearchStrategy[str]:
    """Messages a person can send, between `min_size` and `max_size` characters (both within Telegram's)."""
    texts = st.one_of(short_texts, long_texts) if max_size > 300 else short_texts
    sized = st.one_of(
        texts,
        st.builds(_repeated, short_texts, st.integers(min_size, max(min_size, min(max_size, MAX_UNITS)))),
    )
    return sized.map(lambda text: _clip(text[:max_size])).filter(lambda text: len(text) >= min_size and text.strip())


def shown(typed: str) -> str:
    """Markdown-lite source holding an escaped copy of `typed`, as a reader sees it once rendered (before
    Telegram trims the message)."""
    text = CONTROL.sub("", typed.replace("\r\n", "\n"))
    return LIST_ITEM.sub(r"\1• ", text)


def squeezed(text: str) -> str:
    """`text` without any whitespace: what survives splitting a long message at its spaces and line breaks."""
    return "".join(text.split())


def assert_quotes(excerpt: str, typed: str) -> None:
    """`excerpt` (as shown) quotes `typed` on one line: whole, or its beginning and "…" when it is long."""
    one_line = " ".join(typed.split())
    whole = CONTROL.sub("", one_line)
    if excerpt != whole:
        assert excerpt.endswith("…") and len(one_line) > 120, f"{excerpt!r} quotes {typed!r}"
        assert whole.startswith(excerpt[:-1]) and len(excerpt) <= 120, f"{excerpt!r} quotes {typed!r}"
