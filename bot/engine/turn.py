"""One turn of the conversation: the contact, their state and everything a screen needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flow_versions import FlowCatalog
from bot.engine.types import Inbound, Reply
from bot.i18n import gettext_for
from bot.models import Contact
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


def _frozen(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


@dataclass
class Turn:
    session: AsyncSession
    inbound: Inbound
    contact: Contact
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
