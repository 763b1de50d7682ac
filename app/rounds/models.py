"""Consultations, their rounds, and which organisations each round invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, stored_vocabulary, utcnow
from app.officers.rules import OfficerRole
from app.organisations.models import Organisation
from app.vocabulary import Group, RoundStatus, Weighting, sql_in


class Consultation(Base):
    """A topic (e.g. national labour-migration policy) holding one or more rounds."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    brief: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rounds: Mapped[list[Round]] = relationship(
        back_populates="consultation", lazy="raise", order_by="Round.number"
    )


class Round(Base):
    """One time-boxed stage of a consultation: brief, invited organisations, deadline, status."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("consultation_id", "number"),
        CheckConstraint(f"status IN ({sql_in(RoundStatus)})", name="status"),
        CheckConstraint(f"weighting IN ({sql_in(Weighting)})", name="weighting"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name="closes_after_opening",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    brief: Mapped[str] = mapped_column(Text, default="")
    #: The language the brief is written in; versions in other languages are RoundBriefs.
    brief_language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    status: Mapped[RoundStatus] = mapped_column(
        stored_vocabulary(RoundStatus, 20), default=RoundStatus.DRAFT
    )
    weighting: Mapped[Weighting] = mapped_column(
        stored_vocabulary(Weighting, 10), default=Weighting.EQUAL
    )
    sealed: Mapped[bool] = mapped_column(default=False)
    premoderated: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: The deadline a round closed early had (its ``closes_at`` then becomes the close); None
    #: for a round that closed at its deadline, or was reopened since.
    deadline_before_close: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    #: After it, publication no longer waits for groups that have not signed off.
    signoff_deadline: Mapped[datetime | None]
    #: The subject (C144 art. 5(1)): see app.cycle.subjects; "general" for anything else.
    kind: Mapped[str] = mapped_column(String(40), default="general", server_default="general")
    #: The round whose draft this round revises (a revised draft published as the next round).
    previous_round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    #: In the balanced discussion, the social partners' opening statements come first.
    social_partners_first: Mapped[bool] = mapped_column(default=True, server_default="1")
    #: Bumped by every write to the round, for caching rendered fragments.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="rounds", lazy="raise")
    invitations: Mapped[list[RoundInvitation]] = relationship(back_populates="round", lazy="raise")


class RoundBrief(Base):
    """The round's brief in another language (the reader gets it in theirs when it exists)."""

    __tablename__ = "round_briefs"
    __table_args__ = (UniqueConstraint("round_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    language: Mapped[str] = mapped_column(String(10))
    brief: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundOfficer(Base):
    """The round's tripartite officers: a chair (government or neutral) and two vice-chairs,
    one from the employers' group and one from the workers' group."""

    __tablename__ = "round_officers"
    __table_args__ = (
        UniqueConstraint("round_id", "role"),
        CheckConstraint(
            "role IN ('chair', 'vice_chair_employers', 'vice_chair_workers')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    role: Mapped[OfficerRole] = mapped_column(stored_vocabulary(OfficerRole, 30))
    #: The person, when they have an account; else only the name.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))


class RoundInvitation(Base):
    """An organisation invited to take part in a round."""

    __tablename__ = "round_invitations"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship(back_populates="invitations", lazy="raise")
    organisation: Mapped[Organisation] = relationship(lazy="raise")


class GroupSignoff(Base):
    """One group's word on the draft outcome of a closed round: confirmed, or a reservation
    that is published with the outcome, attributed to the group."""

    __tablename__ = "group_signoffs"
    __table_args__ = (
        UniqueConstraint("round_id", "group_name"),
        CheckConstraint(f"group_name IN ({sql_in(Group)})", name="group_name"),
        CheckConstraint("status IN ('requested', 'confirmed', 'reservation')", name="status"),
        CheckConstraint(
            "status != 'reservation' OR reservation IS NOT NULL", name="reservation_has_text"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    spokesperson_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    reservation: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
