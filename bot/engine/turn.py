"""One turn of the conversation: the contact, their state and everything a screen needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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


class PlainRow:
    """A database row as plain data, read with Core: cheaper to load than an ORM object and saved without a
    unit-of-work flush. `changes()` says which columns were changed since, to write back only those."""

    COLUMNS: tuple[str, ...] = ()
    __slots__ = ("_loaded",)
    id: int  # every such row has one (a subclass's slot)

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

    async def save(self, connection: AsyncConnection, table: Table, **also: Any) -> bool:
        """Write the changed columns (and `also`, when anything changed) to the row with this id; False when
        nothing changed. The statement for each set of columns is built once."""
        changes = self.changes()
        if not changes:
            return False
        changes.update(also)
        for name, value in also.items():
            setattr(self, name, value)
        columns = tuple(sorted(changes))
        params = {f"b_{name}": changes[name] for name in columns}
        await connection.execute(_update_of(table, columns), {"b_id": self.id, **params})
        self._loaded = tuple(getattr(self, name) for name in self.COLUMNS)
        return True


@lru_cache(maxsize=128)
def _update_of(table: Table, columns: tuple[str, ...]) -> Update:
    """UPDATE of `columns` of the row of `table` with the id bound as b_id (values bound as b_<column>)."""
    values: dict[str, Any] = {name: bindparam(f"b_{name}") for name in columns}
    return update(table).where(table.c.id == bindparam("b_id")).values(values)


class Person(PlainRow):
    """The contact of an update (its contacts row): the engine reads it, a few screens change it (language,
    consent, blocked, last seen)."""

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
    __slots__ = COLUMNS

    id: int
    channel: str
    external_id: str
    language: str | None
    consent_version: str | None
    consent_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    blocked: bool


class Run(PlainRow):
    """One person's way through a guided intake (its flow_runs row): read and changed at every step."""

    COLUMNS = (
        "id",
        "contact_id",
        "flow_id",
        "flow_version",
        "status",
        "step_id",
        "answers",
        "history",
        "reached",
        "invalid_count",
        "started_at",
        "updated_at",
        "finished_at",
    )
    __slots__ = COLUMNS

    id: int
    contact_id: int | None
    flow_id: str
    flow_version: int
    status: str
    step_id: str
    answers: dict[str, Any]
    history: list[str]
    reached: list[str]
    invalid_count: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


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
    runs: dict[int, Run] = field(default_factory=dict)  # intake runs read or started in this turn, saved after it

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
