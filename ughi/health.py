"""Operating endpoints: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_api.problems import problem_response
from leads.models import OutboxMessage
from ughi.db import reading, utcnow
from ughi.metrics import OUTBOX_LAG, REGISTRY
from ughi.services import Services
from ughi.settings import Settings

log = logging.getLogger(__name__)

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
LOOPBACK_CLIENTS = frozenset({"127.0.0.1", "::1", "testclient"})  # "testclient": Starlette's TestClient
CHECK_TIMEOUT_SECONDS = 5.0  # a probe that hangs is worse than one that fails


@dataclass
class Readiness:
    """What /readyz answers: each check "ok" or why not, and the outbox lag when it could be measured."""

    max_outbox_lag_seconds: float
    checks: dict[str, str] = field(default_factory=dict)
    outbox_lag_seconds: float | None = None

    @property
    def failed(self) -> list[str]:
        return [name for name, result in self.checks.items() if result != "ok"]

    def body(self) -> dict[str, object]:
        return {
            "status": "not ready" if self.failed else "ready",
            "checks": self.checks,
            "failed": self.failed,
            "outbox_lag_seconds": self.outbox_lag_seconds,
            "max_outbox_lag_seconds": self.max_outbox_lag_seconds,
        }


async def oldest_unsent_lag(session: AsyncSession, now: datetime) -> float:
    """Seconds since the oldest message still waiting in the outbox was queued (0 when none waits)."""
    oldest = await session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.sent_at.is_(None)))
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


async def measure_outbox_lag(sessions: async_sessionmaker[AsyncSession]) -> float:
    async with reading(sessions) as session:
        return await asyncio.wait_for(oldest_unsent_lag(session, utcnow()), CHECK_TIMEOUT_SECONDS)


async def check_readiness(services: Services | None, settings: Settings) -> Readiness:
    """The database answers `SELECT 1`, and the outbox is not older than UGHI_READY_MAX_OUTBOX_LAG_SECONDS."""
    limit = settings.ready_max_outbox_lag_seconds
    ready = Readiness(max_outbox_lag_seconds=limit)
    if services is None:
        ready.checks["database"] = "not started"
        return ready
    async with reading(services.sessions) as session:
        try:
            await asyncio.wait_for(session.execute(text("SELECT 1")), CHECK_TIMEOUT_SECONDS)
        except Exception as err:
            log.warning("readiness: the database did not answer (%s)", type(err).__name__)
            ready.checks["database"] = f"failed: {type(err).__name__}"
            return ready
        ready.checks["database"] = "ok"
        try:
            lag = await asyncio.wait_for(oldest_unsent_lag(session, utcnow()), CHECK_TIMEOUT_SECONDS)
        except Exception as err:
            log.warning("readiness: the outbox could not be read (%s)", type(err).__name__)
            ready.checks["outbox"] = f"failed: {type(err).__name__}"
            return ready
    OUTBOX_LAG.set(lag)
    ready.outbox_lag_seconds = round(lag, 3)
    ready.checks["outbox"] = "ok" if lag < limit else f"lagging: the oldest unsent message is {lag:.0f}s old"
    return ready


def metrics_refusal(request: Request, settings: Settings) -> Response | None:
    """None when `request` may read /metrics: the bearer token when one is set, else from loopback only."""
    if settings.metrics_token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = settings.metrics_token.get_secret_value()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode()):
            return None
        return problem_response(
            request,
            status=401,
            slug="unauthenticated",
            title="Metrics need the bearer token",
            detail="send Authorization: Bearer <UGHI_METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    host = request.client.host if request.client else ""
    if host in LOOPBACK_CLIENTS:
        return None
    return problem_response(
        request,
        status=403,
        slug="forbidden",
        title="Metrics are served to this machine only",
        detail="set UGHI_METRICS_TOKEN to read them from elsewhere",
    )


def health_router(settings: Settings) -> APIRouter:
    """The three probes; none is in the OpenAPI schema."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive and serving HTTP; says nothing of the database."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        ready = await check_readiness(getattr(request.app.state, "services", None), settings)
        return JSONResponse(ready.body(), status_code=503 if ready.failed else 200)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        refusal = metrics_refusal(request, settings)
        if refusal is not None:
            return refusal
        services: Services | None = getattr(request.app.state, "services", None)
        if services is not None:
            try:
                OUTBOX_LAG.set(await measure_outbox_lag(services.sessions))
            except Exception as err:  # the other metrics are still worth serving; the gauge keeps its last value
                log.warning("metrics: the outbox lag could not be measured (%s)", type(err).__name__)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
