"""Webhook throughput: the full Ughi bot in webhook mode against a bare aiogram webhook echo bot.

Run: `python bench/webhook_throughput.py [--users 400] [--messages 5] [--connections 40] [--rounds 3] [--postgres URL]`.
Ughi runs as `ughi serve` does with UGHI_WEBHOOK_URL set: uvicorn serving ughi.app.create_app (web chat, admin
API, POST /telegram/webhook) on a fresh SQLite file; it stores each update, answers 200 at once and sends its reply
with sendMessage. The baseline is aiogram's aiohttp SimpleRequestHandler with handle_in_background=True and one
handler that echoes with sendMessage: the same reply mode. Each bot runs in its own process; the load generator
here posts updates with the secret header over `--connections` connections (a closed loop per connection, see
bench/_webhook.py) and the fake Bot API server, also here, sees the replies. Latency is from the POST to the reply
reaching the fake server; "ack" is the POST's own HTTP answer. With --postgres (or UGHI_TEST_POSTGRES_URL) Ughi
also runs on PostgreSQL. Every bot runs once per round, on a fresh database each time (see _common.Rounds): the
table shows each bot's median round, each ratio is the median of the ratios within rounds. Targets (issue 6): Ughi
≥ 0.5× the echo bot's updates/s, p99 ≤ 2× the echo bot's. Prints a table and the ratios; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from typing import Any

from _bots import WEBHOOK_PATH
from _common import (
    BotProcess,
    Result,
    Rounds,
    arguments,
    note_refused,
    postgres_option,
    postgres_schema,
    print_table,
    rounds_option,
)
from _people import ANSWERED, conversations, warm_up
from _webhook import SECRET, Poster

from tests.fakes.bot_api import FakeBotAPI

THROUGHPUT_TARGET = 0.5  # Ughi's updates/s at least this share of the echo bot's
P99_TARGET = 2.0  # Ughi's p99 at most this many times the echo bot's


async def measure(
    api: FakeBotAPI, label: str, config: dict[str, Any], answered: str, args: argparse.Namespace
) -> tuple[Result, dict[int, int]]:
    """Start one webhook bot in its own process, post the people's updates to it, stop it, collect its usage."""
    result = Result(label)
    async with BotProcess(dict(config, base=api.base_url, token=api.token, secret=SECRET), label) as bot:
        port = (await bot.message())["port"]
        poster = Poster(api, [f"http://127.0.0.1:{port}{WEBHOOK_PATH}"], ANSWERED[answered], args.connections)
        await poster.run(warm_up(), Result("warm-up"))
        poster.refused.clear()
        cpu = bot.cpu()
        await poster.run(conversations(args.users, args.messages), result)
        result.cpu_seconds = bot.cpu() - cpu
        await bot.stop()
        result.rss_mb = bot.rss_mb
    return result, poster.refused


def report(rounds: Rounds, refused: dict[str, dict[int, int]], args: argparse.Namespace) -> None:
    print(
        f"\nwebhook throughput: {args.users} people × {args.messages} messages, "
        f"{args.connections} connections, one update in flight per connection; median of {len(rounds.rounds)} rounds"
    )
    header = ["bot", "updates", "updates/s", "p50 ms", "p99 ms", "ack p50", "ack p99", "peak RSS MB", "CPU ms/update"]
    header.append("lost")
    rows: list[list[object]] = []
    results = [rounds.typical(label) for label in rounds.labels()]
    for r in results:
        if r.failed:
            rows.append([r.label, "failed", *[""] * 8])
            continue
        acks = (r.ms(0.5, r.acks), r.ms(0.99, r.acks))
        rows.append([r.label, r.updates, r.per_second, r.ms(0.5), r.ms(0.99), *acks, r.rss_mb, r.cpu_ms, r.lost])
    print_table(header, rows)
    echo = results[0].label
    for full in results[1:]:
        if full.failed:
            continue
        print(
            f"{full.label} / echo: throughput {rounds.ratio(full.label, echo, lambda r: r.per_second)}"
            f" (target ≥ {THROUGHPUT_TARGET}×), p50 {rounds.ratio(full.label, echo, lambda r: r.ms(0.5))},"
            f" p99 {rounds.ratio(full.label, echo, lambda r: r.ms(0.99))}"
            f" (target ≤ {P99_TARGET}×), peak RSS {rounds.ratio(full.label, echo, lambda r: r.rss_mb)},"
            f" CPU per update {rounds.ratio(full.label, echo, lambda r: r.cpu_ms)}"
        )
    for label, statuses in refused.items():
        if statuses:
            print(f"note: {label} did not take some updates (HTTP status: count, 0 = no answer): {statuses}")


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    rounds = Rounds()
    refused: dict[str, dict[int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI() as api:
            for n in range(max(1, args.rounds)):
                results: list[Result] = []
                for label, config, answered in bots(f"{tmp}/round{n}", args.postgres):
                    try:
                        async with contextlib.AsyncExitStack() as stack:
                            if "migrate" in config:
                                schema = await stack.enter_async_context(postgres_schema(args.postgres))
                                config = dict(config, database_url=args.postgres, schema=schema)
                            result, refused_now = await measure(api, label, config, answered, args)
                            for status, count in refused_now.items():
                                counts = refused.setdefault(label, {})
                                counts[status] = counts.get(status, 0) + count
                    except Exception as err:  # one bot failing must not hide the others' figures
                        print(f"{label}: failed: {err!r}", file=sys.stderr)
                        result = Result(label, failed=repr(err))
                    results.append(result)
                rounds.add(results)
            rejected = len(api.rejected)
    report(rounds, refused, args)
    note_refused(rejected)
    return 0


def bots(tmp: str, postgres: str) -> list[tuple[str, dict[str, Any], str]]:
    """The bots of one round: label, _bots.py config, and how their answers are recognised."""
    found: list[tuple[str, dict[str, Any], str]] = [
        ("echo (aiogram webhook)", {"kind": "echo-webhook"}, "any"),
        (
            "Ughi (SQLite)",
            {"kind": "ughi-webhook", "database_url": f"sqlite+aiosqlite:///{tmp}/ughi.sqlite3"},
            "buttons",
        ),
    ]
    if postgres:
        found.append(("Ughi (PostgreSQL)", {"kind": "ughi-webhook", "migrate": True}, "buttons"))
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments(__doc__)
    parser.add_argument("--users", type=int, default=400, help="simulated people (default 400)")
    parser.add_argument("--messages", type=int, default=5, help="messages per person (default 5)")
    parser.add_argument("--connections", type=int, default=40, help="concurrent connections (default 40)")
    rounds_option(parser)
    postgres_option(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
