"""Cursor pagination shared by every list: a capped page size and an opaque cursor for the next page."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from admin_api.problems import Problem

T = TypeVar("T")
MAX_PAGE = 100

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"page size, at most {MAX_PAGE}")]
Cursor = Annotated[
    str | None, Query(max_length=512, pattern=r"^[A-Za-z0-9_-]*$", description="`next_cursor` of the page before")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class BadCursor(Problem):
    status, slug, title = 400, "bad-cursor", "The cursor is not one this list gave out"


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: type) -> list[Any] | None:
    """The values in `cursor`, checked against `types`; None for the first page."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise BadCursor() from exc
    if not isinstance(values, list) or len(values) != len(types):
        raise BadCursor()
    for value, kind in zip(values, types, strict=True):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BadCursor()
    return values


def page_of(rows: list[T], limit: int, cursor_of: Any) -> tuple[list[T], str | None]:
    """Split a query result fetched with `limit + 1` rows into the page and the next cursor."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(*cursor_of(page[-1]))
