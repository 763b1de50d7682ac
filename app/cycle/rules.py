"""Rules of the Convention 144 cycle. Pure: plain values in, plain values out.

- Article 5(2): consultations on the subjects of Article 5(1) at least once a year, so a
  country twelve months past its last round is warned (``needs_consultation``).
- Timeliness per group: how many positions were first posted by the deadline the round
  announced, and how long before it (``timeliness``).
- Article 6: the annual report on the working of the procedures adds up the summaries of the
  rounds held in the year (``annual_report``): its figures are sums of the summaries' own.

Years run from 1 January to 31 December in UTC; a round is "held" in the year it opened.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from statistics import median
from typing import Any

from app.rounds.rules import column_order
from app.vocabulary import Group, RoundStatus

#: Article 5(2): "at appropriate intervals fixed by agreement, but at least once a year".
CONSULTATION_INTERVAL_MONTHS = 12
#: The years a page can be asked for (the Convention dates from 1976).
FIRST_YEAR, LAST_YEAR = 1976, 2200
SECONDS_PER_DAY = 86_400
FINAL = (RoundStatus.CLOSED, RoundStatus.PUBLISHED)


# --- Article 5(2): at least once a year --------------------------------------------------


def months_after(when: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months later (31 January + 1 month is the last day
    of February; 29 February + 12 months is 28 February)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(
        year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1])
    )


def consultation_due_at(last_opened_at: datetime) -> datetime:
    """When twelve months will have passed since the last round opened."""
    return months_after(last_opened_at, CONSULTATION_INTERVAL_MONTHS)


def needs_consultation(last_opened_at: datetime | None, now: datetime) -> bool:
    """Article 5(2): true when no round has ever opened in the country, or when twelve months
    have passed since the last one opened (from the very moment the twelfth month is over)."""
    return last_opened_at is None or now >= consultation_due_at(last_opened_at)


def valid_year(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 January of ``year``, 1 January of the next) in UTC."""
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


# --- timeliness ----------------------------------------------------------------------------


def announced_deadline(
    current: datetime | None, earlier: Sequence[datetime | None]
) -> datetime | None:
    """The deadline the round announced: ``earlier`` are the deadlines that stood before each
    change (an extension, a reopening, an early close), oldest change first; the first of them
    is the announced one. Without any change, the current deadline."""
    for before in earlier:
        if before is not None:
            return before
    return current


@dataclass(frozen=True)
class Posting:
    """An organisation's position: its group, when it was first posted, and the deadline the
    round had announced."""

    group: Group
    posted_at: datetime
    deadline: datetime | None


def days_before(posted_at: datetime, deadline: datetime) -> Fraction:
    """Exact days from posting to the deadline; negative when posted after it."""
    return Fraction(round((deadline - posted_at).total_seconds()), SECONDS_PER_DAY)


@dataclass(frozen=True)
class Timeliness:
    """A group's positions in the year: how many there were, how many were first posted no
    later than the announced deadline, and the median of the days between posting and the
    deadline (negative: late). None when the group posted none."""

    positions: int = 0
    on_time: int = 0
    median_days_before: Fraction | None = None

    @property
    def share_on_time(self) -> Fraction | None:
        return Fraction(self.on_time, self.positions) if self.positions else None


def timeliness(postings: Iterable[Posting]) -> dict[Group, Timeliness]:
    """Per group, over the positions of the rounds given (each position once, at the moment it
    was first posted: later revisions do not make it late). A position of a round without a
    deadline cannot be timed and is left out."""
    days: dict[Group, list[Fraction]] = {g: [] for g in Group}
    for posting in postings:
        if posting.deadline is not None:
            days[posting.group].append(days_before(posting.posted_at, posting.deadline))
    return {
        g: Timeliness(
            len(values),
            sum(1 for d in values if d >= 0),
            Fraction(median(values)) if values else None,
        )
        for g, values in days.items()
    }


# --- participation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Participation:
    """Organisations invited and organisations that posted a position, summed over rounds
    (an organisation invited to three rounds counts three times), and in how many of the
    rounds the group posted anything at all."""

    invited: int = 0
    responded: int = 0
    rounds: int = 0
    rounds_expressed: int = 0

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.responded, self.invited) if self.invited else None


def participation_totals(
    per_round: Iterable[Mapping[Group, tuple[int, int]]],
) -> dict[Group, Participation]:
    """Each round's (invited, responded) per group, added up per group."""
    totals = {g: Participation() for g in Group}
    for counts in per_round:
        for g in Group:
            invited, responded = counts.get(g, (0, 0))
            before = totals[g]
            totals[g] = Participation(
                before.invited + invited,
                before.responded + responded,
                before.rounds + 1,
                before.rounds_expressed + (1 if responded else 0),
            )
    return totals


def summary_participation(summary: Mapping[str, Any]) -> dict[Group, tuple[int, int]]:
    """A round summary's (invited, responded) per group, as the summary states them."""
    groups = summary["groups"]
    return {g: (int(groups[g.value]["invited"]), int(groups[g.value]["responded"])) for g in Group}


# --- Article 6: the annual report -----------------------------------------------------------


@dataclass(frozen=True)
class ReportRound:
    """One round held in the year, with its summary exactly as the summary page builds it."""

    id: int
    consultation: str
    number: int
    title: str
    kind: str
    status: RoundStatus
    opens_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    summary: Mapping[str, Any]

    @property
    def final(self) -> bool:
        """Closed or published: its tally, convergence and outcome are on the record (before,
        the summary is not for everyone's eyes, and its figures still move)."""
        return self.status in FINAL

    @property
    def participation(self) -> dict[Group, tuple[int, int]]:
        return summary_participation(self.summary)

    @property
    def reservations(self) -> list[tuple[Group, str]]:
        if not self.final:
            return []
        return [(Group(r["group"]), str(r["text"])) for r in self.summary["reservations"]]


@dataclass(frozen=True)
class AnnualReport:
    country: str
    year: int
    rounds: list[ReportRound]
    #: The groups' column order (rotated from year to year: no group always first).
    order: tuple[Group, ...]
    totals: dict[Group, Participation]
    reservations: dict[Group, int]
    #: Closed and published rounds by convergence: tripartite, bipartite, divergence.
    convergence: dict[str, int]
    #: Rounds held per kind (subject), in the order of first appearance.
    subjects: dict[str, int]
    generated_at: datetime
    #: The year's meetings and decisions of the country's tripartite bodies.
    bodies: BodiesYear | None = None

    @property
    def final_rounds(self) -> list[ReportRound]:
        return [r for r in self.rounds if r.final]


CONVERGENCE_KINDS = ("tripartite", "bipartite", "divergence")


def annual_report(
    country: str,
    year: int,
    rounds: Sequence[ReportRound],
    generated_at: datetime,
    bodies: BodiesYear | None = None,
) -> AnnualReport:
    """The report's totals, each a sum of what the rounds' summaries say."""
    reservations = {g: 0 for g in Group}
    convergence = {kind: 0 for kind in CONVERGENCE_KINDS}
    subjects: dict[str, int] = {}
    for r in rounds:
        subjects[r.kind] = subjects.get(r.kind, 0) + 1
        for group, _text in r.reservations:
            reservations[group] += 1
        if r.final:
            convergence[r.summary["convergence"]["kind"]] += 1
    return AnnualReport(
        country=country,
        year=year,
        rounds=list(rounds),
        order=column_order(year),
        totals=participation_totals(r.participation for r in rounds),
        reservations=reservations,
        convergence=convergence,
        subjects=subjects,
        generated_at=generated_at,
        bodies=bodies,
    )


# --- Article 6: the year's meetings and decisions of the country's tripartite bodies ----------


@dataclass(frozen=True)
class ReportMeeting:
    """A meeting of one of the country's bodies in the year. ``attendance``: each seat's group
    and whether it was present (held meetings only)."""

    id: int
    body: str
    title: str
    starts_at: datetime
    cancelled: bool
    held: bool
    quorate: bool
    attendance: Mapping[Group, tuple[int, int]]


@dataclass(frozen=True)
class ReportAction:
    status: str
    overdue: bool
    disputed: bool


@dataclass(frozen=True)
class ReportDecision:
    """A recorded decision on a public (or released) agenda item."""

    id: int
    body: str
    meeting: str
    item: str
    method: str
    adopted: bool
    without_quorum: bool
    actions: tuple[ReportAction, ...]


#: The states of an action, in the order the report counts them.
ACTION_STATES = ("planned", "in_progress", "done", "dropped")
DECISION_METHODS = ("consensus", "group_equal_vote", "double_majority", "chair_casting")


@dataclass(frozen=True)
class BodiesYear:
    meetings: list[ReportMeeting]
    decisions: list[ReportDecision]
    held: int
    quorate: int
    #: Seats present and seats in all, per group, added up over the held meetings.
    attendance: dict[Group, tuple[int, int]]
    adopted: int
    not_adopted: int
    by_method: dict[str, int]
    actions: dict[str, int]
    overdue: int
    disputed: int

    @property
    def action_count(self) -> int:
        return sum(self.actions.values())


def bodies_year(
    meetings: Sequence[ReportMeeting], decisions: Sequence[ReportDecision]
) -> BodiesYear:
    """The year's meetings (held: started and not cancelled; quorate among the held) and
    decisions (adopted or not, by method) with the state of their actions, added up."""
    held = [m for m in meetings if m.held]
    attendance = {g: (0, 0) for g in Group}
    for m in held:
        for g in Group:
            present, total = m.attendance.get(g, (0, 0))
            attendance[g] = (attendance[g][0] + present, attendance[g][1] + total)
    actions = {state: 0 for state in ACTION_STATES}
    by_method = {method: 0 for method in DECISION_METHODS}
    overdue = disputed = 0
    for d in decisions:
        by_method[d.method] = by_method.get(d.method, 0) + 1
        for a in d.actions:
            actions[a.status] = actions.get(a.status, 0) + 1
            overdue += a.overdue
            disputed += a.disputed
    adopted = sum(1 for d in decisions if d.adopted)
    return BodiesYear(
        meetings=list(meetings),
        decisions=list(decisions),
        held=len(held),
        quorate=sum(1 for m in held if m.quorate),
        attendance=attendance,
        adopted=adopted,
        not_adopted=len(decisions) - adopted,
        by_method=by_method,
        actions=actions,
        overdue=overdue,
        disputed=disputed,
    )
