"""Naming a round's officers (moderators), and reading them for the round page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer, mandate_is_active
from app.audit.service import record
from app.db import read, utcnow
from app.errors import DomainError
from app.officers import rules
from app.officers.rules import Affiliation, Officer, OfficerRole, Person
from app.organisations.models import Mandate, Organisation
from app.rounds.models import Round, RoundInvitation, RoundOfficer
from app.rounds.service import lock_round, require_moderator
from app.vocabulary import Group, RoundStatus

if TYPE_CHECKING:
    pass

_ROLE_ORDER = list(OfficerRole)


def officers(db: Session, round_id: int) -> list[Officer]:
    rows = read(
        db,
        select(
            RoundOfficer.role,
            RoundOfficer.name,
            RoundOfficer.user_id,
            RoundOfficer.organisation_id,
            Organisation.name.label("organisation"),
        )
        .outerjoin(Organisation, Organisation.id == RoundOfficer.organisation_id)
        .where(RoundOfficer.round_id == round_id),
    ).all()
    found = [Officer(r.role, r.name, r.user_id, r.organisation_id, r.organisation) for r in rows]
    return sorted(found, key=lambda o: _ROLE_ORDER.index(o.role))


def people(db: Session, round_id: int, user_id: int | None = None) -> list[Person]:
    """Active accounts with their active mandates (and whether the round invites each
    organisation), by name; one person when ``user_id`` is given. One query."""
    invited = (
        select(RoundInvitation.id)
        .where(
            RoundInvitation.round_id == round_id,
            RoundInvitation.organisation_id == Organisation.id,
        )
        .exists()
        .label("invited")
    )
    query = (
        select(
            User.id,
            User.name,
            User.email,
            Mandate.starts_at,
            Mandate.expires_at,
            Mandate.revoked_at,
            Organisation.id.label("organisation_id"),
            Organisation.name.label("organisation"),
            Organisation.group_name,
            invited,
        )
        .outerjoin(Mandate, Mandate.user_id == User.id)
        .outerjoin(Organisation, Organisation.id == Mandate.organisation_id)
        .where(User.is_active.is_(True))
        .order_by(User.name, User.id, Organisation.name)
    )
    if user_id is not None:
        query = query.where(User.id == user_id)
    now = utcnow()
    found: dict[int, tuple[str, list[Affiliation]]] = {}
    emails: dict[int, str] = {}
    for r in read(db, query):
        _name, affiliations = found.setdefault(r.id, (r.name, []))
        emails[r.id] = r.email
        if r.organisation_id is not None and mandate_is_active(
            r.starts_at, r.expires_at, r.revoked_at, now
        ):
            affiliations.append(
                Affiliation(r.organisation_id, r.organisation, r.group_name, bool(r.invited))
            )
    return [
        Person(uid, name, tuple(affs), email=emails[uid]) for uid, (name, affs) in found.items()
    ]


@dataclass(frozen=True)
class Candidates:
    """Whom the form offers: chairs (government people first, then the others) and each
    vice-chair's representatives."""

    government: list[Person]
    neutral: list[Person]
    vice_chairs: dict[OfficerRole, list[Person]]


def candidates(db: Session, round_id: int) -> Candidates:
    everyone = people(db, round_id)
    chairs = [p for p in everyone if rules.may_chair(p)]
    government = [p for p in chairs if any(a.group is Group.GOVERNMENT for a in p.affiliations)]
    neutral = [p for p in chairs if p not in government]
    vice = {
        role: [p for p in everyone if rules.vice_chair_affiliation(role, p) is not None]
        for role in rules.VICE_CHAIR_GROUPS
    }
    return Candidates(government, neutral, vice)


@dataclass(frozen=True)
class OfficersForm:
    chair_user: str = ""
    chair_name: str = ""
    vice_chair_employers: str = ""
    vice_chair_workers: str = ""
    social_partners_first: bool = True

    def value(self, role: OfficerRole) -> str:
        return str(getattr(self, "chair_user" if role is OfficerRole.CHAIR else role.value))


class OfficersRefused(DomainError):
    """The form refused, with an error next to each field that has one."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def _user_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _person(db: Session, round_id: int, value: str) -> Person | None:
    user_id = _user_id(value)
    if user_id is None:
        return None
    found = people(db, round_id, user_id)
    return found[0] if found else None


def _choose(db: Session, round_id: int, form: OfficersForm) -> dict[OfficerRole, Officer | None]:
    chosen: dict[OfficerRole, Officer | None] = {}
    errors: dict[str, str] = {}
    for role in OfficerRole:
        value = form.value(role)
        asked = bool(value.strip())
        person = _person(db, round_id, value) if asked else None
        try:
            if role is OfficerRole.CHAIR:
                chosen[role] = rules.choose_chair(person, asked, form.chair_name)
            else:
                chosen[role] = rules.choose_vice_chair(role, person, asked)
        except DomainError as error:
            errors[error.field or role.value] = error.message
    if errors:
        raise OfficersRefused(errors)
    return chosen


def save(db: Session, viewer: Viewer, round_id: int, form: OfficersForm) -> None:
    """Name (or change, or remove) the round's officers and set whether the social partners
    open the balanced discussion. Recorded in the audit log."""
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    refusal = rules.change_refusal(RoundStatus(round_.status))
    if refusal is not None:
        raise refusal
    chosen = _choose(db, round_id, form)
    _replace(db, round_, chosen)
    round_.social_partners_first = form.social_partners_first
    round_.version += 1  # the page shows them, and the balanced order may have changed
    record(
        db,
        viewer.user_id,
        "round.officers_set",
        "round",
        round_id,
        social_partners_first=form.social_partners_first,
        **{role.value: _described(officer) for role, officer in chosen.items()},
    )


def _replace(db: Session, round_: Round, chosen: dict[OfficerRole, Officer | None]) -> None:
    """Each role's row updated in place (a role is unique per round), added or removed."""
    existing = {
        row.role: row
        for row in db.scalars(select(RoundOfficer).where(RoundOfficer.round_id == round_.id))
    }
    for role, officer in chosen.items():
        row = existing.get(role)
        if officer is None:
            if row is not None:
                db.delete(row)
            continue
        if row is None:
            row = RoundOfficer(round_id=round_.id, role=role)
            db.add(row)
        row.user_id = officer.user_id
        row.name = officer.name
        row.organisation_id = officer.organisation_id


def _described(officer: Officer | None) -> dict[str, Any] | None:
    if officer is None:
        return None
    return {
        "user_id": officer.user_id,
        "name": officer.name,
        "organisation_id": officer.organisation_id,
    }


def current_form(db: Session, round_id: int) -> OfficersForm:
    """The form filled in with the round's officers as they are."""
    by_role = {o.role: o for o in officers(db, round_id)}
    chair = by_role.get(OfficerRole.CHAIR)
    partners_first = db.scalar(select(Round.social_partners_first).where(Round.id == round_id))

    def user(role: OfficerRole) -> str:
        officer = by_role.get(role)
        return str(officer.user_id) if officer and officer.user_id else ""

    return OfficersForm(
        chair_user=user(OfficerRole.CHAIR),
        chair_name=chair.name if chair and chair.user_id is None else "",
        vice_chair_employers=user(OfficerRole.VICE_CHAIR_EMPLOYERS),
        vice_chair_workers=user(OfficerRole.VICE_CHAIR_WORKERS),
        social_partners_first=bool(partners_first) if partners_first is not None else True,
    )
