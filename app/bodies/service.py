"""Loading a body, its seats, and who a person is to it. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from app import text_rules
from app.accounts.models import User
from app.accounts.rules import Viewer, mandate_is_active
from app.audit.service import record
from app.bodies.models import Body, Seat
from app.db import read, utcnow
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.meetings.confidentiality import BodyViewer, body_viewer
from app.organisations.models import Mandate, Organisation
from app.text_rules import clean_line
from app.vocabulary import (
    AgendaChangeRule,
    BodyKind,
    Confidentiality,
    Group,
    Weighting,
    WithoutQuorum,
)


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


# -- the list, the settings, the seats ---------------------------------------------------------


def visible(model: Any, viewer: BodyViewer, now: datetime) -> ColumnElement[bool]:
    """SQL for ``may_see`` (app.meetings.confidentiality) on a table with the ``Restricted``
    columns: agenda items, meeting documents, minutes."""
    if viewer.member or viewer.secretariat:
        members: ColumnElement[bool] = model.confidentiality == Confidentiality.MEMBERS
    else:
        members = false()
    if viewer.member_groups:
        in_group: ColumnElement[bool] = and_(
            model.confidentiality == Confidentiality.GROUP,
            model.restricted_group.in_(sorted(viewer.member_groups)),
        )
    else:
        in_group = false()
    return or_(
        model.confidentiality == Confidentiality.PUBLIC,
        model.released_at.is_not(None),
        and_(model.release_at.is_not(None), model.release_at <= now),
        members,
        in_group,
    )


def require_secretariat(viewer: Viewer | None) -> Viewer:
    """The body's secretariat (moderators and administrators) runs bodies and meetings."""
    if viewer is None or not viewer.may_moderate:
        raise Forbidden(_("Only the secretariat (moderators) may do this."))
    return viewer


def all_bodies(db: Session) -> list[Body]:
    """Every body, by country then name (one query)."""
    return list(db.scalars(select(Body).order_by(Body.country, Body.name, Body.id)))


@dataclass(frozen=True)
class Settings:
    """A body as its form gives it, checked."""

    name: str
    country: str
    kind: BodyKind
    parent_id: int | None
    notice_days: int
    quorum_overall: int
    quorum_per_group: int
    without_quorum: WithoutQuorum
    agenda_change: AgendaChangeRule
    weighting: Weighting
    mandate: str = ""


def _number(value: str, field: str, low: int, high: int) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise DomainError(
            _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            field=field,
        )
    return int(text)


def _choice(enum: type[Any], value: str, field: str, message: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise DomainError(message, field=field) from None


def check_settings(db: Session, form: Mapping[str, str], body_id: int | None = None) -> Settings:
    """The form's settings, or a refusal beside the field that is wrong."""
    name = clean_line(form.get("name", ""), "name")
    if not name:
        raise DomainError(_("Give the body a name."), field="name")
    if len(name) > 200:
        raise DomainError(_("The name is longer than 200 characters."), field="name")
    country = clean_line(form.get("country", ""), "country")
    if not country or len(country) > 100:
        raise DomainError(_("Give the country the body belongs to."), field="country")
    kind = _choice(BodyKind, form.get("kind", ""), "kind", _("Choose what kind of body it is."))
    parent_id: int | None = None
    parent_text = form.get("parent", "").strip()
    if parent_text:
        if not (parent_text.isascii() and parent_text.isdigit()):
            raise DomainError(_("Choose the body it belongs to."), field="parent")
        parent = db.get(Body, int(parent_text))
        if parent is None or parent.id == body_id or parent.parent_id is not None:
            raise DomainError(
                _("Choose a council or commission (not a task team, nor the body itself)."),
                field="parent",
            )
        parent_id = parent.id
    if kind is BodyKind.TASK_TEAM and parent_id is None:
        raise DomainError(_("A task team belongs to a council or commission."), field="parent")
    return Settings(
        name=name,
        country=country,
        kind=kind,
        parent_id=parent_id,
        notice_days=_number(form.get("notice_days", ""), "notice_days", 0, 365),
        quorum_overall=_number(form.get("quorum_overall", ""), "quorum_overall", 0, 1000),
        quorum_per_group=_number(form.get("quorum_per_group", ""), "quorum_per_group", 0, 1000),
        without_quorum=_choice(
            WithoutQuorum,
            form.get("without_quorum", ""),
            "without_quorum",
            _("Choose what a decision taken without quorum becomes."),
        ),
        agenda_change=_choice(
            AgendaChangeRule,
            form.get("agenda_change", ""),
            "agenda_change",
            _("Choose who must agree to change an issued agenda."),
        ),
        weighting=_choice(
            Weighting, form.get("weighting", ""), "weighting", _("Choose 1:1:1 or 2:1:1.")
        ),
        mandate=text_rules.clean_block(form.get("mandate", ""), "mandate")[:20_000],
    )


def _apply(row: Body, settings: Settings) -> None:
    for name, value in asdict(settings).items():
        setattr(row, name, value)


def create(db: Session, viewer: Viewer, settings: Settings) -> Body:
    require_secretariat(viewer)
    row = Body(created_by_id=viewer.user_id)
    _apply(row, settings)
    db.add(row)
    db.flush()
    record(db, viewer.user_id, "body.created", "body", row.id, name=row.name)
    return row


def change_settings(db: Session, viewer: Viewer, body_id: int, settings: Settings) -> Body:
    require_secretariat(viewer)
    row = body(db, body_id)
    before = {k: str(getattr(row, k)) for k in asdict(settings) if k != "mandate"}
    _apply(row, settings)
    after = {k: str(getattr(row, k)) for k in before}
    changed = [k for k in before if before[k] != after[k]]
    record(
        db,
        viewer.user_id,
        "body.settings_changed",
        "body",
        row.id,
        name=row.name,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return row


@dataclass(frozen=True)
class Mandated:
    user_id: int
    name: str
    organisation_id: int


def mandated_people(db: Session, organisation_ids: Iterable[int] | None = None) -> list[Mandated]:
    """The people with an active mandate, per organisation (one query)."""
    now = utcnow()
    query = (
        select(Mandate.user_id, User.name, Mandate.organisation_id, Mandate.starts_at)
        .join(User, User.id == Mandate.user_id)
        .where(
            Mandate.revoked_at.is_(None),
            (Mandate.expires_at.is_(None)) | (Mandate.expires_at > now),
            User.is_active.is_(True),
        )
        .order_by(User.name)
    )
    if organisation_ids is not None:
        query = query.where(Mandate.organisation_id.in_(list(organisation_ids)))
    return [
        Mandated(row.user_id, row.name, row.organisation_id)
        for row in read(db, query)
        if mandate_is_active(row.starts_at, None, None, now)
    ]


def _person(value: str, field: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise DomainError(_("Choose a person from the list."), field=field)
    return int(text)


def _check_people(
    db: Session, organisation_id: int, holder_id: int | None, alternate_id: int | None
) -> None:
    if holder_id is None:
        raise DomainError(_("Choose who holds the seat."), field="holder")
    mandated = {m.user_id for m in mandated_people(db, [organisation_id])}
    if holder_id not in mandated:
        raise DomainError(
            _("The holder must hold an active mandate of the organisation."), field="holder"
        )
    if alternate_id is not None:
        if alternate_id == holder_id:
            raise DomainError(
                _("The alternate must be another person than the holder."), field="alternate"
            )
        if alternate_id not in mandated:
            raise DomainError(
                _("The alternate must hold an active mandate of the organisation."),
                field="alternate",
            )


def add_seat(
    db: Session, viewer: Viewer, body_id: int, organisation: str, holder: str, alternate: str
) -> tuple[Seat, Organisation]:
    require_secretariat(viewer)
    row = body(db, body_id)
    org_id = _person(organisation, "organisation")
    org = db.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        raise DomainError(_("Choose the organisation that takes the seat."), field="organisation")
    if org.id in seated_organisations(db, row.id):
        raise Conflict(
            _("%(organisation)s already has a seat on this body: change its holder instead.")
            % {"organisation": org.name},
            field="organisation",
        )
    holder_id, alternate_id = _person(holder, "holder"), _person(alternate, "alternate")
    _check_people(db, org.id, holder_id, alternate_id)
    seat = Seat(
        body_id=row.id, organisation_id=org.id, holder_id=holder_id, alternate_id=alternate_id
    )
    db.add(seat)
    db.flush()
    record(
        db,
        viewer.user_id,
        "seat.added",
        "body",
        row.id,
        seat=seat.id,
        organisation_id=org.id,
        holder=holder_id,
        alternate=alternate_id,
    )
    return seat, org


def change_seat(
    db: Session, viewer: Viewer, seat_id: int, holder: str, alternate: str
) -> tuple[Seat, Organisation]:
    require_secretariat(viewer)
    seat = db.get(Seat, seat_id)
    if seat is None:
        raise NotFound(_("There is no such seat."))
    org = db.get(Organisation, seat.organisation_id)
    assert org is not None
    holder_id, alternate_id = _person(holder, "holder"), _person(alternate, "alternate")
    _check_people(db, org.id, holder_id, alternate_id)
    before = {"holder": seat.holder_id, "alternate": seat.alternate_id}
    seat.holder_id, seat.alternate_id = holder_id, alternate_id
    record(
        db,
        viewer.user_id,
        "seat.changed",
        "body",
        seat.body_id,
        seat=seat.id,
        organisation_id=org.id,
        before=before,
        after={"holder": holder_id, "alternate": alternate_id},
    )
    return seat, org
