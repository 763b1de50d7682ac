"""The equal-weight tally (shared/docs/domain.md, "Equal weight, precisely"). Pure.

Each group carries its weight whatever its head count: within a group each organisation that
posted counts once, so adding organisations with the same stance never changes the group's
weight. A silent group's weight is "not expressed", never handed to the others. Fractions stay
exact; only presentation rounds.

An abstention is a response: it counts in ``responded`` and has its share in the tally like any
stance. It is not a position on the substance, so it never forms a group's majority (nor,
downstream, a convergence or a dissent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from app.vocabulary import Group, Stance, Weighting

GROUP_WEIGHTS: Mapping[Weighting, Mapping[Group, int]] = {
    Weighting.EQUAL: {Group.GOVERNMENT: 1, Group.EMPLOYERS: 1, Group.WORKERS: 1},
    Weighting.PLENARY: {Group.GOVERNMENT: 2, Group.EMPLOYERS: 1, Group.WORKERS: 1},
}


@dataclass(frozen=True)
class PositionFact:
    group: Group
    organisation: str
    stance: Stance


def normalised_weights(weighting: Weighting) -> dict[Group, Fraction]:
    raw = GROUP_WEIGHTS[weighting]
    total = sum(raw.values())
    return {group: Fraction(weight, total) for group, weight in raw.items()}


@dataclass(frozen=True)
class GroupTally:
    group: Group
    weight: Fraction
    counts: dict[Stance, int]
    responded: int

    @property
    def expressed(self) -> bool:
        return self.responded > 0

    def share(self, stance: Stance) -> Fraction:
        return (
            Fraction(self.counts.get(stance, 0), self.responded) if self.responded else Fraction(0)
        )

    @property
    def substantive(self) -> int:
        """The organisations that took a stance on the substance: every response but
        ``abstain``."""
        return self.responded - self.counts.get(Stance.ABSTAIN, 0)

    @property
    def abstained(self) -> bool:
        """Every organisation of the group that responded abstained."""
        return self.expressed and self.substantive == 0

    @property
    def majority(self) -> Stance | None:
        """The substantive stance of more than half the group's organisations that took one
        (abstentions left out, as majorities of votes cast are); None if the group is divided,
        abstained or silent. An abstention never forms a majority."""
        for stance, count in self.counts.items():
            if stance is not Stance.ABSTAIN and 2 * count > self.substantive:
                return stance
        return None


@dataclass(frozen=True)
class Tally:
    weighting: Weighting
    groups: dict[Group, GroupTally]
    overall: dict[Stance, Fraction]

    @property
    def not_expressed(self) -> Fraction:
        """The weight of groups that posted no position (shown, never redistributed)."""
        return sum((g.weight for g in self.groups.values() if not g.expressed), Fraction(0))

    @property
    def raw_counts(self) -> dict[Stance, int]:
        counts: Counter[Stance] = Counter()
        for group in self.groups.values():
            counts.update(group.counts)
        return {stance: counts.get(stance, 0) for stance in Stance}

    def renormalised(self) -> dict[Stance, Fraction]:
        """The tally over expressing groups only: a labelled alternative, never the main view."""
        expressed = 1 - self.not_expressed
        if expressed == 0:
            return {stance: Fraction(0) for stance in Stance}
        return {stance: share / expressed for stance, share in self.overall.items()}


def tally(facts: Iterable[PositionFact], weighting: Weighting = Weighting.EQUAL) -> Tally:
    """T(s) = Σ_g w_g · share_g(s), over the groups that posted (each organisation once)."""
    weights = normalised_weights(weighting)
    stances: dict[Group, dict[str, Stance]] = {group: {} for group in Group}
    for fact in facts:
        stances[fact.group][fact.organisation] = fact.stance
    groups = {}
    for group in Group:
        counts = Counter(stances[group].values())
        groups[group] = GroupTally(
            group,
            weights[group],
            {stance: counts.get(stance, 0) for stance in Stance},
            len(stances[group]),
        )
    overall = {
        stance: sum(
            (g.weight * g.share(stance) for g in groups.values() if g.expressed), Fraction(0)
        )
        for stance in Stance
    }
    return Tally(weighting, groups, overall)


def percent(value: Fraction) -> str:
    """Display rounding only: one decimal place."""
    return f"{float(value) * 100:.1f}%"
