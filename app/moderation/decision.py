"""What matters before a moderator decides (closes early, publishes, asks for sign-off): time
left, the invited organisations that have not posted, by group, the flags and comments waiting
for a moderator, and the groups whose sign-off is missing. Read for the confirmation pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.comments.models import Comment, Flag
from app.db import read
from app.moderation import signoff
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds.models import Round, RoundInvitation
from app.vocabulary import Group, Visibility


@dataclass(frozen=True)
class Waiting:
    """A group whose spokesperson has not answered the sign-off request."""

    group: Group
    spokesperson: str
    organisation: str


@dataclass(frozen=True)
class DecisionContext:
    closes_at: datetime | None
    #: When the moderator closed it, and the deadline it had if that was early.
    closed_at: datetime | None
    deadline_before_close: datetime | None
    signoff_deadline: datetime | None
    invited: int
    #: Invited organisations without a position, by group (groups in the fixed order; a group
    #: with none missing is left out).
    silent: dict[Group, list[str]]
    open_flags: int
    awaiting_approval: int
    signoff_asked: bool
    missing_signoffs: list[Waiting]

    @property
    def responded(self) -> int:
        return self.invited - sum(len(names) for names in self.silent.values())


def load(db: Session, round_id: int) -> DecisionContext:
    invited = read(
        db,
        select(Organisation.name, Organisation.group_name, Position.id.label("position_id"))
        .join(RoundInvitation, RoundInvitation.organisation_id == Organisation.id)
        .outerjoin(
            Position,
            (Position.organisation_id == Organisation.id) & (Position.round_id == round_id),
        )
        .where(RoundInvitation.round_id == round_id)
        .order_by(Organisation.name),
    ).all()
    silent: dict[Group, list[str]] = {}
    for group in Group:
        names = [r.name for r in invited if r.group_name == group.value and r.position_id is None]
        if names:
            silent[group] = names
    flags = read(
        db,
        select(func.count(func.distinct(Flag.comment_id)))
        .join(Comment, Comment.id == Flag.comment_id)
        .where(Comment.round_id == round_id, Flag.resolved_at.is_(None)),
    ).scalar()
    pending = read(
        db,
        select(func.count(Comment.id)).where(
            Comment.round_id == round_id, Comment.visibility == Visibility.PENDING.value
        ),
    ).scalar()
    dates = read(
        db,
        select(
            Round.closes_at, Round.closed_at, Round.deadline_before_close, Round.signoff_deadline
        ).where(Round.id == round_id),
    ).one()
    asked = signoff.signoffs(db, round_id)
    missing = [
        Waiting(group, view.spokesperson, view.organisation)
        for group, view in asked.items()
        if view.status == "requested"
    ]
    return DecisionContext(
        dates.closes_at,
        dates.closed_at,
        dates.deadline_before_close,
        dates.signoff_deadline,
        len(invited),
        silent,
        int(flags or 0),
        int(pending or 0),
        bool(asked),
        sorted(missing, key=lambda w: list(Group).index(w.group)),
    )
