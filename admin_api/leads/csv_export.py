"""Leads as CSV for the monthly report: no names or answers, only what statistics need."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from leads.models import Lead
from leads.service import is_overdue

COLUMNS = (
    "id",
    "created_at",
    "status",
    "outcome",
    "centre_id",
    "region",
    "flow_id",
    "source",
    "language",
    "topic",
    "score",
    "assigned_to",
    "due_at",
    "closed_at",
    "overdue",
    "anonymised",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # a spreadsheet would run a cell starting like a formula; the quote keeps it text
    return "'" + text if text.startswith(FORMULA_STARTS) and not isinstance(value, int | float) else text


def leads_csv(leads: Iterable[Lead], now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for lead in leads:
        values = {column: getattr(lead, column, None) for column in COLUMNS}
        values["overdue"] = is_overdue(lead, now)
        writer.writerow([_cell(values[column]) for column in COLUMNS])
    return out.getvalue()
