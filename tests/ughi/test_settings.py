"""Settings: defaults for a fresh machine, and placeholder secrets refused in production."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from ughi.settings import Settings


def test_defaults_run_on_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("UGHI_DATABASE_URL", "UGHI_TELEGRAM_TOKEN", "UGHI_ENV"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings(_env_file=None)
    assert settings.is_sqlite and settings.resolved_database_url.endswith("var/ughi.sqlite3")
    assert settings.telegram_token is None and settings.host == "127.0.0.1" and settings.port == 8000


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGHI_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("UGHI_DEFAULT_LANGUAGE", "ru")
    settings = Settings(_env_file=None)
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value() == "123:abc"
    assert settings.default_language == "ru"


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, env="production")
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET"):
        Settings(
            _env_file=None,
            env="production",
            secret_key="x" * 32,
            webhook_url="https://h/telegram/webhook",
            webhook_secret="changeme",
        )
    ok = Settings(_env_file=None, env="production", secret_key="x" * 32, encryption_keys=Fernet.generate_key().decode())
    assert ok.env == "production"


def test_webhook_needs_a_secret_and_language_must_be_known() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, webhook_url="https://h/telegram/webhook")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, default_language="de")
