"""What the read-only API says of tripartite bodies, their meetings and their decisions.

Reads only (never commits); a page of any size costs the same number of queries. Restricted
agenda items stay out for those who may not see them (app.meetings.confidentiality): the SQL
filter below is the rule's translation, and every row it lets through is checked again with
``may_see``, so the filter can only ever be stricter than the rule. Results are the ones the
decision recorded, with each group's result computed by app.decisions.rules.decide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.accounts import rules as account_rules
from app.accounts.models import ApiToken, User
from app.accounts.rules import Speaking, Viewer
from app.bodies.models import Body, Seat
from app.bodies.service import body as load_body
from app.bodies.service import viewer_of, visible
from app.db import read, utcnow
from app.decisions import rules as decision_rules
from app.decisions.models import (
    Action,
    ActionConfirmation,
    ActionNote,
    Decision,
    DecisionVote,
    DivergentPosition,
)
from app.meetings import rules as meeting_rules
from app.meetings.confidentiality import BodyViewer, Restriction, effective, may_see
from app.meetings.models import AgendaItem, Attendance, Meeting
from app.organisations.models import Mandate, Organisation
from app.vocabulary import (
    AgendaItemStatus,
    DecisionMethod,
    Group,
    Presence,
    Vote,
    Weighting,
)


def token_owner(db: Session, token_id: int) -> Viewer | None:
    """The person who made an API token, with their active mandates (one query): the token
    reads a body's records as they may. A token made at the command line has no owner: it
    reads what anyone may."""
    rows = read(
        db,
        select(
            User.id,
            User.name,
            User.email,
            User.platform_role,
            User.is_active,
            Mandate.id.label("mandate_id"),
            Mandate.organisation_id,
            Mandate.role,
            Mandate.starts_at,
            Mandate.expires_at,
            Mandate.revoked_at,
            Organisation.name.label("organisation_name"),
            Organisation.group_name,
        )
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Mandate, (Mandate.user_id == User.id) & Mandate.revoked_at.is_(None))
        .outerjoin(Organisation, Organisation.id == Mandate.organisation_id)
        .where(ApiToken.id == token_id)
        .order_by(Mandate.starts_at, Mandate.id),
    ).all()
    if not rows or not rows[0].is_active:
        return None
    now = utcnow()
    first = rows[0]
    speaking = tuple(
        Speaking(r.mandate_id, r.organisation_id, r.organisation_name, Group(r.group_name), r.role)
        for r in rows
        if r.mandate_id is not None
        and account_rules.mandate_is_active(r.starts_at, r.expires_at, r.revoked_at, now)
    )
    return Viewer(
        first.id,
        first.name,
        first.email,
        account_rules.platform_role_of(first.platform_role),
        speaking,
    )


def _meetings_visible(viewer: BodyViewer) -> ColumnElement[bool]:
    """A meeting not shown in public is its members' and its secretariat's only."""
    return true() if viewer.member or viewer.secretariat else Meeting.public.is_(True)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _per_group(values: Mapping[Group, Any]) -> dict[str, Any]:
    return {group.value: values.get(group) for group in Group}


# --- bodies ------------------------------------------------------------------------------------


def bodies(db: Session, after: int, limit: int) -> list[dict[str, Any]]:
    """Bodies in id order after ``after``: ``limit`` + 1 of them (the caller pages)."""
    rows = db.scalars(select(Body).where(Body.id > after).order_by(Body.id).limit(limit)).all()
    counts: dict[int, list[Group]] = {}
    if rows:
        for body_id, group, n in read(
            db,
            select(Seat.body_id, Organisation.group_name, func.count())
            .join(Organisation, Organisation.id == Seat.organisation_id)
            .where(Seat.body_id.in_([b.id for b in rows]))
            .group_by(Seat.body_id, Organisation.group_name),
        ):
            counts.setdefault(body_id, []).extend([Group(group)] * n)
    return [_body_out(b, meeting_rules.parity(counts.get(b.id, []))) for b in rows]


def _body_out(row: Body, parity: meeting_rules.Parity) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "country": row.country,
        "kind": row.kind.value,
        "parent_id": row.parent_id,
        "rules": {
            "notice_days": row.notice_days,
            "quorum": {"overall": row.quorum_overall, "per_group": row.quorum_per_group},
            "without_quorum": row.without_quorum.value,
            "agenda_change": row.agenda_change.value,
            "weighting": row.weighting.value,
        },
        "seats": _per_group(dict(parity.seats)),
        "parity_balanced": parity.balanced,
    }


# --- meetings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatFact:
    id: int
    organisation: str
    group: Group


def _seats(db: Session, body_id: int) -> list[SeatFact]:
    return [
        SeatFact(r.id, r.name, Group(r.group_name))
        for r in read(
            db,
            select(Seat.id, Organisation.name, Organisation.group_name)
            .join(Organisation, Organisation.id == Seat.organisation_id)
            .where(Seat.body_id == body_id)
            .order_by(Organisation.group_name, Organisation.name, Seat.id),
        )
    ]


def meetings(
    db: Session, owner: Viewer | None, body_id: int, after: int, limit: int
) -> list[dict[str, Any]]:
    """A body's meetings (as the token's owner may see them) in id order after ``after``:
    ``limit`` + 1 of them."""
    found = load_body(db, body_id)
    viewer = viewer_of(db, owner, found.id)
    now = utcnow()
    rows = db.scalars(
        select(Meeting)
        .where(Meeting.body_id == found.id, Meeting.id > after, _meetings_visible(viewer))
        .order_by(Meeting.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    ids = [m.id for m in rows]
    seats = _seats(db, found.id)
    marked: dict[int, dict[int, Presence]] = {}
    for meeting_id, seat_id, status in read(
        db,
        select(Attendance.meeting_id, Attendance.seat_id, Attendance.status).where(
            Attendance.meeting_id.in_(ids)
        ),
    ):
        marked.setdefault(meeting_id, {})[seat_id] = status
    agenda: dict[int, list[dict[str, Any]]] = {}
    for item in db.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id.in_(ids),
            AgendaItem.status == AgendaItemStatus.ACCEPTED,
            visible(AgendaItem, viewer, now),
        )
        .order_by(AgendaItem.number, AgendaItem.id)
    ):
        restriction = Restriction.of(item)
        if may_see(restriction, viewer, now):
            agenda.setdefault(item.meeting_id, []).append(
                {
                    "id": item.id,
                    "number": item.number,
                    "title": item.title,
                    "description": item.description,
                    "confidentiality": effective(restriction, now).value,
                }
            )
    rule = meeting_rules.QuorumRule(found.quorum_overall, found.quorum_per_group)
    out = []
    for m in rows:
        statuses = marked.get(m.id, {})
        state = meeting_rules.quorum(((s.group, statuses.get(s.id)) for s in seats), rule)
        out.append(
            {
                "id": m.id,
                "body_id": m.body_id,
                "title": m.title,
                "starts_at": m.starts_at,
                "ends_at": m.ends_at,
                "place": m.place,
                "link": m.link,
                "short_notice": m.short_notice,
                "agenda_issued_at": m.agenda_issued_at,
                "cancelled": m.cancelled_at is not None,
                "quorate": state.quorate,
                "quorum": {
                    "quorate": state.quorate,
                    "present": state.present,
                    "present_by_group": _per_group(dict(state.present_by_group)),
                    "missing_groups": [g.value for g in state.missing_groups],
                },
                "attendance": [
                    {
                        "organisation": s.organisation,
                        "group": s.group.value,
                        "seat": s.id,
                        # not marked is not present: absent, as the contract's four words say
                        "status": statuses.get(s.id, Presence.ABSENT).value,
                    }
                    for s in seats
                ],
                "agenda": agenda.get(m.id, []),
            }
        )
    return out


# --- decisions ---------------------------------------------------------------------------------


def decisions(
    db: Session, owner: Viewer | None, body_id: int, after: int, limit: int
) -> list[dict[str, Any]]:
    """A body's recorded decisions whose agenda item the token's owner may see, in id order
    after ``after``: ``limit`` + 1 of them."""
    found = load_body(db, body_id)
    viewer = viewer_of(db, owner, found.id)
    now = utcnow()
    pairs = db.execute(
        select(Decision, AgendaItem)
        .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .where(
            Meeting.body_id == found.id,
            Decision.recorded_at.is_not(None),
            Decision.id > after,
            _meetings_visible(viewer),
            visible(AgendaItem, viewer, now),
        )
        .order_by(Decision.id)
        .limit(limit)
    ).all()
    rows = [d for d, item in pairs if may_see(Restriction.of(item), viewer, now)]
    return decision_objects(db, rows, now.date())


def decision_objects(db: Session, rows: Sequence[Decision], today: date) -> list[dict[str, Any]]:
    """Recorded decisions as the API gives them: five queries, whatever their number."""
    if not rows:
        return []
    ids = [d.id for d in rows]
    names = _organisation_names(db, rows)
    votes: dict[int, list[decision_rules.VoteFact]] = {}
    for decision_id, _org_id, name, group, vote in read(
        db,
        select(
            DecisionVote.decision_id,
            DecisionVote.organisation_id,
            Organisation.name,
            Organisation.group_name,
            DecisionVote.vote,
        )
        .join(Organisation, Organisation.id == DecisionVote.organisation_id)
        .where(DecisionVote.decision_id.in_(ids))
        .order_by(Organisation.group_name, Organisation.name),
    ):
        votes.setdefault(decision_id, []).append(
            decision_rules.VoteFact(name, Group(group), Vote(vote))
        )
    divergent: dict[int, list[dict[str, str]]] = {}
    for decision_id, group, text in read(
        db,
        select(
            DivergentPosition.decision_id, DivergentPosition.group_name, DivergentPosition.text
        ).where(DivergentPosition.decision_id.in_(ids)),
    ):
        divergent.setdefault(decision_id, []).append({"group": group.value, "text": text})
    for positions in divergent.values():
        positions.sort(key=lambda p: list(Group).index(Group(p["group"])))
    actions = _actions(db, ids, today)
    return [
        _decision_out(d, names, votes.get(d.id, []), divergent.get(d.id, []), actions) for d in rows
    ]


def _organisation_names(db: Session, rows: Iterable[Decision]) -> dict[int, str]:
    wanted = {int(entry["organisation_id"]) for d in rows for entry in d.attendance or [] if entry}
    if not wanted:
        return {}
    return {
        org_id: name
        for org_id, name in read(
            db, select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
        )
    }


def _actions(db: Session, decision_ids: list[int], today: date) -> dict[int, list[dict[str, Any]]]:
    rows = db.execute(
        select(Action, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Action.owner_organisation_id)
        .where(Action.decision_id.in_(decision_ids))
        .order_by(Action.id)
    ).all()
    if not rows:
        return {}
    action_ids = [a.id for a, _name in rows]
    latest: dict[int, int] = {
        action_id: note_id
        for action_id, note_id in read(
            db,
            select(ActionNote.action_id, func.max(ActionNote.id))
            .where(ActionNote.action_id.in_(action_ids))
            .group_by(ActionNote.action_id),
        )
    }
    words: dict[int, list[decision_rules.Word]] = {}
    for action_id, group, verdict, note_id, order in read(
        db,
        select(
            ActionConfirmation.action_id,
            ActionConfirmation.group_name,
            ActionConfirmation.verdict,
            ActionConfirmation.note_id,
            ActionConfirmation.id,
        ).where(ActionConfirmation.action_id.in_(action_ids)),
    ):
        words.setdefault(action_id, []).append(
            decision_rules.Word(Group(group), verdict, note_id, order)
        )
    out: dict[int, list[dict[str, Any]]] = {}
    for action, organisation in rows:
        standing = decision_rules.confirmations(words.get(action.id, []), latest.get(action.id))
        out.setdefault(action.decision_id, []).append(
            {
                "id": action.id,
                "what": action.what,
                "owner": action.owner.value,
                "owner_organisation": organisation,
                "owner_group": action.owner_group.value if action.owner_group else None,
                "due": _day(action.due_on),
                "status": action.status.value,
                "overdue": decision_rules.overdue(action.status, action.due_on, today),
                "confirmations": {
                    group.value: verdict.value if verdict else None
                    for group, verdict in standing.items()
                },
            }
        )
    return out


def _decision_out(
    d: Decision,
    names: dict[int, str],
    votes: list[decision_rules.VoteFact],
    divergent: list[dict[str, str]],
    actions: dict[int, list[dict[str, Any]]],
) -> dict[str, Any]:
    threshold = Fraction(d.threshold_numerator, d.threshold_denominator)
    weighting = d.weighting or Weighting.EQUAL
    outcome = decision_rules.decide(
        d.method,
        votes,
        weighting=weighting,
        threshold=threshold,
        casting_vote=d.casting_vote,
        consensus=bool(d.adopted),
    )
    adopted = d.adopted if d.adopted is not None else outcome.adopted
    assert d.recorded_at is not None
    return {
        "id": d.id,
        "meeting_id": d.meeting_id,
        "agenda_item_id": d.agenda_item_id,
        "method": DecisionMethod(d.method).value,
        "threshold": float(threshold),
        "threshold_fraction": f"{threshold.numerator}/{threshold.denominator}",
        "weights": _per_group(outcome.weights),
        "adopted": bool(adopted),
        "quorate": bool(d.quorate),
        "quorum": {"overall": d.quorum_overall or 0, "per_group": d.quorum_per_group or 0},
        "without_quorum": d.without_quorum,
        "attendance": [
            {
                "organisation": names.get(int(entry["organisation_id"]), ""),
                "group": Group(entry["group"]).value,
                "seat": int(entry["seat_id"]),
                "status": Presence(entry.get("status") or Presence.ABSENT).value,
            }
            for entry in d.attendance or []
        ],
        "votes": [
            {"organisation": v.organisation, "group": v.group.value, "vote": v.vote.value}
            for v in votes
        ],
        "group_results": {g.value: r.value for g, r in outcome.group_results.items()},
        "casting_vote": d.casting_vote.value if d.casting_vote else None,
        "divergent_positions": divergent,
        "actions": actions.get(d.id, []),
        "text": d.text,
        "effective_on": _day(d.effective_on),
        "review_on": _day(d.review_on),
        "recorded_at": d.recorded_at,
    }
