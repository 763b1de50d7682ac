"""Loading a body, its seats, and who a person is to it. Never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.bodies.models import Body, Seat
from app.db import read
from app.errors import NotFound
from app.i18n import gettext as _
from app.meetings.confidentiality import BodyViewer, body_viewer
from app.organisations.models import Organisation
from app.vocabulary import Group


@dataclass(frozen=True)
class SeatRow:
    """A seat with what a page says of it (one query for a body's seats)."""

    id: int
    organisation_id: int
    organisation: str
    group: Group
    holder_id: int | None
    alternate_id: int | None


def body(db: Session, body_id: int) -> Body:
    found = db.get(Body, body_id)
    if found is None:
        raise NotFound(_("There is no such body."))
    return found


def seats(db: Session, body_id: int) -> list[SeatRow]:
    """A body's seats, by group then organisation name."""
    rows = read(
        db,
        select(
            Seat.id,
            Seat.organisation_id,
            Organisation.name,
            Organisation.group_name,
            Seat.holder_id,
            Seat.alternate_id,
        )
        .join(Organisation, Organisation.id == Seat.organisation_id)
        .where(Seat.body_id == body_id)
        .order_by(Organisation.group_name, Organisation.name),
    )
    return [SeatRow(*row) for row in rows]


def seated_organisations(db: Session, body_id: int) -> set[int]:
    return set(db.scalars(select(Seat.organisation_id).where(Seat.body_id == body_id)))


def viewer_of(db: Session, viewer: Viewer | None, body_id: int) -> BodyViewer:
    """Who ``viewer`` is to the body: the groups they are a member of it in, and whether they
    are its secretariat (moderators and administrators run every body)."""
    if viewer is None:
        return BodyViewer()
    return body_viewer(
        ((m.organisation_id, m.group) for m in viewer.mandates),
        seated_organisations(db, body_id),
        secretariat=viewer.may_moderate,
    )
