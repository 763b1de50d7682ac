"""A draft text's paragraphs, the amendments organisations propose to them, and the
organisations that support each amendment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class DraftParagraph(Base):
    """Paragraph ``number`` (1, 2, 3...) of the round's draft text (markdown)."""

    __tablename__ = "draft_paragraphs"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class Amendment(Base):
    """An organisation's proposed replacement text for one paragraph."""

    __tablename__ = "amendments"
    __table_args__ = (Index("ix_amendments_round_id_paragraph_id", "round_id", "paragraph_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    paragraph_id: Mapped[int] = mapped_column(ForeignKey("draft_paragraphs.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The proposed replacement for the whole paragraph.
    text: Mapped[str] = mapped_column(Text)
    #: Why (optional).
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class AmendmentSupport(Base):
    """An organisation supports an amendment (once; its own proposal counts as support)."""

    __tablename__ = "amendment_supports"
    __table_args__ = (UniqueConstraint("amendment_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendments.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    supported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
