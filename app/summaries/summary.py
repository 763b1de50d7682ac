"""The summary of a round: a pure function of the round's data (issue 5 builds its pages and
exports on it). Plain values in, a JSON-shaped dict out; no framework, no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from app.summaries.tally import PositionFact, normalised_weights, tally
from app.vocabulary import Group, Stance, Weighting

WORD_SHARE_LIMIT = Fraction(2, 5)
#: The summary's text quotes at most this many statements per group, each cut to QUOTE_WORDS,
#: so that every group gets the same space (the page and the PDF show the same quotes).
QUOTES_PER_GROUP = 3
QUOTE_WORDS = 60


@dataclass(frozen=True)
class StatementFact:
    group: Group
    organisation: str
    stance: Stance
    statement: str
    #: When the organisation first posted its position (for participation over time).
    posted_at: datetime | None = None


@dataclass(frozen=True)
class RoundRecord:
    """Everything a summary is built from (its fingerprint covers exactly this)."""

    round_id: int
    title: str
    status: str
    weighting: Weighting
    invited: Mapping[Group, int]
    positions: tuple[StatementFact, ...]
    comments: Mapping[Group, tuple[int, int]] = field(default_factory=dict)  # visible, hidden
    outcome: str | None = None
    reservations: tuple[tuple[Group, str], ...] = ()


def convergence(majorities: Mapping[Group, Stance | None]) -> dict[str, Any]:
    """Tripartite consensus (all three majorities equal), bipartite convergence (two, named),
    or divergence. A divided, abstaining or silent group agrees with no one: an abstention is
    not a stance groups can converge on."""
    stances = {g: s for g, s in majorities.items() if s is not None and s is not Stance.ABSTAIN}
    for stance in Stance:
        agreeing = [g for g in Group if stances.get(g) is stance]
        if len(agreeing) == 3:
            return {
                "kind": "tripartite",
                "stance": stance.value,
                "groups": [g.value for g in agreeing],
            }
    for stance in Stance:
        agreeing = [g for g in Group if stances.get(g) is stance]
        if len(agreeing) == 2:
            return {
                "kind": "bipartite",
                "stance": stance.value,
                "groups": [g.value for g in agreeing],
            }
    return {"kind": "divergence", "stance": None, "groups": []}


def dissent(
    positions: Iterable[StatementFact], majorities: Mapping[Group, Stance | None]
) -> list[dict[str, str]]:
    """Organisations whose substantive stance differs from their group's majority, by name (an
    abstaining organisation is not a dissenter)."""
    return [
        {
            "organisation": p.organisation,
            "group": p.group.value,
            "stance": p.stance.value,
            "group_majority": majority.value,
        }
        for p in sorted(positions, key=lambda p: (p.group.value, p.organisation))
        if (majority := majorities.get(p.group)) is not None
        and p.stance is not majority
        and p.stance is not Stance.ABSTAIN
    ]


def word_shares(positions: Iterable[StatementFact]) -> dict[Group, Fraction]:
    words = {g: 0 for g in Group}
    for p in positions:
        words[p.group] += len(p.statement.split())
    total = sum(words.values())
    return {g: Fraction(n, total) if total else Fraction(0) for g, n in words.items()}


def unbalanced_groups(positions: Iterable[StatementFact]) -> list[Group]:
    """Groups given more than 40% of the summary's words (a check, flagged on the summary)."""
    return [g for g, share in word_shares(positions).items() if share > WORD_SHARE_LIMIT]


def excerpt(text: str, words: int = QUOTE_WORDS) -> str:
    parts = text.split()
    return " ".join(parts) if len(parts) <= words else " ".join(parts[:words]) + " …"


#: How a quoted statement stands towards its group, in the order the summary quotes them: the
#: group's majority first, then dissent (labelled), then the statements of a group with no
#: majority stance, then abstentions.
QUOTE_ROLES = ("majority", "dissent", "divided", "abstain")


def quote_role(stance: Stance, majority: Stance | None) -> str:
    """Whether a statement of ``stance`` is its group's majority, a dissent from it, one voice of
    a group with no majority stance, or an abstention (never a majority nor a dissent)."""
    if stance is Stance.ABSTAIN:
        return "abstain"
    if majority is None or majority is Stance.ABSTAIN:
        return "divided"
    return "majority" if stance is majority else "dissent"


def quotes(
    positions: Iterable[StatementFact],
    majorities: Mapping[Group, Stance | None],
    per_group: int = QUOTES_PER_GROUP,
    words: int = QUOTE_WORDS,
) -> dict[Group, list[StatementFact]]:
    """The statements the summary's text quotes: the same number for every group that wrote
    any (at most ``per_group``, and no more than the group that wrote fewest), each cut to
    ``words`` words. A group that wrote nothing is named as such, not quoted. Within a group the
    statements are chosen in turn from each role (majority, dissent, …) so that minority views
    are not crowded out, and shown majority first, then dissent (``QUOTE_ROLES``), each role by
    organisation name."""
    written: dict[Group, dict[str, list[StatementFact]]] = {
        g: {role: [] for role in QUOTE_ROLES} for g in Group
    }
    for p in sorted(positions, key=lambda p: p.organisation):
        if p.statement.strip():
            written[p.group][quote_role(p.stance, majorities.get(p.group))].append(p)
    counts = [n for w in written.values() if (n := sum(map(len, w.values())))]
    each = min([per_group, *counts])
    chosen: dict[Group, list[StatementFact]] = {}
    for g in Group:
        queues = [list(written[g][role]) for role in QUOTE_ROLES]
        picked: list[StatementFact] = []
        while len(picked) < each and any(queues):
            for queue in queues:
                if queue and len(picked) < each:
                    picked.append(queue.pop(0))
        rank = {role: i for i, role in enumerate(QUOTE_ROLES)}
        picked.sort(key=lambda p: (rank[quote_role(p.stance, majorities.get(g))], p.organisation))
        chosen[g] = [
            StatementFact(p.group, p.organisation, p.stance, excerpt(p.statement, words))
            for p in picked
        ]
    return chosen


def participation(positions: Iterable[StatementFact]) -> list[dict[str, Any]]:
    """Organisations that had responded by the end of each day with a first post, per group
    (cumulative), in date order."""
    per_day: dict[str, dict[Group, int]] = {}
    for p in positions:
        if p.posted_at is None:
            continue
        day = p.posted_at.date().isoformat()
        per_day.setdefault(day, {g: 0 for g in Group})[p.group] += 1
    running = {g: 0 for g in Group}
    timeline = []
    for day in sorted(per_day):
        for g in Group:
            running[g] += per_day[day][g]
        timeline.append({"date": day, **{g.value: running[g] for g in Group}})
    return timeline


def fingerprint(record: RoundRecord) -> str:
    """SHA-256 of a canonical serialisation of the record: the same data, the same print,
    whatever order it was read in."""
    data = asdict(record)
    data["weighting"] = record.weighting.value
    data["invited"] = {g.value: n for g, n in sorted(record.invited.items())}
    data["comments"] = {g.value: list(c) for g, c in sorted(record.comments.items())}
    data["positions"] = sorted(
        [
            p.group.value,
            p.organisation,
            p.stance.value,
            p.statement,
            p.posted_at.isoformat() if p.posted_at else None,
        ]
        for p in record.positions
    )
    data["reservations"] = sorted([g.value, text] for g, text in record.reservations)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def summarise(record: RoundRecord, generated_at: datetime) -> dict[str, Any]:
    """The summary in the JSON shape that exports and the API publish."""
    facts = [PositionFact(p.group, p.organisation, p.stance) for p in record.positions]
    result = tally(facts, record.weighting)
    majorities = {g: result.groups[g].majority for g in Group}
    quoted = quotes(record.positions, majorities)
    groups: dict[str, Any] = {}
    for g in Group:
        counts = result.groups[g]
        majority = majorities[g]
        groups[g.value] = {
            "invited": record.invited.get(g, 0),
            "responded": counts.responded,
            "stances": {s.value: counts.counts[s] for s in Stance},
            "majority": (
                majority.value if majority is not None else "divided" if counts.responded else None
            ),
            "statements": [
                {"organisation": p.organisation, "stance": p.stance.value, "statement": p.statement}
                for p in sorted(record.positions, key=lambda p: p.organisation)
                if p.group is g
            ],
            "quotes": [
                {"organisation": p.organisation, "stance": p.stance.value, "text": p.statement}
                for p in quoted[g]
            ],
            "comments": {
                "visible": record.comments.get(g, (0, 0))[0],
                "hidden": record.comments.get(g, (0, 0))[1],
            },
        }
    return {
        "round": {
            "id": record.round_id,
            "title": record.title,
            "status": record.status,
            "weighting": record.weighting.value,
        },
        "weights": {g.value: float(w) for g, w in normalised_weights(record.weighting).items()},
        "groups": groups,
        "tally": {s.value: round(float(v), 9) for s, v in result.overall.items()},
        "not_expressed": round(float(result.not_expressed), 9),
        "raw_counts": {s.value: n for s, n in result.raw_counts.items()},
        "convergence": convergence(majorities),
        "dissent": dissent(record.positions, majorities),
        "outcome": record.outcome,
        "reservations": [{"group": g.value, "text": text} for g, text in record.reservations],
        "participation": participation(record.positions),
        "unbalanced_groups": [
            g.value for g in unbalanced_groups(p for ps in quoted.values() for p in ps)
        ],
        "generated_at": generated_at.isoformat(),
        "fingerprint": fingerprint(record),
    }
