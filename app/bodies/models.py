"""A tripartite body, its seats, and the private calendar feeds of the people who sit on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import AgendaChangeRule, BodyKind, Weighting, WithoutQuorum


class Body(Base):
    """A national council, a C144 commission, or a task team under one (``parent_id``).

    Its rules are settings: the notice a meeting needs, the quorum (overall and per group),
    what a decision taken without quorum becomes, the agreement a change to an issued agenda
    needs, and the weighting of the groups in a group-equal vote."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(100))
    kind: Mapped[BodyKind] = mapped_column(stored_vocabulary(BodyKind, 20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    #: What the body is for, in markdown.
    mandate: Mapped[str] = mapped_column(Text, default="")
    #: Days of notice a meeting needs; one convened with less is marked "short notice".
    notice_days: Mapped[int] = mapped_column(default=5)
    #: Seats present, at least, overall …
    quorum_overall: Mapped[int] = mapped_column(default=1)
    #: … and in each of the three groups.
    quorum_per_group: Mapped[int] = mapped_column(default=1)
    without_quorum: Mapped[WithoutQuorum] = mapped_column(
        stored_vocabulary(WithoutQuorum, 20), default=WithoutQuorum.REFUSE
    )
    agenda_change: Mapped[AgendaChangeRule] = mapped_column(
        stored_vocabulary(AgendaChangeRule, 20), default=AgendaChangeRule.UNANIMITY
    )
    weighting: Mapped[Weighting] = mapped_column(
        stored_vocabulary(Weighting, 10), default=Weighting.EQUAL
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Seat(Base):
    """An organisation's seat on a body (so a group's): a holder and, optionally, an alternate,
    both people the organisation has mandated. One seat per organisation per body."""

    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("body_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    alternate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A person's private iCalendar feed: a secret URL (only its SHA-256 is kept), revocable."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
