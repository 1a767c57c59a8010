"""The flows in use: the current files, and every version a run under way may still need."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import Flow, flow_from_dict, load_flows
from bot.flows.models import FlowVersion
from bot.flows.schema import FLOWS_DIR
from ughi.db import utcnow


class FlowCatalog:
    """Current flows by id; older versions come back from the database, where each version is kept."""

    def __init__(self, directory: Path = FLOWS_DIR) -> None:
        self.current = load_flows(directory)
        self._versions: dict[tuple[str, int], Flow] = {(f.id, f.version): f for f in self.current.values()}

    def ordered(self) -> list[Flow]:
        return list(self.current.values())

    async def remember(self, session: AsyncSession, flow: Flow) -> None:
        """Keep this version's definition, so runs started on it can finish after the file changes."""
        upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            upsert(FlowVersion)
            .values(flow_id=flow.id, version=flow.version, definition=dict(flow.definition), created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["flow_id", "version"])
        )

    async def version(self, session: AsyncSession, flow_id: str, version: int) -> Flow | None:
        cached = self._versions.get((flow_id, version))
        if cached is not None:
            return cached
        definition = await session.scalar(
            select(FlowVersion.definition).where(FlowVersion.flow_id == flow_id, FlowVersion.version == version)
        )
        if definition is None:
            return self.current.get(flow_id)
        flow = flow_from_dict(definition, f"{flow_id} v{version} (stored)")
        self._versions[(flow_id, version)] = flow
        return flow
