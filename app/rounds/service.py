"""Reading consultations and rounds for a viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.rounds.models import Consultation, Round, RoundInvitation
from app.vocabulary import RoundStatus


@dataclass
class RoundRow:
    id: int
    number: int
    title: str
    status: str
    closes_at: datetime | None


@dataclass
class ConsultationRow:
    id: int
    title: str
    rounds: list[RoundRow] = field(default_factory=list)


def visible_consultations(db: Session, viewer: Viewer) -> list[ConsultationRow]:
    """Consultations with the rounds this person may see (two queries, whatever the count).

    Moderators and admins see every round; observers every round past draft; a representative
    the rounds their organisation is invited to, once they are no longer drafts.
    """
    query = select(
        Round.id, Round.number, Round.title, Round.status, Round.closes_at, Round.consultation_id
    ).order_by(Round.consultation_id, Round.number)
    if not (viewer.is_admin or viewer.is_moderator):
        query = query.where(Round.status != RoundStatus.DRAFT.value)
        if not viewer.is_observer:
            organisation_ids = [m.organisation_id for m in viewer.mandates]
            query = query.where(
                Round.id.in_(
                    select(RoundInvitation.round_id).where(
                        RoundInvitation.organisation_id.in_(organisation_ids)
                    )
                )
            )
    rows = db.execute(query).all()
    by_consultation: dict[int, list[RoundRow]] = {}
    for r in rows:
        by_consultation.setdefault(r.consultation_id, []).append(
            RoundRow(r.id, r.number, r.title, r.status, r.closes_at)
        )
    consultations = db.execute(
        select(Consultation.id, Consultation.title).order_by(Consultation.created_at.desc())
    ).all()
    show_empty = viewer.is_admin or viewer.is_moderator
    return [
        ConsultationRow(c.id, c.title, by_consultation.get(c.id, []))
        for c in consultations
        if show_empty or c.id in by_consultation
    ]
