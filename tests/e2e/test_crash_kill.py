"""Crash safety of `ughi bot`: killed with SIGKILL fifty times while people write, nothing is lost or done twice.

Ten people write 500 messages and button presses in all: some walk guided intakes one after another and share
them (each share is a request with a card in the counsellors' chat), some browse, ask questions and now and then
ask for a counsellor. The bot is started, killed at a random moment shortly after it starts polling, started
again, and so on; messages keep arriving while it is down. After every kill the database must show each person's
messages handled exactly once and in order, and everyone in an intake on the step their script has reached (so
the next answer is taken for the right question). At the end, with the bot left running until idle: every
message handled, one request per share (and per "talk to a counsellor"), one card per request. A card is sent a
second time only when a kill fell between Telegram taking it and the database recording it: the Bot API cannot
tell a bot whether a message it never heard back about was sent (leads.service documents that window); the test
checks that every repeat is such a one.

Repeat a run with UGHI_CRASH_SEED=<seed> (the seed is printed, and noted on a failure).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram_updates import update_key
from bot.flows import load_flows
from bot.flows.models import FlowRun
from bot.models import Contact, ConversationState, InboxUpdate, TranscriptEntry
from knowledge.articles import load_content
from leads.models import Lead, OutboxMessage
from leads.outbox import GAVE_UP
from tests.e2e.bot_process import BotLauncher
from tests.e2e.scripted_people import Action, Expect, ScriptedPerson, browser, intake_walker
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.fakes.updates import FakeUser
from tests.flow_walker import LOCATION
from ughi.db import make_engine, make_sessionmaker, upgrade
from ughi.settings import Settings, get_settings

KILLS = 50
WALKERS, WALKER_MESSAGES = 6, 60
BROWSERS, BROWSER_MESSAGES = 4, 35  # 6 * 60 + 4 * 35 = 500 updates
STAFF_CHAT = -1009876543210
ALIVE = (0.05, 1.0)  # seconds between the first getUpdates of a process and its SIGKILL
WHILE_DOWN = 3  # at most this many of a round's messages are sent while the bot is down
MID_WORK_SHARE = 0.1  # at least this share of the kills must find the bot with updates in hand


@dataclass
class Stored:
    """What the database holds, read while no bot process runs."""

    handled: set[str]  # inbox keys (bot.channels.telegram_updates.update_key) of the updates handled
    waiting: set[str]  # stored, not handled yet
    inbound: dict[int, list[str]]  # person -> transcript of what they sent, in order
    states: dict[int, tuple[str, dict[str, Any]]]  # person -> screen and its data
    active_runs: dict[int, list[str]]  # person -> the step of each active intake run
    leads: dict[int, list[int]]  # person -> their requests
    cards: dict[int, int | None]  # request -> the message id of its card in the counsellors' chat, once recorded


class Deliveries:
    """Which bot process (by start number) called getUpdates, which updates each was handed, and which lead cards
    each sent to the counsellors' chat."""

    def __init__(self, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
        self.current = 0
        self.polls: Counter[int] = Counter()
        self.handed: defaultdict[int, set[int]] = defaultdict(set)
        self.cards: defaultdict[int, dict[int, int]] = defaultdict(dict)  # lead -> card message id -> start
        poll = api.poll

        async def recorded(offset: int | None, limit: int, seconds: float) -> list[dict[str, Any]]:
            start = self.current
            self.polls[start] += 1
            updates = await poll(offset, limit, seconds)
            self.handed[start].update(update["update_id"] for update in updates)
            return updates

        monkeypatch.setattr(api, "poll", recorded)
        api.listeners.append(self._card_sent)

    def _card_sent(self, message: SentMessage) -> None:
        for data in message.callback_data if message.chat_id == STAFF_CHAT else ():
            if data.startswith("lead:take:"):
                self.cards[int(data.removeprefix("lead:take:"))].setdefault(message.message_id, self.current)


def cast(rng: random.Random) -> list[ScriptedPerson]:
    flows = list(load_flows().values())
    content = load_content()
    people = []
    for i in range(WALKERS):
        lang = rng.choice(("hy", "ru", "en"))
        people.append(ScriptedPerson(8100 + i, lang, intake_walker(rng, flows, lang, WALKER_MESSAGES), True))
    for i in range(BROWSERS):
        lang = rng.choice(("hy", "ru", "en"))
        people.append(ScriptedPerson(8200 + i, lang, browser(rng, content, lang, BROWSER_MESSAGES), False))
    return people


async def send(api: FakeBotAPI, user: FakeUser, person: ScriptedPerson) -> None:
    """Send the person's next message; a button is pressed under the bot's last message in the chat (or, when
    the bot has not answered yet, under one the test makes up: Telegram delivers the press all the same)."""
    action = person.next_action
    if action.kind == "text":
        update = await api.send_text(user, action.value)
    elif action.kind == "location":
        update = await api.send_location(user, *LOCATION)
    else:
        shown = api.messages(user.id)
        under = shown[-1] if shown else SentMessage(10**6, user.id, "Ughi", None, "Ughi", [], None)
        update = await api.press(user, under, action.value, strict=False)
    person.update_ids.append(update["update_id"])


def bot_env(settings: Settings, api: FakeBotAPI) -> dict[str, str]:
    """`ughi bot`'s environment: the fake Bot API, the test's database, and the keys this process reads the
    database with (what people write is encrypted)."""
    mine = get_settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGHI_")}
    env |= {
        "UGHI_ENV": "test",
        "UGHI_SECRET_KEY": mine.secret_key.get_secret_value(),
        "UGHI_TELEGRAM_TOKEN": api.token,
        "UGHI_TELEGRAM_API_BASE": api.base_url,
        "UGHI_STAFF_CHAT_ID": str(STAFF_CHAT),
        "UGHI_DATABASE_URL": settings.resolved_database_url,
    }
    if settings.database_schema:
        env["UGHI_DATABASE_SCHEMA"] = settings.database_schema
    if mine.encryption_keys is not None:
        env["UGHI_ENCRYPTION_KEYS"] = mine.encryption_keys.get_secret_value()
    return env


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    db = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        if not settings.is_sqlite:  # PostgreSQL is migrated before the bot starts (SQLite: by the bot itself)
            await upgrade(db)
        yield make_sessionmaker(db)
    finally:
        await db.dispose()


async def read(sessions: async_sessionmaker[AsyncSession]) -> Stored:
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":  # one snapshot for every query, even if a killed
            # bot's last COMMIT reaches the server meanwhile
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        stored = Stored(set(), set(), defaultdict(list), {}, defaultdict(list), defaultdict(list), {})
        for key, handled_at in await session.execute(select(InboxUpdate.key, InboxUpdate.handled_at)):
            (stored.handled if handled_at is not None else stored.waiting).add(key)
        person = Contact.external_id
        rows = await session.execute(
            select(person, TranscriptEntry.text)
            .join(Contact, Contact.id == TranscriptEntry.contact_id)
            .where(TranscriptEntry.direction == "in")
            .order_by(TranscriptEntry.id)
        )
        for external_id, text in rows:
            stored.inbound[int(external_id)].append(text)
        screens = await session.execute(
            select(person, ConversationState.screen, ConversationState.data).join(
                Contact, Contact.id == ConversationState.contact_id
            )
        )
        stored.states = {int(external_id): (screen, data) for external_id, screen, data in screens}
        steps = await session.execute(
            select(person, FlowRun.step_id)
            .join(Contact, Contact.id == FlowRun.contact_id)
            .where(FlowRun.status == "active")
        )
        for external_id, step_id in steps:
            stored.active_runs[int(external_id)].append(step_id)
        for external_id, lead_id, card in await session.execute(
            select(person, Lead.id, Lead.card_message_id).join(Contact, Contact.id == Lead.contact_id).order_by(Lead.id)
        ):
            stored.leads[int(external_id)].append(lead_id)
            stored.cards[lead_id] = card
        return stored


def check_people(people: list[ScriptedPerson], stored: Stored, when: str) -> None:
    """Each person's messages handled exactly once and in order; intakes exactly where the script stands."""
    for p in people:
        done = [update_key(update_id) in stored.handled for update_id in p.update_ids]
        count = sum(done)
        assert done == [True] * count + [False] * (len(done) - count), f"{when}: {p.user_id} handled out of order"
        assert stored.inbound[p.user_id] == [a.transcript for a in p.actions[:count]], (
            f"{when}: person {p.user_id}: each message once in the transcript, in order"
        )
        if p.walks_intakes and count:
            check_stands(p, p.actions[count - 1], stored, f"{when}: person {p.user_id} after message {count}")


def check_stands(p: ScriptedPerson, last: Action, stored: Stored, where: str) -> None:
    assert last.expect is not None
    expect: Expect = last.expect
    screen, data = stored.states[p.user_id]
    runs = stored.active_runs.get(p.user_id, [])
    assert screen == expect.screen, f"{where} ({last.value!r}): on {screen!r} {data}, expected {expect}"
    if expect.step is None:
        assert runs == [], f"{where}: no intake under way, found {runs}"
        return
    assert runs == [expect.step], f"{where} ({last.value!r}): intake on {runs}, expected {expect.step!r}"
    if screen == "intake":
        assert data.get("step") == expect.step, f"{where}: the screen asks {data.get('step')!r}, not {expect.step!r}"


def check_cards(deliveries: Deliveries, stored: Stored) -> int:
    """One card per request, except where a process was killed between Telegram taking a card and the database
    recording it: the next start sends it again (leads.service documents that window). Returns those repeats."""
    assert set(deliveries.cards) == set(stored.cards), "a card in the counsellors' chat for each request"
    repeats = 0
    for lead_id, sent in deliveries.cards.items():
        recorded = stored.cards[lead_id]
        assert recorded in sent, f"request {lead_id}: its recorded card {recorded} is not among those sent {sent}"
        others = [start for message_id, start in sent.items() if message_id != recorded]
        assert all(start < KILLS for start in others), f"request {lead_id}: a card repeated by a running bot {sent}"
        assert len(set(others)) == len(others), f"request {lead_id}: one process sent its card twice {sent}"
        repeats += len(others)
    print(f"{len(stored.cards)} requests; {repeats} cards repeated after a kill cut their send short")
    return repeats


async def polling(api: FakeBotAPI, launcher: BotLauncher, deliveries: Deliveries, start: int, pid: int) -> None:
    """Until the bot process `pid` (start number `start`) asks for updates; it must not die on the way."""
    await api.wait_until(lambda: deliveries.polls[start] > 0 or not launcher.alive(pid), timeout=60)
    assert launcher.alive(pid), f"start {start}: the bot died before polling"


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 90.0) -> None:  # noqa: ASYNC109
    """Wait (polling the database) until `check()` is true."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():  # noqa: ASYNC110 (the database has no event to wait on)
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"not within {timeout:.0f} s: {what}") from None


async def test_the_bot_killed_fifty_times_loses_and_repeats_nothing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = int(os.environ.get("UGHI_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"crash test seed {seed}: UGHI_CRASH_SEED={seed} repeats this run")
    rng = random.Random(seed)
    people = cast(rng)
    async with FakeBotAPI() as api, database(settings) as sessions:
        api.group(STAFF_CHAT, forum=True)
        deliveries = Deliveries(api, monkeypatch)
        users = {p.user_id: api.user(p.user_id, language_code=p.lang) for p in people}
        async with BotLauncher(bot_env(settings, api), tmp_path) as launcher:
            try:
                mid_work = await crash_again_and_again(rng, api, launcher, deliveries, sessions, people, users)
                await run_until_idle(api, launcher, deliveries, sessions, people)
            except Exception as err:  # a failed check, a timeout, a launcher that died: all say how to repeat it
                err.add_note(f"UGHI_CRASH_SEED={seed}; the bot's log ends with:\n{launcher.log_tail()}")
                raise
    assert mid_work >= MID_WORK_SHARE * KILLS, f"only {mid_work} of {KILLS} kills found the bot at work (seed {seed})"


async def crash_again_and_again(
    rng: random.Random,
    api: FakeBotAPI,
    launcher: BotLauncher,
    deliveries: Deliveries,
    sessions: async_sessionmaker[AsyncSession],
    people: list[ScriptedPerson],
    users: dict[int, FakeUser],
) -> int:
    """Start, let run for a moment with messages arriving, SIGKILL, check the database; KILLS times.
    Returns how many kills found the bot with updates in hand."""
    loop = asyncio.get_running_loop()
    mid_work = 0
    left = sum(len(p.actions) for p in people)
    # seconds, printed at the end: where the time of this long test goes
    spent: defaultdict[str, float] = defaultdict(float)

    async def send_some(n: int) -> None:
        for _ in range(n):
            waiting = [p for p in people if p.pending]
            person = rng.choices(waiting, weights=[len(p.actions) - len(p.update_ids) for p in waiting])[0]
            await send(api, users[person.user_id], person)

    for start in range(KILLS):
        share = left // (KILLS - start)
        left -= share
        down = rng.randint(0, min(WHILE_DOWN, share))
        await send_some(down)
        deliveries.current = start
        forked = loop.time()
        pid = await launcher.start()
        await polling(api, launcher, deliveries, start, pid)
        began = loop.time()
        spent["first start" if start == 0 else "later starts"] += began - forked
        alive = rng.uniform(*ALIVE)
        times = sorted(rng.uniform(0, alive) for _ in range(share - down))
        if times:  # the last message lands just before the kill, so that many kills find work in hand
            times[-1] = max(0.0, alive - rng.uniform(0.002, 0.02))
        for at in times:
            await asyncio.sleep(max(0.0, began + at - loop.time()))
            await send_some(1)
        await asyncio.sleep(max(0.0, began + alive - loop.time()))
        assert await launcher.kill(pid) == -9
        killed = loop.time()
        spent["running"] += killed - began
        stored = await read(sessions)
        if stored.waiting or {update_key(update_id) for update_id in deliveries.handed[start]} - stored.handled:
            mid_work += 1
        check_people(people, stored, f"after kill {start + 1} ({alive:.2f} s)")
        spent["checks"] += loop.time() - killed
    print("seconds spent:", {phase: round(seconds, 1) for phase, seconds in spent.items()})
    return mid_work


async def run_until_idle(
    api: FakeBotAPI,
    launcher: BotLauncher,
    deliveries: Deliveries,
    sessions: async_sessionmaker[AsyncSession],
    people: list[ScriptedPerson],
) -> None:
    """The bot left running: everything handled and every card sent; then a graceful stop and the final checks."""
    assert not any(p.pending for p in people)
    sent = [update_id for p in people for update_id in p.update_ids]
    keys = {update_key(update_id) for update_id in sent}
    deliveries.current = KILLS
    pid = await launcher.start()
    await polling(api, launcher, deliveries, KILLS, pid)
    await api.wait_until(lambda: api.confirmed > max(sent), timeout=60)

    async def all_done() -> bool:
        stored = await read(sessions)
        async with sessions() as session:
            unsent = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).limit(1))
        return stored.handled >= keys and not stored.waiting and unsent is None

    await until(all_done, "every update handled and every card sent")
    assert await launcher.stop(pid) == 0, launcher.log_tail()
    stored = await read(sessions)
    assert stored.waiting == set() and stored.handled == keys
    check_people(people, stored, "at the end")
    for p in people:
        assert len(stored.leads[p.user_id]) == p.expected_leads(), f"requests of person {p.user_id}"
    check_cards(deliveries, stored)
    async with sessions() as session:
        errors = list(await session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.last_error != "")))
    assert not [e for e in errors if e.startswith(GAVE_UP)], errors
    assert api.rejected == []
