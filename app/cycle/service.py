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
from app.cycle import rules
from app.db import read
from app.errors import Forbidden, NotFound
from app.i18n import gettext as _
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds.models import Consultation, Round, RoundInvitation
from app.rounds.queries import header_of, round_headers
from app.rounds.rules import column_order
from app.summaries.service import load_header, round_summary
from app.vocabulary import Group, RoundStatus

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
    own), plus two."""
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
    return rules.annual_report(country, year, rounds, now)
