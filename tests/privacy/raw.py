"""Everything a database holds, as the bytes on disk (SQLite) or a dump of the test schema (PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from ughi.settings import Settings

PG_DUMP = next(
    (p for p in (shutil.which("pg_dump"), "/usr/lib/postgresql/15/bin/pg_dump") if p and Path(p).exists()), None
)


async def database_bytes(settings: Settings) -> bytes:
    """SQLite: the database file and its write-ahead log after a checkpoint, as stored (free pages included).
    PostgreSQL: `pg_dump` of the test's schema (its live rows, as a backup would hold them)."""
    if settings.is_sqlite:
        return _sqlite_files(Path(settings.resolved_database_url.split(":///", 1)[1]))
    return await _pg_dump(settings)


def _sqlite_files(path: Path) -> bytes:
    with sqlite3.connect(path) as connection:
        busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "the checkpoint was blocked by a reader"
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def _pg_dump(settings: Settings) -> bytes:
    assert PG_DUMP is not None, "pg_dump is needed to read what PostgreSQL holds"
    url = make_url(settings.resolved_database_url)
    assert settings.database_schema
    process = await asyncio.create_subprocess_exec(
        PG_DUMP,
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--schema",
        settings.database_schema,
        "--no-owner",
        url.database or "postgres",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode(errors="replace")
    assert b"COPY " in out, "the dump holds no table data"
    return out


def found_in(data: bytes, needles: list[str]) -> list[str]:
    """The needles (UTF-8) that occur in `data`."""
    return [needle for needle in needles if needle.encode() in data]
