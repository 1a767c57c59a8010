"""The conversation engine: one Inbound in, the Replies to show out, every channel alike."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.engine import callbacks as cb
from bot.engine import intake, privacy, requests, screens
from bot.engine.flood import FloodGuard, Verdict
from bot.engine.flow_versions import FlowCatalog
from bot.engine.group_commit import GroupCommit
from bot.engine.turn import Person, ScreenState, Turn
from bot.engine.types import Inbound, InboundKind, Reply
from bot.i18n import gettext_for, pick_language
from bot.inbox import claim
from bot.models import Contact, ConversationState, TranscriptEntry
from knowledge.service import KnowledgeBase
from leads.models import Lead
from leads.service import RELAYING
from ughi import metrics
from ughi.db import transaction, utcnow
from ughi.logs import pseudonym

log = logging.getLogger(__name__)
TRANSCRIPT_LIMIT = 4000
LAST_SEEN_PRECISION = timedelta(minutes=1)
POSTGRES_LANES = 4  # transactions of grouped updates at once per process on PostgreSQL
COMMANDS = {"start", "menu", "language", "help", "privacy", "my_requests", "my_data", "delete_my_data"}


class Engine:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        knowledge: KnowledgeBase,
        default_language: str = "hy",
        flows: FlowCatalog | None = None,
        flood: FloodGuard | None = None,
    ) -> None:
        self.sessions = sessions
        self.flood = flood or FloodGuard()
        self.knowledge = knowledge
        self.default_language = default_language
        self.flows = flows or FlowCatalog()
        # updates of different people waiting at the same moment share a transaction (bot/engine/group_commit.py)
        bind = sessions.kw.get("bind")
        lanes = 1 if bind is None or bind.dialect.name == "sqlite" else POSTGRES_LANES
        self.commits: GroupCommit[Inbound, list[Reply] | None] = GroupCommit(sessions, self._handle, lanes=lanes)
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._lock_users: dict[tuple[str, str], int] = {}

    @asynccontextmanager
    async def _contact_lock(self, key: tuple[str, str]) -> AsyncIterator[None]:
        """One update at a time per contact in this process (a row lock covers other processes)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._lock_users[key] = self._lock_users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[key] -= 1
            if not self._lock_users[key]:
                del self._lock_users[key], self._locks[key]

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one event exactly once (by update_key) and return what to show the contact."""
        started = time.perf_counter()
        key = (inbound.channel, inbound.external_id)
        async with self._contact_lock(key):
            try:
                replies = await self.commits.submit(inbound)
            except Exception:
                log.exception("failed to handle an update from %s", pseudonym(inbound.channel, inbound.external_id))
                metrics.UPDATES_HANDLED.labels(channel=inbound.channel, outcome="error").inc()
                return [self._apology(inbound)]
        outcome = "ok" if replies is not None else "duplicate"
        metrics.UPDATES_HANDLED.labels(channel=inbound.channel, outcome=outcome).inc()
        metrics.UPDATE_SECONDS.labels(channel=inbound.channel).observe(time.perf_counter() - started)
        return replies or []

    async def _too_fast(self, session: AsyncSession, inbound: Inbound, contact: Person, *, tell: bool) -> list[Reply]:
        """Over the flood limit: the message is kept in the transcript, not answered; the first one gets a notice."""
        metrics.FLOOD_SLOWDOWNS.inc()
        transcript = [_entry(contact.id, "in", inbound.kind.value, _transcript_text(inbound))]
        replies = []
        if tell:
            _ = gettext_for(contact.language or pick_language(inbound.language_hint) or self.default_language)
            replies.append(
                Reply(
                    _(
                        "You are sending messages faster than I can read them. Please wait a few seconds, "
                        "then send your message again."
                    )
                )
            )
            transcript += [_entry(contact.id, "out", "reply", reply.text) for reply in replies]
        await (await session.connection()).execute(_INSERT_TRANSCRIPT, transcript)
        return replies

    def _apology(self, inbound: Inbound) -> Reply:
        _ = gettext_for(pick_language(inbound.language_hint) or self.default_language)
        return Reply(_("Sorry, something went wrong on my side. Please try again in a moment, or type /menu."))

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        """The person blocked the bot: stop writing to them until they write again."""
        async with transaction(self.sessions) as session:
            await session.execute(
                update(Contact)
                .where(Contact.channel == channel, Contact.external_id == external_id)
                .values(blocked=True)
            )

    async def _handle(self, session: AsyncSession, inbound: Inbound) -> list[Reply] | None:
        """The replies, or None when this update was handled before."""
        contact, state, relaying = await _contact_for_update(session, inbound)
        if inbound.update_key and not await claim(session, inbound.update_key):
            return None
        # counted once the update is known to be new: Telegram resending what it already sent is not flooding
        verdict = self.flood.check((inbound.channel, inbound.external_id))
        if verdict is not Verdict.OK:
            return await self._too_fast(session, inbound, contact, tell=verdict is Verdict.SLOW_DOWN)
        turn = Turn(
            session=session,
            inbound=inbound,
            contact=contact,
            state=state,
            kb=self.knowledge,
            default_language=self.default_language,
            flows=self.flows,
            relaying=relaying,
        )
        transcript = [_entry(contact.id, "in", inbound.kind.value, _transcript_text(inbound))]
        erased = await dispatch(turn)
        if not erased:
            _seen(contact)
            connection = await session.connection()
            await contact.save(connection, _CONTACTS)  # what this update changed of them (mostly nothing)
            await intake.save_runs(turn)
            await _save_state(connection, contact.id, state)
            transcript += [_entry(contact.id, "out", "reply", reply.text) for reply in turn.replies]
            await connection.execute(_INSERT_TRANSCRIPT, transcript)
        return turn.replies


async def _save_state(connection: AsyncConnection, contact_id: int, state: ScreenState) -> None:
    """Write the screen back when it changed (Core: the state is plain data, not an ORM object)."""
    if not state.changed:
        return
    values = {"contact_id": contact_id, "screen": state.screen, "data": state.data, "updated_at": utcnow()}
    if state.stored:
        await connection.execute(_UPDATE_STATE, {f"b_{name}": value for name, value in values.items()})
    else:
        await connection.execute(_INSERT_STATE, values)


def _seen(contact: Person) -> None:
    """Note when the person last wrote (to the minute: a busy conversation need not rewrite the row each time)."""
    now = utcnow()
    if contact.blocked:
        contact.blocked = False
    if now - contact.last_seen >= LAST_SEEN_PRECISION:
        contact.last_seen = now


_CONTACTS = cast(Table, Contact.__table__)
_RELAYING = (
    select(Lead.id)
    # one equality per status, not IN: an IN list is re-rendered for each execution, equalities are cached
    .where(Lead.contact_id == _CONTACTS.c.id, or_(*(Lead.status == status for status in RELAYING)))
    .correlate(_CONTACTS)
    .exists()
    .label("relaying")
)
# Built once: the statements every update runs, so only their parameters change from one update to the next.
# Core, not ORM: the contact comes back as plain data (Person), as the conversation state does.
_CONTACT_QUERY = (
    select(
        *(_CONTACTS.c[name] for name in Person.COLUMNS),
        ConversationState.contact_id.label("state_of"),
        ConversationState.screen,
        ConversationState.data,
        _RELAYING,
    )
    .outerjoin(ConversationState, ConversationState.contact_id == _CONTACTS.c.id)
    .where(_CONTACTS.c.channel == bindparam("channel"), _CONTACTS.c.external_id == bindparam("external_id"))
    .with_for_update(of=_CONTACTS)
)
_STATES = cast(Table, ConversationState.__table__)
_INSERT_STATE = insert(_STATES)
_UPDATE_STATE = (
    update(_STATES)
    .where(_STATES.c.contact_id == bindparam("b_contact_id"))
    .values(screen=bindparam("b_screen"), data=bindparam("b_data"), updated_at=bindparam("b_updated_at"))
)
_INSERT_TRANSCRIPT = insert(cast(Table, TranscriptEntry.__table__))  # Core: nothing to keep in the session


async def _contact_for_update(session: AsyncSession, inbound: Inbound) -> tuple[Person, ScreenState, bool]:
    """Find or create the contact (race-free) with its state, locking the contact row for this transaction.
    The flag says whether a counsellor's thread is open for them (their messages are then relayed)."""
    key = {"channel": inbound.channel, "external_id": inbound.external_id}
    connection = await session.connection()
    row = (await connection.execute(_CONTACT_QUERY, key)).mappings().first()
    if row is None:
        upsert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        now = utcnow()
        await connection.execute(
            upsert(_CONTACTS)
            .values(
                channel=inbound.channel, external_id=inbound.external_id, first_seen=now, last_seen=now, blocked=False
            )
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        row = (await connection.execute(_CONTACT_QUERY, key)).mappings().one()
    contact = Person(row)
    if row["state_of"] is None:
        return contact, ScreenState.new(), bool(row["relaying"])
    return contact, ScreenState.loaded(row["screen"], row["data"]), bool(row["relaying"])


def _transcript_text(inbound: Inbound) -> str:
    if inbound.kind is InboundKind.TEXT:
        return inbound.text[:TRANSCRIPT_LIMIT]
    if inbound.kind is InboundKind.BUTTON:
        return inbound.data[:64]
    return f"[{inbound.kind.value}]"  # never the phone number or location itself


def _entry(contact_id: int, direction: str, kind: str, text: str) -> dict[str, object]:
    return {
        "contact_id": contact_id,
        "direction": direction,
        "kind": kind,
        "text": text[:TRANSCRIPT_LIMIT],
        "created_at": utcnow(),
    }


async def dispatch(t: Turn) -> bool:
    """Route one inbound event to its screen. Returns True when the contact was erased."""
    ib = t.inbound
    if t.contact.language is None:
        chosen = pick_language(ib.language_hint)
        action = cb.decode(ib.data) if ib.kind is InboundKind.BUTTON else None
        if action and action.name == "lang" and action.args[0] != "pick":
            chosen = action.args[0]
        if chosen is None:
            screens.show_language_picker(t)
            return False
        t.contact.language = chosen
        if action and action.name == "lang":
            screens.greet(t)
            return False
    if ib.kind is InboundKind.BUTTON:
        return await _on_button(t, cb.decode(ib.data))
    text = ib.text.strip()
    if ib.kind is InboundKind.TEXT and text and not text.startswith("/") and await requests.relay(t, text):
        return False
    if t.state.screen in intake.INTAKE_SCREENS and not text.startswith("/"):
        run = await intake.active_run(t)
        if run is not None:
            await intake.on_message(t, run)
            return False
    if ib.kind is InboundKind.TEXT:
        await _on_text(t, text)
    elif ib.kind is InboundKind.VOICE:
        screens.unsupported(t, "voice")
    elif ib.kind in (InboundKind.CONTACT, InboundKind.LOCATION):
        screens.unsupported(t, "shared")
    else:
        screens.unsupported(t, "media")
    return False


async def _on_text(t: Turn, text: str) -> None:
    if not text:
        screens.unsupported(t, "media")
        return
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        if name not in COMMANDS:
            screens.unsupported(t, "command")
        elif name == "start":
            run = await intake.active_run(t)
            if run is not None:
                intake.offer_resume(t, run)
            else:
                screens.greet(t)
        elif name == "my_requests":
            await requests.my_requests(t)
        elif name == "menu":
            screens.show_menu(t)
        elif name == "language":
            screens.show_language_picker(t)
        elif name == "help":
            screens.show_help(t)
        elif name == "my_data":
            await privacy.show_my_data(t)
        elif name == "delete_my_data":
            privacy.confirm_erase(t)
        else:
            privacy.show_privacy(t)
        return
    await screens.answer_question(t, text)


async def _on_button(t: Turn, action: cb.Action | None) -> bool:
    if action is None:
        screens.stale_button(t)
        return False
    name, args = action.name, action.args
    if await intake.on_button(t, action):
        return False
    if name in ("menu", "topics"):
        screens.show_menu(t, replace=True)
    elif name == "topic":
        screens.show_topic(t, args[0], int(args[1]) if args[1].isdigit() else 0)
    elif name == "art":
        screens.open_article(t, args[0])
    elif name == "fb":
        await screens.feedback(t, args[0], args[1])
    elif name == "lang":
        if args[0] == "pick":
            screens.show_language_picker(t, replace=True)
        else:
            screens.set_language(t, args[0])
    elif name == "ask":
        screens.prompt_question(t)
    elif name == "human":
        await requests.counsellor(t)
    elif name == "share":
        await requests.answer_share(t, args[0])
    elif name == "reqs":
        await requests.my_requests(t)
    elif name == "consent":
        return await _on_consent(t, args[0])
    elif name == "privacy":
        privacy.show_privacy(t)
    elif name == "mydata":
        await privacy.show_my_data(t)
    elif name == "erase":
        if args[0] == "yes":
            return await privacy.erase(t)
        if args[0] == "ask":
            return _confirm(t)
        screens.stale_button(t)
    else:
        screens.stale_button(t)
    return False


def _confirm(t: Turn) -> bool:
    privacy.confirm_erase(t)
    return False


async def _on_consent(t: Turn, answer: str) -> bool:
    if answer not in ("yes", "no"):
        screens.stale_button(t)
        return False
    then = await privacy.answer_consent(t, answer)
    if then == "human":
        await requests.counsellor(t)
    elif then and then.startswith("flow:"):
        await intake.start(t, then.removeprefix("flow:"))
    elif answer == "yes":
        screens.show_menu(t)
    return False
