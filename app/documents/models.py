"""Attachments (a titled document hung on a consultation, a round, a position or a caucus) and
their versions (each upload of a file: the bytes are in the file store, by their SHA-256)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import Group, Place


class Attachment(Base):
    """A document with a title and a language; its versions hold the files. ``round_id`` is
    the round it was added from (none for the consultation's own documents); a position paper
    names its organisation, a caucus file its group."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_round_id", "round_id"),
        Index("ix_attachments_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    place: Mapped[Place] = mapped_column(stored_vocabulary(Place, 20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    group_name: Mapped[Group | None] = mapped_column(stored_vocabulary(Group, 20))
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10))
    #: A folder of the list ("Background studies"); empty: the list's top.
    folder: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The number of the current (latest) version.
    current_version: Mapped[int] = mapped_column(default=1)


class AttachmentVersion(Base):
    """Version ``number`` of an attachment: one uploaded file, kept when a newer one comes."""

    __tablename__ = "attachment_versions"
    __table_args__ = (UniqueConstraint("attachment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    number: Mapped[int]
    #: The file's SHA-256 (lowercase hex): its key in the file store.
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    #: What the file is, decided by its bytes (app.documents.checks.FileKind).
    kind: Mapped[str] = mapped_column(String(20))
    #: The name it was uploaded under (checked: no folders, no control characters).
    file_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The file's text, extracted once at upload, for search.
    text: Mapped[str] = mapped_column(Text, default="")
