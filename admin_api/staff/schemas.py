"""Staff accounts as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from admin_api.params import InputModel

Role = Literal["admin", "editor", "counsellor"]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Password = Annotated[str, Field(min_length=10, max_length=1024)]
CentreId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Name = Annotated[str, Field(max_length=200)]
TelegramId = Annotated[int, Field(gt=0, lt=2**53)]  # BIGINT column


class StaffCreate(InputModel):
    email: Email
    role: Role
    password: Password
    centre_id: CentreId | None = None
    name: Name = ""
    telegram_user_id: TelegramId | None = None


class StaffUpdate(InputModel):
    """Every field optional; only the fields sent change."""

    email: Email | None = None
    role: Role | None = None
    password: Password | None = None
    centre_id: CentreId | None = None
    name: Name | None = None
    active: bool | None = None
    telegram_user_id: TelegramId | None = None


class StaffSelfUpdate(StaffUpdate):
    """A staff member's own account: name and password; the rest is the admins' to set (refused here)."""

    current_password: Annotated[str, Field(max_length=1024)] | None = None


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: str
    centre_id: str | None
    active: bool
    telegram_user_id: int | None
    created_at: datetime
