"""The `ughi` command: kb import/export and db upgrade against a real database file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.articles import load_content
from ughi import cli
from ughi.settings import get_settings


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UGHI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_db_upgrade_then_import_then_export(sqlite_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["kb", "import"]) == 0
    shipped = load_content()
    assert f"{len(shipped.articles)} articles" in capsys.readouterr().out
    out = sqlite_env / "exported"
    assert cli.main(["kb", "export", "--out", str(out)]) == 0
    exported = load_content(out)
    assert {a.id for a in exported.articles} == {a.id for a in shipped.articles}
    assert {a.id: a for a in exported.articles} == {a.id: a for a in shipped.articles}


def test_bot_without_a_token_explains_itself(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("UGHI_TELEGRAM_TOKEN", raising=False)
    assert cli.main(["bot"]) == 2
    assert "UGHI_TELEGRAM_TOKEN" in capsys.readouterr().err
