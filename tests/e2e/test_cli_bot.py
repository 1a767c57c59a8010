"""The outside contract: `ughi bot` with only a token and an API base, in an empty working directory."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

from tests.fakes.bot_api import FakeBotAPI

ARMENIAN = re.compile(r"[\u0531-\u0587]")


async def test_ughi_bot_serves_long_polling_from_a_bare_working_directory(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UGHI_")}
        env |= {"UGHI_TELEGRAM_TOKEN": api.token, "UGHI_TELEGRAM_API_BASE": api.base_url}
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ughi.cli",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            ani = api.user(501, language_code="hy")
            await api.send_text(ani, "/start")  # queued before the bot is up: answered once it polls
            [greeting] = await api.wait_for_messages(ani.id, 1, timeout=60)
            assert ARMENIAN.search(greeting.text)
            started = time.monotonic()
            await api.send_text(ani, "/start")
            await api.wait_for_messages(ani.id, 2, timeout=10)
            answered_in = time.monotonic() - started
            assert answered_in < 5, answered_in  # the 1 s goal is measured by the bench, not asserted here
            assert (tmp_path / "var" / "ughi.sqlite3").exists(), "SQLite under var/ of the working directory"
            assert api.rejected == []
        finally:
            bot.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(bot.communicate(), timeout=30)
        assert bot.returncode == 0, stderr.decode()[-2000:]
