"""Meetings, their agenda, attendance, minutes and meeting documents.

Agenda items, meeting documents and minutes carry a confidentiality (public, members only,
group only) and, optionally, a release: a date, or an event the secretariat marks as come."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import (
    AgendaChangeRule,
    AgendaItemStatus,
    Confidentiality,
    Group,
    MinutesStatus,
    Presence,
)


class Restricted:
    """Who may see a row until it is released (app.meetings.confidentiality)."""

    @declared_attr
    def confidentiality(cls) -> Mapped[Confidentiality]:
        return mapped_column(
            stored_vocabulary(Confidentiality, 20), default=Confidentiality.MEMBERS
        )

    #: The group a "group only" row is for.
    @declared_attr
    def restricted_group(cls) -> Mapped[Group | None]:
        return mapped_column(stored_vocabulary(Group, 20))

    #: Public from this time on …
    release_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: … or once this event has come ("once the Convention is submitted") …
    release_event: Mapped[str] = mapped_column(String(200), default="")
    #: … which the secretariat marks: the time it was released.
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Meeting(Base):
    """A meeting a body's secretariat convenes. ``short_notice``: convened with less notice
    than the body's rules require (kept as it was when convened)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    #: Whether the meeting shows in the body's public calendar and its public page.
    public: Mapped[bool] = mapped_column(default=True)
    convened_at: Mapped[datetime] = mapped_column(default=utcnow)
    convened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    short_notice: Mapped[bool] = mapped_column(default=False)
    #: Members propose agenda items until then.
    proposals_until: Mapped[datetime | None]
    #: Once issued, a change needs the agreement the body's rules require.
    agenda_issued_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: The chair (a person), named by the secretariat; records a casting vote.
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Moved by every write to the meeting: its page's live updates ask for it.
    version: Mapped[int] = mapped_column(default=1)


class AgendaItem(Restricted, Base):
    """Item ``number`` of a meeting's agenda, optionally linked to a round (its draft text,
    summary and documents). Proposed by a member (``proposed_by_organisation_id``) or put by
    the secretariat."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    #: Its place in the agenda (accepted items are numbered 1, 2, 3 …; 0 until accepted).
    number: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    status: Mapped[AgendaItemStatus] = mapped_column(
        stored_vocabulary(AgendaItemStatus, 20), default=AgendaItemStatus.ACCEPTED
    )
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgendaChange(Base):
    """A change to an issued agenda and the agreement that allowed it (the chair, or the three
    groups: ``agreed_by`` lists them, comma-separated)."""

    __tablename__ = "agenda_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    description: Mapped[str] = mapped_column(String(500))
    rule: Mapped[AgendaChangeRule] = mapped_column(stored_vocabulary(AgendaChangeRule, 20))
    agreed_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(Base):
    """A seat's attendance at a meeting (no row: not marked yet)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "seat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"), index=True)
    status: Mapped[Presence] = mapped_column(stored_vocabulary(Presence, 20))
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingDocument(Restricted, Base):
    """A file for a meeting (or one of its items): its bytes in the file store by SHA-256."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Minutes(Restricted, Base):
    """Version ``version`` of a meeting's minutes. Published minutes are final: a correction
    is a new version (``corrects_id``)."""

    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("minutes.id"))
    status: Mapped[MinutesStatus] = mapped_column(
        stored_vocabulary(MinutesStatus, 20), default=MinutesStatus.DRAFT
    )
    #: Words before the items (who chaired, opening), markdown.
    preamble: Mapped[str] = mapped_column(Text, default="")
    comments_until: Mapped[datetime | None]
    #: Approved at this meeting, or (none) by written procedure.
    approved_at_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MinutesItem(Base):
    """What the minutes say of one agenda item (markdown)."""

    __tablename__ = "minutes_items"
    __table_args__ = (UniqueConstraint("minutes_id", "agenda_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"))
    text: Mapped[str] = mapped_column(Text, default="")


class MinutesComment(Base):
    """A member organisation's comment on draft minutes sent for comments."""

    __tablename__ = "minutes_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
