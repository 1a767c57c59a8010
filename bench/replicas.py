"""Replicas: two Ughi webhook processes on one PostgreSQL database against one, the same load split between them.

Run: `python bench/replicas.py [--users 400] [--messages 5] [--connections 40] [--postgres URL]`.
Each replica is uvicorn serving ughi.app.create_app in webhook mode (as in bench/webhook_throughput.py), in its
own process, on the same fresh PostgreSQL schema (one per configuration, dropped after; the first replica migrates
it). The load generator posts updates over `--connections` connections, round robin over the replicas update by
update, so every person's messages reach both; replies are seen at the fake Bot API server. Target (issue 6): two
replicas ≥ 1.6× one replica's updates/s. All processes share this machine's cores with PostgreSQL and the load
generator, which caps what a second replica can add. Without a reachable PostgreSQL (--postgres, else
UGHI_TEST_POSTGRES_URL, else the local default) it says so and exits 0. Prints a table and ratios; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from dataclasses import dataclass

from _bots import WEBHOOK_PATH
from _common import (
    DEFAULT_POSTGRES,
    BotProcess,
    Result,
    arguments,
    cpu_of_processes,
    create_schema,
    drop_schema,
    note_refused,
    own_cpu,
    postgres_option,
    postgres_reachable,
    print_table,
    ratio,
)
from _people import ANSWERED, conversations, warm_up
from _webhook import SECRET, Poster

from tests.fakes.bot_api import FakeBotAPI

TARGET = 1.6  # two replicas' updates/s at least this many times one replica's


@dataclass
class Spent:
    """CPU seconds used during the load, by whom: all of them share the machine's cores."""

    replicas: float = 0.0
    postgres: float = 0.0
    generator: float = 0.0  # this process: the load generator and the fake Bot API server


async def measure(api: FakeBotAPI, replicas: int, url: str, args: argparse.Namespace) -> tuple[Result, int, Spent]:
    """`replicas` webhook processes on one fresh schema under the load; the result, how many contacts exist and
    the CPU time spent."""
    label = f"{replicas} replica" + ("s" if replicas > 1 else "")
    result, spent = Result(label), Spent()
    schema = await create_schema(url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            bots, urls = [], []
            for n in range(replicas):  # one after another: the first migrates and imports the content
                config = {
                    "kind": "ughi-webhook",
                    "base": api.base_url,
                    "token": api.token,
                    "secret": SECRET,
                    "database_url": url,
                    "schema": schema,
                    "migrate": n == 0,
                }
                bot = await stack.enter_async_context(BotProcess(config, f"replica {n + 1}"))
                port = (await bot.message())["port"]
                bots.append(bot)
                urls.append(f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
            poster = Poster(api, urls, ANSWERED["buttons"], args.connections)
            await poster.run(warm_up(), Result("warm-up"))
            cpu = sum(bot.cpu() for bot in bots), cpu_of_processes("postgres"), own_cpu()
            await poster.run(conversations(args.users, args.messages), result)
            result.cpu_seconds = spent.replicas = sum(bot.cpu() for bot in bots) - cpu[0]
            spent.postgres, spent.generator = cpu_of_processes("postgres") - cpu[1], own_cpu() - cpu[2]
            for bot in bots:
                await bot.stop()
            result.rss_mb = max(bot.rss_mb for bot in bots)
        contacts = await count_contacts(url, schema)
    finally:
        await drop_schema(url, schema)
    return result, contacts, spent


async def count_contacts(url: str, schema: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    db = create_async_engine(url)
    try:
        async with db.connect() as conn:
            return int(await conn.scalar(text(f'SELECT count(*) FROM "{schema}".contacts')) or 0)
    finally:
        await db.dispose()


def report(results: list[tuple[Result, int, Spent]], args: argparse.Namespace) -> None:
    people = args.users + len(warm_up())
    print(
        f"\nreplicas on one PostgreSQL: {args.users} people × {args.messages} messages, {args.connections} connections,"
        f" round robin per update; {os.cpu_count()} cores for everything"
    )
    header = ["replicas", "updates", "updates/s", "p50 ms", "p99 ms", "max RSS MB", "CPU ms/update", "lost", "contacts"]
    rows = [
        [r.label, r.updates, r.per_second, r.ms(0.5), r.ms(0.99), r.rss_mb, r.cpu_ms, r.lost, contacts]
        for r, contacts, _ in results
    ]
    print_table(header, rows)
    for r, _, spent in results:
        print(
            f"{r.label}: CPU during the load: replicas {spent.replicas:.1f} s, PostgreSQL {spent.postgres:.1f} s, "
            f"load generator and fake Bot API {spent.generator:.1f} s, in {r.seconds:.1f} s on {os.cpu_count()} cores"
        )
    if len(results) == 2:
        one, two = results[0][0], results[1][0]
        print(
            f"2 replicas / 1: throughput {ratio(two.per_second, one.per_second)} (target ≥ {TARGET}×), "
            f"p50 {ratio(two.ms(0.5), one.ms(0.5))}, p99 {ratio(two.ms(0.99), one.ms(0.99))}"
        )
    if any(contacts != people for _, contacts, _ in results):
        print(f"note: {people} people wrote, but the contacts table does not hold one row each")


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    unreachable = await postgres_reachable(args.postgres)
    if unreachable:
        print(f"PostgreSQL is not reachable at {args.postgres} ({unreachable}): nothing measured.")
        return 0
    results: list[tuple[Result, int, Spent]] = []
    async with FakeBotAPI() as api:
        for replicas in (1, 2):
            try:
                results.append(await measure(api, replicas, args.postgres, args))
            except Exception as err:
                print(f"{replicas} replica(s): failed: {err!r}", file=sys.stderr)
                return 1
        rejected = len(api.rejected)
    report(results, args)
    note_refused(rejected)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments(__doc__)
    parser.add_argument("--users", type=int, default=400, help="simulated people (default 400)")
    parser.add_argument("--messages", type=int, default=5, help="messages per person (default 5)")
    parser.add_argument("--connections", type=int, default=40, help="concurrent connections (default 40)")
    postgres_option(parser, DEFAULT_POSTGRES)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
