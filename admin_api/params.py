"""Shapes of what clients send: ids within the database's range, text a database can store, aware datetimes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_INT = 2**31 - 1  # INTEGER columns on PostgreSQL
ARTICLE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,55}$"
TOPIC_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
LANG_PATTERN = r"^[a-z]{2,3}$"


def storable(value: str) -> str:
    """Refuse text no database column can hold: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


def _check_strings(data: Any) -> None:
    if isinstance(data, str):
        storable(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            _check_strings(key)
            _check_strings(value)
    elif isinstance(data, list | tuple):
        for item in data:
            _check_strings(item)


class InputModel(BaseModel):
    """Base of request bodies: unknown fields are refused, every string must be storable."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_strings(cls, data: Any) -> Any:
        _check_strings(data)
        return data


Text = Annotated[str, AfterValidator(storable)]
IntId = Annotated[int, Path(ge=1, le=MAX_INT)]
IntValue = Annotated[int, Field(ge=1, le=MAX_INT)]
ArticleIdPath = Annotated[str, Path(pattern=ARTICLE_ID_PATTERN)]
TopicIdPath = Annotated[str, Path(pattern=TOPIC_ID_PATTERN)]
LangPath = Annotated[str, Path(pattern=LANG_PATTERN)]
ArticleId = Annotated[str, Field(pattern=ARTICLE_ID_PATTERN)]
TopicId = Annotated[str, Field(pattern=TOPIC_ID_PATTERN)]
Lang = Annotated[str, Field(pattern=LANG_PATTERN)]
