"""Each group's private space in a round (posts, and a moderator let in only by the group's
own invitation), and the group statements drafted there and published to the round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import Group, sql_in


class CaucusPost(Base):
    """A message in a group's caucus: seen by that group's representatives in the round only."""

    __tablename__ = "caucus_posts"
    __table_args__ = (
        CheckConstraint(f"group_name IN ({sql_in(Group)})", name="group_name"),
        Index("ix_caucus_posts_round_id_group_name", "round_id", "group_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaucusInvitation(Base):
    """The group let the round's moderators into its caucus (until revoked)."""

    __tablename__ = "caucus_invitations"
    __table_args__ = (
        CheckConstraint(f"group_name IN ({sql_in(Group)})", name="group_name"),
        UniqueConstraint("round_id", "group_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class GroupStatement(Base):
    """A joint statement of a group: drafted in the caucus (private), then published to the
    round, signed by the organisations that endorse it."""

    __tablename__ = "group_statements"
    __table_args__ = (
        CheckConstraint(f"group_name IN ({sql_in(Group)})", name="group_name"),
        Index("ix_group_statements_round_id_group_name", "round_id", "group_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    text: Mapped[str] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None while it is a draft in the caucus.
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class GroupStatementEndorsement(Base):
    """An organisation of the group signs the statement."""

    __tablename__ = "group_statement_endorsements"
    __table_args__ = (UniqueConstraint("statement_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("group_statements.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    endorsed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
