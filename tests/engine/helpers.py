"""Talking to the engine in tests the way a channel would."""

from __future__ import annotations

import itertools
import re

from bot.engine import Engine, Inbound, InboundKind, Reply

_keys = itertools.count(1)
ARMENIAN = re.compile(r"[\u0531-\u0587]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def inbound(
    user: str,
    *,
    text: str = "",
    data: str = "",
    kind: InboundKind | None = None,
    hint: str | None = None,
    key: str | None = None,
) -> Inbound:
    kind = kind or (InboundKind.BUTTON if data else InboundKind.TEXT)
    return Inbound(
        channel="test",
        external_id=user,
        kind=kind,
        text=text,
        data=data,
        update_key=key or f"test:{next(_keys)}",
        language_hint=hint,
    )


async def say(engine: Engine, user: str, text: str, hint: str | None = None) -> list[Reply]:
    return await engine.handle(inbound(user, text=text, hint=hint))


async def press(engine: Engine, user: str, data: str) -> list[Reply]:
    return await engine.handle(inbound(user, data=data))


def buttons(replies: list[Reply]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row]


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)
