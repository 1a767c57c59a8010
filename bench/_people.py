"""The simulated people: who says what, who walks a guided intake, and how each waits for the bot's answer.

People write to a bot through the fake Bot API server (tests/fakes/bot_api.py) running in the benchmark's own
process; an answer is seen when the bot's sendMessage (or editMessageText) reaches that server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from _common import REPLY_TIMEOUT, ROOT, START_TIMEOUT, BotProcess, Result

from bot.channels.render import rendered_text
from bot.flows import Flow, Step, load_flows
from bot.flows.schema import text_in
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI, SentMessage
from tests.fakes.updates import FakeUser
from tests.flow_walker import QUALIFY, Walker
from ughi.settings import SUPPORTED_LANGUAGES

QUESTIONS = ROOT / "tests" / "data" / "kb_questions.jsonl"
FALLBACK = {
    "hy": ["անձնագիր", "աշխատանք Ռուսաստանում"],
    "ru": ["паспорт", "работа в России"],
    "en": ["passport", "work abroad"],
}
FIRST_USER_ID = 10_000

Answered = Callable[[SentMessage], bool]
Seen = tuple[SentMessage, float]  # an answer and when it reached the fake server


def any_message(message: SentMessage) -> bool:
    """The echo bots answer each update with one message."""
    return True


def with_buttons(message: SentMessage) -> bool:
    """Ughi puts its buttons on the last message of an answer (an answer may take several messages)."""
    return bool(message.reply_markup)


ANSWERED: dict[str, Answered] = {"any": any_message, "buttons": with_buttons}


# ---- who says what ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One person's part: questions to ask one after another, or a guided intake to walk."""

    user: FakeUser
    texts: tuple[str, ...] = ()
    flow: Flow | None = None


def question_pools() -> dict[str, list[str]]:
    """Questions per language from the labelled question file (two built-in ones each when it is missing)."""
    pools: dict[str, list[str]] = {lang: list(qs) for lang, qs in FALLBACK.items()}
    if QUESTIONS.exists():
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("lang") in pools and item.get("q"):
                pools[item["lang"]].append(item["q"])
    return pools


def person(i: int) -> FakeUser:
    """The i-th person: languages in turn, Armenian first."""
    return FakeUser(id=FIRST_USER_ID + i, language_code=SUPPORTED_LANGUAGES[i % 3], first_name=f"P{i}")


def script(i: int, messages: int, pools: dict[str, list[str]]) -> tuple[str, ...]:
    """ "/start", then questions in the person's language, each person starting at another question."""
    pool = pools[SUPPORTED_LANGUAGES[i % 3]]
    questions = itertools.islice(itertools.cycle(pool[i % len(pool) :] + pool), max(messages - 1, 0))
    return ("/start", *questions)


def walks_intake(i: int, share: float) -> bool:
    """Whether the i-th person walks an intake: `share` of the people, spread evenly (0.25: every fourth)."""
    return int((i + 1) * share) > int(i * share)


def conversations(users: int, messages: int, intake_share: float = 0.0) -> list[Plan]:
    """`users` people: `intake_share` of them walk a guided intake (the flows in turn), the others ask questions."""
    pools = question_pools()
    flows = list(load_flows().values()) if intake_share > 0 else []
    plans: list[Plan] = []
    for i in range(users):
        if flows and walks_intake(i, intake_share):
            plans.append(Plan(person(i), flow=flows[sum(1 for p in plans if p.flow) % len(flows)]))
        else:
            plans.append(Plan(person(i), script(i, messages, pools)))
    return plans


def warm_up(count: int = 5) -> list[Plan]:
    """People outside the measured ones (their own ids) who say "/start" and ask one question first."""
    pools = question_pools()
    return [
        Plan(FakeUser(id=9_000 + i, language_code=SUPPORTED_LANGUAGES[i % 3]), script(i, 2, pools))
        for i in range(count)
    ]


# ---- answers, as seen at the fake server --------------------------------------------------------------------------


class Watch:
    """Each message the bot sends or edits, handed to the person waiting in that chat when it is their answer,
    with the time it reached the fake server (time.perf_counter())."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.waiting: dict[int, tuple[asyncio.Future[Seen], Answered]] = {}
        api.listeners[:] = [self._seen]

    def expect(self, chat_id: int, answered: Answered) -> asyncio.Future[Seen]:
        """A future for the next message in `chat_id` that `answered` accepts (one waiter per chat)."""
        waiter: asyncio.Future[Seen] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = (waiter, answered)
        return waiter

    def _seen(self, message: SentMessage) -> None:
        found = self.waiting.get(message.chat_id)
        if found is not None and not found[0].done() and found[1](message):
            found[0].set_result((message, time.perf_counter()))
            del self.waiting[message.chat_id]


async def wait_polling(api: FakeBotAPI, bot: BotProcess, calls_before: int) -> None:
    """Until the bot's first getUpdates after `calls_before` calls; RuntimeError if it exits first."""
    polling = asyncio.ensure_future(
        api.wait_until(lambda: any(c.method == "getUpdates" for c in api.calls[calls_before:]), START_TIMEOUT)
    )
    exited = asyncio.ensure_future(bot.exited())
    await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
    exited.cancel()
    if not polling.done():
        polling.cancel()
        raise RuntimeError(f"the {bot.label} bot exited with status {bot.proc and bot.proc.returncode} before polling")
    polling.result()


# ---- talking to a polling bot, in a closed loop --------------------------------------------------------------------


class Talk:
    """People talking to whichever bot polls the fake server, as people do: each sends, waits for the answer, then
    sends the next. Latency is from the update being queued at the server to the answer reaching it."""

    def __init__(self, api: FakeBotAPI, answered: Answered) -> None:
        self.api = api
        self.answered = answered
        self.watch = Watch(api)

    async def turn(
        self,
        user: FakeUser,
        send: Callable[[], Awaitable[Any]],
        result: Result,
        answered: Answered | None = None,
        *,
        intake: bool = False,
    ) -> SentMessage | None:
        """Send one update and wait for its answer; None (and counted lost) when none comes in time."""
        waiter = self.watch.expect(user.id, answered or self.answered)
        started = time.perf_counter()
        await send()
        try:
            message, arrived = await asyncio.wait_for(waiter, REPLY_TIMEOUT)
        except TimeoutError:
            self.watch.waiting.pop(user.id, None)
            result.lost += 1
            return None
        elapsed = arrived - started
        result.latencies.append(elapsed)
        if intake:
            result.intake_latencies.append(elapsed)
        result.updates += 1
        return message

    async def ask(self, plan: Plan, result: Result) -> None:
        for text in plan.texts:
            await self.turn(plan.user, partial(self.api.send_text, plan.user, text), result)

    async def walk(self, plan: Plan, result: Result) -> None:
        """Walk `plan.flow` as tests/e2e/test_flows.py does: /start, the flow's button, consent, each step answered
        (answers that qualify), Send, and yes to passing it on. A person who gets lost on the way gives up."""
        assert plan.flow is not None
        flow, user = plan.flow, plan.user
        lang = user.language_code or "hy"
        walker = Walker(flow, lang, QUALIFY)
        result.intakes += 1
        menu = await self.turn(
            user, partial(self.api.send_text, user, "/start"), result, _has(f"flow:{flow.id}"), intake=True
        )
        if menu is None:
            return
        first = _asks(walker.step, lang, after=menu.message_id)
        screen = await self.press(
            user, menu, f"flow:{flow.id}", result, _has("consent:yes") if flow.personal else first
        )
        if screen is not None and flow.personal:
            screen = await self.press(user, screen, "consent:yes", result, _asks(walker.step, lang, screen.message_id))
        while screen is not None and not walker.finished:
            step, answer = walker.step, walker.answer()
            walker.advance(answer)
            after = screen.message_id
            nxt = _has("fsend", after) if walker.finished else _asks(walker.step, lang, after)
            if answer.text is not None:
                send = partial(self.api.send_text, user, answer.text)
                screen = await self.turn(user, send, result, nxt, intake=True)
            elif answer.location is not None:
                send = partial(self.api.send_location, user, *answer.location)
                screen = await self.turn(user, send, result, nxt, intake=True)
            else:
                for data in answer.presses:
                    ticked = step.type == "multi" and data.startswith("ans:")  # ticked in place, Done still to press
                    assert screen is not None
                    screen = await self.press(user, screen, data, result, _same(screen) if ticked else nxt)
                    if screen is None:
                        break
        if screen is None:
            return
        question = await self.press(user, screen, "fsend", result, _has("share:yes", screen.message_id))
        if question is not None and await self.press(user, question, "share:yes", result, _newer(question)):
            result.intakes_done += 1

    async def press(
        self, user: FakeUser, message: SentMessage, data: str, result: Result, answered: Answered
    ) -> SentMessage | None:
        return await self.turn(user, partial(self.api.press, user, message, data), result, answered, intake=True)

    async def run(self, plans: list[Plan], result: Result) -> None:
        """Everyone at once; `result.seconds` is the time until the last person is done."""
        for plan in plans:
            self.api.user(plan.user.id, language_code=plan.user.language_code, first_name=plan.user.first_name)
        started = time.perf_counter()
        await asyncio.gather(*(self.walk(p, result) if p.flow else self.ask(p, result) for p in plans))
        result.seconds = time.perf_counter() - started


def _has(data: str, after: int = 0) -> Answered:
    """A message sent after message `after` with the button `data`."""
    return lambda m: m.message_id > after and data in m.callback_data


def _newer(message: SentMessage) -> Answered:
    """Any message with buttons sent after `message`."""
    return lambda m: m.message_id > message.message_id and bool(m.callback_data)


def _same(message: SentMessage) -> Answered:
    """`message` itself, edited (a ticked box of a multiple choice)."""
    return lambda m: m.message_id == message.message_id


def _asks(step: Step, lang: str, after: int) -> Answered:
    """A message sent after message `after` that asks `step`, with its buttons."""
    prompt = rendered_text(text_in(step.prompt, lang))
    return lambda m: m.message_id > after and "fnav:cancel" in m.callback_data and prompt in m.text


def text_update(api: FakeBotAPI, user: FakeUser, text: str, update_id: int) -> dict[str, Any]:
    """The update Telegram would send when `user` writes `text` (for posting to a webhook)."""
    return {"update_id": update_id, "message": u.message(user, api.next_message_id(user.id), u.text(text))}
