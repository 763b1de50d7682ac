"""An abstention is a response but not a stance (shared/docs/domain.md, "Abstention"): it counts
in "responded" and in the tally, and never forms a group majority, a convergence or a dissent."""

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.summaries.summary import (
    RoundRecord,
    StatementFact,
    convergence,
    dissent,
    summarise,
)
from app.summaries.tally import PositionFact, tally
from app.summaries.view import group_state, view_context
from app.vocabulary import Group, Stance, Weighting

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
A, S, OPP = Stance.ABSTAIN, Stance.SUPPORT, Stance.OPPOSE
FAST = settings(max_examples=150, database=None, deadline=None)


def record(*rows: tuple[Group, Stance]) -> RoundRecord:
    return RoundRecord(
        round_id=7,
        title="Night work",
        status="closed",
        weighting=Weighting.EQUAL,
        invited={G: 2, W: 2, E: 2},
        positions=tuple(
            StatementFact(group, f"{group.value} {i}", stance, "Our view.")
            for i, (group, stance) in enumerate(rows)
        ),
    )


def summary_of(*rows: tuple[Group, Stance]) -> dict:
    return summarise(record(*rows), datetime(2026, 12, 1, tzinfo=UTC))


def test_an_all_abstain_round_is_no_consensus():
    summary = summary_of((G, A), (W, A), (E, A), (E, A))
    assert summary["convergence"] == {"kind": "divergence", "stance": None, "groups": []}
    # every group responded, and the tally is all abstention, of the expressed weight
    assert [summary["groups"][g.value]["responded"] for g in Group] == [1, 1, 2]
    assert summary["tally"]["abstain"] == 1
    assert summary["not_expressed"] == 0
    # no group has a majority stance: "divided" is the API's "no majority stance"
    assert {summary["groups"][g.value]["majority"] for g in Group} == {"divided"}
    assert summary["dissent"] == []


def test_two_groups_abstaining_do_not_agree():
    summary = summary_of((G, A), (W, A), (E, S))
    assert summary["convergence"]["kind"] == "divergence"
    assert summary["groups"]["employers"]["majority"] == "support"


def test_two_groups_agree_on_a_stance_whatever_the_third_groups_abstention():
    summary = summary_of((G, S), (W, S), (E, A))
    assert summary["convergence"] == {
        "kind": "bipartite",
        "stance": "support",
        "groups": ["government", "workers"],
    }


def test_abstentions_count_as_responses_but_not_in_the_majority():
    result = tally([PositionFact(W, "a", A), PositionFact(W, "b", A), PositionFact(W, "c", S)])
    workers = result.groups[W]
    assert workers.responded == 3
    assert workers.substantive == 1
    assert workers.majority is S  # the only substantive stance taken
    assert workers.share(A) == Fraction(2, 3)
    assert result.overall[A] == Fraction(2, 9)


def test_an_abstaining_organisation_is_not_a_dissenter():
    positions = [
        StatementFact(W, "Union A", S, ""),
        StatementFact(W, "Union B", A, ""),
        StatementFact(W, "Union C", OPP, ""),
        StatementFact(W, "Union D", S, ""),
    ]
    assert [d["organisation"] for d in dissent(positions, {W: S})] == ["Union C"]


def test_convergence_ignores_an_abstain_majority_even_if_handed_one():
    assert convergence({G: A, W: A, E: A})["kind"] == "divergence"
    assert convergence({G: A, W: A, E: S})["kind"] == "divergence"


@pytest.mark.parametrize(
    ("rows", "state"),
    [
        ([], "silent"),
        ([A, A], "abstained"),
        ([S, OPP], "divided"),
        ([S, A, A], "support"),
    ],
)
def test_each_group_is_named_by_its_state(rows, state):
    summary = summary_of(*[(W, stance) for stance in rows])
    assert group_state(summary["groups"]["workers"]) == state


def test_the_summary_page_names_an_abstaining_group_as_such():
    context = view_context(summary_of((G, A), (W, A), (E, S)))
    assert dict(context["majorities"])[G] == "abstained"
    assert context["abstentions"] == 2


rows_strategy = st.lists(st.tuples(st.sampled_from(list(Group)), st.sampled_from(list(Stance))))


@FAST
@given(rows_strategy)
def test_no_majority_convergence_or_dissent_is_ever_abstain(rows):
    summary = summary_of(*rows)
    assert all(g["majority"] != "abstain" for g in summary["groups"].values())
    assert summary["convergence"]["stance"] != "abstain"
    assert all(d["stance"] != "abstain" for d in summary["dissent"])
    assert all(d["group_majority"] != "abstain" for d in summary["dissent"])


@FAST
@given(rows_strategy, st.sampled_from(list(Group)), st.integers(min_value=1, max_value=5))
def test_adding_abstentions_changes_responses_but_no_majority(rows, group, extra):
    before = summary_of(*rows)
    after = summary_of(*rows, *[(group, A)] * extra)
    assert after["groups"][group.value]["responded"] == (
        before["groups"][group.value]["responded"] + extra
    )
    for g in Group:
        if before["groups"][g.value]["majority"] is not None:  # not a silent group
            assert after["groups"][g.value]["majority"] == before["groups"][g.value]["majority"]
    assert after["convergence"] == before["convergence"]
    assert after["dissent"] == before["dissent"]


def test_the_annual_report_names_an_abstaining_group_as_such():
    from app.cycle.report import round_row
    from app.cycle.rules import ReportRound
    from app.vocabulary import RoundStatus

    summary = summary_of((G, A), (W, A), (W, S), (E, S), (E, OPP))
    row = ReportRound(
        7, "Working time", 1, "Night work", "other", RoundStatus.CLOSED,
        None, None, None, None, summary,
    )  # fmt: skip
    cells = round_row(row)
    assert "Abstained (every organisation that responded abstained)" in cells
    assert "Support" in cells  # the workers: the one substantive stance
    assert "Divided (no stance has more than half)" in cells  # the employers
