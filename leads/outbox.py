"""The outbox: messages written in the same transaction as their cause, sent later by a worker that survives restarts.

A message's payload names its destination in "to" ("staff" for the counsellors' chat, "contact:<id>" for a person)
and, when it concerns a lead, "lead_id". The worker sends, for each destination and lead, the oldest unsent message
first, so a relay keeps its order even across retries. Each message is claimed, handed to a `Sender` and marked sent
in one transaction; on PostgreSQL the claim is a row lock taken with SKIP LOCKED, so several workers share the
work and never send one message twice. On SQLite run one worker per database (`ughi serve` does).

A message the worker gives up on (a permanent refusal, or too many failures) is marked sent with `last_error`
starting "gave up:", so it no longer holds back the messages queued behind it. Texts (and the buttons under them)
are dropped from the payload once a message is done: the outbox is a delivery log, not a store of conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leads.models import OutboxMessage
from ughi.db import reading, transaction, utcnow

log = logging.getLogger(__name__)

STAFF = "staff"
GAVE_UP = "gave up: "
PRIVATE_KEYS = ("text", "reply_markup")


def to_contact(contact_id: int) -> str:
    """The destination of messages to one person."""
    return f"contact:{contact_id}"


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue a message in the caller's transaction; with a `dedupe_key` already queued, that message instead."""
    if "to" not in payload:
        raise ValueError("an outbox payload names its destination in 'to'")
    if dedupe_key is not None:
        existing = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    now = now or utcnow()
    message = OutboxMessage(
        kind=kind, payload=payload, dedupe_key=dedupe_key, created_at=now, next_attempt_at=now, attempts=0
    )
    session.add(message)
    await session.flush()
    return message


class SendError(Exception):
    """The sender could not deliver: try again later (after `retry_after` when given), or never if `permanent`."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class Sender(Protocol):
    """Delivers one message; may read and change rows in `session`, which commits with the message marked sent.

    Raises SendError when it could not deliver; what it changed before that is committed too (it happened)."""

    async def send(self, session: AsyncSession, message: OutboxMessage) -> None: ...


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float


# Telegram's published limits: about 20 messages a minute into one group, one a second into one chat, 30 a second.
OVERALL = Rate(30, 1.0)
INTO_GROUP = Rate(20, 60.0)
INTO_CHAT = Rate(1, 1.0)


class Pacer:
    """Sliding windows per destination and overall, and pauses asked for by Telegram (429 retry_after)."""

    def __init__(
        self,
        *,
        overall: Rate = OVERALL,
        staff: Rate = INTO_GROUP,
        person: Rate = INTO_CHAT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall, self._staff, self._person, self._clock = overall, staff, person, clock
        self._sent: dict[str, deque[float]] = {}
        self._paused: dict[str, float] = {}

    def wait(self, route: str) -> float:
        """Seconds until one more message may go to `route` (0: now)."""
        now = self._clock()
        rate = self._staff if route == STAFF else self._person
        paused = self._paused.get(route, now) - now
        if paused <= 0:
            self._paused.pop(route, None)
        return max(self._window_wait("", self._overall, now), self._window_wait(route, rate, now), paused, 0.0)

    def record(self, route: str) -> None:
        now = self._clock()
        for key in ("", route):
            self._sent.setdefault(key, deque()).append(now)

    def pause(self, route: str, seconds: float) -> None:
        self._paused[route] = max(self._paused.get(route, 0.0), self._clock() + seconds)

    def _window_wait(self, key: str, rate: Rate, now: float) -> float:
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        while sent and sent[0] <= now - rate.seconds:
            sent.popleft()
        if not sent:
            del self._sent[key]
            return 0.0
        return 0.0 if len(sent) < rate.count else sent[0] + rate.seconds - now


@dataclass(frozen=True)
class _Head:
    id: int
    route: str


class OutboxWorker:
    """Sends due outbox messages through `sender` until `run`'s stop event is set.

    `kinds` limits it to messages of those kinds (the others wait for a worker that sends them); `jitter` spreads
    retries of messages that failed together over that fraction of their delay (tests keep it 0 to see exact times).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        *,
        pacer: Pacer | None = None,
        poll_seconds: float = 1.0,
        retry_base: float = 5.0,
        retry_max: float = 900.0,
        max_attempts: int = 20,  # with these delays: about three and a half hours of trying
        batch: int = 500,
        clock: Callable[[], datetime] = utcnow,
        kinds: Collection[str] | None = None,
        jitter: float = 0.0,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.pacer = pacer or Pacer()
        self.poll_seconds = poll_seconds
        self.retry_base, self.retry_max, self.max_attempts = retry_base, retry_max, max_attempts
        self.batch = batch
        self.clock = clock
        self.kinds = None if kinds is None else tuple(kinds)
        self.jitter = jitter
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for new messages now rather than at the next poll (after committing something to send)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; a message being sent is finished first, the rest wait for the next start."""
        while not stop.is_set():
            try:
                pause = await self.send_due(stop)
            except Exception:  # the worker outlives database and network trouble
                log.exception("outbox round failed")
                pause = self.poll_seconds
            await self._sleep(pause, stop)

    async def send_due(self, stop: asyncio.Event | None = None) -> float:
        """Send what may go now; returns the seconds until something more may (at most the poll interval)."""
        now = self.clock()
        heads, next_due = await self._heads(now)
        pause = self.poll_seconds
        if next_due is not None:
            pause = min(pause, max((next_due - now).total_seconds(), 0.0))
        for head in heads:
            if stop is not None and stop.is_set():
                break
            wait = self.pacer.wait(head.route)
            if wait > 0:
                pause = min(pause, wait)
                continue
            self.pacer.record(head.route)
            if await self._deliver(head):
                pause = 0.0  # the next message of this lead may be waiting behind the one just sent
        return pause

    async def _heads(self, now: datetime) -> tuple[list[_Head], datetime | None]:
        """The oldest unsent message of each destination and lead that is due, and when the next one falls due."""
        query = select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.next_attempt_at).where(
            OutboxMessage.sent_at.is_(None)
        )
        if self.kinds is not None:
            query = query.where(OutboxMessage.kind.in_(self.kinds))
        async with reading(self.sessions) as session:
            rows = await session.execute(query.order_by(OutboxMessage.id).limit(self.batch))
        seen: set[tuple[str, object]] = set()
        heads: list[_Head] = []
        next_due: datetime | None = None
        for message_id, payload, due in rows.all():
            route = str(payload.get("to", "")) if isinstance(payload, dict) else ""
            key = (route, payload.get("lead_id") if isinstance(payload, dict) else None)
            if key in seen:
                continue
            seen.add(key)
            if due <= now:
                heads.append(_Head(message_id, route))
            elif next_due is None or due < next_due:
                next_due = due
        return heads, next_due

    async def _deliver(self, head: _Head) -> bool:
        """Claim, send and mark one message in one transaction; True when it was sent."""
        try:
            async with transaction(self.sessions) as session:
                message = await session.scalar(
                    select(OutboxMessage)
                    .where(OutboxMessage.id == head.id, OutboxMessage.sent_at.is_(None))
                    .with_for_update(skip_locked=True)
                )
                if message is None:
                    return False  # sent meanwhile, or another worker holds it
                try:
                    await self.sender.send(session, message)
                except SendError as err:
                    self._failed(message, head.route, err)
                    return False
                _finish(message, self.clock())
                message.attempts += 1
                return True
        except Exception as err:
            log.exception("outbox message %s failed", head.id)
            await self._record_crash(head.id, err)
            return False

    def _failed(self, message: OutboxMessage, route: str, err: SendError) -> None:
        now = self.clock()
        message.last_error = err.reason[:1000]
        if err.retry_after is not None and not err.permanent:
            self.pacer.pause(route, err.retry_after)  # Telegram's flood wait does not count as a failed attempt
            message.next_attempt_at = now + timedelta(seconds=err.retry_after)
            return
        message.attempts += 1
        if err.permanent or message.attempts >= self.max_attempts:
            log.error("outbox message %s (%s) given up: %s", message.id, message.kind, err.reason)
            _finish(message, now, gave_up=err.reason)
            return
        log.warning("outbox message %s (%s) failed, attempt %d: %s", message.id, message.kind, message.attempts, err)
        message.next_attempt_at = now + timedelta(seconds=self._backoff(message.attempts))

    async def _record_crash(self, message_id: int, err: Exception) -> None:
        with contextlib.suppress(Exception):  # the database itself may be what failed; the next round retries
            async with transaction(self.sessions) as session:
                message = await session.get(OutboxMessage, message_id)
                if message is not None and message.sent_at is None:
                    self._failed(message, "", SendError(f"{type(err).__name__}: {err}"))

    def _backoff(self, attempts: int) -> float:
        delay = float(min(self.retry_base * 2 ** (attempts - 1), self.retry_max))
        return delay * (1 - self.jitter * random.random())

    async def _sleep(self, seconds: float, stop: asyncio.Event) -> None:
        if seconds > 0 and not stop.is_set():
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            try:
                await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
                await asyncio.gather(*waiters, return_exceptions=True)
        self._wake.clear()


def _finish(message: OutboxMessage, now: datetime, *, gave_up: str | None = None) -> None:
    message.sent_at = now
    if gave_up is not None:
        message.last_error = (GAVE_UP + gave_up)[:1000]
    message.payload = {k: v for k, v in message.payload.items() if k not in PRIVATE_KEYS}
