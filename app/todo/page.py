"""The home page's to-do list, loaded for one viewer: a constant number of queries whatever the
number of rounds, organisations or items (at most four for an organisation's people, the
moderation dashboard's queries and two for a moderator, one for an observer). The rules that
decide what is listed are in app.todo.rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.bodies.models import Body, Seat
from app.caucus.models import GroupStatement, GroupStatementEndorsement
from app.db import read, utcnow
from app.decisions.models import Action, Decision
from app.decisions.rules import OPEN_STATUSES
from app.meetings.confidentiality import BodyViewer, Restriction, may_see
from app.meetings.models import AgendaItem, Meeting
from app.moderation import dashboard
from app.organisations.models import Invitation, Mandate, Organisation
from app.positions.models import Position
from app.rounds.models import Consultation, GroupSignoff, Round, RoundInvitation
from app.rounds.queries import round_headers
from app.todo import rules
from app.todo.rules import Item
from app.vocabulary import ActionOwner, ActionStatus, Group, MandateRole, RoundStatus

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
    if viewer.mandates:
        found += _follow_up_for_owners(db, viewer, now)
    if viewer.may_moderate:
        found += _for_moderators(db, now)
        found += _follow_up_for_secretariat(db, now)
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


# -- the follow-up of decisions (overdue actions, reviews due) ---------------------------------

_RESTRICTION = (
    AgendaItem.confidentiality,
    AgendaItem.restricted_group,
    AgendaItem.release_at,
    AgendaItem.released_at,
)


def _restriction(row: Any) -> Restriction:
    return Restriction(row.confidentiality, row.restricted_group, row.release_at, row.released_at)


def _overdue_actions() -> Any:
    """Actions not done nor dropped whose due date has passed, with their body and item."""
    return (
        select(
            Action.id,
            Action.decision_id,
            Action.what,
            Action.status,
            Action.due_on,
            Action.owner,
            Action.owner_organisation_id,
            Action.owner_group,
            Body.id.label("body_id"),
            Body.name.label("body"),
            *_RESTRICTION,
        )
        .join(Decision, Decision.id == Action.decision_id)
        .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .join(Body, Body.id == Meeting.body_id)
        .where(
            Action.status.in_([s.value for s in OPEN_STATUSES]),
            Action.due_on.is_not(None),
            Action.due_on < utcnow().date(),
        )
        .order_by(Action.due_on, Action.id)
    )


def _action_due(row: Any) -> rules.ActionDue:
    return rules.ActionDue(
        row.id, row.decision_id, row.what, row.body, ActionStatus(row.status), row.due_on
    )


def _follow_up_for_secretariat(db: Session, now: datetime) -> list[Item]:
    """Every overdue action and every decision due for review the secretariat may see: two
    queries."""
    secretariat = BodyViewer(secretariat=True)
    actions = [
        _action_due(r)
        for r in read(db, _overdue_actions())
        if may_see(_restriction(r), secretariat, now)
    ]
    reviews = read(
        db,
        select(
            Decision.id, Decision.text, Decision.review_on, Body.name.label("body"), *_RESTRICTION
        )
        .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .join(Body, Body.id == Meeting.body_id)
        .where(Decision.review_on.is_not(None), Decision.review_on <= now.date())
        .order_by(Decision.review_on, Decision.id),
    )
    to_review = [
        rules.DecisionToReview(r.id, r.text, r.body, r.review_on)
        for r in reviews
        if may_see(_restriction(r), secretariat, now)
    ]
    return rules.follow_up(actions, to_review, now.date())


def _follow_up_for_owners(db: Session, viewer: Viewer, now: datetime) -> list[Item]:
    """The overdue actions this person's organisation, group (on the body) or government
    owns: two queries."""
    mine = _organisation_ids(viewer)
    groups_of = {m.organisation_id: m.group for m in viewer.mandates}
    seated: dict[int, set[Group]] = {}
    for body_id, org_id in read(
        db, select(Seat.body_id, Seat.organisation_id).where(Seat.organisation_id.in_(mine))
    ):
        seated.setdefault(body_id, set()).add(groups_of[org_id])
    if not seated:
        return []
    query = _overdue_actions().where(Body.id.in_(sorted(seated)))
    found = []
    for r in read(db, query):
        groups = seated.get(r.body_id, set())
        owner = ActionOwner(r.owner)
        owns = (
            (owner is ActionOwner.ORGANISATION and r.owner_organisation_id in mine)
            or (owner is ActionOwner.GROUP and r.owner_group in groups)
            or (owner is ActionOwner.GOVERNMENT and Group.GOVERNMENT in groups)
        )
        if owns and may_see(_restriction(r), BodyViewer(frozenset(groups)), now):
            found.append(_action_due(r))
    return rules.follow_up(found, [], now.date())
