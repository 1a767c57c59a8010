"""What the benchmarks share: a bot in its own process, results and their tables, throwaway PostgreSQL schemas.

Standard library only at import time: bench/_bots.py imports this module in the bot's own process, and the echo
bot's memory must hold aiogram alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BOTS = Path(__file__).resolve().parent / "_bots.py"
CONCURRENCY = 64  # the channel's and the echo bot's limit on updates handled at once
REPLY_TIMEOUT = 30.0  # seconds one person waits for an answer before counting it lost
START_TIMEOUT = 120.0  # seconds a bot may take to start (migrations, content import, index)
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of `values`, 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]


def ratio(value: float, base: float) -> str:
    """`value / base` as "1.23×", or "n/a" when either side was not measured."""
    return f"{value / base:.2f}×" if value and base else "n/a"


def median(values: Sequence[float]) -> float:
    """The middle value (the lower of the two middle ones for an even count); 0.0 when there are none."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else 0.0


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain table: the first column left-aligned, the rest right-aligned, floats with one decimal."""
    cells = [[_cell(v) for v in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))))


def _cell(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


@dataclass
class Result:
    """One bot under one load: what was answered, how fast, and what the bot's process used."""

    label: str
    updates: int = 0  # answered
    lost: int = 0  # not answered within REPLY_TIMEOUT (or refused by the bot's HTTP endpoint)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, update sent -> answer at the fake server
    rss_mb: float = 0.0  # the bot process's peak resident memory
    cpu_seconds: float = 0.0  # the bot process's CPU time during the measured load
    failed: str = ""
    intake_latencies: list[float] = field(default_factory=list)  # the steps of guided intakes, also in latencies
    intakes: int = 0  # intakes started
    intakes_done: int = 0  # intakes walked to the end (request sent)
    acks: list[float] = field(default_factory=list)  # webhook: update POSTed -> HTTP answer
    generator_cpu: float = 0.0  # CPU seconds the load generator and fake Bot API server used meanwhile

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """The bot's CPU milliseconds per answered update."""
        return self.cpu_seconds * 1000 / self.updates if self.updates else 0.0

    def ms(self, share: float, values: Sequence[float] | None = None) -> float:
        """Latency percentile in milliseconds (of all answers, or of `values`)."""
        return percentile(self.latencies if values is None else values, share) * 1000


class Rounds:
    """Every bot measured in each of several rounds, one after another within a round.

    This machine's speed drifts by a third from one minute to the next (other tenants, CPU frequency), so one
    bot measured once and another a minute later compare badly. Ratios are taken within a round, between bots
    measured side by side, and their median over the rounds is reported; the table shows each bot's median round.
    """

    def __init__(self) -> None:
        self.rounds: list[dict[str, Result]] = []

    def add(self, round_results: Sequence[Result]) -> None:
        self.rounds.append({r.label: r for r in round_results})

    def labels(self) -> list[str]:
        return list(self.rounds[0]) if self.rounds else []

    def typical(self, label: str) -> Result:
        """The bot's round with the median updates/s (a failed round only when every round failed)."""
        results = [r[label] for r in self.rounds if label in r]
        ok = sorted((r for r in results if not r.failed), key=lambda r: r.per_second)
        return ok[(len(ok) - 1) // 2] if ok else results[0]

    def ratios(self, label: str, base: str, of: Callable[[Result], float]) -> list[float]:
        """`of(label) / of(base)` in each round where both ran."""
        found = []
        for r in self.rounds:
            mine, theirs = r.get(label), r.get(base)
            if mine and theirs and not mine.failed and not theirs.failed and of(mine) and of(theirs):
                found.append(of(mine) / of(theirs))
        return found

    def ratio(self, label: str, base: str, of: Callable[[Result], float]) -> str:
        """The median ratio over the rounds, with each round's when there are several: "0.51× (0.48, 0.54, 0.51)"."""
        found = self.ratios(label, base, of)
        if not found:
            return "n/a"
        each = f" ({', '.join(f'{v:.2f}' for v in found)})" if len(found) > 1 else ""
        return f"{median(found):.2f}×{each}"


# ---- a bot in its own process ------------------------------------------------------------------------------------


class BotProcess:
    """One bot under test, started as `python bench/_bots.py CONFIG`; it reads "stop" on stdin and reports its
    usage as the last JSON line on stdout. Its memory and CPU are its own, not the load generator's."""

    def __init__(self, config: dict[str, Any], label: str = "") -> None:
        self.config = config
        self.label = label or str(config.get("kind"))
        self.proc: asyncio.subprocess.Process | None = None
        self.rss_mb = 0.0
        self.cpu_seconds = 0.0

    async def __aenter__(self) -> BotProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BOTS),
            json.dumps(self.config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**20,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def message(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:  # noqa: ASYNC109
        """The next JSON line the bot prints (a webhook bot prints {"port": N} once it listens)."""
        assert self.proc is not None and self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    await self.proc.wait()
                    raise RuntimeError(f"the {self.label} bot exited with status {self.proc.returncode}")
                with contextlib.suppress(ValueError):
                    found = json.loads(line)
                    if isinstance(found, dict):
                        return found

    async def exited(self) -> int:
        assert self.proc is not None
        return await self.proc.wait()

    def memory(self) -> tuple[float, float]:
        """Resident memory now and at its peak so far, in MB (0 when the process is gone)."""
        return resident_mb(self.pid)

    def cpu(self) -> float:
        """CPU seconds used so far: take the difference around a load, so start-up work is left out."""
        return cpu_seconds(self.pid)

    async def stop(self) -> None:
        """Ask the bot to stop, collect its peak RSS and CPU time; kill it if it does not stop within a minute."""
        proc = self.proc
        if proc is None:
            return
        self.proc = None
        assert proc.stdin is not None and proc.stdout is not None
        # The peak as /proc counts it for this process alone: getrusage's maxrss survives exec on Linux, so in a
        # child it is at least the load generator's size when the child was started (which grows round by round).
        _, peak = resident_mb(proc.pid)
        if proc.returncode is None:
            with contextlib.suppress(ConnectionError):
                proc.stdin.write(b"stop\n")
                await proc.stdin.drain()
        try:
            output = await asyncio.wait_for(proc.stdout.read(), 60)
            usage = json.loads(output.decode().strip().splitlines()[-1])
            self.rss_mb, self.cpu_seconds = peak or usage["rss_kb"] / 1024, usage["cpu"]
        except (TimeoutError, ValueError, IndexError, KeyError):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()


def resident_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of a process from /proc, in MB; (0, 0) where /proc cannot tell."""
    found = {"VmRSS": 0.0, "VmHWM": 0.0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in found:
                found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process from /proc, in seconds; 0 where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds this process (the load generator and the fake Bot API server) has used so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_of_processes(name: str) -> float:
    """CPU seconds used so far by every process called `name` (e.g. "postgres"), as far as /proc shows."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] == name:
                fields = text.rpartition(")")[2].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def listening_socket() -> socket.socket:
    """A TCP socket listening on a free port of 127.0.0.1, for a server started in this process."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def free_port() -> int:
    """A port free on 127.0.0.1 right now, for a server started in another process."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---- PostgreSQL: one schema per run, dropped after ----------------------------------------------------------------


async def create_schema(url: str) -> str:
    """A fresh, empty schema in the database at `url`; its name."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    await _admin(url, f'CREATE SCHEMA "{schema}"')
    return schema


async def postgres_reachable(url: str, timeout: float = 15.0) -> str:  # noqa: ASYNC109
    """ "" when the database at `url` answers within `timeout` seconds, else why not."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    db = create_async_engine(url)
    try:
        async with asyncio.timeout(timeout), db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as err:
        return repr(err)
    finally:
        await db.dispose()
    return ""


async def drop_schema(url: str, schema: str) -> None:
    await _admin(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _admin(url: str, statement: str) -> None:
    """Run one statement on the database at `url`, in a connection of its own."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def postgres_schema(url: str) -> AsyncIterator[str]:
    """`async with postgres_schema(url) as schema:` a schema that lives as long as the block."""
    schema = await asyncio.wait_for(create_schema(url), 30)
    try:
        yield schema
    finally:
        await drop_schema(url, schema)


# ---- command line -------------------------------------------------------------------------------------------------


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A bench script's parser: its module docstring is its help."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def postgres_option(parser: argparse.ArgumentParser, fallback: str = "") -> None:
    """--postgres URL, by default $UGHI_TEST_POSTGRES_URL, else `fallback` (empty: no PostgreSQL rows)."""
    then = f", else {fallback}" if fallback else ""
    parser.add_argument(
        "--postgres",
        default=os.environ.get("UGHI_TEST_POSTGRES_URL") or fallback,
        help=f"PostgreSQL URL (default: $UGHI_TEST_POSTGRES_URL{then})",
    )


def rounds_option(parser: argparse.ArgumentParser, default: int = 3) -> None:
    """--rounds N: every bot measured N times, interleaved (see Rounds)."""
    parser.add_argument(
        "--rounds",
        type=int,
        default=default,
        help=f"rounds of measuring every bot, one after another; ratios are medians over rounds (default {default})",
    )


def note_refused(rejected: int) -> None:
    """Calls the fake Bot API refused are part of the figures' story: say how many."""
    if rejected:
        print(f"note: the fake Bot API refused {rejected} calls")
