"""Runtime settings, read from the environment (prefix UGHI_) and an optional .env file."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "dev-secret-key"}
SUPPORTED_LANGUAGES = ("hy", "ru", "en")
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UGHI_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    database_url: str = ""  # empty: SQLite file under var/ of the working directory
    database_schema: str | None = None  # PostgreSQL only: the schema to use instead of public
    var_dir: Path = Path("var")
    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    staff_chat_id: int | None = None
    secret_key: SecretStr = SecretStr("dev-secret-key")
    default_language: str = "hy"
    host: str = "127.0.0.1"
    port: int = 8000
    auto_migrate: bool | None = None  # None: migrate on start for SQLite; PostgreSQL uses `ughi db upgrade`
    content_dir: Path | None = None  # None: the content shipped in knowledge/content
    polling_concurrency: int = 64
    # people's data, applied by a periodic job: a person silent this long is erased (their requests stay,
    # anonymised); messages and unfinished intakes go sooner when the two periods below are shorter
    retention_days: int = Field(default=365, ge=1)
    transcript_retention_days: int | None = Field(default=None, ge=1)  # None: retention_days
    intake_retention_days: int | None = Field(default=None, ge=1)  # unfinished intakes; None: retention_days
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    # names, phone numbers and what people wrote are encrypted: comma-separated Fernet keys, the first encrypts,
    # all decrypt (README: key rotation); unset in dev/test: a key derived from secret_key
    encryption_keys: SecretStr | None = None
    # admin API
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)  # any admin API request body
    max_import_bytes: int = Field(default=10_000_000, ge=1024)  # the YAML content import
    # browser origins allowed to call the admin API (CORS); empty: none, the API is for same-origin and scripts
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # operating: logs, readiness, metrics
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    ready_max_outbox_lag_seconds: float = Field(default=300.0, gt=0)  # /readyz fails when the outbox is older
    metrics_token: SecretStr | None = None  # /metrics needs it as a bearer token; unset: loopback only

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        """A JSON list, or a comma- or space-separated one: https://a.example, https://b.example:8443"""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [part for part in re.split(r"[,\s]+", text) if part]
        if isinstance(value, list):
            bad = [origin for origin in value if not (isinstance(origin, str) and ORIGIN.match(origin))]
            if bad:
                raise ValueError(f"origins are scheme://host[:port], with no path and no '*': {bad}")
            return [origin.lower() for origin in value]
        return value

    @field_validator("telegram_token", "webhook_secret", "encryption_keys", "metrics_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()] if value is not None else []
        if value is not None and not keys:
            raise ValueError("give at least one key")
        for key in keys:
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    "each key must be a Fernet key: 32 random bytes in URL-safe base64 (44 characters), "
                    'made by python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
                ) from None
        return value

    @model_validator(mode="after")
    def _no_placeholders_outside_dev(self) -> Settings:
        if self.env == "production":
            if (
                self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS
                or len(self.secret_key.get_secret_value()) < 16
            ):
                raise ValueError("UGHI_SECRET_KEY must be set to a real secret (16+ characters) in production")
            if self.webhook_url and (
                self.webhook_secret is None or self.webhook_secret.get_secret_value() in PLACEHOLDER_SECRETS
            ):
                raise ValueError(
                    "UGHI_WEBHOOK_SECRET must be set to a real secret when a webhook is used in production"
                )
            if self.encryption_keys is None:
                raise ValueError("UGHI_ENCRYPTION_KEYS must be set in production (see README: encryption at rest)")
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("UGHI_WEBHOOK_SECRET is required with UGHI_WEBHOOK_URL")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'ughi.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def transcript_days(self) -> int:
        return self.transcript_retention_days or self.retention_days

    @property
    def intake_days(self) -> int:
        return self.intake_retention_days or self.retention_days


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
