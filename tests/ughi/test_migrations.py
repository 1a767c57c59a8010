"""Migrations are the only way the schema changes: after `upgrade head` the models match exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

import admin_api.models  # noqa: F401  (registers tables)
import bot.flows.models
import bot.models  # noqa: F401  (registers tables)
import knowledge.editing_models
import knowledge.models  # noqa: F401  (registers tables)
import leads.models  # noqa: F401  (registers tables)
from ughi.db import Base, make_engine, upgrade
from ughi.settings import Settings


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_the_migrated_schema(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        await upgrade(engine)
        await upgrade(engine)  # running it again is harmless
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()
