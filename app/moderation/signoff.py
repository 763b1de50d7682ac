"""The tripartite record: after close and before publication, one spokesperson per group
confirms the draft outcome or files a reservation, published with it and attributed to the
group. Dissent is on the record, never edited away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer, mandate_is_active
from app.audit.service import record
from app.db import read, utcnow
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import N_
from app.i18n import gettext as _
from app.moderation.rules import GROUP_IN_SENTENCE, signoff_request_refusal
from app.notifications import service as notifications
from app.organisations.models import Mandate, Organisation
from app.rounds.models import GroupSignoff, Round
from app.rounds.queries import invited_only
from app.rounds.rules import clean_text
from app.rounds.service import lock_round, require_moderator
from app.vocabulary import Group, MandateRole, RoundStatus


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    organisation_id: int
    organisation: str
    group: Group
    #: shown beside the name in the spokesperson picker: two people may share a name
    email: str = ""


def candidates(db: Session, round_id: int) -> dict[Group, list[Candidate]]:
    """Focal points of the round's invited organisations, by group."""
    now = utcnow()
    people = (
        select(
            User.id,
            User.name,
            User.email,
            Organisation.id.label("organisation_id"),
            Organisation.name.label("organisation"),
            Organisation.group_name,
            Mandate.starts_at,
            Mandate.expires_at,
            Mandate.revoked_at,
        )
        .join(Mandate, Mandate.user_id == User.id)
        .join(Organisation, Organisation.id == Mandate.organisation_id)
        .where(Mandate.role == MandateRole.FOCAL_POINT, User.is_active.is_(True))
        .order_by(Organisation.name, User.name)
    )
    rows = read(db, invited_only(people, round_id)).all()
    found: dict[Group, list[Candidate]] = {group: [] for group in Group}
    for r in rows:
        if mandate_is_active(r.starts_at, r.expires_at, r.revoked_at, now):
            found[r.group_name].append(
                Candidate(
                    r.id, r.name, r.organisation_id, r.organisation, r.group_name, email=r.email
                )
            )
    return found


def request(
    db: Session,
    viewer: Viewer,
    round_id: int,
    spokespersons: dict[Group, int | None],
    deadline: datetime | None,
) -> list[GroupSignoff]:
    """The moderator names a spokesperson per group and the sign-off deadline."""
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    answered = {s.group_name: s.status for s in db.scalars(_signoffs_of(round_id))}
    refusal = signoff_request_refusal(RoundStatus(round_.status), round_.outcome, answered)
    if refusal is not None:
        raise refusal
    if deadline is None or deadline <= utcnow():
        raise DomainError(_("Give a sign-off deadline in the future."), field="signoff_deadline")
    options = candidates(db, round_id)
    existing = {s.group_name: s for s in db.scalars(_signoffs_of(round_id))}
    chosen: list[GroupSignoff] = []
    for group in Group:
        user_id = spokespersons.get(group)
        match = next((c for c in options[group] if c.user_id == user_id), None)
        if match is None:
            raise DomainError(
                _(
                    "Choose the spokesperson of the %(group)s among the "
                    "focal points of its invited organisations."
                )
                % {"group": GROUP_IN_SENTENCE[group]},
                field=f"spokesperson_{group.value}",
            )
        signoff = existing.get(group)
        if signoff is None:
            signoff = GroupSignoff(
                round_id=round_id,
                group_name=group,
                spokesperson_id=match.user_id,
                organisation_id=match.organisation_id,
                status="requested",
            )
            db.add(signoff)
        elif signoff.spokesperson_id != match.user_id:
            signoff.spokesperson_id = match.user_id
            signoff.organisation_id = match.organisation_id
        chosen.append(signoff)
    round_.signoff_deadline = deadline
    round_.version += 1
    notifications.notify(
        db,
        [s.spokesperson_id for s in chosen],
        round_id,
        "round.signoff_requested",
        f"Your group's sign-off of the outcome of “{round_.title}” is requested "
        f"by {deadline:%d %b %Y, %H:%M} UTC.",
    )
    record(
        db,
        viewer.user_id,
        "round.signoff_requested",
        "round",
        round_id,
        deadline=deadline.isoformat(),
        spokespersons={g.value: spokespersons.get(g) for g in Group},
    )
    return chosen


def _signoffs_of(round_id: int) -> Select[GroupSignoff]:
    return select(GroupSignoff).where(GroupSignoff.round_id == round_id)


def decide(
    db: Session, viewer: Viewer, round_id: int, decision: str, reservation: str
) -> GroupSignoff:
    """The spokesperson confirms the draft outcome or files the group's reservation."""
    round_ = lock_round(db, round_id)
    if round_.status != RoundStatus.CLOSED:
        raise DomainError(
            _("Sign-off is open only between the close and the publication."), status_code=409
        )
    signoff = db.scalar(
        select(GroupSignoff).where(
            GroupSignoff.round_id == round_id, GroupSignoff.spokesperson_id == viewer.user_id
        )
    )
    if signoff is None or not viewer.is_focal_point_of(signoff.organisation_id):
        raise Forbidden(_("Only the spokesperson named for your group signs off this outcome."))
    if decision == "confirm":
        signoff.status, signoff.reservation = "confirmed", None
    elif decision == "reservation":
        text = clean_text(
            reservation,
            field="reservation",
            label=N_("The reservation"),
            max_length=5_000,
            required=True,
        )
        signoff.status, signoff.reservation = "reservation", text
    else:
        raise DomainError(_("Confirm, or file a reservation."), field="decision")
    signoff.decided_at = utcnow()
    round_.version += 1
    record(
        db,
        viewer.user_id,
        f"signoff.{signoff.status}",
        "round",
        round_id,
        group=signoff.group_name,
        reservation=signoff.reservation,
    )
    return signoff


def reset_confirmations(db: Session, round_id: int) -> int:
    """A revised outcome must be confirmed again (reservations stand until changed)."""
    result = db.execute(
        update(GroupSignoff)
        .where(GroupSignoff.round_id == round_id, GroupSignoff.status == "confirmed")
        .values(status="requested", decided_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class SignoffView:
    group: Group
    spokesperson_id: int
    spokesperson: str
    organisation: str
    status: str
    reservation: str | None
    decided_at: datetime | None


def signoffs(db: Session, round_id: int) -> dict[Group, SignoffView]:
    rows = read(
        db,
        select(
            GroupSignoff.group_name,
            GroupSignoff.spokesperson_id,
            User.name,
            Organisation.name.label("organisation"),
            GroupSignoff.status,
            GroupSignoff.reservation,
            GroupSignoff.decided_at,
        )
        .join(User, User.id == GroupSignoff.spokesperson_id)
        .join(Organisation, Organisation.id == GroupSignoff.organisation_id)
        .where(GroupSignoff.round_id == round_id),
    ).all()
    return {
        r.group_name: SignoffView(
            r.group_name,
            r.spokesperson_id,
            r.name,
            r.organisation,
            r.status,
            r.reservation,
            r.decided_at,
        )
        for r in rows
    }


def round_or_404(db: Session, round_id: int) -> Round:
    round_ = db.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_
