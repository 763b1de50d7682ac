"""The bodies' list and a body's page, each assembled here in a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.bodies import service
from app.bodies.models import Body
from app.bodies.service import Mandated, SeatRow
from app.db import read, utcnow
from app.decisions import register as decision_register
from app.meetings import rules
from app.meetings.confidentiality import BodyViewer
from app.meetings.models import Meeting
from app.organisations.models import Organisation
from app.vocabulary import Group


@dataclass(frozen=True)
class Listed:
    body: Body
    task_teams: list[Body]


def listing(db: Session) -> dict[str, list[Listed]]:
    """Every body by country, each council or commission with its task teams under it."""
    every = service.all_bodies(db)
    children: dict[int, list[Body]] = defaultdict(list)
    for row in every:
        if row.parent_id is not None:
            children[row.parent_id].append(row)
    ids = {row.id for row in every}
    by_country: dict[str, list[Listed]] = {}
    for row in every:
        if row.parent_id is None or row.parent_id not in ids:
            by_country.setdefault(row.country, []).append(Listed(row, children.get(row.id, [])))
    return by_country


@dataclass(frozen=True)
class SeatView:
    seat: SeatRow
    holder: str
    alternate: str


@dataclass
class BodyPage:
    body: Body
    parent: Body | None
    body_viewer: BodyViewer
    seats: dict[Group, list[SeatView]]
    parity: rules.Parity
    sub_bodies: list[Body]
    upcoming: list[Meeting]
    past: list[Meeting]
    #: For the secretariat's forms: organisations without a seat, and who may sit for each.
    organisations: list[Organisation] = field(default_factory=list)
    mandated: dict[int, list[Mandated]] = field(default_factory=dict)
    parents: list[Body] = field(default_factory=list)
    #: The follow-up of its decisions that needs attention (signed-in readers).
    follow_up: decision_register.Flags | None = None

    @property
    def seat_count(self) -> int:
        return sum(len(s) for s in self.seats.values())


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def build(db: Session, viewer: Viewer | None, body_id: int) -> BodyPage:
    body = service.body(db, body_id)
    body_viewer = service.viewer_of(db, viewer, body.id)
    seats = service.seats(db, body.id)
    people = {s.holder_id for s in seats if s.holder_id} | {
        s.alternate_id for s in seats if s.alternate_id
    }
    names: dict[int, str] = {}
    if people and viewer is not None:
        rows = read(db, select(User.id, User.name).where(User.id.in_(people)))
        names = {row.id: row.name for row in rows}
    grouped: dict[Group, list[SeatView]] = {g: [] for g in Group}
    for s in seats:
        grouped[s.group].append(
            SeatView(s, names.get(s.holder_id or 0, ""), names.get(s.alternate_id or 0, ""))
        )
    related = list(
        db.scalars(select(Body).where((Body.parent_id == body.id) | (Body.id == body.parent_id)))
    )
    meetings_query = (
        select(Meeting)
        .where(Meeting.body_id == body.id, Meeting.cancelled_at.is_(None))
        .order_by(Meeting.starts_at)
    )
    if not (body_viewer.member or body_viewer.secretariat):
        meetings_query = meetings_query.where(Meeting.public.is_(True))
    meetings = list(db.scalars(meetings_query))
    now = utcnow()
    page = BodyPage(
        body=body,
        parent=next((b for b in related if b.id == body.parent_id), None),
        body_viewer=body_viewer,
        seats=grouped,
        parity=rules.parity(s.group for s in seats),
        sub_bodies=[b for b in related if b.parent_id == body.id],
        upcoming=[m for m in meetings if _aware(m.starts_at) >= now],
        past=list(reversed([m for m in meetings if _aware(m.starts_at) < now])),
    )
    if viewer is not None:
        page.follow_up = decision_register.flags(db, viewer, body.id)
    if body_viewer.secretariat:
        seated = {s.organisation_id for s in seats}
        page.organisations = [
            o
            for o in db.scalars(select(Organisation).order_by(Organisation.name))
            if o.id not in seated
        ]
        mandated: dict[int, list[Mandated]] = defaultdict(list)
        for person in service.mandated_people(db):
            mandated[person.organisation_id].append(person)
        page.mandated = dict(mandated)
        page.parents = [
            b
            for b in db.scalars(select(Body).where(Body.parent_id.is_(None)).order_by(Body.name))
            if b.id != body.id
        ]
    return page


def parents(db: Session) -> list[Body]:
    """The bodies a task team may belong to (councils and commissions)."""
    return list(db.scalars(select(Body).where(Body.parent_id.is_(None)).order_by(Body.name)))
