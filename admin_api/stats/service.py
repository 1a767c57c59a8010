"""Statistics: contacts over time, intake funnels with the drop-off step, leads by status and centre, search."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.stats.buckets import Period, bucket
from bot.flows.models import FlowRun
from bot.models import Contact, TranscriptEntry
from knowledge.models import ArticleFeedback, UnansweredQuestion
from leads.models import Lead

log = logging.getLogger(__name__)


async def contacts_over_time(
    session: AsyncSession, *, since: datetime, until: datetime, period: Period
) -> list[dict[str, Any]]:
    """New contacts per period, channel and language."""
    day = bucket(session, Contact.first_seen, period)
    rows = await session.execute(
        select(day, Contact.channel, Contact.language, func.count())
        .where(Contact.first_seen >= since, Contact.first_seen < until)
        .group_by(day, Contact.channel, Contact.language)
        .order_by(day, Contact.channel, Contact.language)
    )
    return [{"period": p, "channel": c, "language": lang, "contacts": n} for p, c, lang, n in rows.all()]


def _step_order(flow_id: str, runs: list[FlowRun]) -> list[str]:
    """The flow file's order of steps when it can be read, else the order people met them in."""
    order: list[str] = []
    try:
        from bot.flows.schema import load_flows

        flow = load_flows().get(flow_id)
        if flow is not None:
            order = [step.id for step in flow.steps]
    except Exception:  # a broken or missing flow file must not break the statistics
        log.warning("flow %s could not be read for its step order", flow_id)
    for run in runs:
        for step in run.reached or []:
            if step not in order:
                order.append(step)
    return order


def funnel(flow_id: str, runs: list[FlowRun]) -> dict[str, Any]:
    """Started, reached each step, submitted; and the step where most of those who did not submit stopped."""
    statuses = Counter(run.status for run in runs)
    reached = Counter(step for run in runs for step in set(run.reached or []))
    stopped = Counter(run.step_id for run in runs if run.status != "submitted")
    started = len(runs)
    steps = [
        {"step": step, "reached": reached[step], "share": round(reached[step] / started, 4) if started else 0.0}
        for step in _step_order(flow_id, runs)
    ]
    drop_step, drop_count = stopped.most_common(1)[0] if stopped else (None, 0)
    return {
        "flow_id": flow_id,
        "started": started,
        "submitted": statuses["submitted"],
        "cancelled": statuses["cancelled"],
        "active": statuses["active"],
        "steps": steps,
        "drop_off": {"step": drop_step, "stopped": drop_count} if drop_step is not None else None,
    }


async def flow_funnels(session: AsyncSession, *, since: datetime, until: datetime) -> list[dict[str, Any]]:
    runs = await session.scalars(select(FlowRun).where(FlowRun.started_at >= since, FlowRun.started_at < until))
    by_flow: dict[str, list[FlowRun]] = defaultdict(list)
    for run in runs:
        by_flow[run.flow_id].append(run)
    return [funnel(flow_id, by_flow[flow_id]) for flow_id in sorted(by_flow)]


async def leads_by_status(
    session: AsyncSession, *, since: datetime, until: datetime, centre: str | None, everything: bool
) -> dict[str, Any]:
    """Leads created in the range, by centre and status, and by outcome."""
    query = select(Lead.centre_id, Lead.status, Lead.outcome, func.count()).where(
        Lead.created_at >= since, Lead.created_at < until
    )
    if not everything:
        query = query.where(Lead.centre_id == centre)
    rows = (await session.execute(query.group_by(Lead.centre_id, Lead.status, Lead.outcome))).all()
    by_status: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    by_centre: dict[str, Counter[str]] = defaultdict(Counter)
    for centre_id, status, outcome, count in rows:
        by_status[status] += count
        by_centre[centre_id or ""][status] += count
        if outcome:
            by_outcome[outcome] += count
    return {
        "total": sum(by_status.values()),
        "by_status": dict(by_status),
        "by_outcome": dict(by_outcome),
        "by_centre": [
            {"centre_id": centre_id or None, "total": sum(counts.values()), "by_status": dict(counts)}
            for centre_id, counts in sorted(by_centre.items())
        ],
    }


async def _counted(session: AsyncSession, query: Any) -> dict[str, int]:
    return {period: int(count) for period, count in (await session.execute(query)).all()}


async def search_over_time(
    session: AsyncSession, *, since: datetime, until: datetime, period: Period
) -> list[dict[str, Any]]:
    """Per period: questions typed, not answered, answered with choices; "did this help?" answers."""
    asked_at = bucket(session, TranscriptEntry.created_at, period)
    asked = await _counted(
        session,
        select(asked_at, func.count())
        .where(
            TranscriptEntry.direction == "in",
            TranscriptEntry.kind == "text",
            ~TranscriptEntry.text.startswith("/"),
            TranscriptEntry.created_at >= since,
            TranscriptEntry.created_at < until,
        )
        .group_by(asked_at),
    )
    missed: dict[str, dict[str, int]] = {}
    logged_at = bucket(session, UnansweredQuestion.created_at, period)
    for decision in ("none", "choices"):
        missed[decision] = await _counted(
            session,
            select(logged_at, func.count())
            .where(
                UnansweredQuestion.decision == decision,
                UnansweredQuestion.created_at >= since,
                UnansweredQuestion.created_at < until,
            )
            .group_by(logged_at),
        )
    rated_at = bucket(session, ArticleFeedback.created_at, period)
    feedback: dict[bool, dict[str, int]] = {}
    for helpful in (True, False):
        feedback[helpful] = await _counted(
            session,
            select(rated_at, func.count())
            .where(
                ArticleFeedback.helpful.is_(helpful),
                ArticleFeedback.created_at >= since,
                ArticleFeedback.created_at < until,
            )
            .group_by(rated_at),
        )
    periods = sorted(
        set(asked) | set(missed["none"]) | set(missed["choices"]) | set(feedback[True]) | set(feedback[False])
    )
    return [_search_row(p, asked, missed, feedback) for p in periods]


def _search_row(
    period: str, asked: dict[str, int], missed: dict[str, dict[str, int]], feedback: dict[bool, dict[str, int]]
) -> dict[str, Any]:
    questions = max(asked.get(period, 0), missed["none"].get(period, 0) + missed["choices"].get(period, 0))
    unanswered, unsure = missed["none"].get(period, 0), missed["choices"].get(period, 0)
    yes, no = feedback[True].get(period, 0), feedback[False].get(period, 0)
    return {
        "period": period,
        "questions": questions,
        "answered": questions - unanswered - unsure,
        "unsure": unsure,
        "unanswered": unanswered,
        "answer_rate": round((questions - unanswered - unsure) / questions, 4) if questions else None,
        "helpful_yes": yes,
        "helpful_no": no,
        "helpful_rate": round(yes / (yes + no), 4) if yes + no else None,
    }
