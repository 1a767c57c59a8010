"""`ughi bot` as real processes, started many times and killed with SIGKILL, from one pre-imported interpreter.

Importing Ughi takes seconds (more on a busy machine); a test that restarts the bot fifty times would spend most
of its time there. So one helper process imports everything once and forks a fresh process for each start, which
runs `ughi.cli.main(["bot"])` exactly as the `ughi bot` command does: same settings from the environment, same
start-up (migrations, content, search index), same signal handling. Forking and /proc make this Linux-only, as
the suite's machines are.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

# Runs in the helper process: reads "fork <log file>" and "reap <pid>" lines, answers with one line each.
LAUNCHER = r"""
import gc, importlib, os, sys, traceback
import ughi.cli

for name in sys.argv[1:]:
    importlib.import_module(name)
gc.freeze()  # what is imported stays: no collection in a bot process walks it again

def bot(log_path):
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        code = ughi.cli.main(["bot"])
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

for line in sys.stdin:
    command, argument = line.split(maxsplit=1)
    if command == "fork":
        pid = os.fork()
        if pid == 0:
            bot(argument.strip())
        print(pid, flush=True)
    elif command == "reap":
        _, status = os.waitpid(int(argument), 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
"""

# What `ughi bot` imports on its way to polling, migrations included (with PYTHONDONTWRITEBYTECODE every import
# compiles its source again: a second or more each start on a busy machine).
PRELOADED = (
    "ughi.cli",
    "ughi.app",
    "ughi.services",
    "bot.channels.telegram",
    "bot.channels.telegram_outbox",
    "bot.channels.telegram_staff",
    "bot.flows.loader",
    "leads.outbox",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.ext.compiler",
    "alembic.command",
    "alembic.config",
    "alembic.autogenerate",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "alembic.runtime.migration",
    "alembic.script",
    "mako.template",
    "mako.exceptions",
    "concurrent.futures.thread",
)


class BotLauncher:
    """`async with BotLauncher(env, workdir) as launcher:` then `pid = await launcher.start()`, `kill`, `stop`."""

    def __init__(self, env: Mapping[str, str], workdir: Path) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.log = workdir / "ughi-bot.log"
        self._helper: asyncio.subprocess.Process | None = None
        self._running: set[int] = set()
        self._lock = asyncio.Lock()
        self._stderr: IO[bytes] | None = None

    async def __aenter__(self) -> BotLauncher:
        self._stderr = (self.workdir / "launcher.log").open("ab")
        self._helper = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LAUNCHER,
            *PRELOADED,
            cwd=self.workdir,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for pid in list(self._running):
            with contextlib.suppress(RuntimeError, TimeoutError):  # killed all the same, reaped if the helper lives
                await self.kill(pid)
        helper = self._helper
        if helper is not None and helper.stdin is not None:
            helper.stdin.close()
            try:
                await asyncio.wait_for(helper.wait(), timeout=30)
            except TimeoutError:
                helper.kill()
                await helper.wait()
        if self._stderr is not None:
            self._stderr.close()

    async def _ask(self, line: str) -> str:
        helper = self._helper
        assert helper is not None and helper.stdin is not None and helper.stdout is not None
        async with self._lock:
            helper.stdin.write(line.encode() + b"\n")
            await helper.stdin.drain()
            answer = await asyncio.wait_for(helper.stdout.readline(), timeout=120)  # the first waits for imports
        if not answer:
            raise RuntimeError(f"the launcher died; see {self.workdir / 'launcher.log'}")
        return answer.decode().strip()

    async def start(self) -> int:
        """A new `ughi bot` process; its pid."""
        pid = int(await self._ask(f"fork {self.log}"))
        self._running.add(pid)
        return pid

    async def kill(self, pid: int) -> int:
        """SIGKILL: the process dies wherever it is. Returns its exit code (-9) once it is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return await self._reap(pid)

    async def stop(self, pid: int) -> int:
        """SIGTERM, as a service manager stops the bot: returns the exit code."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        return await self._reap(pid)

    async def _reap(self, pid: int) -> int:
        code = int(await self._ask(f"reap {pid}"))
        self._running.discard(pid)
        return code

    def alive(self, pid: int) -> bool:
        """Whether the process still runs (a dead one stays a zombie until reaped)."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
