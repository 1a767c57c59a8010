"""Encryption at rest: what can name a person is stored as Fernet tokens, read back as written; keys rotate;
production needs explicit keys; migration 0004 encrypts what was stored before it (and 0003 gets it back)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.flows.models import FlowRun
from bot.models import Contact, InboxUpdate, TranscriptEntry
from knowledge.models import UnansweredQuestion
from leads.models import Lead, LeadEvent, OutboxMessage
from ughi import cli, crypto
from ughi.db import MIGRATIONS, Base, make_engine, make_sessionmaker, transaction, upgrade
from ughi.services import Services
from ughi.settings import Settings, get_settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PHONE = "+37477481926"
WORDS = "Զարուհի Վարդևանյան, +374 77 481926"
PERSONAL: dict[type[Base], tuple[str, Any]] = {  # model -> (column, a value as the application holds it)
    TranscriptEntry: ("text", WORDS),
    FlowRun: ("answers", {"phone": PHONE, "occupation": WORDS}),
    Lead: ("summary", {"Phone": "+374 77 481926"}),
    LeadEvent: ("note", f"called {PHONE}"),
    OutboxMessage: ("payload", {"to": "staff", "lead_id": 1, "text": WORDS}),
    InboxUpdate: ("payload", {"message": {"from": {"id": 42, "first_name": "Զարուհի"}, "text": WORDS}}),
    UnansweredQuestion: ("text", WORDS),
}


def plain(model: type[Base]) -> sa.TableClause:
    """The model's table with its encrypted columns seen as what they store (text, JSON), to read and write raw."""
    columns = []
    for column in model.__table__.columns:
        kind = column.type
        if isinstance(kind, crypto.EncryptedText | crypto.EncryptedJSON):
            kind = kind.impl_instance
        columns.append(sa.column(column.name, kind))
    return sa.table(model.__tablename__, *columns)


ROWS: dict[type[Base], dict[str, Any]] = {  # every required column, for rows written without the ORM
    Contact: {
        "id": 1,
        "channel": "telegram",
        "external_id": "42",
        "first_seen": NOW,
        "last_seen": NOW,
        "blocked": False,
    },
    TranscriptEntry: {"id": 1, "contact_id": 1, "direction": "in", "kind": "text", "created_at": NOW},
    FlowRun: {
        "id": 1,
        "contact_id": 1,
        "flow_id": "job_seeker",
        "flow_version": 1,
        "status": "submitted",
        "step_id": "summary",
        "history": [],
        "reached": [],
        "invalid_count": 0,
        "started_at": NOW,
        "updated_at": NOW,
    },
    Lead: {
        "id": 1,
        "contact_id": 1,
        "source": "counsellor",
        "score": 0.0,
        "reason": "",
        "status": "new",
        "anonymised": False,
        "created_at": NOW,
        "updated_at": NOW,
    },
    LeadEvent: {"id": 1, "lead_id": 1, "actor": "staff", "action": "note", "created_at": NOW},
    OutboxMessage: {
        "id": 1,
        "kind": "to_staff",
        "created_at": NOW,
        "next_attempt_at": NOW,
        "attempts": 0,
        "last_error": "",
    },
    InboxUpdate: {"key": "tg:1", "received_at": NOW, "attempts": 0},
    UnansweredQuestion: {"id": 1, "decision": "none", "candidates": [], "created_at": NOW},
}


async def write_plaintext(connection: AsyncConnection) -> None:
    """Rows as stored before encryption existed."""
    for model, row in ROWS.items():
        column, value = PERSONAL.get(model, (None, None))
        await connection.execute(sa.insert(plain(model)).values({**row, **({column: value} if column else {})}))


async def stored(connection: AsyncConnection) -> dict[type[Base], Any]:
    """What each personal column holds on disk."""
    found = {}
    for model, (column, _value) in PERSONAL.items():
        found[model] = await connection.scalar(sa.select(plain(model).c[column]))
    return found


async def read_back(connection: AsyncConnection) -> dict[type[Base], Any]:
    """What the application reads from each personal column."""
    return {
        model: await connection.scalar(sa.select(model.__table__.c[column])) for model, (column, _v) in PERSONAL.items()
    }


def assert_encrypted(raw: dict[type[Base], Any]) -> None:
    for model, value in raw.items():
        assert crypto.is_token(value), f"{model.__tablename__} holds {value!r}"
        assert "481926" not in value and "Զարուհի" not in value


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set UGHI_ENCRYPTION_KEYS for everything that reads the process's settings."""

    def use(*keys: bytes) -> None:
        monkeypatch.setenv("UGHI_ENCRYPTION_KEYS", ",".join(k.decode() for k in keys))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


async def test_personal_columns_hold_tokens_and_read_back_as_written(services: Services) -> None:
    async with services.db.begin() as conn:  # through the models' own types, as the application writes
        await conn.execute(sa.insert(Contact).values(ROWS[Contact]))
        for model, row in ROWS.items():
            if model is not Contact:
                column, value = PERSONAL[model]
                numbered = {k: v for k, v in row.items() if k != "id" or model is Lead}  # later rows get the next ids
                await conn.execute(sa.insert(model).values({**numbered, column: value}))
    async with services.db.connect() as conn:
        assert_encrypted(await stored(conn))
        assert await read_back(conn) == {model: value for model, (_c, value) in PERSONAL.items()}
    async with transaction(services.sessions) as session:  # nothing to hide is stored as it is
        contact = await session.get(Contact, 1)
        assert contact is not None
        session.add_all(
            [
                TranscriptEntry(contact_id=1, direction="in", kind="text", text="/start", created_at=NOW),
                TranscriptEntry(contact_id=1, direction="out", kind="reply", text="", created_at=NOW),
                FlowRun(contact_id=1, flow_id="job_seeker", flow_version=1, step_id="country", answers={}),
            ]
        )
    async with services.db.connect() as conn:
        raw = plain(TranscriptEntry)
        assert set(await conn.scalars(sa.select(raw.c.text).where(raw.c.id > 1))) == {"/start", ""}
        runs = plain(FlowRun)
        assert await conn.scalar(sa.select(runs.c.answers).where(runs.c.step_id == "country")) == {}
        transcript = TranscriptEntry.__table__
        asked = sa.select(sa.func.count()).where(transcript.c.kind == "text", ~transcript.c.text.startswith("/"))
        assert await conn.scalar(asked) == 1, "commands stay apart from questions in statistics"


async def test_rotating_keys_re_encrypts_with_the_new_key(services: Services, keys: Any) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    async with services.db.begin() as conn:
        await write_plaintext(conn)
        await conn.run_sync(lambda sync: crypto.rotate_keys(sync, Base.metadata))  # plain text gets encrypted too
        before = await stored(conn)
    assert_encrypted(before)
    keys(new, old)  # the new key first: it encrypts, both decrypt
    async with services.db.begin() as conn:
        counts = await conn.run_sync(lambda sync: crypto.rotate_keys(sync, Base.metadata, batch=2))
    assert sum(counts.values()) == len(PERSONAL) and counts["transcript.text"] == 1
    keys(new)  # the old key dropped
    async with services.db.connect() as conn:
        after = await stored(conn)
        assert await read_back(conn) == {model: value for model, (_c, value) in PERSONAL.items()}
    assert all(after[model] != before[model] for model in PERSONAL)
    keys(old)  # a key the data was not written with reads nothing
    async with services.db.connect() as conn:
        with pytest.raises(crypto.CannotDecrypt, match="rotate-keys"):
            await conn.scalar(sa.select(TranscriptEntry.__table__.c.text))


def test_the_rotate_keys_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UGHI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    assert cli.main(["db", "upgrade"]) == 0

    async def write() -> None:
        engine = make_engine(get_settings().resolved_database_url)
        async with transaction(make_sessionmaker(engine)) as session:
            session.add(Contact(id=1, channel="telegram", external_id="42"))
            await session.flush()
            session.add(TranscriptEntry(contact_id=1, direction="in", kind="text", text=WORDS))
        await engine.dispose()

    async def read() -> str | None:
        engine = make_engine(get_settings().resolved_database_url)
        async with engine.connect() as conn:
            text = await conn.scalar(sa.select(TranscriptEntry.__table__.c.text))
        await engine.dispose()
        return text

    asyncio.run(write())
    keys(new, old)
    assert cli.main(["db", "rotate-keys"]) == 0
    assert "re-encrypted 1 values" in capsys.readouterr().out
    keys(new)
    assert asyncio.run(read()) == WORDS


def test_production_needs_explicit_valid_keys() -> None:
    real = {"_env_file": None, "env": "production", "secret_key": "s" * 32}
    with pytest.raises(ValidationError, match="UGHI_ENCRYPTION_KEYS must be set in production"):
        Settings(**real)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(**real, encryption_keys="not-a-key")  # type: ignore[arg-type]
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings(**real, encryption_keys=f"{first}, {second}")  # type: ignore[arg-type]
    assert crypto.keys_of(settings) == (first, second)
    token = crypto.encrypt("x", crypto.keyring(settings))
    assert Fernet(first.encode()).decrypt(token.encode()) == b"x"


def test_without_keys_development_derives_one_from_the_secret_key() -> None:
    dev = Settings(_env_file=None, env="dev", secret_key="one secret")
    assert crypto.keys_of(dev) == crypto.keys_of(Settings(_env_file=None, env="test", secret_key="one secret"))
    assert crypto.keys_of(dev) != crypto.keys_of(Settings(_env_file=None, env="dev", secret_key="another"))
    Fernet(crypto.keys_of(dev)[0])  # a valid key


def _migrate(connection: Connection, url: str, revision: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(cfg, revision)


async def test_migration_0004_encrypts_what_was_stored_before(settings: Settings) -> None:
    url = settings.resolved_database_url
    engine = make_engine(url, schema=settings.database_schema)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: _migrate(sync, url, "0003"))
            await write_plaintext(conn)
        await upgrade(engine)
        async with engine.connect() as conn:
            assert_encrypted(await stored(conn))
            assert await read_back(conn) == {model: value for model, (_c, value) in PERSONAL.items()}
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: _migrate(sync, url, "0003", down=True))
            assert await stored(conn) == {model: value for model, (_c, value) in PERSONAL.items()}
        await upgrade(engine)
        await upgrade(engine)  # again: nothing is encrypted twice
        async with engine.connect() as conn:
            assert await read_back(conn) == {model: value for model, (_c, value) in PERSONAL.items()}
    finally:
        await engine.dispose()


def test_text_telegram_can_deliver_round_trips_even_with_a_broken_emoji() -> None:
    for text in ("half an emoji \ud83d here", "Բարև 👋 <b>&amp;</b>", "\x00\x1f control"):
        assert crypto.decrypt(crypto.encrypt(text)) == text
