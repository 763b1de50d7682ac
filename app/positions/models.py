"""An organisation's position in a round, with every version kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import Stance, sql_in


class Position(Base):
    """One per organisation per round: the current stance and statement."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id"),
        CheckConstraint(f"stance IN ({sql_in(Stance)})", name="stance"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    stance: Mapped[Stance] = mapped_column(stored_vocabulary(Stance, 30))
    statement: Mapped[str] = mapped_column(Text, default="")
    #: The statement rendered to sanitised HTML once, at write time.
    statement_html: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    last_edited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PositionVersion(Base):
    """An immutable copy of each revision of a position."""

    __tablename__ = "position_versions"
    __table_args__ = (
        UniqueConstraint("position_id", "version"),
        UniqueConstraint("author_id", "idempotency_key"),
        CheckConstraint(f"stance IN ({sql_in(Stance)})", name="stance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    version: Mapped[int]
    stance: Mapped[Stance] = mapped_column(stored_vocabulary(Stance, 30))
    statement: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The posting form's key: a double click or a retry never makes a second version.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
