"""Running Ughi's event loop: uvloop where it is installed (it is, with uvicorn[standard]), asyncio's otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available: uvloop halves the cost of sockets and timers."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; this is for platforms without it
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
