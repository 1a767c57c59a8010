"""Contacts, their conversation state, transcript, consent records and the inbox of updates."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ughi.crypto import EncryptedJSON, EncryptedText
from ughi.db import Base, UTCDateTime, utcnow

_BARE_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{1,64})?")


class TranscriptText(EncryptedText):
    """What was said, encrypted; a bare command ("/start") stays readable: it says nothing about the person, and
    statistics tell commands from questions by it."""

    cache_ok = True

    def stays_clear(self, value: str) -> bool:
        return value == "" or _BARE_COMMAND.fullmatch(value) is not None


class Contact(Base):
    """A person talking to Ughi on one channel. Holds no name: only what the service needs."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class ConversationState(Base):
    """Where a contact is in the conversation; kept in the database so any process can continue it."""

    __tablename__ = "conversation_states"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    screen: Mapped[str] = mapped_column(String(64), default="menu")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TranscriptEntry(Base):
    """One message in or out, for the counsellor who takes the case and for the person's own export."""

    __tablename__ = "transcript"
    __table_args__ = (Index("ix_transcript_contact_created", "contact_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(TranscriptText(), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentRecord(Base):
    """Each time a person accepts or refuses a consent text, which version and when."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # "personal_data", later "share_with_centre"
    version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboxUpdate(Base):
    """A received update, stored before it is acknowledged to the sender; handled exactly once."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_pending", "handled_at", "received_at"), Index("ix_inbox_lane", "lane", "seq"))

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "tg:123456"
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())  # the update as received: names, phones
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Which chat (a pseudonym, never the chat id) and Telegram's update number: an update received by one replica
    # is handled only after the same chat's earlier ones, wherever they were received. Cleared once handled.
    lane: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int | None] = mapped_column(BigInteger)
