"""The terminal chat: buttons as numbered choices, typed numbers press them."""

from __future__ import annotations

import io

from bot.channels.console import render, run_console, to_plain
from bot.engine import Button, Reply
from ughi.services import Services


def test_render_numbers_buttons_and_strips_markup() -> None:
    text, choices = render(
        [
            Reply(
                "**Hi** _there_ [site](https://e.am) \\*x\\*",
                buttons=[[Button("A", "menu"), Button("B", "ask")], [Button("Web", url="https://e.am")]],
            )
        ]
    )
    assert "Hi there site (https://e.am) *x*" in text
    assert "[1] A" in text and "[2] B" in text and "Web: https://e.am" in text
    assert choices == ["menu", "ask"]
    assert to_plain("a_b_c") == "a_b_c"


async def test_a_terminal_conversation(services: Services, monkeypatch: object) -> None:
    lines = iter(["1", "1", "/quit"])
    out = io.StringIO()
    await run_console(services.engine, stdout=out, user="tester", read=lambda: next(lines, ""))
    shown = out.getvalue()
    assert "[1]" in shown and shown.count("> ") >= 2
