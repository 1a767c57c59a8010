"""Work in lanes: items of one lane (one chat) one after another, different lanes side by side, bounded overall."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Lanes(Generic[T]):
    """`put(lane, item)` queues an item; at most `limit` items are worked on at once, each lane in order."""

    def __init__(self, limit: int, work: Callable[[T], Awaitable[None]]) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._slots = asyncio.Semaphore(limit)
        self._work = work
        self._lanes: dict[str, deque[T]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self.queued = 0  # accepted and not finished yet

    def put(self, lane: str, item: T) -> None:
        self.queued += 1
        waiting = self._lanes.get(lane)
        if waiting is not None:
            waiting.append(item)
            return
        self._lanes[lane] = deque([item])
        task = asyncio.create_task(self._drain(lane), name=f"lane-{lane}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, lane: str) -> None:
        waiting = self._lanes[lane]
        try:
            while waiting:
                async with self._slots:
                    try:
                        await self._work(waiting[0])
                    except Exception:  # one bad item must not stop its lane
                        log.exception("work in lane %s failed", lane)
                waiting.popleft()
                self.queued -= 1
                self._notify()
        finally:
            del self._lanes[lane]

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_below(self, count: int) -> None:
        """Until fewer than `count` items are queued: back-pressure for whoever feeds the lanes."""
        while self.queued >= count:
            await self._changed.wait()

    async def wait_idle(self) -> None:
        await self.wait_below(1)

    async def close(self, grace: float = 5.0) -> None:
        """Let queued work finish for up to `grace` seconds, then cancel what is left (also when cancelled)."""
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self.wait_idle()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
