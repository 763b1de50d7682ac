"""The Convention 144 cycle's pure rules: subjects, the yearly warning, timeliness, and the
annual report's sums."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cycle import subjects
from app.cycle.rules import (
    ACTION_STATES,
    DECISION_METHODS,
    Participation,
    Posting,
    ReportAction,
    ReportDecision,
    ReportMeeting,
    ReportRound,
    Timeliness,
    announced_deadline,
    annual_report,
    bodies_year,
    consultation_due_at,
    days_before,
    months_after,
    needs_consultation,
    participation_totals,
    summary_participation,
    timeliness,
    valid_year,
    year_bounds,
)
from app.errors import DomainError
from app.summaries.summary import RoundRecord, StatementFact, summarise
from app.vocabulary import Group, RoundStatus, Stance, Weighting

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


# --- subjects (C144 art. 5(1)) ---------------------------------------------------------------


def test_the_subjects_are_the_five_of_article_5_1_with_stable_codes():
    assert subjects.KINDS == (
        "general",
        "ilo_questionnaire",
        "submission_of_instruments",
        "unratified_instruments",
        "article_22_reports",
        "denunciation",
    )
    assert [s.letter for s in subjects.SUBJECTS] == ["a", "b", "c", "d", "e"]
    assert subjects.article("article_22_reports") == "C144, Article 5(1)(d)"
    assert subjects.article("general") == "" and not subjects.is_subject("general")


@pytest.mark.parametrize("kind", [s.code for s in subjects.SUBJECTS])
def test_each_subject_has_a_label_and_a_brief_with_placeholders(kind):
    assert subjects.label(kind) and subjects.label(kind) != kind
    brief = subjects.template(kind)
    assert "Convention No. 144" in brief and "[" in brief and "]" in brief
    assert f"Article 5(1)({subjects.article(kind)[-2]})" in brief


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "general"), ("  ", "general"), ("general", "general"), ("denunciation", "denunciation")],
)
def test_a_kind_from_a_form(value, expected):
    assert subjects.parse_kind(value) == expected


@pytest.mark.parametrize("value", ["Denunciation", "other", "ilo_questionnaire "[:5]])
def test_an_unknown_kind_is_refused(value):
    with pytest.raises(DomainError):
        subjects.parse_kind(value)


def test_the_template_fills_an_empty_brief_only():
    filled, done = subjects.fill_brief("   ", "denunciation")
    assert done and filled == subjects.template("denunciation")
    kept, done = subjects.fill_brief("Our own text.", "denunciation")
    assert not done and kept == "Our own text."
    assert subjects.fill_brief("", "general") == ("", False)


def test_an_unknown_stored_kind_is_shown_as_it_is():
    assert subjects.label("something_else") == "something_else"
    assert subjects.template("something_else") == ""


# --- Article 5(2): at least once a year -------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "months", "expected"),
    [
        (datetime(2026, 3, 15, 9, tzinfo=UTC), 12, datetime(2027, 3, 15, 9, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), 12, datetime(2027, 12, 1, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(when, months, expected):
    assert months_after(when, months) == expected


def test_a_country_without_any_round_needs_a_consultation():
    assert needs_consultation(None, NOW)


@pytest.mark.parametrize(
    ("last", "now", "needed"),
    [
        (datetime(2025, 11, 28, 12, 0, tzinfo=UTC), NOW, True),  # twelve months to the second
        (datetime(2025, 11, 28, 12, 0, 1, tzinfo=UTC), NOW, False),  # one second short
        (datetime(2025, 11, 29, tzinfo=UTC), NOW, False),
        (datetime(2025, 6, 1, tzinfo=UTC), NOW, True),
        (NOW - timedelta(days=1), NOW, False),
        (NOW, NOW, False),
        (datetime(2024, 2, 29, tzinfo=UTC), datetime(2025, 2, 27, 23, 59, tzinfo=UTC), False),
        (datetime(2024, 2, 29, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC), True),
    ],
)
def test_twelve_months_without_a_round_need_a_consultation(last, now, needed):
    assert needs_consultation(last, now) is needed
    assert (now >= consultation_due_at(last)) is needed


def test_years_run_in_utc():
    assert year_bounds(2026) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert valid_year(2026) and valid_year(1976) and not valid_year(1975) and not valid_year(9999)


# --- timeliness ---------------------------------------------------------------------------------

DEADLINE = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)


def test_the_announced_deadline_is_the_one_before_the_first_change():
    extended = DEADLINE + timedelta(days=7)
    assert announced_deadline(DEADLINE, []) == DEADLINE
    assert announced_deadline(extended, [DEADLINE]) == DEADLINE
    assert announced_deadline(extended + timedelta(days=3), [DEADLINE, extended]) == DEADLINE
    assert announced_deadline(extended, [None, DEADLINE]) == DEADLINE
    assert announced_deadline(None, []) is None


@pytest.mark.parametrize(
    ("posted", "days"),
    [
        (DEADLINE - timedelta(days=3), Fraction(3)),
        (DEADLINE - timedelta(hours=12), Fraction(1, 2)),
        (DEADLINE, Fraction(0)),
        (DEADLINE + timedelta(days=2), Fraction(-2)),
    ],
)
def test_days_before_the_deadline_are_exact(posted, days):
    assert days_before(posted, DEADLINE) == days


def test_timeliness_per_group():
    result = timeliness(
        [
            Posting(W, DEADLINE - timedelta(days=10), DEADLINE),
            Posting(W, DEADLINE - timedelta(days=2), DEADLINE),
            Posting(W, DEADLINE + timedelta(days=1), DEADLINE),  # after the announced deadline
            Posting(E, DEADLINE - timedelta(days=4), DEADLINE),
            Posting(E, DEADLINE - timedelta(days=1), DEADLINE),
            Posting(G, DEADLINE, DEADLINE),  # at the deadline is on time
            Posting(G, DEADLINE - timedelta(days=9), None),  # no deadline: not timed
        ]
    )
    assert result[W] == Timeliness(3, 2, Fraction(2))
    assert result[W].share_on_time == Fraction(2, 3)
    assert result[E] == Timeliness(2, 2, Fraction(5, 2))  # the median of an even count
    assert result[G] == Timeliness(1, 1, Fraction(0))


def test_a_group_that_posted_nothing_has_no_timeliness_figures():
    result = timeliness([])
    assert result == {g: Timeliness() for g in Group}
    assert result[G].share_on_time is None and result[G].median_days_before is None


def test_the_order_of_postings_changes_nothing():
    postings = [Posting(W, DEADLINE - timedelta(days=d), DEADLINE) for d in (5, -1, 3, 8)]
    assert timeliness(postings) == timeliness(list(reversed(postings)))


# --- participation and the annual report --------------------------------------------------------


def test_participation_adds_up_per_group():
    totals = participation_totals(
        [{G: (2, 1), W: (4, 4), E: (3, 0)}, {G: (2, 2), W: (1, 0)}]  # employers not invited
    )
    assert totals[G] == Participation(4, 3, 2, 2)
    assert totals[W] == Participation(5, 4, 2, 1)
    assert totals[E] == Participation(3, 0, 2, 0)
    assert totals[G].rate == Fraction(3, 4) and totals[E].rate == 0
    assert participation_totals([])[G].rate is None


def fact(group, organisation, stance):
    return StatementFact(group, organisation, stance, "Because.")


def report_round(round_id, status, positions, invited, reservations=(), kind="general"):
    summary = summarise(
        RoundRecord(
            round_id=round_id,
            title=f"Round {round_id}",
            status=status.value,
            weighting=Weighting.EQUAL,
            invited=invited,
            positions=tuple(positions),
            outcome="Agreed." if status is not RoundStatus.OPEN else None,
            reservations=tuple(reservations),
        ),
        NOW,
    )
    opened = datetime(2026, round_id, 1, tzinfo=UTC)
    return ReportRound(
        round_id,
        "Labour migration",
        round_id,
        f"Round {round_id}",
        kind,
        status,
        opened,
        opened + timedelta(days=20),
        None,
        None,
        summary,
    )


ROUNDS = [
    report_round(
        1,
        RoundStatus.PUBLISHED,
        [fact(G, "Ministry", Stance.SUPPORT), fact(W, "Union A", Stance.SUPPORT)]
        + [fact(W, "Union B", Stance.SUPPORT), fact(E, "Federation", Stance.SUPPORT)],
        {G: 1, W: 3, E: 2},
        reservations=[(W, "Not one day of transition.")],
        kind="article_22_reports",
    ),
    report_round(
        2,
        RoundStatus.CLOSED,
        [fact(G, "Ministry", Stance.SUPPORT), fact(W, "Union A", Stance.OPPOSE)],
        {G: 2, W: 2, E: 2},
    ),
    report_round(
        3,
        RoundStatus.OPEN,
        [fact(E, "Federation", Stance.OPPOSE)],
        {G: 1, W: 1, E: 1},
        reservations=[(E, "A reservation on an open round is not on the record yet.")],
        kind="article_22_reports",
    ),
]


def test_the_annual_report_adds_up_its_rounds_summaries():
    report = annual_report("Ardenia", 2026, ROUNDS, NOW)
    for g in Group:
        assert report.totals[g].invited == sum(
            r.summary["groups"][g.value]["invited"] for r in ROUNDS
        )
        assert report.totals[g].responded == sum(
            r.summary["groups"][g.value]["responded"] for r in ROUNDS
        )
    assert report.totals[W] == Participation(6, 3, 3, 2)
    assert summary_participation(ROUNDS[0].summary) == {G: (1, 1), W: (3, 2), E: (2, 1)}


def test_the_annual_report_counts_only_closed_rounds_for_convergence_and_reservations():
    report = annual_report("Ardenia", 2026, ROUNDS, NOW)
    assert [r.id for r in report.final_rounds] == [1, 2]
    assert report.convergence == {"tripartite": 1, "bipartite": 0, "divergence": 1}
    assert report.reservations == {G: 0, W: 1, E: 0}
    assert report.subjects == {"article_22_reports": 2, "general": 1}


def test_the_annual_reports_figures_do_not_depend_on_the_order_of_rounds():
    forward = annual_report("Ardenia", 2026, ROUNDS, NOW)
    backward = annual_report("Ardenia", 2026, list(reversed(ROUNDS)), NOW)
    assert forward.totals == backward.totals
    assert forward.convergence == backward.convergence
    assert forward.reservations == backward.reservations


def test_an_empty_year_has_zero_everywhere():
    report = annual_report("Ardenia", 2026, [], NOW)
    assert report.rounds == [] and report.final_rounds == []
    assert all(t == Participation() for t in report.totals.values())
    assert set(report.order) == set(Group)


# --- the year's meetings and decisions of the tripartite bodies ------------------------------

_WHEN = datetime(2025, 6, 1, tzinfo=UTC)

report_meetings = st.builds(
    lambda n, cancelled, held, quorate, seats: ReportMeeting(
        id=n,
        body="Council",
        title=f"Plenary {n}",
        starts_at=_WHEN,
        cancelled=cancelled,
        held=held and not cancelled,
        quorate=quorate and held and not cancelled,
        attendance={g: (min(p, t), t) for g, (p, t) in zip(Group, seats, strict=True)},
    ),
    st.integers(1, 10**6),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.tuples(*[st.tuples(st.integers(0, 5), st.integers(0, 5))] * 3),
)
report_actions = st.builds(
    ReportAction, st.sampled_from(ACTION_STATES), st.booleans(), st.booleans()
)
report_decisions = st.builds(
    lambda n, method, adopted, actions: ReportDecision(
        n, "Council", "Plenary", f"Item {n}", method, adopted, False, tuple(actions)
    ),
    st.integers(1, 10**6),
    st.sampled_from(DECISION_METHODS),
    st.booleans(),
    st.lists(report_actions, max_size=4),
)


@given(st.lists(report_meetings, max_size=8), st.lists(report_decisions, max_size=8))
def test_the_bodies_figures_add_up(meetings, decisions):
    year = bodies_year(meetings, decisions)
    held = [m for m in meetings if m.held]
    assert year.held == len(held) and year.quorate <= year.held
    for g in Group:
        present, total = year.attendance[g]
        assert present == sum(m.attendance[g][0] for m in held) <= total
    assert year.adopted + year.not_adopted == len(decisions)
    assert sum(year.by_method.values()) == len(decisions)
    assert year.action_count == sum(len(d.actions) for d in decisions)
    assert year.overdue <= year.action_count and year.disputed <= year.action_count


@given(st.lists(report_meetings, max_size=6), st.lists(report_decisions, max_size=6))
def test_the_bodies_figures_do_not_depend_on_the_order(meetings, decisions):
    forward = bodies_year(meetings, decisions)
    backward = bodies_year(meetings[::-1], decisions[::-1])
    assert (forward.held, forward.quorate, forward.attendance) == (
        backward.held,
        backward.quorate,
        backward.attendance,
    )
    assert (forward.by_method, forward.actions, forward.overdue, forward.disputed) == (
        backward.by_method,
        backward.actions,
        backward.overdue,
        backward.disputed,
    )
