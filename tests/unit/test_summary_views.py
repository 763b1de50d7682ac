"""The summary's pure parts beyond the tally: equal space in quotes, participation over time,
access, the chart's geometry, and the published schema."""

from datetime import UTC, datetime, timedelta

import pytest

from app.api.schemas import Summary
from app.errors import DomainError
from app.summaries import chart
from app.summaries.access import Audience, summary_audience
from app.summaries.summary import (
    QUOTE_ROLES,
    QUOTE_WORDS,
    QUOTES_PER_GROUP,
    RoundRecord,
    StatementFact,
    excerpt,
    participation,
    quote_role,
    quotes,
    summarise,
    word_shares,
)
from app.vocabulary import Group, RoundStatus, Stance, Weighting

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
DAY = datetime(2026, 11, 1, 9, tzinfo=UTC)


def fact(group, organisation, stance=Stance.SUPPORT, statement="Because we say so.", day=0):
    return StatementFact(group, organisation, stance, statement, DAY + timedelta(days=day))


def record(*positions, invited=None, weighting=Weighting.EQUAL):
    return RoundRecord(
        round_id=4,
        title="Wages",
        status="closed",
        weighting=weighting,
        invited=invited or {G: 5, W: 5, E: 5},
        positions=tuple(positions),
    )


def test_every_group_is_quoted_the_same_number_of_times_whatever_its_size():
    positions = [fact(W, f"Union {i}", statement="word " * 200) for i in range(9)]
    positions += [fact(G, f"Ministry {i}") for i in range(4)]
    positions += [fact(E, "Federation")]
    majorities = {W: Stance.SUPPORT, G: Stance.SUPPORT, E: Stance.SUPPORT}
    chosen = quotes(positions, majorities)
    # the employers wrote one statement: every group is quoted once, nothing is invented
    assert [len(chosen[g]) for g in (W, G, E)] == [1, 1, 1]
    fuller = quotes([*positions, *(fact(E, f"Chamber {i}") for i in range(5))], majorities)
    assert [len(fuller[g]) for g in (W, G, E)] == [QUOTES_PER_GROUP] * 3
    assert all(len(q.statement.split()) <= QUOTE_WORDS + 1 for q in fuller[W])
    silent_employers = quotes(positions[:-1], majorities)
    assert [len(silent_employers[g]) for g in (W, G, E)] == [QUOTES_PER_GROUP] * 2 + [0]


def test_the_majority_is_quoted_first_and_dissent_is_not_crowded_out():
    positions = [fact(W, f"Union {i}") for i in range(5)] + [
        fact(W, "Zeta union", Stance.OPPOSE, "We oppose."),
        fact(W, "Alpha union", Stance.ABSTAIN, "We abstain."),
    ]
    chosen = quotes(positions, {W: Stance.SUPPORT})
    # one of each role fits in three quotes: majority first, then dissent, then the abstention
    assert [(q.organisation, q.stance) for q in chosen[W]] == [
        ("Union 0", Stance.SUPPORT),
        ("Zeta union", Stance.OPPOSE),
        ("Alpha union", Stance.ABSTAIN),
    ]
    roles = [quote_role(q.stance, Stance.SUPPORT) for q in chosen[W]]
    assert roles == ["majority", "dissent", "abstain"]
    assert sorted(roles, key=QUOTE_ROLES.index) == roles


def test_a_dissent_is_quoted_before_a_second_majority_statement():
    positions = [fact(W, "Union A", Stance.OPPOSE), fact(W, "Union B", Stance.OPPOSE)]
    positions += [fact(W, "Union C")]
    two = quotes(positions, {W: Stance.OPPOSE}, per_group=2)
    assert [q.organisation for q in two[W]] == ["Union A", "Union C"]
    # when the other groups wrote one statement each, the group's majority is quoted
    others = [fact(G, "Ministry"), fact(E, "Federation")]
    one = quotes([*positions, *others], {W: Stance.OPPOSE})
    assert [q.organisation for q in one[W]] == ["Union A"]


@pytest.mark.parametrize(
    ("stance", "majority", "role"),
    [
        (Stance.SUPPORT, Stance.SUPPORT, "majority"),
        (Stance.OPPOSE, Stance.SUPPORT, "dissent"),
        (Stance.OPPOSE, None, "divided"),
        (Stance.ABSTAIN, Stance.SUPPORT, "abstain"),
        (Stance.ABSTAIN, None, "abstain"),
    ],
)
def test_each_quote_knows_how_it_stands_towards_its_group(stance, majority, role):
    assert quote_role(stance, majority) == role


def test_excerpt_cuts_long_statements_and_keeps_short_ones():
    assert excerpt("one two three", 5) == "one two three"
    assert excerpt("a b c d e f", 3) == "a b c …"


def test_participation_counts_organisations_per_group_cumulatively_by_day():
    timeline = participation(
        [fact(G, "Ministry", day=0), fact(W, "Union", day=0), fact(W, "Union 2", day=2)]
    )
    assert timeline == [
        {"date": "2026-11-01", "government": 1, "workers": 1, "employers": 0},
        {"date": "2026-11-03", "government": 1, "workers": 2, "employers": 0},
    ]


def test_a_summary_whose_quotes_favour_one_group_is_flagged():
    long = " ".join(["word"] * 59)
    summary = summarise(
        record(fact(W, "Union", statement=long), fact(G, "Ministry", statement="Yes.")),
        DAY,
    )
    assert summary["unbalanced_groups"] == ["workers"]
    balanced = summarise(
        record(
            fact(W, "Union", statement=long),
            fact(G, "Ministry", statement=long),
            fact(E, "Federation", statement=long),
        ),
        DAY,
    )
    assert balanced["unbalanced_groups"] == []
    assert word_shares([]) == {g: 0 for g in Group}


def test_the_summary_matches_its_published_schema_exactly():
    summary = summarise(record(fact(G, "Ministry"), fact(W, "Union", Stance.OPPOSE, "No.")), DAY)
    summary["round"].update(
        number=1,
        consultation_id=1,
        consultation="Wages policy",
        closes_at=None,
        closed_at=None,
        published_at=None,
    )
    Summary.model_validate(summary)  # extra keys are forbidden: a stray field fails here
    summary["surprise"] = 1
    with pytest.raises(ValueError):
        Summary.model_validate(summary)


@pytest.mark.parametrize(
    ("moderates", "status", "sealed", "expected"),
    [
        (False, RoundStatus.CLOSED, False, Audience.PUBLIC),
        (False, RoundStatus.PUBLISHED, True, Audience.PUBLIC),
        (True, RoundStatus.PUBLISHED, False, Audience.MODERATOR),
        (True, RoundStatus.OPEN, False, Audience.MODERATOR),
        (False, RoundStatus.OPEN, False, 409),
        (True, RoundStatus.OPEN, True, 409),
        (True, RoundStatus.SCHEDULED, False, 409),
        (True, RoundStatus.DRAFT, False, 404),
        (False, RoundStatus.DRAFT, False, 404),
    ],
)
def test_who_reads_a_summary_and_when(moderates, status, sealed, expected):
    if isinstance(expected, Audience):
        assert summary_audience(moderates=moderates, status=status, sealed=sealed) is expected
    else:
        with pytest.raises(DomainError) as refusal:
            summary_audience(moderates=moderates, status=status, sealed=sealed)
        assert refusal.value.status_code == expected


def test_the_chart_gives_every_group_a_bar_of_the_same_length():
    summary = summarise(
        record(
            *[fact(W, f"Union {i}") for i in range(7)],
            fact(G, "Ministry", Stance.OPPOSE, "No."),
        ),
        DAY,
    )
    bars = chart.bars(summary, (G, E, W))
    assert [b.label for b in bars] == ["Government", "Employers", "Workers", "Equal weight"]
    assert sum(s.width for s in bars[0].segments) == pytest.approx(chart.BAR_WIDTH)
    assert sum(s.width for s in bars[2].segments) == pytest.approx(chart.BAR_WIDTH)
    assert bars[1].segments == () and "silent" in bars[1].note
    whole = {s.key: s.share for s in bars[3].segments}
    assert whole == pytest.approx({"support": 1 / 3, "oppose": 1 / 3, "not_expressed": 1 / 3})
    words = chart.description(summary, (G, E, W))
    assert "Employers: silent." in words and "not expressed 33.3%" in words
