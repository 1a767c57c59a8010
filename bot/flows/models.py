"""Database rows of guided intakes: the flow versions in use and each person's run through one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ughi.crypto import EncryptedJSON
from ughi.db import Base, UTCDateTime, utcnow

RUN_STATUSES = ("active", "submitted", "cancelled")


class FlowVersion(Base):
    """A flow definition as it was at one version: runs under way keep the version they started with."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FlowRun(Base):
    """One person's way through one flow: answers saved at every step."""

    __tablename__ = "flow_runs"
    __table_args__ = (
        Index("ix_flow_runs_contact_status", "contact_id", "status"),
        Index("ix_flow_runs_flow_started", "flow_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    step_id: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)  # phone numbers, free text
    history: Mapped[list[str]] = mapped_column(JSON, default=list)  # step ids visited, for "back"
    reached: Mapped[list[str]] = mapped_column(JSON, default=list)  # every step ever shown, for the funnel
    invalid_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
