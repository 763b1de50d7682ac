"""Decisions (one per agenda item at most), the organisations' votes, the groups' divergent
positions, and the actions that carry a decision out, followed up by all three groups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import (
    ActionOwner,
    ActionStatus,
    DecisionMethod,
    Group,
    Verdict,
    Vote,
    Weighting,
)


class Decision(Base):
    """What an agenda item ended in, by ``method`` (app.decisions.rules.decide).

    While ``recorded_at`` is empty the vote is open: the organisations present vote. Recording
    it keeps what made it valid as it was then: the attendance (``attendance``: a list of
    {seat_id, organisation_id, group, status}), the quorum rule and whether it held, and the
    result. ``threshold`` is a fraction, kept exact as numerator and denominator."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("agenda_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"))
    text: Mapped[str] = mapped_column(Text)
    method: Mapped[DecisionMethod] = mapped_column(stored_vocabulary(DecisionMethod, 30))
    threshold_numerator: Mapped[int] = mapped_column(default=1)
    threshold_denominator: Mapped[int] = mapped_column(default=2)
    weighting: Mapped[Weighting] = mapped_column(
        stored_vocabulary(Weighting, 10), default=Weighting.EQUAL
    )
    casting_vote: Mapped[Vote | None] = mapped_column(stored_vocabulary(Vote, 10))
    effective_on: Mapped[date | None]
    review_on: Mapped[date | None]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None]
    adopted: Mapped[bool | None]
    quorate: Mapped[bool | None]
    #: Recorded although the meeting was not quorate, as the body's rules allow.
    without_quorum: Mapped[bool] = mapped_column(default=False)
    quorum_overall: Mapped[int | None]
    quorum_per_group: Mapped[int | None]
    attendance: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class DecisionVote(Base):
    """An organisation's vote, cast by its seat's holder, or its alternate when the holder is
    not present."""

    __tablename__ = "decision_votes"
    __table_args__ = (UniqueConstraint("decision_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    vote: Mapped[Vote] = mapped_column(stored_vocabulary(Vote, 10))
    cast_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)


class DivergentPosition(Base):
    """A group's divergent position on a decision, published with it."""

    __tablename__ = "divergent_positions"
    __table_args__ = (UniqueConstraint("decision_id", "group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


class Action(Base):
    """Something a decision asks someone to do, by a date."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    what: Mapped[str] = mapped_column(String(500))
    owner: Mapped[ActionOwner] = mapped_column(stored_vocabulary(ActionOwner, 20))
    owner_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    owner_group: Mapped[Group | None] = mapped_column(stored_vocabulary(Group, 20))
    due_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(
        stored_vocabulary(ActionStatus, 20), default=ActionStatus.PLANNED
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionNote(Base):
    """Dated progress on an action; ``status`` is the action's status it reports."""

    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ActionStatus] = mapped_column(stored_vocabulary(ActionStatus, 20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionNoteFile(Base):
    """A file attached to a progress note (bytes in the file store by SHA-256)."""

    __tablename__ = "action_note_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("action_notes.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionConfirmation(Base):
    """A group's word on an action's progress as reported in ``note_id`` (the latest note when
    it was given): confirmed or disputed, with a reason. A group's latest word counts."""

    __tablename__ = "action_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("action_notes.id"))
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    verdict: Mapped[Verdict] = mapped_column(stored_vocabulary(Verdict, 20))
    reason: Mapped[str] = mapped_column(Text, default="")
    given_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
