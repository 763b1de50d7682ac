"""The search index: one entry per indexed text, with the keys that never change for its
source row. Who may see an entry is decided on the live source row at query time
(app.search.visibility); the engine's own index (a tsvector column and GIN indexes on
PostgreSQL, FTS5 tables on SQLite) lives beside it (app.search.schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import Group, SearchKind, sql_in


class SearchEntry(Base):
    """The indexed plain text of one source row (``kind``, ``source_id``). ``scope`` is the
        group whose members alone may find it (caucus posts, draft group statements, caucus
        files), else NULL. ``open`` says every signed-in person may find it (its round past draft, a
    visible comment, an unsealed or closed position, …: ``sources.open_``), kept in the writer's
    transaction with what decides it; ``author_id`` is a comment's author (who alone, beside the
    moderators, may find it while hidden). Its id only grows: saved searches watch for ids above
    theirs."""

    __tablename__ = "search_entries"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(SearchKind)})", name="kind"),
        CheckConstraint(f"scope IN ({sql_in(Group)})", name="scope"),
        CheckConstraint(f"group_name IN ({sql_in(Group)})", name="group_name"),
        CheckConstraint("language IN ('en', 'fr', 'es', 'mul')", name="language"),
        UniqueConstraint("kind", "source_id"),
        Index("ix_search_entries_created_at", "created_at"),
        Index("ix_search_entries_round_id", "round_id"),
        Index("ix_search_entries_meeting_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SearchKind] = mapped_column(stored_vocabulary(SearchKind, 20))
    source_id: Mapped[int]
    scope: Mapped[Group | None] = mapped_column(stored_vocabulary(Group, 20))
    language: Mapped[str] = mapped_column(String(3))
    round_id: Mapped[int | None]
    consultation_id: Mapped[int | None]
    meeting_id: Mapped[int | None]
    agenda_item_id: Mapped[int | None]
    organisation_id: Mapped[int | None]
    group_name: Mapped[Group | None] = mapped_column(stored_vocabulary(Group, 20))
    open: Mapped[bool] = mapped_column(default=False, server_default=false())
    author_id: Mapped[int | None]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class SavedSearch(Base):
    """A person's search kept under a name: ``query`` is its canonical query string
    (app.search.query.canonical), ``last_entry_id`` the highest index entry they were told
    about (news are the visible matches above it)."""

    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "query"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(1000))
    last_entry_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When its last news were told (a notification added).
    notified_at: Mapped[datetime | None]


class SearchWord(Base):
    """A word of the "did you mean" vocabulary and how often it occurs: only words of entries a
    signed-in person with no role and no mandate may find (app.search.suggest.rebuild_words),
    so a suggestion never names what the reader may not see."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    frequency: Mapped[int]
