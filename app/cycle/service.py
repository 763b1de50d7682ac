"""The Convention 144 cycle read from the database: the countries, a country's year, and the
annual report (Article 6), built on the rounds' own summaries."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.audit.models import AuditEvent
from app.bodies.models import Body, Seat
from app.bodies.service import visible
from app.cycle import rules
from app.db import read
from app.decisions import rules as decision_rules
from app.decisions.models import Action, ActionConfirmation, ActionNote, Decision
from app.errors import Forbidden, NotFound
from app.i18n import gettext as _
from app.meetings import rules as meeting_rules
from app.meetings.confidentiality import OUTSIDER, Restriction, may_see
from app.meetings.models import AgendaItem, Attendance, Meeting
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds.models import Consultation, Round, RoundInvitation
from app.rounds.queries import header_of, round_headers
from app.rounds.rules import column_order
from app.summaries.service import load_header, round_summary
from app.vocabulary import Group, Presence, RoundStatus

COUNTRY_MAX = 100
#: Audit actions that change a round's deadline (each records the deadline before it).
DEADLINE_CHANGES = ("round.extended", "round.reopened", "round.closed")


def require_reader(viewer: Viewer) -> None:
    """The cycle's pages and the annual report: moderators, administrators and observers."""
    if not viewer.may_oversee:
        raise Forbidden(
            _("The Convention 144 cycle is for moderators, administrators and observers.")
        )


def _held(now: datetime) -> Any:
    """Rounds that have opened (a draft never has; a scheduled round once its time came)."""
    return (
        (Round.status != RoundStatus.DRAFT) & Round.opens_at.is_not(None) & (Round.opens_at <= now)
    )


@dataclass
class CountryRow:
    country: str
    consultations: int
    last_opened_at: datetime | None = None
    years: list[int] = field(default_factory=list)
    needs_consultation: bool = True
    due_at: datetime | None = None


def countries(db: Session, now: datetime) -> list[CountryRow]:
    """Every country a consultation names, with the years its rounds were held and whether
    twelve months have passed since the last (two queries, whatever the count)."""
    rows = {
        r.country: CountryRow(r.country, int(r.n))
        for r in read(
            db,
            select(Consultation.country, func.count(Consultation.id).label("n"))
            .where(Consultation.country.is_not(None), Consultation.country != "")
            .group_by(Consultation.country)
            .order_by(Consultation.country),
        )
    }
    years: dict[str, set[int]] = defaultdict(set)
    for r in read(
        db,
        select(Consultation.country, Round.opens_at)
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(Consultation.country.is_not(None), _held(now)),
    ):
        row = rows.get(r.country)
        if row is None:
            continue
        years[r.country].add(r.opens_at.year)
        if row.last_opened_at is None or r.opens_at > row.last_opened_at:
            row.last_opened_at = r.opens_at
    for row in rows.values():
        row.years = sorted(years[row.country], reverse=True)
        row.needs_consultation = rules.needs_consultation(row.last_opened_at, now)
        if row.last_opened_at is not None:
            row.due_at = rules.consultation_due_at(row.last_opened_at)
    return list(rows.values())


def overdue_countries(db: Session, now: datetime) -> list[CountryRow]:
    """Countries twelve months or more past their last round (Article 5(2))."""
    return [row for row in countries(db, now) if row.needs_consultation]


def dashboard_banner(db: Session, now: datetime) -> dict[str, Any]:
    """The moderation dashboard's Article 5(2) banner (cycle/_overdue.html)."""
    return {"overdue_countries": overdue_countries(db, now), "this_year": now.year}


def without_country(db: Session) -> int:
    """Consultations that name no country (they are in no yearly view)."""
    return int(
        db.scalar(
            select(func.count(Consultation.id)).where(
                Consultation.country.is_(None) | (Consultation.country == "")
            )
        )
        or 0
    )


def check_country_and_year(db: Session, country: str, year: int) -> None:
    if not rules.valid_year(year) or not country or len(country) > COUNTRY_MAX:
        raise NotFound(_("There is no consultation in this country."))
    found = db.scalar(select(Consultation.id).where(Consultation.country == country).limit(1))
    if found is None:
        raise NotFound(_("There is no consultation in this country."))


def _rounds_of_year(country: str, year: int, now: datetime) -> Select[*tuple[Any, ...]]:
    start, end = rules.year_bounds(year)
    return (
        round_headers()
        .where(
            Consultation.country == country,
            _held(now),
            Round.opens_at >= start,
            Round.opens_at < end,
        )
        .order_by(Round.opens_at, Round.id)
    )


def last_opened_at(db: Session, country: str, now: datetime) -> datetime | None:
    value: datetime | None = db.scalar(
        select(func.max(Round.opens_at))
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(Consultation.country == country, _held(now))
    )
    return value


@dataclass
class YearRound:
    id: int
    consultation_id: int
    consultation: str
    number: int
    title: str
    kind: str
    status: RoundStatus
    opens_at: datetime | None
    closes_at: datetime | None
    #: The deadline announced when the round opened (timeliness is measured against it).
    announced_deadline: datetime | None = None
    participation: dict[Group, tuple[int, int]] = field(default_factory=dict)


@dataclass
class YearView:
    country: str
    year: int
    rounds: list[YearRound]
    totals: dict[Group, rules.Participation]
    timeliness: dict[Group, rules.Timeliness]
    order: tuple[Group, ...]
    last_opened_at: datetime | None
    needs_consultation: bool
    due_at: datetime | None


def year_view(db: Session, country: str, year: int, now: datetime) -> YearView:
    """A country's rounds held in ``year``: subjects, participation and timeliness per group
    (six queries, whatever the number of rounds)."""
    check_country_and_year(db, country, year)
    rounds = {
        h.id: YearRound(
            h.id,
            h.consultation_id,
            h.consultation_title,
            h.number,
            h.title,
            h.kind,
            h.status,
            h.opens_at,
            h.closes_at,
        )
        for h in (header_of(r, now) for r in read(db, _rounds_of_year(country, year, now)))
    }
    postings = _participation_and_postings(db, rounds) if rounds else []
    last = last_opened_at(db, country, now)
    return YearView(
        country,
        year,
        list(rounds.values()),
        rules.participation_totals(r.participation for r in rounds.values()),
        rules.timeliness(postings),
        column_order(year),
        last,
        rules.needs_consultation(last, now),
        rules.consultation_due_at(last) if last else None,
    )


def _participation_and_postings(db: Session, rounds: dict[int, YearRound]) -> list[rules.Posting]:
    ids = list(rounds)
    invited: dict[int, dict[Group, int]] = defaultdict(dict)
    for r in read(
        db,
        select(RoundInvitation.round_id, Organisation.group_name, func.count().label("n"))
        .join(Organisation, Organisation.id == RoundInvitation.organisation_id)
        .where(RoundInvitation.round_id.in_(ids))
        .group_by(RoundInvitation.round_id, Organisation.group_name),
    ):
        invited[r.round_id][r.group_name] = int(r.n)
    changes: dict[int, list[datetime | None]] = defaultdict(list)
    for e in read(
        db,
        select(AuditEvent.subject_id, AuditEvent.details)
        .where(
            AuditEvent.subject_type == "round",
            AuditEvent.subject_id.in_(ids),
            AuditEvent.action.in_(DEADLINE_CHANGES),
        )
        .order_by(AuditEvent.id),
    ):
        changes[e.subject_id].append(_deadline_before(e.details))
    for round_id, item in rounds.items():
        item.announced_deadline = rules.announced_deadline(item.closes_at, changes[round_id])
    responded: dict[int, dict[Group, int]] = defaultdict(lambda: defaultdict(int))
    postings = []
    for p in read(
        db,
        select(Position.round_id, Organisation.group_name, Position.created_at)
        .join(Organisation, Organisation.id == Position.organisation_id)
        .where(Position.round_id.in_(ids)),
    ):
        group = p.group_name
        responded[p.round_id][group] += 1
        postings.append(rules.Posting(group, p.created_at, rounds[p.round_id].announced_deadline))
    for round_id, item in rounds.items():
        item.participation = {
            g: (invited[round_id].get(g, 0), responded[round_id].get(g, 0)) for g in Group
        }
    return postings


def _deadline_before(details: str) -> datetime | None:
    """The deadline an audited change started from (its ``before.closes_at``), if recorded."""
    try:
        value = json.loads(details or "{}").get("before", {}).get("closes_at")
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except (ValueError, AttributeError):
        return None


def annual_report(db: Session, country: str, year: int, now: datetime) -> rules.AnnualReport:
    """Article 6: the rounds held in the year, each with its summary built exactly as its
    summary page builds it, added up by a pure function. Five queries per round (the summary's
    own), plus two; and the year's meetings and decisions of the country's tripartite bodies
    (seven queries, whatever their number)."""
    check_country_and_year(db, country, year)
    rounds = []
    for r in read(db, _rounds_of_year(country, year, now)).all():
        header = load_header(db, r.id)
        rounds.append(
            rules.ReportRound(
                id=r.id,
                consultation=r.consultation_title,
                number=r.number,
                title=r.title,
                kind=r.kind,
                status=header.status,
                opens_at=r.opens_at,
                closes_at=r.closes_at,
                closed_at=r.closed_at,
                published_at=r.published_at,
                summary=round_summary(db, header),
            )
        )
    return rules.annual_report(country, year, rounds, now, bodies_of_year(db, country, year, now))


def bodies_of_year(db: Session, country: str, year: int, now: datetime) -> rules.BodiesYear:
    """The year's public meetings of the country's tripartite bodies and their recorded
    decisions on public (or released) agenda items, with the state of their actions: seven
    queries, whatever their number. The report is read by people outside the bodies, so a
    decision on an item still restricted is left out of every figure, not only its title."""
    start, end = rules.year_bounds(year)
    meetings = read(
        db,
        select(Meeting.id, Meeting.body_id, Body.name, Meeting.title, Meeting.starts_at)
        .add_columns(Meeting.cancelled_at)
        .join(Body, Body.id == Meeting.body_id)
        .where(
            Body.country == country,
            Meeting.public.is_(True),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at, Meeting.id),
    ).all()
    if not meetings:
        return rules.bodies_year([], [])
    body_ids = {m.body_id for m in meetings}
    seats: dict[int, list[tuple[int, Group]]] = defaultdict(list)
    for seat_id, body_id, group in read(
        db,
        select(Seat.id, Seat.body_id, Organisation.group_name)
        .join(Organisation, Organisation.id == Seat.organisation_id)
        .where(Seat.body_id.in_(body_ids)),
    ):
        seats[body_id].append((seat_id, Group(group)))
    marked: dict[int, dict[int, Presence]] = defaultdict(dict)
    for meeting_id, seat_id, status in read(
        db,
        select(Attendance.meeting_id, Attendance.seat_id, Attendance.status).where(
            Attendance.meeting_id.in_([m.id for m in meetings])
        ),
    ):
        marked[meeting_id][seat_id] = status
    quorum_rules = dict(
        (r.id, meeting_rules.QuorumRule(r.quorum_overall, r.quorum_per_group))
        for r in read(
            db,
            select(Body.id, Body.quorum_overall, Body.quorum_per_group).where(
                Body.id.in_(body_ids)
            ),
        )
    )
    report_meetings = []
    for m in meetings:
        held = m.starts_at <= now and m.cancelled_at is None
        statuses = marked[m.id]
        facts = [(group, statuses.get(seat_id)) for seat_id, group in seats[m.body_id]]
        state = meeting_rules.quorum(facts, quorum_rules[m.body_id])
        attendance = {
            g: (state.present_by_group.get(g, 0), sum(1 for group, _s in facts if group is g))
            for g in Group
        }
        report_meetings.append(
            rules.ReportMeeting(
                id=m.id,
                body=m.name,
                title=m.title,
                starts_at=m.starts_at,
                cancelled=m.cancelled_at is not None,
                held=held,
                quorate=held and state.quorate,
                attendance=attendance if held else {},
            )
        )
    titles = {m.id: m.title for m in meetings}
    names = {m.id: m.name for m in meetings}
    decisions = [
        (d, item)
        for d, item in db.execute(
            select(Decision, AgendaItem)
            .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
            .where(
                Decision.meeting_id.in_(list(titles)),
                Decision.recorded_at.is_not(None),
                visible(AgendaItem, OUTSIDER, now),
            )
            .order_by(Decision.recorded_at, Decision.id)
        )
        if may_see(Restriction.of(item), OUTSIDER, now)
    ]
    actions = _action_states(db, [d.id for d, _item in decisions], now)
    return rules.bodies_year(
        report_meetings,
        [
            rules.ReportDecision(
                id=d.id,
                body=names[d.meeting_id],
                meeting=titles[d.meeting_id],
                item=item.title,
                method=d.method.value,
                adopted=bool(d.adopted),
                without_quorum=d.without_quorum,
                actions=tuple(actions.get(d.id, [])),
            )
            for d, item in decisions
        ],
    )


def _action_states(
    db: Session, decision_ids: list[int], now: datetime
) -> dict[int, list[rules.ReportAction]]:
    if not decision_ids:
        return {}
    rows = read(
        db,
        select(Action.id, Action.decision_id, Action.status, Action.due_on)
        .where(Action.decision_id.in_(decision_ids))
        .order_by(Action.id),
    ).all()
    if not rows:
        return {}
    ids = [r.id for r in rows]
    latest = {
        action_id: note_id
        for action_id, note_id in read(
            db,
            select(ActionNote.action_id, func.max(ActionNote.id))
            .where(ActionNote.action_id.in_(ids))
            .group_by(ActionNote.action_id),
        )
    }
    words: dict[int, list[decision_rules.Word]] = defaultdict(list)
    for c in read(
        db,
        select(
            ActionConfirmation.id,
            ActionConfirmation.action_id,
            ActionConfirmation.group_name,
            ActionConfirmation.verdict,
            ActionConfirmation.note_id,
        ).where(ActionConfirmation.action_id.in_(ids)),
    ):
        words[c.action_id].append(
            decision_rules.Word(Group(c.group_name), c.verdict, c.note_id, c.id)
        )
    out: dict[int, list[rules.ReportAction]] = defaultdict(list)
    for r in rows:
        standing = decision_rules.confirmations(words[r.id], latest.get(r.id))
        out[r.decision_id].append(
            rules.ReportAction(
                status=r.status.value,
                overdue=decision_rules.overdue(r.status, r.due_on, now.date()),
                disputed=decision_rules.disputed(standing),
            )
        )
    return out
