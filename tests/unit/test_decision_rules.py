"""The decision methods and follow-up (app.decisions.rules) against the contract of issue 18
("Exact rules"), re-derived here independently for random votes."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.decisions.rules import (
    DEFAULT_THRESHOLD,
    GroupResult,
    VoteFact,
    Word,
    confirmations,
    decide,
    disputed,
    overdue,
    parse_threshold,
    review_due,
)
from app.vocabulary import ActionStatus, DecisionMethod, Group, Verdict, Vote, Weighting

groups = st.sampled_from(list(Group))
votes_ = st.sampled_from(list(Vote))
methods = st.sampled_from(list(DecisionMethod))
weightings = st.sampled_from(list(Weighting))
thresholds = st.fractions(min_value=Fraction(1, 12), max_value=1, max_denominator=12)
vote_lists = st.lists(st.tuples(groups, votes_), max_size=25).map(
    lambda pairs: [VoteFact(f"org{n}", g, v) for n, (g, v) in enumerate(pairs)]
)
WEIGHTS = {
    Weighting.EQUAL: {Group.GOVERNMENT: 1, Group.WORKERS: 1, Group.EMPLOYERS: 1},
    Weighting.PLENARY: {Group.GOVERNMENT: 2, Group.WORKERS: 1, Group.EMPLOYERS: 1},
}


def tally(votes, group=None):
    chosen = [v.vote for v in votes if group is None or v.group is group]
    return chosen.count(Vote.FOR), chosen.count(Vote.AGAINST), chosen.count(Vote.ABSTAIN)


def group_is_for(votes, group):
    for_, against, _ = tally(votes, group)
    return for_ + against > 0 and 2 * for_ > for_ + against


def contract(method, votes, weighting, threshold, casting, consensus) -> bool:
    """Issue 18's rules, written out again."""
    for_, against, _ = tally(votes)
    if method is DecisionMethod.GROUP_EQUAL_VOTE:
        weight_for = sum(WEIGHTS[weighting][g] for g in Group if group_is_for(votes, g))
        return weight_for >= threshold * sum(WEIGHTS[weighting].values())
    if method is DecisionMethod.DOUBLE_MAJORITY:
        in_groups = all(
            tally(votes, g)[0] > tally(votes, g)[1] for g in Group if sum(tally(votes, g)[:2])
        )
        return for_ > against and in_groups
    if method is DecisionMethod.CHAIR_CASTING:
        return casting is Vote.FOR if for_ == against else for_ > against
    return consensus


@given(
    methods,
    vote_lists,
    weightings,
    thresholds,
    st.one_of(st.none(), votes_),
    st.booleans(),
)
def test_every_method_follows_the_contract(method, votes, weighting, threshold, casting, consensus):
    outcome = decide(
        method,
        votes,
        weighting=weighting,
        threshold=threshold,
        casting_vote=casting,
        consensus=consensus,
    )
    assert outcome.adopted == contract(method, votes, weighting, threshold, casting, consensus)
    assert (outcome.overall.for_, outcome.overall.against, outcome.overall.abstain) == tally(votes)
    for group in Group:
        count = outcome.by_group[group]
        assert (count.for_, count.against, count.abstain) == tally(votes, group)
    assert outcome.weights == WEIGHTS[weighting]


@given(vote_lists)
def test_a_group_is_for_against_or_silent_by_its_expressed_votes(votes):
    outcome = decide(DecisionMethod.GROUP_EQUAL_VOTE, votes)
    for group in Group:
        for_, against, _ = tally(votes, group)
        expected = (
            GroupResult.SILENT
            if for_ + against == 0
            else GroupResult.FOR
            if for_ > against
            else GroupResult.AGAINST
        )
        assert outcome.group_results[group] is expected


@given(methods, vote_lists, weightings, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_votes(method, votes, weighting, rnd):
    shuffled = list(votes)
    rnd.shuffle(shuffled)
    a = decide(method, votes, weighting=weighting, casting_vote=Vote.FOR)
    b = decide(method, shuffled, weighting=weighting, casting_vote=Vote.FOR)
    assert a == b


@given(vote_lists, weightings, groups, st.lists(votes_, min_size=1, max_size=10))
def test_more_organisations_voting_in_one_group_never_change_another_groups_result_or_weight(
    votes, weighting, group, extra
):
    before = decide(DecisionMethod.GROUP_EQUAL_VOTE, votes, weighting=weighting)
    more = [*votes, *(VoteFact(f"new{n}", group, v) for n, v in enumerate(extra))]
    after = decide(DecisionMethod.GROUP_EQUAL_VOTE, more, weighting=weighting)
    assert after.weights == before.weights
    for other in Group:
        if other is not group:
            assert after.group_results[other] is before.group_results[other]
            assert after.by_group[other] == before.by_group[other]


@given(vote_lists, weightings)
def test_abstentions_change_no_result(votes, weighting):
    expressed = [v for v in votes if v.vote is not Vote.ABSTAIN]
    for method in DecisionMethod:
        a = decide(method, votes, weighting=weighting, casting_vote=Vote.AGAINST)
        b = decide(method, expressed, weighting=weighting, casting_vote=Vote.AGAINST)
        assert a.adopted == b.adopted
        assert a.group_results == b.group_results


def _unanimous_groups(for_groups):
    return [VoteFact(f"{g.value}", g, Vote.FOR if g in for_groups else Vote.AGAINST) for g in Group]


def test_weights_one_one_one_two_groups_of_three_reach_a_half_and_two_thirds_but_not_more():
    two = _unanimous_groups({Group.WORKERS, Group.EMPLOYERS})
    outcome = decide(DecisionMethod.GROUP_EQUAL_VOTE, two)
    assert outcome.weight_for == 2 and outcome.weight_needed == Fraction(3, 2)
    assert outcome.adopted
    assert decide(DecisionMethod.GROUP_EQUAL_VOTE, two, threshold=Fraction(2, 3)).adopted
    assert not decide(DecisionMethod.GROUP_EQUAL_VOTE, two, threshold=Fraction(3, 4)).adopted
    one = _unanimous_groups({Group.GOVERNMENT})
    assert not decide(DecisionMethod.GROUP_EQUAL_VOTE, one).adopted
    assert decide(DecisionMethod.GROUP_EQUAL_VOTE, one, threshold=Fraction(1, 3)).adopted


def test_weights_two_one_one_the_government_alone_reaches_exactly_a_half():
    government = _unanimous_groups({Group.GOVERNMENT})
    outcome = decide(DecisionMethod.GROUP_EQUAL_VOTE, government, weighting=Weighting.PLENARY)
    assert outcome.weight_for == 2 and outcome.weight_needed == 2
    assert outcome.adopted  # at least the threshold: the boundary adopts
    assert not decide(
        DecisionMethod.GROUP_EQUAL_VOTE,
        government,
        weighting=Weighting.PLENARY,
        threshold=Fraction(51, 100),
    ).adopted
    social_partners = _unanimous_groups({Group.WORKERS, Group.EMPLOYERS})
    assert decide(
        DecisionMethod.GROUP_EQUAL_VOTE, social_partners, weighting=Weighting.PLENARY
    ).adopted
    assert not decide(
        DecisionMethod.GROUP_EQUAL_VOTE,
        social_partners,
        weighting=Weighting.PLENARY,
        threshold=Fraction(2, 3),
    ).adopted


def test_a_tied_group_is_against_and_a_silent_group_counts_for_nothing():
    votes = [
        VoteFact("a", Group.WORKERS, Vote.FOR),
        VoteFact("b", Group.WORKERS, Vote.AGAINST),
        VoteFact("c", Group.EMPLOYERS, Vote.ABSTAIN),
        VoteFact("d", Group.GOVERNMENT, Vote.FOR),
    ]
    outcome = decide(DecisionMethod.GROUP_EQUAL_VOTE, votes)
    assert outcome.group_results == {
        Group.WORKERS: GroupResult.AGAINST,
        Group.EMPLOYERS: GroupResult.SILENT,
        Group.GOVERNMENT: GroupResult.FOR,
    }
    assert not outcome.adopted


def test_double_majority_needs_a_majority_in_every_group_that_expressed_itself():
    votes = [
        VoteFact("a", Group.WORKERS, Vote.FOR),
        VoteFact("b", Group.WORKERS, Vote.FOR),
        VoteFact("c", Group.GOVERNMENT, Vote.FOR),
        VoteFact("d", Group.EMPLOYERS, Vote.AGAINST),
    ]
    assert not decide(DecisionMethod.DOUBLE_MAJORITY, votes).adopted
    abstaining = [*votes[:3], VoteFact("d", Group.EMPLOYERS, Vote.ABSTAIN)]
    assert decide(DecisionMethod.DOUBLE_MAJORITY, abstaining).adopted
    assert not decide(DecisionMethod.DOUBLE_MAJORITY, []).adopted


@given(st.one_of(st.none(), votes_))
def test_the_chair_casts_only_a_tie(casting):
    tie = [VoteFact("a", Group.WORKERS, Vote.FOR), VoteFact("b", Group.EMPLOYERS, Vote.AGAINST)]
    outcome = decide(DecisionMethod.CHAIR_CASTING, tie, casting_vote=casting)
    assert outcome.casting_decided and outcome.adopted == (casting is Vote.FOR)
    clear = [*tie, VoteFact("c", Group.GOVERNMENT, Vote.AGAINST)]
    outcome = decide(DecisionMethod.CHAIR_CASTING, clear, casting_vote=casting)
    assert not outcome.casting_decided and not outcome.adopted


@given(vote_lists, st.booleans())
def test_consensus_is_what_the_chair_records_whatever_the_votes(votes, consensus):
    assert decide(DecisionMethod.CONSENSUS, votes, consensus=consensus).adopted == consensus


# --- thresholds --------------------------------------------------------------------------------


@given(st.integers(1, 100), st.integers(1, 100))
def test_a_fraction_in_zero_to_one_reads_back(numerator, denominator):
    value = Fraction(numerator, denominator)
    assert parse_threshold(f"{numerator}/{denominator}") == (value if value <= 1 else None)
    assert parse_threshold(f" {numerator} / {denominator} ") == (value if value <= 1 else None)


@given(st.integers(-200, 200))
def test_a_percentage_reads_as_its_fraction(percent):
    expected = Fraction(percent, 100)
    assert parse_threshold(f"{percent}%") == (expected if 0 < expected <= 1 else None)


def test_thresholds_as_people_type_them():
    assert parse_threshold("1/2") == DEFAULT_THRESHOLD == Fraction(1, 2)
    assert parse_threshold("0.5") == Fraction(1, 2)
    assert parse_threshold("2/3") == Fraction(2, 3)
    assert parse_threshold("100%") == 1
    assert parse_threshold("1") == 1
    for wrong in ("", "0", "0/1", "1/0", "3/2", "-1/2", "half", "101%", "%", "1//2"):
        assert parse_threshold(wrong) is None, wrong


@given(st.text(max_size=12))
def test_any_text_gives_a_threshold_in_range_or_none(text):
    value = parse_threshold(text)
    assert value is None or 0 < value <= 1


# --- follow-up ---------------------------------------------------------------------------------

days = st.integers(-400, 400)
TODAY = date(2027, 3, 12)


@given(st.sampled_from(list(ActionStatus)), st.one_of(st.none(), days))
def test_an_open_action_past_its_due_date_is_overdue(status, offset):
    due = None if offset is None else TODAY + timedelta(days=offset)
    expected = (
        status in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
        and due is not None
        and due < TODAY
    )
    assert overdue(status, due, TODAY) == expected


def test_an_action_due_today_is_not_yet_overdue_and_a_review_due_today_is_due():
    assert not overdue(ActionStatus.PLANNED, TODAY, TODAY)
    assert overdue(ActionStatus.IN_PROGRESS, TODAY - timedelta(days=1), TODAY)
    assert review_due(TODAY, TODAY)
    assert not review_due(TODAY + timedelta(days=1), TODAY)
    assert not review_due(None, TODAY)


@given(st.one_of(st.none(), days))
def test_a_review_is_due_on_and_after_its_date(offset):
    review = None if offset is None else TODAY + timedelta(days=offset)
    assert review_due(review, TODAY) == (review is not None and review <= TODAY)


words = st.lists(
    st.tuples(groups, st.sampled_from(list(Verdict)), st.sampled_from([None, 1, 2, 3])),
    max_size=15,
).map(lambda rows: [Word(g, v, note, order) for order, (g, v, note) in enumerate(rows)])


@given(words, st.sampled_from([None, 1, 2, 3]), st.randoms(use_true_random=False))
def test_each_groups_latest_word_on_the_latest_note_stands(given_words, latest, rnd):
    expected = {g: None for g in Group}
    for word in given_words:  # in the order given
        if word.note_id == latest:
            expected[word.group] = word.verdict
    shuffled = list(given_words)
    rnd.shuffle(shuffled)
    assert confirmations(shuffled, latest) == expected
    assert disputed(expected) == (Verdict.DISPUTED in expected.values())


@given(words, groups, st.sampled_from(list(Verdict)))
def test_a_new_note_asks_every_group_again(given_words, group, verdict):
    new_note = 99
    assert confirmations(given_words, new_note) == {g: None for g in Group}
    spoken = [*given_words, Word(group, verdict, new_note, len(given_words))]
    standing = confirmations(spoken, new_note)
    assert standing[group] is verdict
    assert all(standing[g] is None for g in Group if g is not group)
