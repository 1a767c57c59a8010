"""The terminal chat: `ughi chat`, buttons shown as numbered choices."""

from __future__ import annotations

import asyncio
import getpass
import locale
import os
import re
import sys
import uuid
from collections.abc import Callable
from typing import TextIO

from bot.engine import Engine, Inbound, InboundKind, Reply

_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w\\])_(.+?)_(?!\w)", re.S)
_ESCAPED = re.compile(r"\\([\\*_\[\]()`])")


def to_plain(text: str) -> str:
    """Markdown-lite as a terminal shows it."""
    text = _LINK.sub(r"\1 (\2)", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    return _ESCAPED.sub(r"\1", text)


def render(replies: list[Reply]) -> tuple[str, list[str]]:
    """The text to print and the button payloads in the order they are numbered."""
    lines: list[str] = []
    choices: list[str] = []
    for reply in replies:
        lines.append(to_plain(reply.text))
        for row in reply.buttons:
            for button in row:
                if button.url:
                    lines.append(f"     {button.text}: {button.url}")
                    continue
                choices.append(button.data)
                lines.append(f"  [{len(choices)}] {button.text}")
        lines.append("")
    return "\n".join(lines), choices


def _language_hint() -> str | None:
    value = os.environ.get("LANG") or (locale.getlocale()[0] or "")
    return value[:2].lower() if value else None


async def run_console(
    engine: Engine,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    user: str | None = None,
    read: Callable[[], str] | None = None,
) -> None:
    """Talk to the engine on a terminal until end of input or /quit."""
    external_id = user or getpass.getuser()
    hint = _language_hint()
    choices: list[str] = []

    async def turn(inbound: Inbound) -> None:
        nonlocal choices
        text, choices = render(await engine.handle(inbound))
        stdout.write(text + "\n")
        stdout.flush()

    def inbound_for(line: str) -> Inbound:
        key = f"console:{uuid.uuid4().hex}"
        if line.isdigit() and 1 <= int(line) <= len(choices):
            return Inbound(
                channel="console",
                external_id=external_id,
                kind=InboundKind.BUTTON,
                data=choices[int(line) - 1],
                update_key=key,
                language_hint=hint,
            )
        return Inbound(
            channel="console",
            external_id=external_id,
            kind=InboundKind.TEXT,
            text=line,
            update_key=key,
            language_hint=hint,
        )

    await turn(inbound_for("/start"))
    reader = read or stdin.readline
    while True:
        stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(reader)
        if not line:
            break
        line = line.strip()
        if line in ("/quit", "/exit"):
            break
        if line:
            await turn(inbound_for(line))
