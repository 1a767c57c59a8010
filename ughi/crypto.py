"""Encryption at rest of what can name a person: column types that encrypt with the keys from settings.

Names, phone numbers and whatever people type are kept as Fernet tokens (AES-128-CBC with HMAC-SHA256). The keys
come from UGHI_ENCRYPTION_KEYS: comma-separated, the first encrypts, every one decrypts (MultiFernet), so a new key
is added first, `ughi db rotate-keys` re-encrypts everything with it, and only then is the old one dropped.
In development and tests, without that setting, a key derived from UGHI_SECRET_KEY is used; production refuses
to start without explicit keys (see ughi.settings).

An empty value ("" or an empty JSON object or list) is stored as it is: it says nothing about anyone, and the
common "nothing here" case then costs no encryption.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, Column, MetaData, Table, Text, bindparam, select, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import column, table
from sqlalchemy.types import TypeDecorator

from ughi.settings import Settings, get_settings

TOKEN_PREFIX = "gAAAAA"  # a Fernet token's version byte and the high bytes of its timestamp, base64-encoded
_DERIVATION_INFO = b"ughi: encryption at rest (development and test only)"


class CannotDecrypt(Exception):
    """A stored value is not readable with any configured key."""

    def __init__(self) -> None:
        super().__init__(
            "a stored value cannot be decrypted with any key in UGHI_ENCRYPTION_KEYS: "
            "keep every key that data was written with until `ughi db rotate-keys` has run"
        )


def derived_key(secret: str) -> str:
    """The development key: derived from the secret key, so a dev database stays readable across restarts."""
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(kdf.derive(secret.encode())).decode()


def keys_of(settings: Settings) -> tuple[str, ...]:
    """The keys to use, the encrypting one first."""
    return _keys(_configured(settings), settings.secret_key.get_secret_value())


def _configured(settings: Settings) -> str | None:
    return settings.encryption_keys.get_secret_value() if settings.encryption_keys is not None else None


@lru_cache(maxsize=8)
def _keys(configured: str | None, secret_key: str) -> tuple[str, ...]:
    if configured is not None:
        return tuple(key.strip() for key in configured.split(",") if key.strip())
    return (derived_key(secret_key),)


@lru_cache(maxsize=8)
def _keyring(configured: str | None, secret_key: str) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys(configured, secret_key)])


def keyring(settings: Settings | None = None) -> MultiFernet:
    """The keys of `settings` (by default the process's settings, as every running part uses)."""
    settings = settings or get_settings()
    return _keyring(_configured(settings), settings.secret_key.get_secret_value())


def encrypt(text: str, ring: MultiFernet | None = None) -> str:
    # surrogatepass: Telegram's JSON can carry a lone surrogate (a broken emoji); it must round-trip, not fail
    return (ring or keyring()).encrypt(text.encode("utf-8", "surrogatepass")).decode("ascii")


def decrypt(token: str, ring: MultiFernet | None = None) -> str:
    try:
        return (ring or keyring()).decrypt(token.encode("ascii")).decode("utf-8", "surrogatepass")
    except (InvalidToken, UnicodeEncodeError) as err:
        raise CannotDecrypt() from err


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


class EncryptedText(TypeDecorator[str]):
    """Text kept encrypted; read and written as plain str."""

    impl = Text
    cache_ok = True

    def stays_clear(self, value: str) -> bool:
        """Whether `value` is stored unencrypted because it cannot say anything about a person."""
        return value == ""

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # a value compared in SQL is not encrypted: tokens never compare equal, only clear values can match
        return Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or self.stays_clear(value):
            return value
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or self.stays_clear(value):
            return value
        return decrypt(value)

    def sealed(self, raw: Any, ring: MultiFernet) -> Any:
        """A stored value re-encrypted with the first key (plain text encrypted); None when it stays as it is."""
        if raw is None or self.stays_clear(raw):
            return None
        if is_token(raw):
            try:
                return ring.rotate(raw.encode("ascii")).decode("ascii")
            except InvalidToken as err:
                raise CannotDecrypt() from err
        return encrypt(raw, ring)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value kept encrypted: stored as a JSON string holding the token, so the column stays JSON."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or value == {} or value == []:
            return value
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            return json.loads(decrypt(value))
        return value  # None, or an empty object or list

    def sealed(self, raw: Any, ring: MultiFernet) -> Any:
        if raw is None or raw == {} or raw == []:
            return None
        if isinstance(raw, str):
            try:
                return ring.rotate(raw.encode("ascii")).decode("ascii")
            except InvalidToken as err:
                raise CannotDecrypt() from err
        return encrypt(json.dumps(raw, ensure_ascii=False, separators=(",", ":")), ring)


def encrypted_columns(metadata: MetaData) -> Iterator[tuple[Table, Column[Any]]]:
    """Every encrypted column of the models, with its table."""
    for model_table in metadata.sorted_tables:
        for col in model_table.columns:
            if isinstance(col.type, EncryptedText | EncryptedJSON):
                yield model_table, col


def rotate_keys(
    connection: Connection, metadata: MetaData, *, ring: MultiFernet | None = None, batch: int = 500
) -> dict[str, int]:
    """Re-encrypt every encrypted value with the first key (of `ring`, by default the settings' keys); how many
    values, per table and column. Runs in the caller's transaction, a batch of rows at a time in key order."""
    ring = ring or keyring()
    counts: dict[str, int] = {}
    for model_table, col in encrypted_columns(metadata):
        [pk] = model_table.primary_key.columns  # every table with personal data has a one-column key
        kind = col.type
        assert isinstance(kind, EncryptedText | EncryptedJSON)
        raw = table(model_table.name, column(pk.name, pk.type), column(col.name, kind.impl_instance))
        rewrite = update(raw).where(raw.c[pk.name] == bindparam("_pk")).values({col.name: bindparam("_value")})
        done, last = 0, None
        while True:
            query = select(raw.c[pk.name], raw.c[col.name]).order_by(raw.c[pk.name]).limit(batch)
            if last is not None:
                query = query.where(raw.c[pk.name] > last)
            rows = connection.execute(query).all()
            if not rows:
                break
            last = rows[-1][0]
            changes = [
                {"_pk": key, "_value": sealed}
                for key, value in rows
                if (sealed := kind.sealed(value, ring)) is not None
            ]
            if changes:
                connection.execute(rewrite, changes)
            done += len(changes)
        counts[f"{model_table.name}.{col.name}"] = done
    return counts
