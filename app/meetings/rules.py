"""The rules of a body's meetings: composition parity, notice, attendance, quorum, agenda
changes. Pure: tested without web or database (tests/unit/test_meeting_rules.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.vocabulary import AgendaChangeRule, Group, Presence

#: The attendance that makes a seat present.
PRESENT = frozenset({Presence.HOLDER, Presence.ALTERNATE})


@dataclass(frozen=True)
class Parity:
    """A body's composition: seats per group. Workers and employers sit on an equal footing
    (C144 art. 3(2)); the government's number of seats may differ, and no group's weight in a
    decision depends on its seat count."""

    seats: Mapping[Group, int]

    @property
    def balanced(self) -> bool:
        return self.seats.get(Group.WORKERS, 0) == self.seats.get(Group.EMPLOYERS, 0)


def parity(seat_groups: Iterable[Group]) -> Parity:
    counted = Counter(seat_groups)
    return Parity({group: counted.get(group, 0) for group in Group})


def short_notice(convened_at: datetime, starts_at: datetime, notice_days: int) -> bool:
    """Whether a meeting convened at ``convened_at`` gives less notice than the body's rules."""
    return starts_at - convened_at < timedelta(days=notice_days)


def may_mark(status: Presence, has_alternate: bool) -> bool:
    """A seat is marked present by its alternate only when it has one."""
    return status is not Presence.ALTERNATE or has_alternate


@dataclass(frozen=True)
class QuorumRule:
    """Seats present, at least: overall, and in each of the three groups."""

    overall: int
    per_group: int


@dataclass(frozen=True)
class QuorumState:
    rule: QuorumRule
    present: int
    present_by_group: Mapping[Group, int]

    @property
    def missing_groups(self) -> tuple[Group, ...]:
        """The groups with fewer seats present than the rule asks, in the groups' order."""
        return tuple(
            group for group in Group if self.present_by_group.get(group, 0) < self.rule.per_group
        )

    @property
    def overall_met(self) -> bool:
        return self.present >= self.rule.overall

    @property
    def quorate(self) -> bool:
        return self.overall_met and not self.missing_groups


def quorum(attendance: Iterable[tuple[Group, Presence | None]], rule: QuorumRule) -> QuorumState:
    """The quorum of a meeting from each seat's group and attendance (None: not marked, which
    is not present)."""
    by_group: Counter[Group] = Counter()
    for group, status in attendance:
        if status in PRESENT:
            by_group[group] += 1
    return QuorumState(
        rule=rule,
        present=sum(by_group.values()),
        present_by_group={group: by_group.get(group, 0) for group in Group},
    )


def agenda_change_agreed(
    rule: AgendaChangeRule, groups_agreeing: Iterable[Group], chair_agrees: bool
) -> bool:
    """Whether a change to an issued agenda has the agreement the body's rules require: the
    chair's, or each of the three groups'."""
    if rule is AgendaChangeRule.CHAIR:
        return chair_agrees
    return set(groups_agreeing) >= set(Group)
