"""encrypt personal data: what people wrote, their answers, relayed messages, with the keys from settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:10:00.000000

The columns keep their types (text stays text, JSON stays JSON: an encrypted JSON value is a JSON string holding
the token), so only values change. The keys are those the application uses: UGHI_ENCRYPTION_KEYS, or in
development a key derived from UGHI_SECRET_KEY (see ughi.crypto).
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from ughi import crypto

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
# (table, primary key, column, kind) as they are at this revision
COLUMNS = (
    ("transcript", "id", "text", "text"),
    ("inbox", "key", "payload", "json"),
    ("flow_runs", "id", "answers", "json"),
    ("leads", "id", "summary", "json"),
    ("lead_events", "id", "note", "text"),
    ("outbox", "id", "payload", "json"),
    ("unanswered_questions", "id", "text", "text"),
)
_BARE_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{1,64})?")  # stays readable in the transcript


def _stays(table: str, kind: str, value: Any) -> bool:
    if value is None or value in ("", {}, []):
        return True
    return table == "transcript" and isinstance(value, str) and _BARE_COMMAND.fullmatch(value) is not None


def _encrypted(table: str, kind: str, value: Any) -> Any:
    if _stays(table, kind, value) or (kind == "json" and isinstance(value, str)) or crypto.is_token(value):
        return None  # nothing to hide, or encrypted already
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")) if kind == "json" else str(value)
    return crypto.encrypt(plain)


def _decrypted(table: str, kind: str, value: Any) -> Any:
    if _stays(table, kind, value) or not crypto.is_token(value):
        return None
    plain = crypto.decrypt(value)
    return json.loads(plain) if kind == "json" else plain


def _rewrite(change: Callable[[str, str, Any], Any]) -> None:
    connection = op.get_bind()
    for name, pk, column, kind in COLUMNS:
        rows_of = sa.table(name, sa.column(pk), sa.column(column, sa.JSON() if kind == "json" else sa.Text()))
        key, value = rows_of.c[pk], rows_of.c[column]
        rewrite = sa.update(rows_of).where(key == sa.bindparam("_pk")).values({column: sa.bindparam("_value")})
        last = None
        while True:
            query = sa.select(key, value).order_by(key).limit(BATCH)
            rows = connection.execute(query if last is None else query.where(key > last)).all()
            if not rows:
                break
            last = rows[-1][0]
            changes = [
                {"_pk": row_key, "_value": new}
                for row_key, old in rows
                if (new := change(name, kind, old)) is not None
            ]
            if changes:
                connection.execute(rewrite, changes)


def upgrade() -> None:
    _rewrite(_encrypted)


def downgrade() -> None:
    _rewrite(_decrypted)
