"""Consultations and rounds: creating, inviting, opening, and reading them for a viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from app import markdown
from app.accounts.rules import Viewer
from app.audit.service import record
from app.cycle import subjects
from app.db import utcnow
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import N_
from app.i18n import gettext as _
from app.notifications import service as notifications
from app.organisations.models import Organisation
from app.rounds import rules
from app.rounds.models import Consultation, Round, RoundInvitation
from app.rounds.queries import RoundHeader, header_of, invited_only, round_headers
from app.vocabulary import Group, RoundStatus, Weighting


@dataclass
class ConsultationRow:
    id: int
    title: str
    rounds: list[RoundHeader] = field(default_factory=list)


def visible_consultations(db: Session, viewer: Viewer) -> list[ConsultationRow]:
    """Consultations with the rounds this person may see (two queries, whatever the count).

    Moderators and admins see every round; everyone else every round past draft, their own
    organisation's invitations first in mind (the page marks them).
    """
    now = utcnow()
    query = round_headers().order_by(Round.consultation_id, Round.number)
    if not (viewer.is_admin or viewer.is_moderator):
        query = query.where(Round.status != RoundStatus.DRAFT)
    by_consultation: dict[int, list[RoundHeader]] = {}
    for r in db.execute(query):
        by_consultation.setdefault(r.consultation_id, []).append(header_of(r, now))
    consultations = db.execute(
        select(Consultation.id, Consultation.title).order_by(
            Consultation.created_at.desc(), Consultation.id.desc()
        )
    ).all()
    show_empty = viewer.is_admin or viewer.is_moderator
    return [
        ConsultationRow(c.id, c.title, by_consultation.get(c.id, []))
        for c in consultations
        if show_empty or c.id in by_consultation
    ]


def require_moderator(viewer: Viewer) -> None:
    if not viewer.may_moderate:
        raise Forbidden(_("Only moderators run consultations and rounds."))


def create_consultation(
    db: Session, viewer: Viewer, title: str, brief: str, country: str = ""
) -> Consultation:
    require_moderator(viewer)
    title = rules.clean_text(
        title, field="title", label=N_("Title"), max_length=200, required=True, one_line=True
    )
    brief = rules.clean_text(
        brief, field="brief", label=N_("Brief"), max_length=20_000, required=False
    )
    # the country whose Convention 144 cycle it is part of (app/cycle)
    country = rules.clean_text(
        country,
        field="country",
        label=N_("The country"),
        max_length=100,
        required=False,
        one_line=True,
    )
    consultation = Consultation(
        title=title, brief=brief, country=country or None, created_by_id=viewer.user_id
    )
    db.add(consultation)
    db.flush()
    record(db, viewer.user_id, "consultation.created", "consultation", consultation.id, title=title)
    return consultation


@dataclass(frozen=True)
class RoundDraft:
    """What a moderator fills in to create a round."""

    title: str
    brief: str
    closes_at: datetime | None
    weighting: str
    sealed: bool
    organisation_ids: tuple[int, ...]
    #: "general" or a subject of C144 art. 5(1) (app.cycle.subjects)
    kind: str = "general"


def create_round(db: Session, viewer: Viewer, consultation_id: int, draft: RoundDraft) -> Round:
    require_moderator(viewer)
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("No such consultation."))
    title = rules.clean_text(
        draft.title,
        field="title",
        label=N_("Title"),
        max_length=200,
        required=True,
        one_line=True,
    )
    brief = rules.clean_text(
        draft.brief, field="brief", label=N_("Brief"), max_length=20_000, required=True
    )
    try:
        weighting = Weighting(draft.weighting)
    except ValueError:
        raise DomainError(_("Choose 1:1:1 or 2:1:1."), field="weighting") from None
    kind = subjects.parse_kind(draft.kind)
    if draft.closes_at is None:
        raise DomainError(_("A round needs a deadline."), field="closes_at")
    if draft.closes_at <= utcnow():
        raise DomainError(_("The deadline must be in the future."), field="closes_at")
    organisations = db.execute(
        select(Organisation.id, Organisation.group_name).where(
            Organisation.id.in_(draft.organisation_ids)
        )
    ).all()
    if len(organisations) != len(set(draft.organisation_ids)):
        raise DomainError(
            _("One of the chosen organisations does not exist."), field="organisations"
        )
    lock_numbering(db, consultation_id)
    number = (
        db.scalar(select(func.max(Round.number)).where(Round.consultation_id == consultation_id))
        or 0
    ) + 1
    round_ = Round(
        consultation_id=consultation_id,
        number=number,
        title=title,
        brief=brief,
        weighting=weighting,
        sealed=draft.sealed,
        closes_at=draft.closes_at,
        kind=kind,
        created_by_id=viewer.user_id,
    )
    db.add(round_)
    db.flush()
    db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o.id) for o in organisations)
    record(
        db,
        viewer.user_id,
        "round.created",
        "round",
        round_.id,
        title=title,
        weighting=weighting,
        sealed=draft.sealed,
        organisations=sorted(draft.organisation_ids),
        kind=kind,
    )
    return round_


def set_invitations(
    db: Session, viewer: Viewer, round_id: int, organisation_ids: tuple[int, ...]
) -> Round:
    """Choose the invited organisations of a draft round (afterwards the list is fixed)."""
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    if round_.status != RoundStatus.DRAFT:
        raise DomainError(
            _("Invitations can be changed only while the round is a draft."), status_code=409
        )
    wanted = set(organisation_ids)
    known = set(db.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))
    if known != wanted:
        raise DomainError(
            _("One of the chosen organisations does not exist."), field="organisations"
        )
    current = {
        inv.organisation_id: inv
        for inv in db.scalars(select(RoundInvitation).where(RoundInvitation.round_id == round_id))
    }
    for organisation_id, invitation in current.items():
        if organisation_id not in wanted:
            db.delete(invitation)
    db.add_all(RoundInvitation(round_id=round_id, organisation_id=o) for o in wanted - set(current))
    round_.version += 1
    record(
        db, viewer.user_id, "round.invitations_set", "round", round_id, organisations=sorted(wanted)
    )
    return round_


_GOV, _WORK, _EMP = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
#: What to invite before a round can open, by the groups missing (in ``Group`` order): one
#: whole sentence each, so that every language can word the groups its own way.
_INVITE_MISSING = {
    (_GOV,): N_("Invite at least one organisation of the government group first."),
    (_WORK,): N_("Invite at least one organisation of the workers group first."),
    (_EMP,): N_("Invite at least one organisation of the employers group first."),
    (_GOV, _WORK): N_(
        "Invite at least one organisation of the government and workers groups first."
    ),
    (_GOV, _EMP): N_(
        "Invite at least one organisation of the government and employers groups first."
    ),
    (_WORK, _EMP): N_(
        "Invite at least one organisation of the workers and employers groups first."
    ),
    (_GOV, _WORK, _EMP): N_(
        "Invite at least one organisation of the government and workers and employers groups first."
    ),
}


def missing_groups(db: Session, round_id: int) -> list[Group]:
    invited = set(db.scalars(invited_only(select(Organisation.group_name), round_id)))
    return [group for group in Group if group not in invited]


def lock_round(db: Session, round_id: int) -> Round:
    """The round, locked for the rest of the transaction, so that a write and a close (or the
    deadline) are ordered: ``FOR UPDATE`` on PostgreSQL; SQLite's write sessions already hold
    the database's write lock (``BEGIN IMMEDIATE``)."""
    round_ = db.scalar(select(Round).where(Round.id == round_id).with_for_update())
    if round_ is None:
        raise NotFound(_("No such round."))
    return round_


def lock_numbering(db: Session, consultation_id: int) -> None:
    """Lock the consultation until commit before numbering a new round of it, so that rounds
    created at the same moment take one number each: ``FOR NO KEY UPDATE`` on PostgreSQL
    (rounds can still be added under it; another numbering waits), SQLite's write lock."""
    db.execute(
        select(Consultation.id)
        .where(Consultation.id == consultation_id)
        .with_for_update(key_share=True)
    )


def claim_round(db: Session, round_id: int) -> tuple[RoundStatus, bool]:
    """Bump the round's version and read its state in one statement, at the end of a write.

    The UPDATE locks the round's row until commit (PostgreSQL; SQLite's write sessions hold
    the database's write lock), so a close or the deadline racing a post is ordered with it:
    the status returned here is the one the post commits against. Returns the effective status
    and whether comments are pre-moderated."""
    rounds = cast(Table, Round.__table__)
    # through the session (not app.db.read): its live pages are told at commit (app/live/changes)
    row = db.execute(
        update(rounds)
        .where(rounds.c.id == round_id)
        .values(version=rounds.c.version + 1)
        .returning(rounds.c.status, rounds.c.opens_at, rounds.c.closes_at, rounds.c.premoderated),
    ).one_or_none()
    if row is None:
        raise NotFound(_("No such round."))
    status = rules.effective_status(row.status, row.opens_at, row.closes_at, utcnow())
    return status, bool(row.premoderated)


def touch(db: Session, round_id: int) -> None:
    """Bump the round's version: live pages and caches see that something changed."""
    db.execute(update(Round).where(Round.id == round_id).values(version=Round.version + 1))


def open_round(db: Session, viewer: Viewer, round_id: int, opens_at: datetime | None) -> Round:
    """Open a draft round now, or schedule it (it then opens on time by itself)."""
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    if round_.status != RoundStatus.DRAFT:
        # opened a moment ago, perhaps in another tab
        raise DomainError(_("Only a draft round can be opened or scheduled."), status_code=409)
    missing = missing_groups(db, round_id)
    if missing:
        invite = _INVITE_MISSING[tuple(missing)]
        raise DomainError(
            _("A round opens only when all three groups are invited.") + " " + _(invite),
            field="organisations",
        )
    now = utcnow()
    if opens_at is not None and opens_at <= now:
        raise DomainError(
            _("The opening time must be in the future (or choose “Open now”)."), field="opens_at"
        )
    if opens_at is not None:
        if round_.closes_at is not None and opens_at >= round_.closes_at:
            raise DomainError(_("The round must open before its deadline."), field="opens_at")
        round_.status = RoundStatus.SCHEDULED
        round_.opens_at = opens_at
        record(
            db, viewer.user_id, "round.scheduled", "round", round_id, opens_at=opens_at.isoformat()
        )
    else:
        round_.status = RoundStatus.OPEN
        round_.opens_at = now
        record(db, viewer.user_id, "round.opened", "round", round_id)
        notifications.notify_round(db, round_id, "round.opened", opened_message(round_))
    round_.version += 1
    return round_


def rendered_brief(brief: str) -> str:
    return markdown.render(brief)


def opened_message(round_: Round) -> str:
    deadline = f" until {round_.closes_at:%d %b %Y, %H:%M} UTC" if round_.closes_at else ""
    return f"“{round_.title}” is open for your organisation's position{deadline}."
