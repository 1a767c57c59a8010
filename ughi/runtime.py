"""Running Ughi's processes: uvloop where it is installed (it is, with uvicorn[standard]), asyncio's otherwise, and
the garbage collector told what lives as long as the process."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Collect the youngest generation after this many new container objects (CPython's default is 700): an update
# makes a few hundred, and nearly all of them are freed by reference counting before any collection sees them.
YOUNG_COLLECTION_THRESHOLD = 10_000


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available: uvloop halves the cost of sockets and timers."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; this is for platforms without it
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def settle() -> None:
    """Once a server process has started: what it holds now (modules, content, the search index) stays for its
    lifetime, so it is moved out of the cyclic garbage collector's sight, and young objects are collected less often.

    Without this, each full collection walks the whole started heap (over a million objects with the search index):
    about 100 ms with the event loop stopped, a dozen times a minute under load, and a sixth of the bot's CPU time.
    Frozen objects are still freed by reference counting; only a reference cycle among them would outlive its use.
    For process entry points (`ughi serve`, `ughi bot`), not for code that runs inside tests."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
