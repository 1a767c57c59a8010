"""Runtime settings, read from the environment (prefix UGHI_) and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "dev-secret-key"}
SUPPORTED_LANGUAGES = ("hy", "ru", "en")


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
    # people's data: transcripts and unfinished intakes older than this are deleted by a periodic job
    retention_days: int = Field(default=365, ge=1)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    # admin API
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)  # any admin API request body
    max_import_bytes: int = Field(default=10_000_000, ge=1024)  # the YAML content import

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("telegram_token", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
