"""The retention periods, applied by a periodic job: old messages, unfinished intakes and silent people go.

- messages (the transcript) older than `transcript_retention_days`;
- intakes never submitted and untouched for `intake_retention_days`;
- received updates (the inbox, a delivery log) older than the messages' period;
- people who have not written for `retention_days`: erased as by their own "delete my data", so their requests to
  a centre stay for statistics, anonymised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import erasure
from bot.flows.models import FlowRun
from bot.models import Contact, InboxUpdate, TranscriptEntry
from ughi.db import transaction, utcnow
from ughi.services import Services
from ughi.settings import Settings

log = logging.getLogger(__name__)
PEOPLE_PER_ROUND = 200  # erasures in one transaction; the job goes on at once while more are due


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_expired(
    session: AsyncSession, *, now: datetime, days: int, intake_days: int | None = None
) -> dict[str, int]:
    """Delete messages older than `days` and intakes never submitted untouched for `intake_days` (by default
    `days`); returns how many."""
    cutoff = now - timedelta(days=days)
    intake_cutoff = now - timedelta(days=intake_days or days)
    messages = await session.execute(delete(TranscriptEntry).where(TranscriptEntry.created_at < cutoff))
    intakes = await session.execute(
        delete(FlowRun).where(FlowRun.status != "submitted", FlowRun.updated_at < intake_cutoff)
    )
    return {"transcript": _count(messages), "intakes": _count(intakes)}


async def erase_silent_people(session: AsyncSession, *, now: datetime, days: int, limit: int = PEOPLE_PER_ROUND) -> int:
    """Erase up to `limit` people who have not written for `days`; returns how many."""
    cutoff = now - timedelta(days=days)
    silent = list(
        await session.scalars(select(Contact.id).where(Contact.last_seen < cutoff).order_by(Contact.id).limit(limit))
    )
    for contact_id in silent:
        await erasure.erase_contact(session, contact_id=contact_id)
    return len(silent)


async def apply_retention(session: AsyncSession, *, settings: Settings, now: datetime) -> dict[str, int]:
    """One round of the job at the time `now`; how many of each were deleted."""
    counts = await purge_expired(session, now=now, days=settings.transcript_days, intake_days=settings.intake_days)
    updates = await session.execute(
        delete(InboxUpdate).where(InboxUpdate.received_at < now - timedelta(days=settings.transcript_days))
    )
    counts["inbox"] = _count(updates)
    counts["people"] = await erase_silent_people(session, now=now, days=settings.retention_days)
    return counts


async def keep_retention(services: Services, stop: asyncio.Event, *, clock: Callable[[], datetime] = utcnow) -> None:
    """Apply the retention periods now and then every `retention_interval_seconds` until `stop` is set.

    Several replicas may run it at once: deleting what is already gone is harmless."""
    settings = services.settings
    while not stop.is_set():
        more = False
        try:
            async with transaction(services.sessions) as session:
                counts = await apply_retention(session, settings=settings, now=clock())
            more = counts["people"] >= PEOPLE_PER_ROUND
            if any(counts.values()):
                log.info(
                    "retention: deleted %(transcript)d messages, %(intakes)d unfinished intakes and %(inbox)d "
                    "received updates; erased %(people)d people who had not written for a long time",
                    counts,
                )
        except Exception:  # a database hiccup must not stop the job; it runs again next time
            log.exception("retention job failed")
        if more:
            continue
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.retention_interval_seconds)
