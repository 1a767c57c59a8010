"""Fixtures of the admin API tests: the whole app on a real database, staff of every role with tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from admin_api.auth.passwords import hash_password_sync
from admin_api.auth.tokens import make_access_token
from leads.models import StaffMember
from ughi.app import create_app
from ughi.db import transaction
from ughi.services import Services
from ughi.settings import Settings

CONTENT = Path(__file__).parent / "content"
PASSWORD = "correct horse battery staple"
CENTRE = "yerevan"
OTHER_CENTRE = "shirak-gyumri"


@cache
def password_hash() -> str:
    return hash_password_sync(PASSWORD)  # hashing is slow on purpose: once per test run


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    role: str
    centre_id: str | None
    headers: dict[str, str]


@pytest.fixture
def small_settings(settings: Settings) -> Settings:
    """The test database with a small copy of the shipped content (five articles), which loads faster."""
    return settings.model_copy(update={"content_dir": CONTENT})


@pytest.fixture
async def app(small_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(small_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def services(app: FastAPI) -> Services:
    started: Services = app.state.services
    return started


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ughi.test/api/v1") as http:
        yield http


async def add_staff(services: Services, email: str, role: str, centre_id: str | None = None) -> Person:
    async with transaction(services.sessions) as session:
        staff = StaffMember(
            email=email, role=role, centre_id=centre_id, password_hash=password_hash(), active=True, name=role
        )
        session.add(staff)
        await session.flush()
        token = make_access_token(staff, secret=services.settings.secret_key.get_secret_value(), minutes=15)
        return Person(staff.id, email, role, centre_id, {"Authorization": f"Bearer {token}"})


@pytest.fixture
async def staff(services: Services) -> dict[str, Person]:
    """One account of each role; "counsellor" works at CENTRE, "other_counsellor" at OTHER_CENTRE."""
    return {
        "admin": await add_staff(services, "admin@ughi.test", "admin"),
        "editor": await add_staff(services, "editor@ughi.test", "editor"),
        "counsellor": await add_staff(services, "counsellor@ughi.test", "counsellor", CENTRE),
        "other_counsellor": await add_staff(services, "other@ughi.test", "counsellor", OTHER_CENTRE),
    }
