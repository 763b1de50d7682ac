"""The equal-weight tally: table tests and property tests (shared/docs/domain.md)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.summaries.tally import PositionFact, normalised_weights, percent, tally
from app.vocabulary import Group, Stance, Weighting

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
THIRD = Fraction(1, 3)

# no example database on disk: the suite leaves no files behind
FAST = settings(max_examples=150, database=None, deadline=None)


def facts(*rows: tuple[Group, Stance]) -> list[PositionFact]:
    """One fact per row, each from its own organisation."""
    return [
        PositionFact(group, f"{group.value}-{i}", stance) for i, (group, stance) in enumerate(rows)
    ]


# --- strategies --------------------------------------------------------------------------------

stances = st.sampled_from(list(Stance))
groups = st.sampled_from(list(Group))
weightings = st.sampled_from(list(Weighting))


@st.composite
def fact_lists(draw: st.DrawFn, min_size: int = 0) -> list[PositionFact]:
    """Positions of distinct organisations (one position per organisation, as in a round)."""
    rows = draw(st.lists(st.tuples(groups, stances), min_size=min_size, max_size=25))
    return [PositionFact(group, f"org-{i}", stance) for i, (group, stance) in enumerate(rows)]


# --- table tests -------------------------------------------------------------------------------


def test_each_group_carries_one_third_whatever_its_head_count():
    result = tally(facts((W, Stance.SUPPORT), (W, Stance.SUPPORT), (E, Stance.OPPOSE)))
    assert result.groups[W].weight == THIRD
    assert result.groups[E].weight == THIRD
    assert result.groups[G].weight == THIRD
    # two unions supporting count no more than one federation opposing
    assert result.overall[Stance.SUPPORT] == THIRD
    assert result.overall[Stance.OPPOSE] == THIRD
    # government is silent: its third is not expressed, not handed to the others
    assert result.not_expressed == THIRD
    assert sum(result.overall.values()) == 1 - THIRD


def test_a_group_splits_its_weight_equally_among_its_organisations():
    result = tally(
        facts(
            (W, Stance.SUPPORT),
            (W, Stance.SUPPORT),
            (W, Stance.OPPOSE),
            (E, Stance.NEUTRAL),
            (G, Stance.SUPPORT),
        )
    )
    assert result.groups[W].share(Stance.SUPPORT) == Fraction(2, 3)
    assert result.overall[Stance.SUPPORT] == THIRD * Fraction(2, 3) + THIRD
    assert result.overall[Stance.OPPOSE] == Fraction(1, 9)
    assert result.overall[Stance.NEUTRAL] == THIRD
    assert result.not_expressed == 0
    assert sum(result.overall.values()) == 1


def test_figures_are_exact_fractions_not_floats():
    result = tally(facts((W, Stance.SUPPORT), (W, Stance.OPPOSE), (W, Stance.OPPOSE)))
    value = result.overall[Stance.SUPPORT]
    assert isinstance(value, Fraction)
    assert value == Fraction(1, 9)
    assert all(isinstance(v, Fraction) for v in result.overall.values())
    assert isinstance(result.not_expressed, Fraction)
    assert result.not_expressed == Fraction(2, 3)
    # rounding happens only for display
    assert percent(value) == "11.1%"
    assert percent(THIRD) == "33.3%"
    assert percent(Fraction(1)) == "100.0%"


def test_the_plenary_weighting_gives_government_half():
    weights = normalised_weights(Weighting.PLENARY)
    assert weights == {G: Fraction(1, 2), E: Fraction(1, 4), W: Fraction(1, 4)}
    result = tally(
        facts((G, Stance.SUPPORT), (E, Stance.OPPOSE), (W, Stance.OPPOSE)), Weighting.PLENARY
    )
    assert result.weighting is Weighting.PLENARY
    assert result.groups[G].weight == Fraction(1, 2)
    assert result.overall[Stance.SUPPORT] == Fraction(1, 2)
    assert result.overall[Stance.OPPOSE] == Fraction(1, 2)


def test_the_plenary_weighting_does_not_redistribute_a_silent_government():
    result = tally(facts((E, Stance.SUPPORT), (W, Stance.OPPOSE)), Weighting.PLENARY)
    assert result.not_expressed == Fraction(1, 2)
    assert result.overall[Stance.SUPPORT] == Fraction(1, 4)
    assert result.overall[Stance.OPPOSE] == Fraction(1, 4)


def test_equal_weighting_is_the_default():
    assert tally([]).weighting is Weighting.EQUAL
    assert normalised_weights(Weighting.EQUAL) == {G: THIRD, E: THIRD, W: THIRD}


def test_nobody_posted():
    result = tally([])
    assert result.not_expressed == 1
    assert all(value == 0 for value in result.overall.values())
    assert all(not g.expressed for g in result.groups.values())
    assert result.renormalised() == {stance: 0 for stance in Stance}


@pytest.mark.parametrize(
    ("rows", "majority"),
    [
        ([Stance.SUPPORT], Stance.SUPPORT),
        ([Stance.SUPPORT, Stance.SUPPORT, Stance.OPPOSE], Stance.SUPPORT),
        ([Stance.OPPOSE, Stance.SUPPORT, Stance.OPPOSE], Stance.OPPOSE),
        # exactly half is not more than half: divided
        ([Stance.SUPPORT, Stance.OPPOSE], None),
        ([Stance.SUPPORT, Stance.SUPPORT, Stance.OPPOSE, Stance.NEUTRAL], None),
        # a plurality is not a majority
        ([Stance.SUPPORT, Stance.SUPPORT, Stance.OPPOSE, Stance.NEUTRAL, Stance.ABSTAIN], None),
        # abstentions are left out, as in majorities of votes cast; they never form a majority
        ([Stance.ABSTAIN, Stance.ABSTAIN, Stance.ABSTAIN, Stance.NEUTRAL], Stance.NEUTRAL),
        ([Stance.ABSTAIN, Stance.ABSTAIN], None),
        ([Stance.SUPPORT, Stance.ABSTAIN, Stance.OPPOSE], None),
        # a silent group has no majority
        ([], None),
    ],
)
def test_group_majority_or_divided(rows, majority):
    result = tally(facts(*[(W, stance) for stance in rows]))
    assert result.groups[W].majority == majority
    assert result.groups[W].responded == len(rows)


def test_raw_counts_sit_beside_the_weighted_figures():
    result = tally(
        facts((W, Stance.SUPPORT), (W, Stance.SUPPORT), (E, Stance.OPPOSE), (G, Stance.SUPPORT))
    )
    assert result.raw_counts == {
        Stance.SUPPORT: 3,
        Stance.SUPPORT_WITH_RESERVATIONS: 0,
        Stance.NEUTRAL: 0,
        Stance.OPPOSE: 1,
        Stance.ABSTAIN: 0,
    }
    # and the weighted figures are not the raw proportions (3/4 support, 1/4 oppose)
    assert result.overall[Stance.SUPPORT] == Fraction(2, 3)
    assert result.overall[Stance.OPPOSE] == THIRD
    assert result.groups[W].counts[Stance.SUPPORT] == 2
    assert result.groups[W].counts[Stance.OPPOSE] == 0


def test_the_renormalised_view_is_over_expressing_groups_only():
    result = tally(facts((W, Stance.SUPPORT), (E, Stance.OPPOSE)))
    assert result.renormalised()[Stance.SUPPORT] == Fraction(1, 2)
    assert result.renormalised()[Stance.OPPOSE] == Fraction(1, 2)
    # the main view is unchanged by asking for the alternative
    assert result.overall[Stance.SUPPORT] == THIRD
    assert result.not_expressed == THIRD


def test_an_organisation_counts_once():
    """One organisation, one position: the same organisation listed twice counts once."""
    twice = tally([PositionFact(W, "Dockers", Stance.SUPPORT)] * 2)
    once = tally([PositionFact(W, "Dockers", Stance.SUPPORT)])
    assert twice == once
    assert twice.groups[W].responded == 1


# --- properties --------------------------------------------------------------------------------


@FAST
@given(fact_lists(), weightings)
def test_overall_sums_to_the_expressed_weight(positions, weighting):
    result = tally(positions, weighting)
    weights = normalised_weights(weighting)
    silent = {g for g in Group if not any(f.group is g for f in positions)}
    assert result.not_expressed == sum((weights[g] for g in silent), Fraction(0))
    assert sum(result.overall.values()) == 1 - result.not_expressed
    assert all(value >= 0 for value in result.overall.values())
    assert sum(result.raw_counts.values()) == len(positions)


@FAST
@given(fact_lists(), weightings)
def test_each_stance_is_the_weighted_sum_of_group_shares(positions, weighting):
    """T(s) = Σ_g w_g · share_g(s), over groups that posted: a silent group gives nothing."""
    result = tally(positions, weighting)
    weights = normalised_weights(weighting)
    for stance in Stance:
        expected = Fraction(0)
        for group in Group:
            members = [f for f in positions if f.group is group]
            if members:
                held = sum(1 for f in members if f.stance is stance)
                expected += weights[group] * Fraction(held, len(members))
        assert result.overall[stance] == expected


@FAST
@given(fact_lists(), weightings, st.randoms(use_true_random=False))
def test_the_order_of_inputs_changes_nothing(positions, weighting, random):
    shuffled = list(positions)
    random.shuffle(shuffled)
    assert tally(shuffled, weighting) == tally(positions, weighting)
    assert tally(reversed(positions), weighting) == tally(positions, weighting)


@FAST
@given(fact_lists(), weightings, groups, stances, st.integers(min_value=1, max_value=10))
def test_adding_organisations_never_changes_a_groups_weight(
    positions, weighting, group, stance, extra
):
    before = tally(positions, weighting)
    more = positions + [PositionFact(group, f"new-{i}", stance) for i in range(extra)]
    after = tally(more, weighting)
    for g in Group:
        assert after.groups[g].weight == before.groups[g].weight == normalised_weights(weighting)[g]
    # the other groups' contributions are untouched
    for g in Group:
        if g is not group:
            assert after.groups[g] == before.groups[g]
    # and the total that the group carries stays its weight, never more
    assert sum(after.overall.values()) == 1 - after.not_expressed
    assert after.groups[group].responded == before.groups[group].responded + extra


@FAST
@given(
    fact_lists(),
    weightings,
    groups,
    stances,
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=10),
)
def test_a_unanimous_group_growing_changes_nothing_overall(
    positions, weighting, group, stance, size, extra
):
    """Adding organisations with the same stance to a group that already holds it (a union
    confederation splitting into ten unions, say) changes neither the group nor the tally."""
    others = [f for f in positions if f.group is not group]
    base = others + [PositionFact(group, f"same-{i}", stance) for i in range(size)]
    grown = base + [PositionFact(group, f"more-{i}", stance) for i in range(extra)]
    before, after = tally(base, weighting), tally(grown, weighting)
    assert after.overall == before.overall
    assert after.not_expressed == before.not_expressed
    assert after.groups[group].share(stance) == 1
    # a unanimous group holds its stance as its majority, unless it abstained (not a stance)
    assert after.groups[group].majority is (None if stance is Stance.ABSTAIN else stance)
    assert after.groups[group].abstained is (stance is Stance.ABSTAIN)


@FAST
@given(fact_lists(), weightings, groups, st.integers(min_value=2, max_value=4))
def test_replicating_a_groups_organisations_changes_nothing_overall(
    positions, weighting, group, copies
):
    """Head count does not buy weight: k organisations for each one, same stances, same tally."""
    replicated = [f for f in positions if f.group is not group] + [
        PositionFact(group, f"{f.organisation}-copy-{k}", f.stance)
        for f in positions
        if f.group is group
        for k in range(copies)
    ]
    assert tally(replicated, weighting).overall == tally(positions, weighting).overall


@FAST
@given(st.lists(groups, min_size=1, max_size=20), stances, weightings)
def test_everyone_holding_one_stance_is_all_of_the_expressed_weight(members, stance, weighting):
    positions = [PositionFact(g, f"org-{i}", stance) for i, g in enumerate(members)]
    result = tally(positions, weighting)
    assert result.overall[stance] == 1 - result.not_expressed
    assert result.renormalised()[stance] == 1
    for other in Stance:
        if other is not stance:
            assert result.overall[other] == 0
            assert result.renormalised()[other] == 0
    if set(members) == set(Group):
        assert result.overall[stance] == 1


@FAST
@given(fact_lists(), weightings, groups)
def test_a_silent_groups_weight_is_never_redistributed(positions, weighting, silent):
    """Silencing a group lowers the tally only by what that group gave; nobody else gains."""
    spoken = [f for f in positions if f.group is not silent]
    result = tally(spoken, weighting)
    weights = normalised_weights(weighting)
    assert result.not_expressed >= weights[silent]
    assert not result.groups[silent].expressed
    with_group = tally(positions, weighting)
    for stance in Stance:
        # each stance gets at most what the speaking groups gave it before
        assert result.overall[stance] == with_group.overall[stance] - (
            weights[silent] * with_group.groups[silent].share(stance)
        )


@FAST
@given(fact_lists(min_size=1), weightings)
def test_the_renormalised_view_sums_to_one_when_anyone_spoke(positions, weighting):
    result = tally(positions, weighting)
    renormalised = result.renormalised()
    assert sum(renormalised.values()) == 1
    expressed = 1 - result.not_expressed
    for stance in Stance:
        assert renormalised[stance] * expressed == result.overall[stance]
