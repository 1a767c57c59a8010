"""Database rows of editing: article version history, translation freshness, resolved unanswered questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ughi.db import Base, UTCDateTime, utcnow

# Staff ids are kept as plain numbers here: knowledge knows nothing of staff accounts, and staff are
# deactivated, never deleted, so the number keeps meaning "who".


class ArticleVersion(Base):
    """An article as it was after one save; kept after the article is deleted, so it can be restored."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # baseline, created, updated, published, restored, ...
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # the YAML shape of the article
    staff_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TranslationEdit(Base):
    """When a translation's text (title or body) last changed, and when a translator last confirmed it."""

    __tablename__ = "translation_edits"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    text_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    staff_id: Mapped[int | None] = mapped_column(Integer)


class UnansweredResolution(Base):
    """What staff did with an unanswered question: linked it to an article, or dismissed it."""

    __tablename__ = "unanswered_resolutions"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("unanswered_questions.id", ondelete="CASCADE"), primary_key=True
    )
    action: Mapped[str] = mapped_column(String(16))  # "linked" | "dismissed"
    article_id: Mapped[str | None] = mapped_column(String(64))
    staff_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
