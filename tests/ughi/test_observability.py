"""Operating Ughi: JSON logs without people's data, /healthz, /readyz and /metrics (content and who may read it)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.flows import load_flows
from leads.models import OutboxMessage
from leads.outbox import STAFF, enqueue
from tests.bot.test_web_flows import Web, walk
from tests.flow_walker import EMAIL, PHONE, PHONE_E164, QUALIFY, SAMPLE_TEXT, store_flow_versions
from ughi import logs
from ughi.app import create_app
from ughi.db import make_sessionmaker, transaction, utcnow
from ughi.logs import CHATTY_LOGGERS, configure_logging, pseudonym
from ughi.metrics import REGISTRY
from ughi.services import Services
from ughi.settings import Settings

SMALL_CONTENT = Path(__file__).parents[1] / "admin_api" / "content"
LOOPBACK = ("127.0.0.1", 50000)
ELSEWHERE = ("203.0.113.7", 50000)
OUR_METRICS = (
    "ughi_updates_handled",
    "ughi_update_seconds",
    "ughi_search_decisions",
    "ughi_leads_created",
    "ughi_outbox_lag_seconds",
    "ughi_telegram_errors",
    "ughi_flood_slowdowns",
)


@dataclasses.dataclass
class JsonLog:
    """What the process logged, line by line."""

    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        parsed = []
        for line in self.text.splitlines():
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"a log line is not JSON: {line!r}")
        return parsed


@pytest.fixture
def json_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[JsonLog]:
    """Logging configured as `ughi serve` does (INFO), into a buffer; the process's logging is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    monkeypatch.setattr(logs, "_pseudonym_key", None)
    stream = io.StringIO()
    configure_logging(Settings(_env_file=None, env="test"), level=logging.INFO, stream=stream)
    try:
        yield JsonLog(stream)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in chatty.items():
            logging.getLogger(name).setLevel(old)
        structlog.reset_defaults()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"content_dir": SMALL_CONTENT}))
    async with application.router.lifespan_context(application):
        yield application


def client(app: FastAPI, *, peer: tuple[str, int] = LOOPBACK) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url="http://ughi.test")


async def queue_for_staff(services: Services, *, age: timedelta) -> int:
    async with transaction(services.sessions) as session:
        message = await enqueue(session, kind="lead_card", payload={"to": STAFF}, now=utcnow() - age)
        return message.id


# ---- logs -------------------------------------------------------------------------------------------------


def test_standard_library_records_come_out_as_one_json_object_per_line(json_log: JsonLog) -> None:
    logging.getLogger("knowledge.service").info("knowledge index rebuilt: %d articles", 64)
    try:
        raise RuntimeError("the index\nbroke")
    except RuntimeError:
        logging.getLogger("ughi.services").exception("content refresh failed")
    logging.getLogger("ughi.services").debug("below the level: not written")
    first, second = json_log.lines()
    assert first["event"] == "knowledge index rebuilt: 64 articles"
    assert (first["level"], first["logger"]) == ("info", "knowledge.service")
    assert first["timestamp"].endswith("Z") and first["timestamp"][:4].isdigit()
    assert (second["level"], second["event"]) == ("error", "content refresh failed")
    assert "RuntimeError: the index\nbroke" in second["exception"] and "Traceback" in second["exception"]


def test_extra_fields_and_structlog_loggers_become_json_keys(json_log: JsonLog) -> None:
    contact = pseudonym("telegram", "123456789")
    logging.getLogger("bot.channels.telegram").warning("reply not sent", extra={"contact": contact, "attempt": 3})
    structlog.get_logger("ughi.test").info("lead created", lead_id=7, contact=contact)
    stdlib, structured = json_log.lines()
    assert stdlib["contact"] == contact and stdlib["attempt"] == 3 and stdlib["logger"] == "bot.channels.telegram"
    assert structured["event"] == "lead created" and structured["lead_id"] == 7 and structured["level"] == "info"
    assert "123456789" not in json_log.text


@pytest.mark.parametrize(
    "phone",
    ["+37491234567", "+374 91 234567", "+374 (91) 23-45-67", "+7 916 123-45-67", "+44 20 7946 0958", "+1.202.555.0143"],
)
def test_phone_numbers_are_masked_wherever_they_appear(json_log: JsonLog, phone: str) -> None:
    log = logging.getLogger("ughi.test")
    log.warning("person typed %s", phone)
    log.warning("answer stored", extra={"value": phone})
    try:
        raise ValueError(f"not a number: {phone}")
    except ValueError:
        log.exception("parse failed")
    assert len(json_log.lines()) == 3 and json_log.text.count(logs.PHONE_MASK) == 3
    assert phone not in json_log.text and "".join(c for c in phone if c.isdigit()) not in json_log.text
    assert logs.PHONE.search(json_log.text) is None


def test_numbers_that_are_not_phone_numbers_stay(json_log: JsonLog) -> None:
    logging.getLogger("ughi.test").info("update %d, lead %s, score +12.5, version 3.31.0, +123456", 912345678, 42)
    [line] = json_log.lines()
    assert line["event"] == "update 912345678, lead 42, score +12.5, version 3.31.0, +123456"


def test_a_bot_token_in_a_logged_url_is_masked(json_log: JsonLog) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
    logging.getLogger("aiohttp.client").warning("POST https://api.telegram.org/bot%s/sendMessage failed", token)
    assert token not in json_log.text and logs.TOKEN_MASK in json_log.lines()[0]["event"]


def test_chatty_http_client_loggers_are_kept_below_info(json_log: JsonLog) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:x/getUpdates")
    assert json_log.text == ""


def test_the_pseudonym_is_a_keyed_stable_short_hash(json_log: JsonLog) -> None:
    settings = Settings(_env_file=None, env="test", secret_key=SecretStr("a key for the pseudonyms 1"))
    configure_logging(settings, stream=json_log.stream)
    first = pseudonym("telegram", "123456789")
    expected = hmac.new(b"a key for the pseudonyms 1", b"telegram:123456789", hashlib.sha256).hexdigest()[:16]
    assert first == expected == pseudonym("telegram", "123456789")
    assert len(first) == 16 and set(first) <= set("0123456789abcdef")
    assert pseudonym("web", "123456789") != first and pseudonym("telegram", "123456780") != first
    configure_logging(settings.model_copy(update={"secret_key": SecretStr("another key, 16+ chars")}))
    assert pseudonym("telegram", "123456789") != first


async def test_a_web_conversation_logs_json_without_the_persons_words_or_numbers(
    settings: Settings, json_log: JsonLog
) -> None:
    """Someone walks the job-seeker intake on the web chat (typing a phone number, an e-mail and answers) and
    asks a free question: the log has a JSON line for each request, and none of what they typed."""
    created = REGISTRY.get_sample_value("ughi_leads_created_total") or 0.0
    application = create_app(settings)
    async with application.router.lifespan_context(application), client(application) as http:
        web = Web(http, application.state.services)
        await store_flow_versions(web.services)
        await walk(web, load_flows()["job_seeker"], "en", QUALIFY)
        question = {"session": "observed-session-000001", "text": "my passport qqzzxmarker, call +37499887766"}
        assert (await http.post("/chat/messages", json=question)).status_code == 200
    assert REGISTRY.get_sample_value("ughi_leads_created_total") == created + 1
    lines = json_log.lines()
    requests = [line for line in lines if line["logger"] == "ughi.http"]
    assert len(requests) > 10 and all(line["path"] == "/chat/messages" for line in requests)
    assert all({"timestamp", "level", "logger", "event"} <= line.keys() for line in lines)
    typed = ("qqzzxmarker", EMAIL, SAMPLE_TEXT["en"], PHONE, PHONE_E164, "91234567", "+37499887766", "99887766")
    for secret in (*typed, "observed-session-000001", "web-job-seeker"):
        assert secret not in json_log.text


async def test_the_access_log_leaves_out_query_strings(app: FastAPI, json_log: JsonLog) -> None:
    async with client(app) as http:
        res = await http.get("/api/v1/contacts", params={"channel": "telegram", "external_id": "987654321"})
    assert res.status_code == 401
    [line] = [line for line in json_log.lines() if line["logger"] == "ughi.http"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/contacts", 401)
    assert "987654321" not in json_log.text and "external_id" not in json_log.text


async def test_probes_are_logged_below_info(app: FastAPI, json_log: JsonLog) -> None:
    async with client(app) as http:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await http.get(path)).status_code == 200
    assert [line for line in json_log.lines() if line["logger"] == "ughi.http"] == []


# ---- health and readiness ---------------------------------------------------------------------------------


async def test_healthz_says_the_process_is_alive_even_before_the_database() -> None:
    unstarted = create_app(Settings(_env_file=None, env="test"))
    async with client(unstarted) as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    assert ready.status_code == 503 and ready.json()["failed"] == ["database"]


async def test_readyz_when_the_database_answers_and_the_outbox_is_empty(app: FastAPI) -> None:
    async with client(app) as http:
        res = await http.get("/readyz")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "ready" and body["checks"] == {"database": "ok", "outbox": "ok"}
    assert body["failed"] == [] and body["outbox_lag_seconds"] == 0 and body["max_outbox_lag_seconds"] == 300


async def test_readyz_fails_while_an_outbox_message_waits_longer_than_the_threshold(app: FastAPI) -> None:
    services: Services = app.state.services
    await queue_for_staff(services, age=timedelta(seconds=30))  # young: still ready
    async with client(app) as http:
        young = await http.get("/readyz")
        stale_id = await queue_for_staff(services, age=timedelta(hours=2))
        stale = await http.get("/readyz")
        async with transaction(services.sessions) as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == stale_id).values(sent_at=utcnow()))
        sent = await http.get("/readyz")
    assert young.status_code == 200 and 30 <= young.json()["outbox_lag_seconds"] < 300
    assert stale.status_code == 503
    body = stale.json()
    assert body["status"] == "not ready" and body["failed"] == ["outbox"] and body["checks"]["database"] == "ok"
    assert body["outbox_lag_seconds"] >= 7200 and "lagging" in body["checks"]["outbox"]
    assert sent.status_code == 200 and sent.json()["outbox_lag_seconds"] < 300


async def test_readyz_fails_when_the_database_does_not_answer(app: FastAPI) -> None:
    started: Services = app.state.services
    dead = create_async_engine("postgresql+asyncpg://ughi@127.0.0.1:1/ughi")  # nothing listens on port 1
    app.state.services = dataclasses.replace(started, db=dead, sessions=make_sessionmaker(dead))
    try:
        async with client(app) as http:
            res = await http.get("/readyz")
    finally:
        app.state.services = started
        await dead.dispose()
    assert res.status_code == 503
    body = res.json()
    assert body["failed"] == ["database"] and body["checks"]["database"].startswith("failed: ")
    assert body["outbox_lag_seconds"] is None


async def test_the_probes_are_in_no_openapi_schema(app: FastAPI) -> None:
    async with client(app) as http:
        schemas = [(await http.get(path)).json() for path in ("/openapi.json", "/api/v1/openapi.json")]
    paths = {path for schema in schemas for path in schema["paths"]}
    assert paths and not paths & {"/healthz", "/readyz", "/metrics"}
    assert not any(path.endswith(("healthz", "readyz", "metrics")) for path in paths)


# ---- metrics ----------------------------------------------------------------------------------------------


def samples(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


async def test_metrics_in_prometheus_text_with_the_outbox_lag_measured_at_scrape(app: FastAPI) -> None:
    await queue_for_staff(app.state.services, age=timedelta(hours=1))
    async with client(app) as http:
        res = await http.get("/metrics")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/plain")
    families = {family.name for family in text_string_to_metric_families(res.text)}
    assert set(OUR_METRICS) <= families
    assert {"process_resident_memory_bytes", "process_cpu_seconds", "python_info"} <= families
    values = samples(res.text)
    assert values["ughi_outbox_lag_seconds"] >= 3600
    assert values["ughi_leads_created_total"] >= 0


async def test_metrics_are_served_to_loopback_only_without_a_token() -> None:
    app = create_app(Settings(_env_file=None, env="test"))
    for peer in (("127.0.0.1", 1), ("::1", 1), ("testclient", 1)):
        async with client(app, peer=peer) as http:
            assert (await http.get("/metrics")).status_code == 200, peer
    async with client(app, peer=ELSEWHERE) as http:
        refused = await http.get("/metrics")
    assert refused.status_code == 403 and "ughi_" not in refused.text
    assert refused.headers["content-type"] == "application/problem+json"


async def test_metrics_need_the_bearer_token_when_one_is_set() -> None:
    token = "scrape-token-0123456789"
    app = create_app(Settings(_env_file=None, env="test", metrics_token=SecretStr(token)))
    async with client(app, peer=LOOPBACK) as local, client(app, peer=ELSEWHERE) as remote:
        no_token = await local.get("/metrics")
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456780"})
        basic = await remote.get("/metrics", headers={"Authorization": f"Basic {token}"})
        right = await remote.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    for refused in (no_token, wrong, basic):
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "ughi_" not in refused.text
    assert right.status_code == 200 and "ughi_outbox_lag_seconds" in right.text


def test_an_empty_metrics_token_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGHI_METRICS_TOKEN", "")
    monkeypatch.setenv("UGHI_READY_MAX_OUTBOX_LAG_SECONDS", "60")
    monkeypatch.setenv("UGHI_LOG_LEVEL", "warning")
    settings = Settings(_env_file=None)
    assert settings.metrics_token is None
    assert settings.ready_max_outbox_lag_seconds == 60 and settings.log_level == "WARNING"
