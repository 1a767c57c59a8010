"""Exactly once under redelivery: 2,000 updates of 100 people, each delivered 1 to 5 times, in shuffled order.

Once through long polling (a Telegram serving batches out of order, with duplicates, as one that lost the bot's
confirmations would) and once through the webhook endpoint (concurrent POSTs with the secret header, one chat's
in order). Some people walk a guided intake to a request for a centre, tapping "Yes, pass them on" twice; others
browse, ask questions and press buttons; a fifth of those send theirs in any order at all. Afterwards every update
must have been handled exactly once: its inbox row claimed once, one transcript "in" row, one answer from the
engine, whose replies reached Telegram once; each person who walked an intake has exactly one request, nobody more.

Another script: UGHI_EXACTLY_ONCE_SEED=<n>.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import random
from collections import Counter, defaultdict, deque
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.channels.render import split_message
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, webhook_router
from bot.engine.types import Inbound, Reply
from bot.flows import Flow, load_flows
from bot.models import Contact, InboxUpdate, TranscriptEntry
from knowledge.service import KnowledgeBase
from leads.models import Lead
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.channel import make_bot, polling
from tests.fakes.updates import FakeUser
from tests.flow_walker import QUALIFY, plan, store_flow_versions
from ughi.services import Services

SEED = int(os.environ.get("UGHI_EXACTLY_ONCE_SEED", "20261123"))
PEOPLE, UPDATES, WALKERS = 100, 2000, 20
ANY_ORDER = 0.2  # of the people browsing, those whose updates arrive in any order
MAX_COPIES = 5
SECRET = "exactly-once_Secret"
LANGS = ("hy", "ru", "en")
NONSENSE = ("zqx wvut plonk", "ազբգդ ժժժ", "щюъ ёёё жжж", "<b>&amp; *_[x](y)", "hello", "?")
FLOWS = load_flows()


# ---- the script --------------------------------------------------------------------------------------------


@dataclass
class Person:
    user: FakeUser
    flow: Flow | None = None  # the intake they walk to a request
    in_order: bool = True
    updates: list[dict[str, Any]] = field(default_factory=list)  # as they mean them, each with its update_id


class Script:
    """Updates written in advance: they do not wait for the bot's answers, so they can arrive in any way."""

    def __init__(self, rng: random.Random, knowledge: KnowledgeBase, api_bot: dict[str, Any]) -> None:
        self.rng, self.kb, self.bot = rng, knowledge, api_bot
        self._update_ids = itertools.count(900_000_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(5_100_000_000_000_001)

    def people(self) -> list[Person]:
        crowd = [Person(FakeUser(810_000 + n, f"P{n}", LANGS[n % 3])) for n in range(PEOPLE)]
        flows = sorted(FLOWS.values(), key=lambda f: f.id)
        for n, person in enumerate(crowd[:WALKERS]):
            person.flow = flows[n % len(flows)]
            self.walk(person)
        browsers = crowd[WALKERS:]
        left = UPDATES - sum(len(p.updates) for p in crowd)
        for n, person in enumerate(browsers):
            person.in_order = self.rng.random() >= ANY_ORDER
            self.browse(person, left // len(browsers) + (n < left % len(browsers)))
        assert sum(len(p.updates) for p in crowd) == UPDATES
        return crowd

    def walk(self, person: Person) -> None:
        """/start, the intake's button, consent, every answer, Send, and "pass them on" tapped twice."""
        assert person.flow is not None and person.user.language_code is not None
        self.text(person, "/start")
        self.press(person, f"flow:{person.flow.id}")
        if person.flow.personal:
            self.press(person, "consent:yes")
        answers, _ = plan(person.flow, person.user.language_code, QUALIFY)
        for answer in answers:
            if answer.text is not None:
                self.text(person, answer.text)
            elif answer.location is not None:
                self.add(person, {"message": self.message(person, u.location(*answer.location))})
            for data in answer.presses:
                self.press(person, data)
        for data in ("fsend", "share:yes", "share:yes"):
            self.press(person, data)
        self.text(person, "/my_requests")

    def browse(self, person: Person, count: int) -> None:
        """Questions, commands, nonsense, topics, articles, feedback, privacy, a language switch, stale buttons,
        and now and then "talk to a counsellor" (consent the first time)."""
        lang = person.user.language_code or "en"
        topics = [topic.id for topic in self.kb.topics()]
        articles = [a for t in topics for a in self.kb.articles_in(t)]
        self.text(person, "/start")
        while len(person.updates) < count:
            roll, article = self.rng.random(), self.rng.choice(articles)
            if roll < 0.25:
                translation = article.translation(lang)
                self.text(person, self.rng.choice(translation.questions or [translation.title]))
            elif roll < 0.35:
                self.text(person, self.rng.choice((*NONSENSE, "/menu", "/help", "/my_requests", "/start")))
            elif roll < 0.45:
                self.press(person, f"topic:{self.rng.choice(topics)}:0")
            elif roll < 0.65:
                self.press(person, f"art:{article.id}")
            elif roll < 0.72:
                self.press(person, f"fb:{article.id}:{self.rng.choice(('yes', 'no'))}")
            elif roll < 0.88:
                self.press(person, self.rng.choice(("menu", "privacy", "mydata", "ask", "topics", "reqs")))
            elif roll < 0.92:
                self.press(person, f"lang:{self.rng.choice(LANGS)}")
            elif roll < 0.96:
                self.press(person, self.rng.choice(("zzz:1", "topic:nope:0", "ans:gone:x", "fsend", "share:yes")))
            else:
                self.press(person, "human")
                self.press(person, "consent:yes")
        del person.updates[count:]

    def text(self, person: Person, text: str) -> None:
        self.add(person, {"message": self.message(person, u.text(text))})

    def press(self, person: Person, data: str) -> None:
        """A button under the bot's first message in the chat (edited where the reply replaces the screen)."""
        pressed = {"message_id": 1, "from": self.bot, "chat": person.user.chat(), "date": u.now(), "text": "…"}
        query = {
            "id": str(next(self._query_ids)),
            "from": person.user.as_dict(),
            "chat_instance": f"-{person.user.id}77",
            "message": pressed,
            "data": data,
        }
        self.add(person, {"callback_query": query})

    def message(self, person: Person, content: dict[str, Any]) -> dict[str, Any]:
        ids = self._message_ids.setdefault(person.user.id, itertools.count(10_000))
        return u.message(person.user, next(ids), content)

    def add(self, person: Person, update: dict[str, Any]) -> None:
        person.updates.append({"update_id": next(self._update_ids), **update})

    def deliveries(self, crowd: Sequence[Person]) -> list[dict[str, Any]]:
        """Each update 1 to 5 times: a redelivery comes any time after the first, people's turns interleave."""
        queues = []
        for person in crowd:
            meant = person.updates if person.in_order else self.rng.sample(person.updates, len(person.updates))
            stream = list(meant)
            for update in meant:
                first = next(i for i, sent in enumerate(stream) if sent is update)
                for _ in range(self.rng.randint(1, MAX_COPIES) - 1):
                    stream.insert(self.rng.randint(first + 1, len(stream)), update)
            queues.append(deque(stream))
        merged: list[dict[str, Any]] = []
        while queues:
            [queue] = self.rng.choices(queues, weights=[len(q) for q in queues])
            merged.append(queue.popleft())
            if not queue:
                queues.remove(queue)
        return merged


# ---- what the engine did -----------------------------------------------------------------------------------


@dataclass
class Witness:
    """The engine, with a record of what it answered to each update (a redelivery is answered with nothing)."""

    engine: Any
    answers: dict[str, list[list[Reply]]] = field(default_factory=lambda: defaultdict(list))

    async def handle(self, inbound: Inbound) -> list[Reply]:
        replies: list[Reply] = await self.engine.handle(inbound)
        if replies:
            self.answers[inbound.update_key or ""].append(replies)
        return replies

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        await self.engine.mark_blocked(channel, external_id)


# ---- delivering --------------------------------------------------------------------------------------------


def channel_for(api: FakeBotAPI, services: Services, witness: Witness) -> TelegramChannel:
    return TelegramChannel(
        make_bot(api),
        witness,
        services.inbox,
        concurrency=16,  # within the PostgreSQL pool (20), with room for the inbox's group commits
        retry_delay=0.05,
        poll_seconds=2,
    )


async def by_polling(api: FakeBotAPI, services: Services, witness: Witness, stream: list[dict[str, Any]]) -> None:
    channel = channel_for(api, services, witness)
    api.stream(stream)
    try:
        async with polling(channel):
            await api.wait_until(lambda: api.stream_left == 0, timeout=120)
            await asyncio.wait_for(channel.wait_idle(), timeout=60)
    finally:
        await channel.bot.session.close()


async def by_webhook(api: FakeBotAPI, services: Services, witness: Witness, stream: list[dict[str, Any]]) -> None:
    """Forty connections take the deliveries in turn, as Telegram's do; one chat's go one after another."""
    channel = channel_for(api, services, witness)
    api.issued(stream)
    app = FastAPI()
    app.include_router(webhook_router(channel, SECRET))
    chats: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
    deliveries = iter(stream)
    statuses: Counter[int] = Counter()

    async def connection() -> None:
        for update in deliveries:
            async with chats[chat_of(update)]:  # taken in stream order: Lock is first come, first served
                statuses[await post_json(app, "/telegram/webhook", update, {SECRET_HEADER: SECRET})] += 1

    try:
        async with asyncio.timeout(180):
            await asyncio.gather(*(connection() for _ in range(40)))
        await asyncio.wait_for(channel.wait_idle(), timeout=60)
    finally:
        await channel.close()
        await channel.bot.session.close()
    assert statuses == {200: len(stream)}


async def post_json(app: FastAPI, path: str, body: Any, headers: dict[str, str]) -> int:
    """POST to the app as its ASGI server would, without an HTTP client: the status code of the answer.

    httpx's ASGI transport does the same at several times the cost, which six thousand requests notice."""
    content = json.dumps(body).encode()
    fields = {"host": "ughi.test", "content-type": "application/json", "content-length": str(len(content)), **headers}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in fields.items()],
        "client": ("149.154.167.220", 443),
        "server": ("ughi.test", 443),
    }
    answered = asyncio.Event()
    status = 0
    unread = True

    async def receive() -> dict[str, Any]:
        nonlocal unread
        if unread:
            unread = False
            return {"type": "http.request", "body": content, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            answered.set()

    await app(scope, receive, send)
    return status


def chat_of(update: dict[str, Any]) -> int:
    message = update.get("message") or update["callback_query"]["message"]
    return int(message["chat"]["id"])


# ---- the checks --------------------------------------------------------------------------------------------


async def assert_each_update_handled_once(services: Services, witness: Witness, crowd: Sequence[Person]) -> None:
    meant = {f"tg:{update['update_id']}": person for person in crowd for update in person.updates}
    twice = {key: len(answers) for key, answers in witness.answers.items() if len(answers) > 1}
    assert not twice, f"answered more than once: {sorted(twice.items())[:10]}"
    assert set(witness.answers) == set(meant), f"never answered: {sorted(set(meant) - set(witness.answers))[:10]}"
    async with services.sessions() as session:
        inbox = {
            key: (handled_at is not None, attempts)
            for key, handled_at, attempts in await session.execute(
                select(InboxUpdate.key, InboxUpdate.handled_at, InboxUpdate.attempts)
            )
        }
        transcript = {
            (external_id, direction): count
            for external_id, direction, count in await session.execute(
                select(Contact.external_id, TranscriptEntry.direction, func.count())
                .join(TranscriptEntry, TranscriptEntry.contact_id == Contact.id)
                .group_by(Contact.external_id, TranscriptEntry.direction)
            )
        }
    assert {key: inbox.get(key) for key in meant} == dict.fromkeys(meant, (True, 1)), "an inbox row claimed twice"
    for person in crowd:
        mine = [witness.answers[f"tg:{update['update_id']}"][0] for update in person.updates]
        chat = str(person.user.id)
        assert transcript.get((chat, "in")) == len(person.updates), f"{chat}: 'in' rows"
        assert transcript.get((chat, "out")) == sum(len(replies) for replies in mine), f"{chat}: 'out' rows"


def assert_replies_sent_once(api: FakeBotAPI, witness: Witness, crowd: Sequence[Person]) -> None:
    """Each reply is one message per chunk, or one edit (or none, when the screen shown is the same already)."""
    shown = Counter(message.chat_id for message in api.outgoing)
    for person in crowd:
        replies = [r for update in person.updates for r in witness.answers[f"tg:{update['update_id']}"][0]]
        sent_anew = sum(len(split_message(r.text)) for r in replies if not r.replace)
        at_most = sum(len(split_message(r.text)) for r in replies)
        assert sent_anew <= shown[person.user.id] <= at_most, (person.user.id, sent_anew, shown[person.user.id])
    assert api.rejected == []


async def assert_one_request_each(services: Services, crowd: Sequence[Person]) -> None:
    async with services.sessions() as session:
        leads = (
            await session.execute(
                select(Contact.external_id, Lead.flow_id, Lead.source).join(Contact, Contact.id == Lead.contact_id)
            )
        ).all()
    per_person = Counter(external_id for external_id, _, _ in leads)
    assert max(per_person.values(), default=0) == 1, f"more than one request: {per_person.most_common(3)}"
    walked = {str(p.user.id): p.flow.id for p in crowd if p.flow is not None}
    intakes = {external_id: flow_id for external_id, flow_id, source in leads if source.startswith("intake:")}
    assert intakes == walked


# ---- the test ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["polling", "webhook"])
async def test_two_thousand_updates_delivered_up_to_five_times_are_each_handled_once(
    api: FakeBotAPI, services: Services, way: str, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(f"{SEED}-{way}")
    script = Script(rng, services.knowledge, api.bot)
    crowd = script.people()
    for person in crowd:
        api.user(person.user.id, language_code=person.user.language_code, first_name=person.user.first_name)
    stream = script.deliveries(crowd)
    assert len({id(update) for update in stream}) == UPDATES and len(stream) > 2 * UPDATES
    await store_flow_versions(services)
    witness = Witness(services.engine)

    await (by_polling if way == "polling" else by_webhook)(api, services, witness, stream)

    note = f"(UGHI_EXACTLY_ONCE_SEED={SEED})"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], f"errors logged {note}"
    await assert_each_update_handled_once(services, witness, crowd)
    assert_replies_sent_once(api, witness, crowd)
    await assert_one_request_each(services, crowd)
