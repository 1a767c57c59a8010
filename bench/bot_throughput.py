"""Bot throughput: a bare aiogram echo bot and the full Ughi bot against the same fake Bot API, side by side.

Run: `python bench/bot_throughput.py [--users 200] [--messages 10] [--intake-share 0.25] [--rounds 3] [--postgres URL]`.
Each bot runs in its own process (so its peak RSS is its own) and long-polls the fake server on 127.0.0.1, which
runs here with the simulated people. People talk in a closed loop, as people do: each sends a message, waits for
the answer, then sends the next. Latency is from the update being queued at the server to the answer reaching it.

Rows: the echo bot (the baseline: it only echoes); Ughi on a fresh SQLite file with everyone asking questions;
"channel, echo engine": TelegramChannel and the SQLite inbox around an engine that only echoes (the difference
between it and the echo bot is what the channel costs, the rest is the engine's); and Ughi "with intakes", where
--intake-share of the people (every fourth by default) walk a guided intake instead of asking questions: /start,
the flow's button, consent, every step answered, Send, and yes to passing the request on; an intake step counts
as answered when the next screen arrives. With UGHI_TEST_POSTGRES_URL or --postgres, the Ughi rows run again on
PostgreSQL (a schema per run, dropped after). Every bot runs once per round, on a fresh database each time, the
rounds one after another (see _common.Rounds): the table shows each bot's median round, and each ratio is the
median of the ratios within rounds, followed by every round's. Prints a table and the Ughi/echo ratios; never
asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from _common import (
    CONCURRENCY,
    BotProcess,
    Result,
    Rounds,
    arguments,
    note_refused,
    own_cpu,
    postgres_option,
    postgres_schema,
    print_table,
    rounds_option,
)
from _people import ANSWERED, Talk, conversations, wait_polling, warm_up

from tests.fakes.bot_api import FakeBotAPI


@dataclass(frozen=True)
class Run:
    label: str
    config: dict[str, Any]  # for bench/_bots.py; with "postgres": True, on a fresh PostgreSQL schema
    answered: str  # "any" for the echo bot, "buttons" for Ughi
    intake_share: float = 0.0


async def measure(api: FakeBotAPI, run: Run, users: int, messages: int, postgres: str) -> Result:
    """Start one bot in its own process, let the people talk to it, stop it and collect its usage."""
    result = Result(run.label)
    async with contextlib.AsyncExitStack() as stack:
        config = dict(run.config, base=api.base_url, token=api.token)
        if config.pop("postgres", False):
            config.update(database_url=postgres, schema=await stack.enter_async_context(postgres_schema(postgres)))
        bot = await stack.enter_async_context(BotProcess(config, run.label))
        await wait_polling(api, bot, len(api.calls))
        talk = Talk(api, ANSWERED[run.answered])
        await talk.run(warm_up(), Result("warm-up"))
        cpu, generator = bot.cpu(), own_cpu()
        await talk.run(conversations(users, messages, run.intake_share), result)
        result.cpu_seconds, result.generator_cpu = bot.cpu() - cpu, own_cpu() - generator
        await bot.stop()
        result.rss_mb = bot.rss_mb
    return result


def runs(tmp: str, intake_share: float, postgres: str) -> list[Run]:
    sqlite = f"sqlite+aiosqlite:///{tmp}/"
    found = [
        Run("echo (aiogram)", {"kind": "echo-polling"}, "any"),
        Run("Ughi (SQLite)", {"kind": "ughi-polling", "database_url": sqlite + "full.sqlite3"}, "buttons"),
        Run(
            "channel, echo engine",
            {"kind": "ughi-polling", "engine": "echo", "database_url": sqlite + "echo.sqlite3"},
            "buttons",
        ),
    ]
    if intake_share > 0:
        config = {"kind": "ughi-polling", "database_url": sqlite + "intakes.sqlite3"}
        found.append(Run("Ughi (SQLite) +intakes", config, "buttons", intake_share))
    if postgres:
        fresh_schema: dict[str, Any] = {"kind": "ughi-polling", "postgres": True}
        found.append(Run("Ughi (PostgreSQL)", fresh_schema, "buttons"))
        if intake_share > 0:
            found.append(Run("Ughi (PostgreSQL) +intakes", fresh_schema, "buttons", intake_share))
    return found


def report(rounds: Rounds, args: argparse.Namespace) -> None:
    print(
        f"\nbot throughput: {args.users} people × {args.messages} messages, closed loop, concurrency {CONCURRENCY};"
        f" '+intakes': {args.intake_share:.0%} of the people walk a guided intake instead;"
        f" median of {len(rounds.rounds)} rounds"
    )
    header = ["bot", "updates", "updates/s", "p50 ms", "p99 ms", "peak RSS MB", "CPU s", "CPU ms/update", "lost"]
    header.append("generator CPU %")
    results = [rounds.typical(label) for label in rounds.labels()]
    rows = [
        [r.label, r.updates, r.per_second, r.ms(0.5), r.ms(0.99), r.rss_mb, r.cpu_seconds, r.cpu_ms, r.lost, _share(r)]
        if not r.failed
        else [r.label, "failed", *[""] * 8]
        for r in results
    ]
    print_table(header, rows)
    print("(generator CPU %: the load generator and fake Bot API's use of one core; near 100, it sets the pace)")
    echo = results[0].label
    for full in results[1:]:
        if not full.label.startswith("Ughi") or full.failed:
            continue
        print(
            f"{full.label} / echo: throughput {rounds.ratio(full.label, echo, lambda r: r.per_second)}, "
            f"p50 {rounds.ratio(full.label, echo, lambda r: r.ms(0.5))}, "
            f"p99 {rounds.ratio(full.label, echo, lambda r: r.ms(0.99))}, "
            f"peak RSS {rounds.ratio(full.label, echo, lambda r: r.rss_mb)}, "
            f"CPU per update {rounds.ratio(full.label, echo, lambda r: r.cpu_ms)}"
        )
        if full.intakes:
            steps = full.intake_latencies
            print(
                f"  intakes walked to a sent request: {full.intakes_done}/{full.intakes}; "
                f"{len(steps)} intake steps p50 {full.ms(0.5, steps):.1f} ms, p99 {full.ms(0.99, steps):.1f} ms"
            )
    if any(r.intakes for r in results):
        print("(the echo bot has no intakes: in its run everyone asks questions; compare updates/s and latency)")


def _share(result: Result) -> float:
    """The load generator's CPU over the run, in % of one core."""
    return 100 * result.generator_cpu / result.seconds if result.seconds else 0.0


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    rounds = Rounds()
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI() as api:
            for n in range(max(1, args.rounds)):
                results: list[Result] = []
                for run in runs(f"{tmp}/round{n}", args.intake_share, args.postgres):
                    try:
                        results.append(await measure(api, run, args.users, args.messages, args.postgres))
                    except Exception as err:  # one bot failing must not hide the others' figures
                        print(f"{run.label}: failed: {err!r}", file=sys.stderr)
                        results.append(Result(run.label, failed=repr(err)))
                rounds.add(results)
            rejected = len(api.rejected)
    report(rounds, args)
    note_refused(rejected)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments(__doc__)
    parser.add_argument("--users", type=int, default=200, help="simulated people (default 200)")
    parser.add_argument(
        "--messages",
        type=int,
        default=10,
        help="messages per person who asks (default 10; past 30 in a row, Ughi's flood guard slows people down)",
    )
    parser.add_argument(
        "--intake-share",
        type=float,
        default=0.25,
        help="share of the people who walk a guided intake in the '+intakes' rows (default 0.25; 0: no such rows)",
    )
    rounds_option(parser)
    postgres_option(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
