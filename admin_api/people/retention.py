"""The retention period: transcripts and unfinished intakes older than it are deleted by a periodic job."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.models import FlowRun
from bot.models import TranscriptEntry
from ughi.db import transaction, utcnow
from ughi.services import Services

log = logging.getLogger(__name__)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_expired(session: AsyncSession, *, now: datetime, days: int) -> dict[str, int]:
    """Delete messages and intakes never submitted that are older than `days`; returns how many."""
    cutoff = now - timedelta(days=days)
    messages = await session.execute(delete(TranscriptEntry).where(TranscriptEntry.created_at < cutoff))
    intakes = await session.execute(delete(FlowRun).where(FlowRun.status != "submitted", FlowRun.updated_at < cutoff))
    return {"transcript": _count(messages), "intakes": _count(intakes)}


async def keep_retention(services: Services, stop: asyncio.Event) -> None:
    """Apply the retention period now and then every `retention_interval_seconds` until `stop` is set.

    Several replicas may run it at once: deleting what is already gone is harmless."""
    settings = services.settings
    while not stop.is_set():
        try:
            async with transaction(services.sessions) as session:
                counts = await purge_expired(session, now=utcnow(), days=settings.retention_days)
            if any(counts.values()):
                log.info("retention: deleted %(transcript)d messages and %(intakes)d unfinished intakes", counts)
        except Exception:  # a database hiccup must not stop the job; it runs again next time
            log.exception("retention job failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.retention_interval_seconds)
