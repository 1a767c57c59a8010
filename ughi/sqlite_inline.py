"""SQLite for asyncio without a thread hop per statement.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a worker thread and hands the result
back through the event loop: about thirty hops for one bot update, which cost far more than the SQL itself
(a statement on a local WAL database takes microseconds). This module offers the same interface as
aiosqlite, for SQLAlchemy's `sqlite+aiosqlite` dialect (`async_creator`), but runs each call at once on the
event loop's thread.

Waiting for a lock is the one thing that must not block the loop: the connection's own busy timeout is 0,
and a statement refused with "database is locked" is retried after an asyncio sleep, so the transaction
holding the lock (in this process or another) can finish meanwhile. A refused statement has done nothing,
so running it again is safe; every write transaction here starts with BEGIN IMMEDIATE (see `ughi.db`), so
the lock is taken at its first statement and never half-way through.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

LOCK_WAIT_SECONDS = 30.0
FIRST_PAUSE = 0.0005
LONGEST_PAUSE = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    message = str(error).lower()
    return "database is locked" in message or "database table is locked" in message


async def _patiently(call: Callable[[], Any]) -> Any:
    """Run `call` now; while the database is locked by someone else, let the loop run and try again."""
    try:
        return call()
    except sqlite3.OperationalError as error:
        if not _is_busy(error):
            raise
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = FIRST_PAUSE
    while True:
        await asyncio.sleep(pause)
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() > deadline:
                raise
        pause = min(pause * 2, LONGEST_PAUSE)


class Cursor:
    """aiosqlite.Cursor's interface over a sqlite3 cursor."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        await _patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> Cursor:
        rows = list(parameters)
        await _patiently(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class Connection:
    """aiosqlite.Connection's interface over a sqlite3 connection used on the event loop's thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # SQLAlchemy's adapter checks this

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await _patiently(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


def connector(path: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: connections in autocommit mode (we send BEGIN ourselves)."""

    async def connect() -> Connection:
        raw = sqlite3.connect(
            path,
            timeout=0,  # never wait inside SQLite: _patiently waits on the event loop instead
            isolation_level=None,
            check_same_thread=False,  # SQLAlchemy may close a connection from the garbage collector
        )
        return Connection(raw)

    return connect
