"""A published change reaches a bot running as another process on the same database within 5 seconds."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

from tests.admin_api.conftest import CONTENT, Person
from tests.admin_api.test_content import VISA
from ughi.settings import Settings

ROOT = Path(__file__).parents[2]
WITHIN = 5.0


async def next_line(bot: asyncio.subprocess.Process, within: float) -> str:
    assert bot.stdout is not None
    line = await asyncio.wait_for(bot.stdout.readline(), timeout=within)
    return line.decode().strip()


async def test_the_bot_process_says_the_published_fix_within_seconds(
    client: httpx.AsyncClient, staff: dict[str, Person], small_settings: Settings, tmp_path: Path
) -> None:
    editor = staff["editor"]
    assert (await client.post("/articles", headers=editor.headers, json=VISA)).status_code == 201
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "UGHI_ENV": "test",
        "UGHI_DATABASE_URL": small_settings.resolved_database_url,
        "UGHI_DATABASE_SCHEMA": small_settings.database_schema or "",
        "UGHI_CONTENT_DIR": str(CONTENT),
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.admin_api.bot_process",
        str(VISA["id"]),
        "40",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await next_line(bot, 60) == "ready"
        assert await next_line(bot, 10) == "answer=None body=None"  # a draft: the bot does not know it
        published = time.monotonic()
        assert (await client.post(f"/articles/{VISA['id']}/publish", headers=editor.headers)).status_code == 200
        assert await next_line(bot, WITHIN) == f"answer={VISA['id']} body=Apply at the consulate."
        assert time.monotonic() - published < WITHIN
        fix = {"translations": {"en": {"body": "Apply at the consulate of the country you go to."}}}
        fixed = time.monotonic()
        assert (await client.patch(f"/articles/{VISA['id']}", headers=editor.headers, json=fix)).status_code == 200
        line = await next_line(bot, WITHIN)
        assert line == f"answer={VISA['id']} body=Apply at the consulate of the country you go to."
        assert time.monotonic() - fixed < WITHIN
    finally:
        if bot.returncode is None:
            bot.kill()
        await bot.wait()
