"""The pure summary of a round (the base of issue 5's pages and exports)."""

import random
from dataclasses import replace
from datetime import UTC, datetime

from app.summaries.summary import (
    RoundRecord,
    StatementFact,
    convergence,
    dissent,
    fingerprint,
    summarise,
    unbalanced_groups,
)
from app.vocabulary import Group, Stance, Weighting

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def fact(group, organisation, stance, statement="Because."):
    return StatementFact(group, organisation, stance, statement)


RECORD = RoundRecord(
    round_id=7,
    title="Pensions",
    status="closed",
    weighting=Weighting.EQUAL,
    invited={G: 2, W: 4, E: 3},
    positions=(
        fact(G, "Ministry", Stance.SUPPORT),
        fact(W, "Union A", Stance.SUPPORT),
        fact(W, "Union B", Stance.SUPPORT),
        fact(W, "Union C", Stance.OPPOSE),
        fact(E, "Federation", Stance.OPPOSE),
        fact(E, "Chamber", Stance.NEUTRAL),
    ),
    comments={G: (3, 0), W: (5, 1)},
    outcome="Agreed on pensions.",
    reservations=((E, "Costs first."),),
)


def test_convergence_kinds():
    assert convergence({G: Stance.SUPPORT, W: Stance.SUPPORT, E: Stance.SUPPORT})["kind"] == (
        "tripartite"
    )
    two = convergence({G: Stance.SUPPORT, W: Stance.SUPPORT, E: Stance.OPPOSE})
    assert two == {"kind": "bipartite", "stance": "support", "groups": ["government", "workers"]}
    assert convergence({G: Stance.SUPPORT, W: None, E: Stance.OPPOSE})["kind"] == "divergence"


def test_dissent_names_organisations_against_their_groups_majority():
    assert dissent(RECORD.positions, {G: Stance.SUPPORT, W: Stance.SUPPORT, E: None}) == [
        {
            "organisation": "Union C",
            "group": "workers",
            "stance": "oppose",
            "group_majority": "support",
        }
    ]


def test_the_summary_in_its_published_shape():
    summary = summarise(RECORD, NOW)
    assert summary["groups"]["workers"]["majority"] == "support"
    assert summary["groups"]["employers"]["majority"] == "divided"
    assert summary["groups"]["workers"]["invited"] == 4
    assert summary["groups"]["workers"]["comments"] == {"visible": 5, "hidden": 1}
    assert abs(summary["tally"]["support"] - (1 / 3 + 2 / 9)) < 1e-9
    assert summary["not_expressed"] == 0
    assert summary["convergence"]["kind"] == "bipartite"
    assert summary["reservations"] == [{"group": "employers", "text": "Costs first."}]
    assert summary["fingerprint"].startswith("sha256:") and len(summary["fingerprint"]) == 71


def test_the_fingerprint_ignores_order_and_sees_every_change():
    shuffled = list(RECORD.positions)
    random.Random(3).shuffle(shuffled)
    assert fingerprint(replace(RECORD, positions=tuple(shuffled))) == fingerprint(RECORD)
    edited = (fact(G, "Ministry", Stance.SUPPORT, "Because!"), *RECORD.positions[1:])
    assert fingerprint(replace(RECORD, positions=edited)) != fingerprint(RECORD)


def test_a_group_given_more_than_forty_percent_of_the_words_is_flagged():
    wordy = (
        fact(W, "Union A", Stance.SUPPORT, "word " * 50),
        fact(G, "M", Stance.SUPPORT, "a b"),
        fact(E, "F", Stance.OPPOSE, "c d"),
    )
    assert unbalanced_groups(wordy) == [W]
    balanced = (
        fact(W, "U", Stance.SUPPORT, "a b c"),
        fact(G, "M", Stance.SUPPORT, "a b c"),
        fact(E, "F", Stance.OPPOSE, "a b c"),
    )
    assert unbalanced_groups(balanced) == []
