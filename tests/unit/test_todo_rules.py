"""The to-do list's rules (app.todo.rules): what is listed for whom, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.todo import rules
from app.todo.rules import Kind
from app.vocabulary import Group, RoundStatus

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def invited(round_id=1, *, status=RoundStatus.OPEN, closes=NOW + 13 * DAY, responded=False):
    return rules.Invited(
        round_id,
        f"Round {round_id}",
        "Consultation",
        status,
        NOW - DAY,
        closes,
        7,
        "Union",
        responded,
    )


@pytest.mark.parametrize(
    ("fact", "listed"),
    [
        (invited(), True),
        (invited(responded=True), False),
        (invited(closes=NOW - timedelta(minutes=1)), False),  # past its deadline: closed
        (invited(status=RoundStatus.SCHEDULED), True),  # opened on time
        (invited(status=RoundStatus.CLOSED), False),
    ],
)
def test_a_position_is_owed_while_the_round_is_open_and_unanswered(fact, listed):
    found = rules.for_organisations([fact], [], [], [], NOW)
    assert [i.kind for i in found] == ([Kind.POSITION_OWED] if listed else [])


def test_the_soonest_deadline_comes_first_and_items_without_one_last():
    found = rules.for_organisations(
        [invited(1, closes=NOW + 9 * DAY), invited(2, closes=NOW + 2 * DAY)],
        [],
        [],
        [rules.Represented(7, "Union", 0, 0)],
        NOW,
    )
    assert [(i.kind, i.round_id) for i in found] == [
        (Kind.POSITION_OWED, 2),
        (Kind.POSITION_OWED, 1),
        (Kind.REPRESENTATIVE_NEEDED, None),
    ]


@pytest.mark.parametrize(
    ("others", "pending", "listed"), [(0, 0, True), (1, 0, False), (0, 1, False)]
)
def test_a_focal_point_is_asked_to_mandate_someone_only_when_no_one_else_can_speak(
    others, pending, listed
):
    found = rules.for_organisations(
        [], [], [], [rules.Represented(7, "Union", others, pending)], NOW
    )
    assert bool(found) is listed


def test_signoffs_and_statements_wait_until_given_and_only_while_they_can_be():
    signoff = rules.SignoffAsked(
        3, "R", "C", RoundStatus.CLOSED, Group.WORKERS, 7, False, NOW + DAY
    )
    statement = rules.DraftStatement(
        4, "R", "C", RoundStatus.OPEN, NOW - DAY, NOW + DAY, Group.WORKERS, 7, "Union", False
    )
    found = rules.for_organisations([], [signoff], [statement], [], NOW)
    assert {i.kind for i in found} == {Kind.SIGNOFF_REQUESTED, Kind.STATEMENT_TO_ENDORSE}
    done = [
        rules.SignoffAsked(3, "R", "C", RoundStatus.CLOSED, Group.WORKERS, 7, True, NOW + DAY),
        rules.SignoffAsked(5, "R", "C", RoundStatus.PUBLISHED, Group.WORKERS, 7, False, None),
    ]
    closed = rules.DraftStatement(
        4, "R", "C", RoundStatus.OPEN, NOW - 9 * DAY, NOW - DAY, Group.WORKERS, 7, "Union", False
    )
    assert rules.for_organisations([], done, [closed], [], NOW) == []


def to_run(stored, *, closes=NOW - DAY, outcome="Agreed.", signoffs=None, deadline=None):
    return rules.RoundToRun(1, "R", "C", stored, closes, outcome, deadline, signoffs or {})


ALL_CONFIRMED = dict.fromkeys(Group, "confirmed")
ONE_WAITING = {**ALL_CONFIRMED, Group.EMPLOYERS: "requested"}


@pytest.mark.parametrize(
    ("round_", "kind"),
    [
        (to_run(RoundStatus.OPEN), Kind.DEADLINE_PASSED),
        (to_run(RoundStatus.OPEN, closes=NOW + DAY), None),
        (to_run(RoundStatus.CLOSED, outcome=None), None),
        (to_run(RoundStatus.CLOSED), Kind.SIGNOFF_TO_ASK),
        (to_run(RoundStatus.CLOSED, signoffs=ALL_CONFIRMED), Kind.READY_TO_PUBLISH),
        (to_run(RoundStatus.CLOSED, signoffs=ONE_WAITING, deadline=NOW + DAY), None),
        (
            to_run(RoundStatus.CLOSED, signoffs=ONE_WAITING, deadline=NOW - DAY),
            Kind.READY_TO_PUBLISH,
        ),
        (to_run(RoundStatus.PUBLISHED, signoffs=ALL_CONFIRMED), None),
    ],
)
def test_what_a_moderator_must_do_with_a_round(round_, kind):
    found = rules.for_moderators([round_], 0, 0, NOW)
    assert [i.kind for i in found] == ([kind] if kind else [])


def test_the_queue_is_listed_only_when_something_waits_in_it():
    assert rules.for_moderators([], 0, 0, NOW) == []
    (queue,) = rules.for_moderators([], 2, 1, NOW)
    assert (queue.kind, queue.count, queue.count_more) == (Kind.QUEUE, 2, 1)


def test_observers_see_the_summaries_published_lately_newest_first():
    published = [
        rules.Published(n, f"R{n}", "C", NOW - timedelta(days=days))
        for n, days in enumerate([40, 1, 29, 3, None], start=1)
        if days is not None
    ] + [rules.Published(9, "R9", "C", None)]
    found = rules.for_observers(published, NOW)
    assert [i.round_id for i in found] == [2, 4, 3]
