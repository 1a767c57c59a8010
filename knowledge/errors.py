"""Errors of editing the knowledge base, each carrying its meaning (the API maps them to responses)."""

from __future__ import annotations


class ContentNotFound(LookupError):
    """The topic, article, translation, version or question group does not exist."""


class ContentConflict(ValueError):
    """The change does not fit the current content (an id in use, a topic still holding articles, ...)."""


class StaleVersion(ContentConflict):
    """The article changed since the editor loaded it: their save would overwrite someone else's."""
