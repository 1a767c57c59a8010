"""Markdown-lite reply text rendered to the HTML subset Telegram (and the web chat) accept, and split to fit."""

from __future__ import annotations

import html
import re
import string
from functools import lru_cache
from urllib.parse import urlsplit

from bot.engine.markup import escape_md

__all__ = ["escape_md", "html_chunks", "rendered_text", "split_message", "to_html", "utf16_len"]

TELEGRAM_LIMIT = 4096
# Replies repeat (an article, a menu, a step of an intake reads the same for everyone in a language): their
# rendering is remembered, for texts up to this long, in this many entries (a few MB at most).
CACHED_TEXT_LIMIT = 8192
CACHED_TEXTS = 512
LINK_SCHEMES = frozenset({"http", "https", "tg"})
BULLET = "•"

_PUNCT = frozenset(string.punctuation)
# Lone surrogates cannot be encoded as UTF-8; control characters other than tab and newline mean nothing in a chat.
_UNSENDABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f]")
_LIST_ITEM = re.compile(r"^(\s*)- ", re.MULTILINE)
# [text](url): the text may hold escapes but no unescaped brackets; the url no spaces or parentheses.
_LINK = re.compile(r"\[((?:\\.|[^\\\[\]\n])+)\]\(([^()\s]+)\)")
_TAG = re.compile(r"<[^>]*>")
_MARKUP_CHAR = re.compile(r"[\\*_\[]")


def to_html(text: str) -> str:
    """Render Markdown-lite as Telegram HTML; everything that is not markup is escaped."""
    text = _UNSENDABLE.sub(_replacement, text.replace("\r\n", "\n"))
    text = _LIST_ITEM.sub(rf"\1{BULLET} ", text)
    return "\n".join(_Line(line).render(0, len(line), _ALL) for line in text.split("\n"))


def rendered_text(text: str) -> str:
    """What a reader sees of Markdown-lite `text` once rendered: no markup, entities decoded."""
    return html.unescape(_TAG.sub("", to_html(text)))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in (an emoji may count two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Markdown-lite into chunks that each render to at most `limit` characters.

    Splits between paragraphs, else between lines, else between words, else inside a word. Each chunk is
    rendered on its own, so its HTML is balanced; markup is line-scoped, so only a cut inside a line can
    leave a marker showing literally. Rendering never lengthens text, so the source length is a safe bound.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    text = text.replace("\r\n", "\n").strip()
    chunks = _split(text, limit, ("\n\n", "\n", " "))
    return [chunk for chunk in (c.strip() for c in chunks) if _visible(chunk)]


def html_chunks(text: str) -> tuple[str, ...]:
    """Markdown-lite `text` as the Telegram HTML of the messages that show it (see split_message)."""
    if len(text) > CACHED_TEXT_LIMIT:
        return _html_chunks(text)
    return _remembered_html_chunks(text)


def _html_chunks(text: str) -> tuple[str, ...]:
    return tuple(to_html(chunk) for chunk in split_message(text))


_remembered_html_chunks = lru_cache(maxsize=CACHED_TEXTS)(_html_chunks)


def _visible(chunk: str) -> bool:
    """Whether a chunk shows anything once rendered (Telegram refuses an empty message)."""
    if "](" not in chunk and any(c.isalnum() for c in chunk):
        return True  # only a link's address disappears in rendering, and there is no link here
    return bool(rendered_text(chunk).strip())


def _replacement(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


_BOLD, _ITALIC, _LINKS = "bold", "italic", "link"
_ALL = frozenset({_BOLD, _ITALIC, _LINKS})


class _Line:
    """The inline parser for one line: **bold**, _italic_, [text](url) and backslash escapes."""

    def __init__(self, line: str) -> None:
        self.s = line
        # Searches that failed once fail for every later start too: remembering them keeps hostile input linear.
        self.no_bold_after = len(line) + 1
        self.no_italic_after = len(line) + 1

    def render(self, start: int, end: int, allowed: frozenset[str]) -> str:
        s, out, i = self.s, [], start
        while i < end:
            special = _MARKUP_CHAR.search(s, i, end)
            plain_end = special.start() if special else end
            if plain_end > i:  # a run of ordinary text, escaped in one go
                out.append(html.escape(s[i:plain_end], quote=False))
                i = plain_end
                continue
            c = s[i]
            if c == "\\" and i + 1 < end and s[i + 1] in _PUNCT:
                out.append(html.escape(s[i + 1], quote=False))
                i += 2
                continue
            if c == "*" and _BOLD in allowed and s.startswith("**", i):
                close = self._bold_close(i + 2, end)
                if close is not None:
                    out.append(f"<b>{self.render(i + 2, close, allowed - {_BOLD})}</b>")
                    i = close + 2
                    continue
            if c == "_" and _ITALIC in allowed and self._opens_italic(i, end):
                close = self._italic_close(i + 1, end)
                if close is not None:
                    out.append(f"<i>{self.render(i + 1, close, allowed - {_ITALIC})}</i>")
                    i = close + 1
                    continue
            if c == "[" and _LINKS in allowed:
                link = self._link(i, end, allowed)
                if link is not None:
                    out.append(link[0])
                    i = link[1]
                    continue
            out.append(html.escape(c, quote=False))
            i += 1
        return "".join(out)

    def _bold_close(self, start: int, end: int) -> int | None:
        """Where the `**` closing a bold that starts at `start` is, if any."""
        s = self.s
        if start >= self.no_bold_after or start >= end or s[start].isspace():
            return None
        j = start
        while j < end - 1:
            if s[j] == "\\":
                j += 2
                continue
            if s.startswith("**", j) and j > start and not s[j - 1].isspace():
                return j
            j += 1
        if end == len(s):
            self.no_bold_after = min(self.no_bold_after, start)
        return None

    def _opens_italic(self, i: int, end: int) -> bool:
        s = self.s
        return (i == 0 or not s[i - 1].isalnum()) and i + 1 < end and not s[i + 1].isspace()

    def _italic_close(self, start: int, end: int) -> int | None:
        s = self.s
        if start >= self.no_italic_after:
            return None
        j = start
        while j < end:
            if s[j] == "\\":
                j += 2
                continue
            if s[j] == "_" and j > start and not s[j - 1].isspace() and (j + 1 >= len(s) or not s[j + 1].isalnum()):
                return j
            j += 1
        if end == len(s):
            self.no_italic_after = min(self.no_italic_after, start)
        return None

    def _link(self, i: int, end: int, allowed: frozenset[str]) -> tuple[str, int] | None:
        match = _LINK.match(self.s, i, end)
        if match is None or not _safe_url(match.group(2)):
            return None
        label = self.render(match.start(1), match.end(1), allowed - {_LINKS})
        return f'<a href="{html.escape(match.group(2), quote=True)}">{label}</a>', match.end()


def _safe_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in LINK_SCHEMES:
        return False
    return bool(parts.netloc) if parts.scheme.lower() != "tg" else bool(parts.netloc or parts.path)


def _split(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if utf16_len(text) <= limit:
        return [text]
    if not separators:
        return _cut(text, limit)
    sep, finer = separators[0], separators[1:]
    chunks: list[str] = []
    current, used = "", 0
    for part in text.split(sep):
        for piece in _split(part, limit, finer):
            size = utf16_len(piece)
            if current and used + len(sep) + size <= limit:
                current, used = current + sep + piece, used + len(sep) + size
                continue
            if current:
                chunks.append(current)
            if sep == " " and chunks and piece == "-":
                piece, size = "\\-", 2  # a chunk cut mid-line starts with "- ": literal, not a list item
            current, used = piece, size
    if current:
        chunks.append(current)
    return chunks


def _escape_pending(chars: list[str]) -> bool:
    """Whether `chars` ends in a backslash that escapes what comes next (an odd run: "\\\\" is one escaped)."""
    run = 0
    for ch in reversed(chars):
        if ch != "\\":
            break
        run += 1
    return run % 2 == 1


def _cut(word: str, limit: int) -> list[str]:
    """Cut a word longer than `limit` into pieces, never between a backslash and what it escapes."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for ch in word:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            carry = [current.pop()] if _escape_pending(current) and len(current) > 1 else []
            pieces.append("".join(current))
            current, used = carry, len(carry)
        current.append(ch)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces
