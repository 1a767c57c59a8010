"""Time buckets in SQL (day, week starting Monday, month) on SQLite and PostgreSQL, as 'YYYY-MM-DD' text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AwareDatetime
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from admin_api.problems import InvalidInput
from ughi.db import utcnow

Period = Literal["day", "week", "month"]
DEFAULT_DAYS = 90
Since = Annotated[AwareDatetime | None, Query(description=f"default: {DEFAULT_DAYS} days before `until`")]
Until = Annotated[AwareDatetime | None, Query(description="default: now")]


def bucket(session: AsyncSession, column: Any, period: Period) -> ColumnElement[str]:
    """The first day of the `period` that `column` (a UTC time) falls in."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc(period, func.timezone("UTC", column)), "YYYY-MM-DD")
    if period == "day":
        return func.strftime("%Y-%m-%d", column)
    if period == "month":
        return func.strftime("%Y-%m-01", column)
    return func.date(column, "weekday 0", "-6 days")  # the Monday of the week (SQLite stores UTC text)


def time_range(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or utcnow()
    start = since or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInput("`since` must be before `until`")
    return start, end
