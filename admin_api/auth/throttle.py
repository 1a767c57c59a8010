"""Failed logins slow an attacker down: too many for one account from one address, or from one address."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.models import LoginThrottle
from admin_api.problems import TooManyAttempts

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 20


def rules(email: str, ip: str) -> list[tuple[str, int]]:
    """The counters one login attempt counts in, each with the failures it allows per window."""
    return [(f"login:{email.lower()[:254]}|{ip[:64]}", PER_ACCOUNT_AND_ADDRESS), (f"ip:{ip[:64]}", PER_ADDRESS)]


async def check(session: AsyncSession, *, keys: list[str], now: datetime) -> None:
    """Refuse while any counter is locked, even with the right password (else guessing goes on)."""
    locked = await session.scalars(
        select(LoginThrottle.locked_until).where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now)
    )
    until = max((t for t in locked if t is not None), default=None)
    if until is not None:
        raise TooManyAttempts(retry_after=max(1, math.ceil((until - now).total_seconds())))


async def record_failure(session: AsyncSession, *, counters: list[tuple[str, int]], now: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key, allowed in counters:
        await session.execute(
            insert(LoginThrottle)
            .values(key=key, failures=0, window_started_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = await session.scalar(
            select(LoginThrottle)
            .where(LoginThrottle.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        if row.window_started_at <= now - WINDOW:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= allowed:
            row.locked_until = now + LOCK
    await session.flush()


async def reset(session: AsyncSession, *, key: str) -> None:
    row = await session.get(LoginThrottle, key)
    if row is not None:
        await session.delete(row)
