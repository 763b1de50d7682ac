"""Threaded comments on a round or a position, and flags raised on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import Visibility, sql_in

#: The comments that are threads of a round's discussion (``ix_comments_thread_roots``).
THREAD_ROOTS = "parent_id IS NULL AND paragraph_id IS NULL"


class Comment(Base):
    """A representative's contribution, spoken for their organisation; never hard-deleted."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"visibility IN ({sql_in(Visibility)})", name="visibility"),
        UniqueConstraint("author_id", "idempotency_key"),
        # a round's comments in order, with what says which are threads and who sees them:
        # how many threads come before a search result's (its page) is read from the index
        # alone (it replaced ix_comments_round_id_id, its first two columns)
        Index(
            "ix_comments_threads",
            "round_id",
            "id",
            "parent_id",
            "paragraph_id",
            "visibility",
            "author_id",
        ),
        # a round's threads alone (comments neither replies nor under a paragraph), with who
        # sees them: PostgreSQL counts the threads before a search result's from it, a third of
        # the round's comments (SQLite keeps reading ix_comments_threads, see app.search.service)
        Index(
            "ix_comments_thread_roots",
            "round_id",
            "id",
            "visibility",
            "author_id",
            postgresql_where=text(THREAD_ROOTS),
            sqlite_where=text(THREAD_ROOTS),
        ),
        # an author's comments, newest first: the posting limit reads it on every post
        Index("ix_comments_author_id_created_at", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"), index=True)
    #: A comment on one paragraph of the round's draft text.
    paragraph_id: Mapped[int | None] = mapped_column(ForeignKey("draft_paragraphs.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    #: The top-level comment of this thread (NULL for a top-level comment): one query loads a
    #: page of threads.
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(10))
    visibility: Mapped[Visibility] = mapped_column(
        stored_vocabulary(Visibility, 20), default=Visibility.VISIBLE
    )
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]


class Flag(Base):
    """A participant's report on a comment, with a reason; resolved by a moderator."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(20))
