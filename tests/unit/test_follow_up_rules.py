"""The to-do list's follow-up of decisions (app.todo.rules.follow_up): pure."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.todo.rules import ActionDue, DecisionToReview, Kind, follow_up
from app.vocabulary import ActionStatus

TODAY = date(2027, 3, 10)


def due(status: ActionStatus, days: int, action_id: int = 1) -> ActionDue:
    return ActionDue(action_id, 9, "Publish the scale", "Council", status, TODAY + timedelta(days))


def test_an_open_action_past_its_due_date_is_listed_and_a_finished_one_is_not():
    items = follow_up(
        [
            due(ActionStatus.PLANNED, -1, 1),
            due(ActionStatus.IN_PROGRESS, -5, 2),
            due(ActionStatus.DONE, -5, 3),
            due(ActionStatus.DROPPED, -5, 4),
            due(ActionStatus.PLANNED, 0, 5),
        ],
        [],
        TODAY,
    )
    assert [(i.kind, i.action_id) for i in items] == [
        (Kind.ACTION_OVERDUE, 2),
        (Kind.ACTION_OVERDUE, 1),
    ]


def test_a_decision_is_due_for_review_from_its_review_date_on():
    reviews = [
        DecisionToReview(1, "A", "Council", TODAY),
        DecisionToReview(2, "B", "Council", TODAY + timedelta(days=1)),
        DecisionToReview(3, "C", "Council", None),
    ]
    assert [i.decision_id for i in follow_up([], reviews, TODAY)] == [1]


@given(st.lists(st.tuples(st.sampled_from(list(ActionStatus)), st.integers(-30, 30))))
def test_every_listed_action_is_open_and_late(facts):
    actions = [due(status, days, n) for n, (status, days) in enumerate(facts)]
    listed = {i.action_id for i in follow_up(actions, [], TODAY)}
    expected = {
        a.action_id
        for a in actions
        if a.status in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
        and a.due_on is not None
        and a.due_on < TODAY
    }
    assert listed == expected
