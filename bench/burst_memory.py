"""Burst memory: a backlog of updates waiting when the bot starts, and the memory each bot needs to work it off.

Run: `python bench/burst_memory.py [--updates 20000] [--users 5000]`.
The updates (people's "/start" and questions, the people interleaved as if they all wrote at once) are queued at
the fake Bot API server before the bot starts polling, as after downtime. Then the bot starts in its own process:
first the bare aiogram echo bot, then the full Ughi bot (TelegramChannel and Engine on a fresh SQLite file). Time
to drain is from the bot's first getUpdates to the last answer reaching the fake server; memory is the process's
peak RSS (VmHWM) and its RSS once the burst is processed. Target (issue 6): Ughi's peak RSS ≤ 1.2× the echo bot's.
Prints a table and ratios; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from _common import BotProcess, arguments, print_table, ratio
from _people import ANSWERED, Answered, person, question_pools, script, wait_polling

from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI, SentMessage

TARGET = 1.2  # Ughi's peak RSS at most this many times the echo bot's
STALL = 60.0  # seconds without a new answer before giving up on the rest


@dataclass
class Burst:
    label: str
    updates: int
    answered: int = 0
    drain_seconds: float = 0.0
    peak_mb: float = 0.0
    after_mb: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.answered / self.drain_seconds if self.drain_seconds else 0.0


def queue_burst(api: FakeBotAPI, users: int, updates: int) -> set[int]:
    """Queue `updates` text updates from `users` people at the fake server at once; their chat ids."""
    pools = question_pools()
    per_person = -(-updates // users)
    scripts = [(person(i), script(i, per_person, pools)) for i in range(users)]
    for user, _ in scripts:
        api.user(user.id, language_code=user.language_code, first_name=user.first_name)
    burst: list[dict[str, Any]] = []
    for turn in range(per_person):
        for user, texts in scripts:
            if len(burst) < updates and turn < len(texts):
                message = u.message(user, api.next_message_id(user.id), u.text(texts[turn]))
                burst.append({"update_id": next(api._update_ids), "message": message})
    # Straight into the fake's queue: FakeBotAPI.raw_update sorts the whole queue on each call, too slow for 20,000.
    api._queue.extend(burst)
    api.notify()
    return {user.id for user, _ in scripts}


async def measure(api: FakeBotAPI, label: str, config: dict[str, Any], answered: Answered, args: Any) -> Burst:
    result = Burst(label, args.updates)
    chats = queue_burst(api, args.users, args.updates)
    last_answer = [0.0]

    def seen(message: SentMessage) -> None:
        if message.chat_id in chats and answered(message):
            result.answered += 1
            last_answer[0] = time.perf_counter()

    api.listeners[:] = [seen]
    calls_before = len(api.calls)
    async with BotProcess(dict(config, base=api.base_url, token=api.token), label) as bot:
        await wait_polling(api, bot, calls_before)
        started = last_answer[0] = time.perf_counter()
        cpu = bot.cpu()
        while result.answered < args.updates:
            before = result.answered
            try:
                await api.wait_until(lambda: result.answered != before, STALL)  # noqa: B023
            except TimeoutError:
                break
        result.drain_seconds = last_answer[0] - started
        result.cpu_seconds = bot.cpu() - cpu
        await asyncio.sleep(1.0)  # let the bot settle before reading its memory
        result.after_mb, result.peak_mb = bot.memory()
        await bot.stop()
        result.peak_mb = max(result.peak_mb, bot.rss_mb)
    api.listeners.clear()
    return result


def report(results: list[Burst], args: argparse.Namespace) -> None:
    print(f"\nburst: {args.updates} updates from {args.users} people queued before the bot starts polling")
    header = ["bot", "answered", "drain s", "updates/s", "peak RSS MB", "RSS after MB", "CPU s"]
    print_table(
        header,
        [[r.label, r.answered, r.drain_seconds, r.per_second, r.peak_mb, r.after_mb, r.cpu_seconds] for r in results],
    )
    if len(results) == 2:
        echo, full = results
        print(
            f"{full.label} / echo: peak RSS {ratio(full.peak_mb, echo.peak_mb)} (target ≤ {TARGET}×), "
            f"RSS after {ratio(full.after_mb, echo.after_mb)}, "
            f"time to drain {ratio(full.drain_seconds, echo.drain_seconds)}"
        )
    for r in results:
        if r.answered < r.updates:
            print(
                f"note: {r.label} answered {r.answered} of {r.updates} (stopped waiting after {STALL:.0f}s without one)"
            )


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            ("echo (aiogram)", {"kind": "echo-polling"}, "any"),
            (
                "Ughi (SQLite)",
                {"kind": "ughi-polling", "database_url": f"sqlite+aiosqlite:///{tmp}/ughi.sqlite3"},
                "buttons",
            ),
        ]
        for label, config, answered in runs:
            async with FakeBotAPI() as api:  # a fresh server each time: the first run's messages are not kept
                try:
                    results.append(await measure(api, label, config, ANSWERED[answered], args))
                except Exception as err:
                    print(f"{label}: failed: {err!r}")
                    return 1
    report(results, args)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments(__doc__)
    parser.add_argument("--updates", type=int, default=20_000, help="updates in the burst (default 20000)")
    parser.add_argument("--users", type=int, default=5_000, help="people they come from (default 5000)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
