"""Posting and revising an organisation's position (every version kept)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import i18n, markdown
from app.accounts.rules import Viewer
from app.audit.service import record
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.i18n import gettext as _
from app.positions.models import Position, PositionVersion
from app.rounds import rules
from app.rounds.models import Round, RoundInvitation
from app.rounds.service import claim_round
from app.vocabulary import RoundStatus


def invited_organisation_ids(db: Session, round_id: int) -> list[int]:
    return list(
        db.scalars(
            select(RoundInvitation.organisation_id).where(RoundInvitation.round_id == round_id)
        )
    )


def current_status(round_: Round) -> RoundStatus:
    return rules.effective_status(round_.status, round_.opens_at, round_.closes_at, utcnow())


class StalePosition(Conflict):
    """Someone else revised the position since the form was opened: both texts are shown."""

    def __init__(self, current: Position) -> None:
        super().__init__(
            _(
                "Someone else in your organisation revised this position while you "
                "were editing. Their version is shown below; yours is kept in the "
                "form. Merge them and post again."
            ),
            field="statement",
        )
        self.current = current


@dataclass(frozen=True)
class PositionInput:
    stance: str
    statement: str
    base_version: int
    idempotency_key: str
    #: The language the statement is written in (default: the page's language).
    language: str = ""


def post(db: Session, viewer: Viewer, round_id: int, data: PositionInput) -> Position:
    """Post or revise the viewer's organisation's position in the round.

    Checks run first, without locks; then the round is claimed (version bumped, row locked
    until commit) and its status checked again before the position is read and written, so a
    post racing the deadline or a close is either in before it or refused, and two revisions
    of one position are ordered (the second is told it is stale)."""
    round_ = db.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("No such round."))
    speaking = rules.speaker_for(
        viewer, invited_organisation_ids(db, round_id), current_status(round_)
    )
    stance, statement = rules.check_position(data.stance, data.statement)
    key = rules.idempotency_key(data.idempotency_key)
    html = markdown.render(statement)
    status, _premoderated = claim_round(db, round_id)
    rules.speaker_for(viewer, [speaking.organisation_id], status)
    # after the claim: a double click waits for the first post and then finds it
    if key is not None:
        repeat = db.scalar(
            select(Position)
            .join(PositionVersion, PositionVersion.position_id == Position.id)
            .where(
                PositionVersion.author_id == viewer.user_id, PositionVersion.idempotency_key == key
            )
        )
        if repeat is not None:
            return repeat  # a double click or a retry: already recorded
    position = db.scalar(
        select(Position).where(
            Position.round_id == round_id, Position.organisation_id == speaking.organisation_id
        )
    )
    now = utcnow()
    if position is None:
        if data.base_version != 0:
            raise DomainError(_("This position no longer exists."))
        position = Position(
            round_id=round_id,
            organisation_id=speaking.organisation_id,
            stance=stance,
            statement=statement,
            statement_html=html,
            version=1,
            created_by_id=viewer.user_id,
            last_edited_by_id=viewer.user_id,
            created_at=now,
            updated_at=now,
            language=i18n.text_language(data.language),
        )
        db.add(position)
        db.flush()
    else:
        if data.base_version != position.version:
            raise StalePosition(position)
        position.version += 1
        position.stance = stance
        position.statement = statement
        position.statement_html = html
        position.last_edited_by_id = viewer.user_id
        position.updated_at = now
        position.language = i18n.text_language(data.language)
    db.add(
        PositionVersion(
            position_id=position.id,
            version=position.version,
            stance=stance,
            statement=statement,
            author_id=viewer.user_id,
            created_at=now,
            idempotency_key=key,
        )
    )
    record(
        db,
        viewer.user_id,
        "position.posted",
        "position",
        position.id,
        round_id=round_id,
        organisation_id=speaking.organisation_id,
        version=position.version,
    )
    return position


def history(db: Session, position_id: int) -> list[PositionVersion]:
    versions = list(
        db.scalars(
            select(PositionVersion)
            .where(PositionVersion.position_id == position_id)
            .order_by(PositionVersion.version.desc())
        )
    )
    if not versions:
        raise NotFound(_("No such position."))
    return versions
