"""Reading a round's record for its summary: a fixed handful of column queries, whatever the
round's size, turned into the plain RoundRecord that the pure summary is computed from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.comments.models import Comment
from app.db import read, utcnow
from app.errors import NotFound
from app.i18n import gettext as _
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds import rules
from app.rounds.models import GroupSignoff, Round
from app.rounds.queries import RoundHeader, header_of, invited_only, round_headers
from app.summaries.access import Audience, summary_audience
from app.summaries.summary import RoundRecord, StatementFact, summarise
from app.vocabulary import Visibility


def load_header(db: Session, round_id: int) -> RoundHeader:
    row = read(db, round_headers().where(Round.id == round_id)).one_or_none()
    if row is None:
        raise NotFound(_("There is no such round."))
    return header_of(row, utcnow())


def audience_for(header: RoundHeader, viewer: Viewer | None) -> Audience:
    """``viewer`` None is an API token: an agency's read-only access."""
    moderates = viewer is not None and viewer.may_moderate
    may_see = viewer is None or rules.may_read(viewer, header.status)
    return summary_audience(
        moderates=moderates, status=header.status, sealed=header.sealed, may_see_round=may_see
    )


def load_record(db: Session, header: RoundHeader) -> RoundRecord:
    invited = {
        r.group_name: r.n
        for r in read(
            db,
            invited_only(
                select(Organisation.group_name, func.count().label("n")), header.id
            ).group_by(Organisation.group_name),
        )
    }
    positions = tuple(
        StatementFact(r.group_name, r.name, r.stance, r.statement, r.created_at)
        for r in read(
            db,
            select(
                Organisation.group_name,
                Organisation.name,
                Position.stance,
                Position.statement,
                Position.created_at,
            )
            .join(Organisation, Organisation.id == Position.organisation_id)
            .where(Position.round_id == header.id),
        )
    )
    visible = Comment.visibility == Visibility.VISIBLE
    comments = {
        r.group_name: (int(r.visible or 0), int(r.total - (r.visible or 0)))
        for r in read(
            db,
            select(
                Organisation.group_name,
                func.count().label("total"),
                func.sum(case((visible, 1), else_=0)).label("visible"),
            )
            .join(Organisation, Organisation.id == Comment.organisation_id)
            .where(Comment.round_id == header.id)
            .group_by(Organisation.group_name),
        )
    }
    reservations = tuple(
        (r.group_name, r.reservation)
        for r in read(
            db,
            select(GroupSignoff.group_name, GroupSignoff.reservation)
            .where(GroupSignoff.round_id == header.id, GroupSignoff.status == "reservation")
            .order_by(GroupSignoff.group_name),
        )
    )
    return RoundRecord(
        round_id=header.id,
        title=header.title,
        status=header.status.value,
        weighting=header.weighting,
        invited=invited,
        positions=positions,
        comments=comments,
        outcome=header.outcome,
        reservations=reservations,
    )


def round_summary(db: Session, header: RoundHeader) -> dict[str, Any]:
    """The round's summary as published (JSON shape), with the round's identifying details."""
    summary = summarise(load_record(db, header), utcnow())
    summary["round"].update(
        {
            "number": header.number,
            "consultation_id": header.consultation_id,
            "consultation": header.consultation_title,
            "closes_at": header.closes_at.isoformat() if header.closes_at else None,
            "closed_at": header.closed_at.isoformat() if header.closed_at else None,
            "published_at": header.published_at.isoformat() if header.published_at else None,
        }
    )
    return summary
