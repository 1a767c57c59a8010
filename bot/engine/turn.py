"""One turn of the conversation: the contact, their state and everything a screen needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flow_versions import FlowCatalog
from bot.engine.types import Inbound, Reply
from bot.i18n import gettext_for
from knowledge.service import KnowledgeBase


@dataclass
class ScreenState:
    """Where the contact is in the conversation (the conversation_states row, as plain data)."""

    screen: str
    data: dict[str, Any]
    stored: bool = False  # a row exists
    _saved: tuple[str, str] | None = None  # what the row holds, to write it only when it changed

    @classmethod
    def new(cls) -> ScreenState:
        return cls("menu", {})

    @classmethod
    def loaded(cls, screen: str, data: dict[str, Any] | None) -> ScreenState:
        data = data if isinstance(data, dict) else {}
        return cls(screen, data, stored=True, _saved=(screen, _frozen(data)))

    @property
    def changed(self) -> bool:
        return self._saved != (self.screen, _frozen(self.data))


class Person:
    """The contact of an update as plain data (its contacts row, read with Core): the engine reads it, a few
    screens change it (language, consent, blocked, last seen), and `changes()` says what to write back. An ORM
    object would cost twice as much to load, and a unit-of-work flush to save."""

    COLUMNS = (
        "id",
        "channel",
        "external_id",
        "language",
        "consent_version",
        "consent_at",
        "first_seen",
        "last_seen",
        "blocked",
    )
    __slots__ = (*COLUMNS, "_loaded")

    id: int
    channel: str
    external_id: str
    language: str | None
    consent_version: str | None
    consent_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    blocked: bool

    def __init__(self, row: Mapping[Any, Any]) -> None:
        for name in self.COLUMNS:
            setattr(self, name, row[name])
        self._loaded = tuple(row[name] for name in self.COLUMNS)

    def changes(self) -> dict[str, Any]:
        """The columns changed since the row was read, with their new values."""
        return {
            name: now
            for name, before in zip(self.COLUMNS, self._loaded, strict=True)
            if (now := getattr(self, name)) != before
        }


def _frozen(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


@dataclass
class Turn:
    session: AsyncSession
    inbound: Inbound
    contact: Person
    state: ScreenState
    kb: KnowledgeBase
    default_language: str
    flows: FlowCatalog
    relaying: bool = False  # a counsellor's thread is open: what the person types goes there
    replies: list[Reply] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.contact.language or self.default_language

    @property
    def _(self) -> Callable[[str], str]:
        return gettext_for(self.lang)

    def say(self, reply: Reply) -> None:
        self.replies.append(reply)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def set_screen(self, screen: str, **data: Any) -> None:
        """Move to `screen`; `data` replaces the screen's transient data (never the language)."""
        self.state.screen = screen
        self.state.data = dict(data)
