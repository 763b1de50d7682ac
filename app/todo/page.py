"""The home page's to-do list, loaded for one viewer: a constant number of queries whatever the
number of rounds, organisations or items (at most four for an organisation's people, the
moderation dashboard's queries and two for a moderator, one for an observer). The rules that
decide what is listed are in app.todo.rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.caucus.models import GroupStatement, GroupStatementEndorsement
from app.db import read, utcnow
from app.moderation import dashboard
from app.organisations.models import Invitation, Mandate, Organisation
from app.positions.models import Position
from app.rounds.models import Consultation, GroupSignoff, Round, RoundInvitation
from app.rounds.queries import round_headers
from app.todo import rules
from app.todo.rules import Item
from app.vocabulary import Group, MandateRole, RoundStatus

#: Rounds an organisation's people may have something to do in (drafts are not announced).
_LIVE = (RoundStatus.SCHEDULED.value, RoundStatus.OPEN.value)


def items(db: Session, viewer: Viewer) -> list[Item]:
    """What waits for ``viewer`` now, most urgent first."""
    now = utcnow()
    found: list[Item] = []
    if viewer.mandates:
        found += rules.for_organisations(
            _invited(db, viewer),
            _signoffs(db, viewer),
            _statements(db, viewer),
            _represented(db, viewer, now),
            now,
        )
    if viewer.may_moderate:
        found += _for_moderators(db, now)
    elif viewer.is_observer:
        found += rules.for_observers(_published(db, now), now)
    return rules.ordered(found)


def _organisation_ids(viewer: Viewer) -> list[int]:
    return sorted({m.organisation_id for m in viewer.mandates})


def _invited(db: Session, viewer: Viewer) -> list[rules.Invited]:
    posted = (
        select(Position.id)
        .where(
            Position.round_id == Round.id,
            Position.organisation_id == RoundInvitation.organisation_id,
        )
        .exists()
        .label("responded")
    )
    query = (
        round_headers(
            RoundInvitation.organisation_id, Organisation.name.label("organisation"), posted
        )
        .join(RoundInvitation, RoundInvitation.round_id == Round.id)
        .join(Organisation, Organisation.id == RoundInvitation.organisation_id)
        .where(
            RoundInvitation.organisation_id.in_(_organisation_ids(viewer)),
            Round.status.in_(_LIVE),
        )
        .order_by(Round.closes_at, Round.id, Organisation.name)
    )
    return [
        rules.Invited(
            r.id,
            r.title,
            r.consultation_title,
            RoundStatus(r.status),
            r.opens_at,
            r.closes_at,
            r.organisation_id,
            r.organisation,
            bool(r.responded),
        )
        for r in read(db, query)
    ]


def _signoffs(db: Session, viewer: Viewer) -> list[rules.SignoffAsked]:
    focal = [m.organisation_id for m in viewer.mandates if m.role is MandateRole.FOCAL_POINT]
    if not focal:
        return []
    query = (
        select(
            Round.id,
            Round.title,
            Consultation.title.label("consultation"),
            Round.status,
            Round.signoff_deadline,
            GroupSignoff.group_name,
            GroupSignoff.organisation_id,
            GroupSignoff.status.label("decision"),
        )
        .join(Round, Round.id == GroupSignoff.round_id)
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(
            GroupSignoff.spokesperson_id == viewer.user_id,
            GroupSignoff.organisation_id.in_(focal),
            Round.status == RoundStatus.CLOSED.value,
        )
        .order_by(Round.id)
    )
    return [
        rules.SignoffAsked(
            r.id,
            r.title,
            r.consultation,
            RoundStatus(r.status),
            Group(r.group_name),
            r.organisation_id,
            r.decision != "requested",
            r.signoff_deadline,
        )
        for r in read(db, query)
    ]


def _statements(db: Session, viewer: Viewer) -> list[rules.DraftStatement]:
    endorsed = (
        select(GroupStatementEndorsement.id)
        .where(
            GroupStatementEndorsement.statement_id == GroupStatement.id,
            GroupStatementEndorsement.organisation_id == Organisation.id,
        )
        .exists()
        .label("endorsed")
    )
    query = (
        round_headers(
            GroupStatement.group_name.label("statement_group"),
            Organisation.id.label("organisation_id"),
            Organisation.name.label("organisation"),
            endorsed,
        )
        .join(GroupStatement, GroupStatement.round_id == Round.id)
        .join(RoundInvitation, RoundInvitation.round_id == Round.id)
        .join(
            Organisation,
            and_(
                Organisation.id == RoundInvitation.organisation_id,
                Organisation.group_name == GroupStatement.group_name,
            ),
        )
        .where(
            GroupStatement.published_at.is_(None),
            Organisation.id.in_(_organisation_ids(viewer)),
            Round.status.in_(_LIVE),
        )
        .order_by(Round.id, Organisation.name)
    )
    return [
        rules.DraftStatement(
            r.id,
            r.title,
            r.consultation_title,
            RoundStatus(r.status),
            r.opens_at,
            r.closes_at,
            Group(r.statement_group),
            r.organisation_id,
            r.organisation,
            bool(r.endorsed),
        )
        for r in read(db, query)
    ]


def _represented(db: Session, viewer: Viewer, now: datetime) -> list[rules.Represented]:
    focal = [m.organisation_id for m in viewer.mandates if m.role is MandateRole.FOCAL_POINT]
    if not focal:
        return []
    others = (
        select(func.count(Mandate.id))
        .join(User, User.id == Mandate.user_id)
        .where(
            Mandate.organisation_id == Organisation.id,
            Mandate.user_id != viewer.user_id,
            Mandate.revoked_at.is_(None),
            or_(Mandate.expires_at.is_(None), Mandate.expires_at > now),
            User.is_active.is_(True),
        )
        .scalar_subquery()
    )
    pending = (
        select(func.count(Invitation.id))
        .where(
            Invitation.organisation_id == Organisation.id,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > now,
        )
        .scalar_subquery()
    )
    query = (
        select(Organisation.id, Organisation.name, others.label("others"), pending.label("pending"))
        .where(Organisation.id.in_(focal))
        .order_by(Organisation.name)
    )
    return [rules.Represented(r.id, r.name, int(r.others), int(r.pending)) for r in read(db, query)]


def _for_moderators(db: Session, now: datetime) -> list[Item]:
    """The moderation dashboard's own figures (parity warnings, flags, comments awaiting
    approval), with what each round's stored status and sign-offs say is to be done."""
    buckets, _queue = dashboard.dashboard(db)
    shown = {r.id: r for bucket in buckets.values() for r in bucket}
    stored = read(
        db,
        select(Round.id, Round.status, Round.outcome, Round.signoff_deadline).where(
            Round.status.in_((RoundStatus.OPEN.value, RoundStatus.CLOSED.value))
        ),
    ).all()
    signoffs: dict[int, dict[Group, str]] = {}
    for s in read(
        db,
        select(GroupSignoff.round_id, GroupSignoff.group_name, GroupSignoff.status)
        .join(Round, Round.id == GroupSignoff.round_id)
        .where(Round.status == RoundStatus.CLOSED.value),
    ):
        signoffs.setdefault(s.round_id, {})[Group(s.group_name)] = s.status
    facts = {r.id: r for r in stored}
    rounds = []
    for round_id, d in shown.items():
        fact = facts.get(round_id)
        rounds.append(
            rules.RoundToRun(
                round_id,
                d.title,
                d.consultation,
                RoundStatus(fact.status) if fact else d.status,
                d.closes_at,
                fact.outcome if fact else None,
                fact.signoff_deadline if fact else None,
                signoffs.get(round_id, {}),
                d.warning,
            )
        )
    open_flags = sum(r.open_flags for r in shown.values())
    pending = sum(r.pending for r in shown.values())
    return rules.for_moderators(rounds, open_flags, pending, now)


def _published(db: Session, now: datetime) -> list[rules.Published]:
    since = now - timedelta(days=rules.RECENT_DAYS)
    query = (
        select(
            Round.id,
            Round.title,
            Consultation.title.label("consultation"),
            Round.published_at,
        )
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(Round.status == RoundStatus.PUBLISHED.value, Round.published_at >= since)
        .order_by(Round.published_at.desc(), Round.id.desc())
        .limit(rules.RECENT_SHOWN)
    )
    return [rules.Published(r.id, r.title, r.consultation, r.published_at) for r in read(db, query)]
