"""Bot throughput: a bare aiogram echo bot and the full Ughi bot against the same fake Bot API, side by side.

Run: `python bench/bot_throughput.py [--users 200] [--messages 10] [--postgres URL]`.
A third row, "channel, echo engine", runs TelegramChannel and the SQLite inbox around an engine that only
echoes: the difference between it and the echo bot is what the channel costs, the rest is the engine's.
Each bot runs in its own process (so its peak RSS is its own) and long-polls the fake server on 127.0.0.1,
which runs here with the simulated people. People talk in a closed loop, as people do: each sends a message,
waits for the answer, then sends the next. Latency is from the update being queued at the server to the
answer reaching it. Ughi runs on a fresh SQLite file, and on PostgreSQL when UGHI_TEST_POSTGRES_URL or
--postgres is given. Prints a table and the full/echo ratios; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.bot_api import FakeBotAPI, SentMessage  # noqa: E402
from tests.fakes.updates import FakeUser  # noqa: E402

if TYPE_CHECKING:  # imported in the child that needs them, so the echo bot's memory holds aiogram alone
    from aiogram import Bot

    from bot.channels.telegram import ConversationEngine

CONCURRENCY = 64
REPLY_TIMEOUT = 30.0  # seconds one person waits for an answer before counting it lost
RUN_TIMEOUT = 600.0
START_TIMEOUT = 120.0
QUESTIONS = ROOT / "tests" / "data" / "kb_questions.jsonl"
FALLBACK = {
    "hy": ["անձնագիր", "աշխատանք Ռուսաստանում"],
    "ru": ["паспорт", "работа в России"],
    "en": ["passport", "work abroad"],
}


@dataclass
class Result:
    label: str
    updates: int = 0
    lost: int = 0
    seconds: float = 0.0
    latencies: list[float] | None = None
    rss_mb: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        values = sorted(self.latencies or [0.0])
        return values[min(int(share * len(values)), len(values) - 1)] * 1000


# ---- the bots, each in a child process ---------------------------------------------------------------------------


async def _wait_for_stop() -> None:
    await asyncio.to_thread(sys.stdin.readline)


def _report_usage() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}), flush=True)


def _bot(base: str, token: str) -> Bot:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))


def _echo_engine() -> ConversationEngine:
    """The engine's contract with nothing behind it: what the Telegram channel costs on its own."""
    from bot.channels.render import escape_md
    from bot.engine.types import Button, Inbound, Reply

    class EchoEngine:
        async def handle(self, inbound: Inbound) -> list[Reply]:
            return [Reply(escape_md(inbound.text), buttons=[[Button("Menu", "menu")]])]

        async def mark_blocked(self, channel: str, external_id: str) -> None:
            return None

    return EchoEngine()


async def serve_echo(base: str, token: str) -> None:
    """The baseline: aiogram's own polling, one handler that echoes the text."""
    from aiogram import Dispatcher
    from aiogram.types import Message

    bot, dispatcher = _bot(base, token), Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, tasks_concurrency_limit=CONCURRENCY, polling_timeout=10)
    )
    await _wait_for_stop()
    await dispatcher.stop_polling()
    await asyncio.wait_for(polling, 30)


async def serve_ughi(base: str, token: str, database_url: str, schema: str | None, engine: str) -> None:
    """Ughi as `ughi bot` runs it: TelegramChannel and Engine on a fresh database with the shipped content."""
    from bot.channels.telegram import TelegramChannel
    from ughi.services import start_services
    from ughi.settings import Settings

    settings = Settings(_env_file=None, env="test", database_url=database_url, database_schema=schema)
    services = await start_services(settings, migrate=True)
    bot = _bot(base, token)
    talker = _echo_engine() if engine == "echo" else services.engine
    channel = TelegramChannel(bot, talker, services.inbox, concurrency=CONCURRENCY)
    stop = asyncio.Event()
    polling = asyncio.create_task(channel.run_polling(stop))
    await _wait_for_stop()
    stop.set()
    await asyncio.wait_for(polling, 30)
    await bot.session.close()
    await services.close()


def child(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    kind, base, token, *rest = argv
    if kind == "echo":
        asyncio.run(serve_echo(base, token))
    else:
        asyncio.run(serve_ughi(base, token, rest[0], rest[1] or None, engine=kind.removeprefix("ughi-")))
    _report_usage()


# ---- the people, here ----------------------------------------------------------------------------------------------


def conversations(users: int, messages: int) -> list[tuple[FakeUser, list[str]]]:
    """Who says what: "/start", then questions in the person's language from the labelled question file."""
    pools: dict[str, list[str]] = {lang: list(qs) for lang, qs in FALLBACK.items()}
    if QUESTIONS.exists():
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("lang") in pools and item.get("q"):
                pools[item["lang"]].append(item["q"])
    people = []
    for i in range(users):
        lang = ("hy", "ru", "en")[i % 3]
        questions = itertools.islice(itertools.cycle(pools[lang][i % len(pools[lang]) :] + pools[lang]), messages - 1)
        people.append((FakeUser(id=10_000 + i, language_code=lang, first_name=f"P{i}"), ["/start", *questions]))
    return people


class Load:
    """Drives the people against whichever bot is polling the server, and times each answer."""

    def __init__(self, api: FakeBotAPI, answered: str) -> None:
        self.api = api
        self.waiting: dict[int, asyncio.Future[None]] = {}
        # Ughi puts its buttons on the last message of an answer; the echo bot answers with one message.
        self.done: Callable[[SentMessage], bool] = (
            (lambda m: bool(m.reply_markup)) if answered == "buttons" else (lambda m: True)
        )
        api.listeners[:] = [self._seen]

    def _seen(self, message: SentMessage) -> None:
        waiter = self.waiting.get(message.chat_id)
        if waiter is not None and not waiter.done() and self.done(message):
            waiter.set_result(None)

    async def talk(self, user: FakeUser, texts: list[str], result: Result) -> None:
        self.api.user(user.id, language_code=user.language_code, first_name=user.first_name)
        for text in texts:
            waiter = self.waiting[user.id] = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            await self.api.send_text(user, text)
            try:
                await asyncio.wait_for(waiter, REPLY_TIMEOUT)
            except TimeoutError:
                result.lost += 1
                continue
            assert result.latencies is not None
            result.latencies.append(time.perf_counter() - started)
            result.updates += 1

    async def run(self, people: list[tuple[FakeUser, list[str]]], result: Result) -> None:
        result.latencies = []
        started = time.perf_counter()
        async with asyncio.timeout(RUN_TIMEOUT):
            await asyncio.gather(*(self.talk(user, texts, result) for user, texts in people))
        result.seconds = time.perf_counter() - started


async def measure(api: FakeBotAPI, label: str, argv: list[str], answered: str, users: int, messages: int) -> Result:
    """Start one bot in its own process, let the people talk to it, stop it and collect its usage."""
    result = Result(label)
    calls_before = len(api.calls)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    try:
        polling = asyncio.ensure_future(
            api.wait_until(lambda: any(c.method == "getUpdates" for c in api.calls[calls_before:]), START_TIMEOUT)
        )
        exited = asyncio.ensure_future(proc.wait())
        await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            polling.cancel()
            raise RuntimeError(f"the {label} bot exited with status {proc.returncode} before polling")
        exited.cancel()
        polling.result()
        load = Load(api, answered)
        warm_up = [(FakeUser(id=9_000 + i, language_code="hy"), ["/start", "անձնագիր"]) for i in range(5)]
        await load.run(warm_up, Result("warm-up"))
        await load.run(conversations(users, messages), result)
    finally:
        await _stop(proc, result)
    return result


async def _stop(proc: asyncio.subprocess.Process, result: Result) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    if proc.returncode is None:
        with contextlib.suppress(ConnectionError):
            proc.stdin.write(b"stop\n")
            await proc.stdin.drain()
    try:
        output = await asyncio.wait_for(proc.stdout.read(), 60)
        usage = json.loads(output.decode().strip().splitlines()[-1])
        result.rss_mb, result.cpu_seconds = usage["rss_kb"] / 1024, usage["cpu"]
    except (TimeoutError, ValueError, IndexError, KeyError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    await proc.wait()


async def with_postgres_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    return url, schema


async def drop_postgres_schema(url: str, schema: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.dispose()


def report(results: list[Result], users: int, messages: int) -> None:
    print(f"\nbot throughput: {users} people × {messages} messages, closed loop, concurrency {CONCURRENCY}")
    print(f"{'bot':<22}{'updates/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'peak RSS MB':>13}{'CPU s':>8}{'lost':>6}")
    for r in results:
        print(
            f"{r.label:<22}{r.per_second:>11.1f}{r.percentile(0.5):>9.1f}{r.percentile(0.99):>9.1f}"
            f"{r.rss_mb:>13.1f}{r.cpu_seconds:>8.1f}{r.lost:>6}"
        )
    echo = results[0]
    for full in (r for r in results[1:] if r.label.startswith("Ughi")):
        if not (echo.per_second and full.per_second and echo.rss_mb):
            continue
        print(
            f"{full.label} / echo: throughput {full.per_second / echo.per_second:.2f}×, "
            f"p50 {full.percentile(0.5) / max(echo.percentile(0.5), 1e-9):.1f}×, "
            f"p99 {full.percentile(0.99) / max(echo.percentile(0.99), 1e-9):.1f}×, "
            f"peak RSS {full.rss_mb / echo.rss_mb:.2f}×"
        )


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    results: list[Result] = []
    async with FakeBotAPI() as api, contextlib.AsyncExitStack() as cleanup:
        base, token, tmp = api.base_url, api.token, cleanup.enter_context(tempfile.TemporaryDirectory())
        runs = [
            ("echo (aiogram)", ["echo", base, token], "any"),
            ("Ughi (SQLite)", ["ughi-full", base, token, f"sqlite+aiosqlite:///{tmp}/full.sqlite3", ""], "buttons"),
            (
                "channel, echo engine",
                ["ughi-echo", base, token, f"sqlite+aiosqlite:///{tmp}/echo.sqlite3", ""],
                "buttons",
            ),
        ]
        if args.postgres:
            try:
                url, schema = await asyncio.wait_for(with_postgres_schema(args.postgres), 30)
            except Exception as err:
                print(f"PostgreSQL skipped: {err!r}", file=sys.stderr)
            else:
                cleanup.push_async_callback(drop_postgres_schema, url, schema)
                runs.append(("Ughi (PostgreSQL)", ["ughi-full", base, token, url, schema], "buttons"))
        for label, argv, answered in runs:
            try:
                results.append(await measure(api, label, argv, answered, args.users, args.messages))
            except Exception as err:  # one bot failing must not hide the others' figures
                print(f"{label}: failed: {err!r}", file=sys.stderr)
                results.append(Result(label))
        rejected = len(api.rejected)
    report(results, args.users, args.messages)
    if rejected:
        print(f"note: the fake Bot API refused {rejected} calls")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("UGHI_TEST_POSTGRES_URL", ""))
    asyncio.run(main(parser.parse_args()))
