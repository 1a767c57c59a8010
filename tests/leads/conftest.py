"""Fixtures for lead tests: a session in a transaction on a migrated database, a person and staff accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.flows.models  # noqa: F401  (registers the tables leads refer to)
from bot.models import Contact
from leads import service
from leads.models import Lead, StaffMember
from leads.routing import CentreTarget
from ughi.db import make_engine, make_sessionmaker, upgrade
from ughi.settings import Settings

GYUMRI = CentreTarget(id="shirak-gyumri", region="shirak", response_days=2)
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 12:00 in Yerevan


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database and nothing else: leads need no content, search or engine."""
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        await upgrade(engine)
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as db, db.begin():
        yield db


@pytest.fixture
async def contact(session: AsyncSession) -> Contact:
    person = Contact(channel="telegram", external_id="5001", language="ru")
    session.add(person)
    await session.flush()
    return person


async def add_staff(
    session: AsyncSession, name: str, telegram_user_id: int | None, role: str = "counsellor"
) -> StaffMember:
    member = StaffMember(
        email=f"{name.lower()}@mrc.example", name=name, role=role, telegram_user_id=telegram_user_id, active=True
    )
    session.add(member)
    await session.flush()
    return member


@pytest.fixture
async def anna(session: AsyncSession) -> StaffMember:
    return await add_staff(session, "Anna", 9001)


@pytest.fixture
async def lead(session: AsyncSession, contact: Contact) -> Lead:
    return await new_lead(session, contact.id)


async def new_lead(
    session: AsyncSession,
    contact_id: int | None,
    *,
    now: datetime = MONDAY,
    centre: CentreTarget | None = GYUMRI,
    source: str = "intake:work-abroad",
    summary: dict[str, object] | None = None,
) -> Lead:
    return await service.create_lead(
        session,
        contact_id=contact_id,
        source=source,
        flow_id="work-abroad" if source.startswith("intake:") else None,
        language="ru",
        region="shirak",
        topic="work",
        summary={"destination": "Russia", "documents": ["passport"]} if summary is None else summary,
        score=0.8,
        reason="plans to leave within 3 months",
        centre=centre,
        now=now,
    )


async def bare_lead(session: AsyncSession, contact_id: int | None, language: str) -> Lead:
    """A lead from "talk to a counsellor" with nothing else known: no intake, region, centre or summary."""
    return await service.create_lead(
        session,
        contact_id=contact_id,
        source="counsellor",
        flow_id=None,
        language=language,
        region=None,
        topic=None,
        summary={},
        score=0.0,
        reason="",
        centre=None,
    )
