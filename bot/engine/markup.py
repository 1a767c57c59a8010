"""Markdown-lite helpers for the engine: escaping what people typed before it enters a reply."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\*_\[\]()`])")


def escape_md(text: str) -> str:
    """Make `text` render literally in Markdown-lite (the channel renderer escapes HTML)."""
    return _SPECIAL.sub(r"\\\1", text)


def quote(text: str, limit: int = 120) -> str:
    """A short escaped excerpt of something the user typed, for echoing it back."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape_md(text)
