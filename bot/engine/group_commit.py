"""Group commit: updates that arrive together are handled in one transaction, each still exactly once.

A transaction has a fixed cost (a session, BEGIN, COMMIT and, on SQLite, the write of the log) that a busy bot
pays for every update. Here the updates waiting at the same moment (of different people: the engine lets each
person have one update in hand) are handled one after the other in one transaction, committed once. If handling
any of them fails, that transaction is rolled back and each of its updates is handled again in a transaction of
its own, so one bad update costs the others nothing but time, and its own error is reported to its caller alone.
In a quiet moment an update is alone in its transaction, and waits for nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ughi.db import transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
GROUP_LIMIT = 32  # updates per transaction at most: a longer one holds its locks (and its callers) too long


class GroupCommit(Generic[T, R]):
    """Runs `work(session, item)` for submitted items, grouping those that wait together into one transaction.
    `lanes` transactions may run at once (1 on SQLite, which has one writer; more where writers run in parallel)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        work: Callable[[AsyncSession, T], Awaitable[R]],
        *,
        lanes: int = 1,
        limit: int = GROUP_LIMIT,
    ) -> None:
        self.sessions = sessions
        self.work = work
        self.lanes = lanes
        self.limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runners = 0  # counted by the runners themselves: a finished task's done-callback comes too late
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """The result of `work` for `item`, committed; or its exception, with nothing of it committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._runners < self.lanes:
            self._runners += 1
            task = asyncio.create_task(self._run())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _run(self) -> None:
        try:
            await self._drain()
        finally:
            self._runners -= 1  # with no await since the last look at the queue: nothing can slip in between

    async def _drain(self) -> None:
        while self._waiting:
            group = [(item, future) for item, future in self._waiting[: self.limit] if not future.cancelled()]
            del self._waiting[: self.limit]
            try:
                if len(group) > 1 and await self._together(group):
                    continue
                for item, future in group:
                    await self._alone(item, future)
            finally:
                for _, future in group:  # stopped half-way (shutdown): nobody waits for ever
                    if not future.done():
                        future.cancel()

    async def _together(self, group: list[tuple[T, asyncio.Future[R]]]) -> bool:
        try:
            async with transaction(self.sessions) as session:
                results = [await self.work(session, item) for item, _ in group]
        except Exception:
            log.warning("a group of %d updates failed together; handling each on its own", len(group), exc_info=True)
            return False
        for (_, future), result in zip(group, results, strict=True):
            if not future.done():
                future.set_result(result)
        return True

    async def _alone(self, item: T, future: asyncio.Future[R]) -> None:
        try:
            async with transaction(self.sessions) as session:
                result = await self.work(session, item)
        except Exception as error:
            if not future.done():
                future.set_exception(error)
        else:
            if not future.done():
                future.set_result(result)
