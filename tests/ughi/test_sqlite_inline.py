"""SQLite on the event loop's thread: statements run at once, and a locked database is waited for without
blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from ughi import sqlite_inline
from ughi.db import make_engine, make_sessionmaker, reading, transaction


async def test_a_write_waits_for_another_connections_lock_while_the_loop_runs(tmp_path: Path) -> None:
    path = tmp_path / "locks.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def release_later() -> None:
        await asyncio.sleep(0.2)
        holder.execute("COMMIT")

    async def write() -> None:
        async with engine.begin() as conn:  # BEGIN IMMEDIATE: refused until the holder commits
            await conn.execute(text("INSERT INTO t VALUES (2)"))

    beat = asyncio.create_task(ticker())
    try:
        await asyncio.gather(release_later(), write())
    finally:
        beat.cancel()
    assert ticks >= 10  # the loop kept running while the write waited
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all() == [1, 2]
    holder.close()
    await engine.dispose()


async def test_a_lock_never_released_ends_in_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "LOCK_WAIT_SECONDS", 0.2)
    path = tmp_path / "stuck.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(Exception, match="database is locked"):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2)"))
    holder.execute("ROLLBACK")
    holder.close()
    async with engine.begin() as conn:  # the pool's connection is still usable afterwards
        await conn.execute(text("INSERT INTO t VALUES (3)"))
    await engine.dispose()


async def test_errors_other_than_locks_are_raised_at_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}")
    with pytest.raises(Exception, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM missing"))
    await engine.dispose()


async def test_a_read_leaves_the_write_lock_when_its_block_ends(tmp_path: Path) -> None:
    """Every SQLite transaction here takes the write lock at BEGIN. AsyncSession closes itself in a task of its own,
    so other tasks run while a plain read session still holds the lock (under load, writers polled for it for
    seconds); `reading` ends the transaction with the block."""
    path = tmp_path / "reads.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    sessions = make_sessionmaker(engine)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    seen: list[str] = []

    def another_writer() -> None:  # another task's turn, right after the reader's block
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            seen.append(str(err))
            return
        other.execute("ROLLBACK")
        seen.append("free")

    try:
        async with sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            asyncio.get_running_loop().call_soon(another_writer)
        async with reading(sessions) as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
            asyncio.get_running_loop().call_soon(another_writer)
        await asyncio.sleep(0)
    finally:
        other.close()
        await engine.dispose()
    assert seen == ["database is locked", "free"]


async def test_writers_go_on_while_a_read_is_open(tmp_path: Path) -> None:
    """A long read (the content refresh reads a large knowledge base chunk by chunk, with other work between
    chunks) takes no lock: writes in the meantime are not held up, and the read sees what it began with."""
    path = tmp_path / "long-read.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))
    sessions = make_sessionmaker(engine)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        async with reading(sessions) as session:
            first = (await session.execute(text("SELECT count(*) FROM t"))).scalar()
            other.execute("BEGIN IMMEDIATE")  # would be refused at once if the read held the write lock
            other.execute("INSERT INTO t VALUES (2)")
            other.execute("COMMIT")
            async with transaction(sessions) as writer:  # a writer of this process too
                await writer.execute(text("INSERT INTO t VALUES (3)"))
            again = (await session.execute(text("SELECT count(*) FROM t"))).scalar()
        async with reading(sessions) as session:
            after = (await session.execute(text("SELECT count(*) FROM t"))).scalar()
    finally:
        other.close()
        await engine.dispose()
    assert (first, again, after) == (1, 1, 3)
