"""The rules of a body's meetings (app.meetings.rules): quorum, alternates, parity, notice,
agenda changes — properties over random attendance."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.meetings.rules import (
    QuorumRule,
    agenda_change_agreed,
    may_mark,
    parity,
    quorum,
    short_notice,
)
from app.vocabulary import AgendaChangeRule, Group, Presence

groups = st.sampled_from(list(Group))
statuses = st.one_of(st.none(), st.sampled_from(list(Presence)))
attendances = st.lists(st.tuples(groups, statuses), max_size=30)
rules = st.builds(QuorumRule, overall=st.integers(0, 12), per_group=st.integers(0, 5))
PRESENT_STATUSES = (Presence.HOLDER, Presence.ALTERNATE)


def present_in(attendance: list[tuple[Group, Presence | None]], group: Group) -> int:
    return sum(1 for g, s in attendance if g is group and s in PRESENT_STATUSES)


@given(attendances, rules)
def test_quorate_when_both_the_overall_and_every_group_quorum_hold(attendance, rule):
    state = quorum(attendance, rule)
    overall = sum(present_in(attendance, g) for g in Group)
    assert state.present == overall
    assert state.quorate == (
        overall >= rule.overall and all(present_in(attendance, g) >= rule.per_group for g in Group)
    )


@given(attendances, rules)
def test_missing_groups_are_exactly_those_under_the_per_group_quorum(attendance, rule):
    state = quorum(attendance, rule)
    assert set(state.missing_groups) == {
        g for g in Group if present_in(attendance, g) < rule.per_group
    }
    assert list(state.missing_groups) == [g for g in Group if g in state.missing_groups]


@given(attendances, rules, groups, st.sampled_from(PRESENT_STATUSES))
def test_a_seat_more_present_never_breaks_a_quorum(attendance, rule, group, status):
    before = quorum(attendance, rule)
    after = quorum([*attendance, (group, status)], rule)
    assert after.present == before.present + 1
    assert set(after.missing_groups) <= set(before.missing_groups)
    if before.quorate:
        assert after.quorate


@given(attendances, rules, groups, st.sampled_from(list(Presence)))
def test_an_alternate_counts_as_present_and_excused_absent_unmarked_do_not(
    attendance, rule, group, status
):
    before = quorum(attendance, rule)
    for marked in (status, None):
        after = quorum([*attendance, (group, marked)], rule)
        counts = marked in (Presence.HOLDER, Presence.ALTERNATE)
        assert after.present_by_group[group] == before.present_by_group[group] + counts
        for other in Group:
            if other is not group:
                assert after.present_by_group[other] == before.present_by_group[other]


@given(attendances)
def test_the_order_of_the_seats_does_not_matter(attendance):
    rule = QuorumRule(overall=2, per_group=1)
    assert quorum(attendance, rule) == quorum(list(reversed(attendance)), rule)


def test_one_seat_of_each_group_makes_the_default_quorum():
    rule = QuorumRule(overall=3, per_group=1)
    seats = [(g, Presence.HOLDER) for g in Group]
    assert quorum(seats, rule).quorate
    without_employers = [(g, s) for g, s in seats if g is not Group.EMPLOYERS]
    without_employers.append((Group.EMPLOYERS, Presence.EXCUSED))
    without_employers.append((Group.WORKERS, Presence.ALTERNATE))
    state = quorum(without_employers, rule)
    assert not state.quorate
    assert state.overall_met
    assert state.missing_groups == (Group.EMPLOYERS,)


@given(st.lists(groups, max_size=30))
def test_parity_is_balanced_exactly_when_workers_and_employers_hold_as_many_seats(seat_groups):
    composition = parity(seat_groups)
    assert composition.seats == {g: seat_groups.count(g) for g in Group}
    assert composition.balanced == (
        seat_groups.count(Group.WORKERS) == seat_groups.count(Group.EMPLOYERS)
    )


@given(st.lists(groups, max_size=10), st.integers(0, 5))
def test_government_seats_never_unbalance_the_parity(seat_groups, extra):
    assert (
        parity(seat_groups).balanced
        == parity([*seat_groups, *([Group.GOVERNMENT] * extra)]).balanced
    )


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(0, 30),
    st.integers(-5 * 86400, 40 * 86400),
)
def test_short_notice_is_less_notice_than_the_rules_ask(convened, notice_days, seconds):
    starts = convened + timedelta(seconds=seconds)
    assert short_notice(convened, starts, notice_days) == (seconds < notice_days * 86400)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(1, 30),
)
def test_short_notice_boundary_exactly_the_notice_is_enough(convened, notice_days):
    exactly = convened + timedelta(days=notice_days)
    assert not short_notice(convened, exactly, notice_days)
    assert short_notice(convened, exactly - timedelta(microseconds=1), notice_days)


@given(st.sampled_from(list(Presence)), st.booleans())
def test_a_seat_is_marked_by_its_alternate_only_when_it_has_one(status, has_alternate):
    assert may_mark(status, has_alternate) == (status is not Presence.ALTERNATE or has_alternate)


@given(st.sets(groups), st.booleans())
def test_an_agenda_change_needs_the_chair_or_all_three_groups(agreeing, chair):
    assert agenda_change_agreed(AgendaChangeRule.CHAIR, agreeing, chair) == chair
    assert agenda_change_agreed(AgendaChangeRule.UNANIMITY, agreeing, chair) == (
        agreeing == set(Group)
    )


@given(st.lists(groups, max_size=8), st.booleans())
def test_unanimity_ignores_repeated_groups_and_the_chair(agreeing, chair):
    assert agenda_change_agreed(AgendaChangeRule.UNANIMITY, iter(agreeing), chair) == (
        set(agreeing) == set(Group)
    )
