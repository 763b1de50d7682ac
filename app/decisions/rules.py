"""How a decision is taken, and how its follow-up stands. Pure: the contract outside scripts
recompute (issue 18, "Exact rules"), tested with hypothesis in tests/unit/test_decision_rules.py.

Votes are ``for``, ``against`` or ``abstain``, one per organisation holding a seat present at
the meeting.

- **group_equal_vote**: a group is *for* when more than half of its organisations that voted
  ``for`` or ``against`` voted ``for`` (abstentions left out; a group with no such vote is
  *silent*; otherwise it is *against*, a tie included). Adopted when the summed weight of the
  groups *for* is at least ``threshold`` × the total weight of the three groups.
- **double_majority**: adopted when ``for`` > ``against`` overall and in every group with at
  least one ``for`` or ``against`` vote.
- **consensus**: adopted as the chair records it; each group may attach a divergent position.
- **chair_casting**: adopted when ``for`` > ``against`` overall; on a tie, exactly when the
  chair's casting vote is ``for``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from app.summaries.tally import GROUP_WEIGHTS
from app.vocabulary import ActionStatus, DecisionMethod, Group, Verdict, Vote, Weighting

DEFAULT_THRESHOLD = Fraction(1, 2)


class GroupResult(StrEnum):
    FOR = "for"
    AGAINST = "against"
    SILENT = "silent"


@dataclass(frozen=True)
class VoteFact:
    organisation: str
    group: Group
    vote: Vote


@dataclass(frozen=True)
class Count:
    for_: int = 0
    against: int = 0
    abstain: int = 0

    @property
    def expressed(self) -> int:
        """Votes ``for`` or ``against``."""
        return self.for_ + self.against

    def add(self, vote: Vote) -> Count:
        return Count(
            self.for_ + (vote is Vote.FOR),
            self.against + (vote is Vote.AGAINST),
            self.abstain + (vote is Vote.ABSTAIN),
        )


@dataclass(frozen=True)
class Outcome:
    method: DecisionMethod
    adopted: bool
    overall: Count
    by_group: Mapping[Group, Count]
    group_results: Mapping[Group, GroupResult]
    weights: Mapping[Group, int]
    #: The summed weight of the groups *for*, and the weight needed (group-equal vote).
    weight_for: int
    weight_needed: Fraction
    #: On an overall tie, whether the chair's casting vote decided (chair_casting).
    casting_decided: bool = False


def weights(weighting: Weighting) -> dict[Group, int]:
    return dict(GROUP_WEIGHTS[weighting])


def group_result(count: Count) -> GroupResult:
    if count.expressed == 0:
        return GroupResult.SILENT
    return GroupResult.FOR if 2 * count.for_ > count.expressed else GroupResult.AGAINST


def decide(
    method: DecisionMethod,
    votes: Iterable[VoteFact],
    *,
    weighting: Weighting = Weighting.EQUAL,
    threshold: Fraction = DEFAULT_THRESHOLD,
    casting_vote: Vote | None = None,
    consensus: bool = True,
) -> Outcome:
    """The result of a decision. ``consensus`` is what the chair records (consensus method);
    ``casting_vote`` the chair's (chair_casting). One vote per organisation: a second vote of
    the same organisation is refused by the service, never counted here."""
    overall = Count()
    by_group = {group: Count() for group in Group}
    for fact in votes:
        overall = overall.add(fact.vote)
        by_group[fact.group] = by_group[fact.group].add(fact.vote)
    results = {group: group_result(count) for group, count in by_group.items()}
    group_weights = weights(weighting)
    weight_for = sum(group_weights[g] for g, result in results.items() if result is GroupResult.FOR)
    needed = threshold * sum(group_weights.values())
    casting_decided = False
    if method is DecisionMethod.GROUP_EQUAL_VOTE:
        adopted = weight_for >= needed
    elif method is DecisionMethod.DOUBLE_MAJORITY:
        adopted = overall.for_ > overall.against and all(
            count.for_ > count.against for count in by_group.values() if count.expressed
        )
    elif method is DecisionMethod.CHAIR_CASTING:
        if overall.for_ == overall.against:
            casting_decided = True
            adopted = casting_vote is Vote.FOR
        else:
            adopted = overall.for_ > overall.against
    else:
        adopted = consensus
    return Outcome(
        method=method,
        adopted=adopted,
        overall=overall,
        by_group=by_group,
        group_results=results,
        weights=group_weights,
        weight_for=weight_for,
        weight_needed=needed,
        casting_decided=casting_decided,
    )


def parse_threshold(text: str) -> Fraction | None:
    """A threshold as people type it ("1/2", "2/3", "0.5", "50%"): a fraction in (0, 1], or
    None when it is not one."""
    cleaned = text.strip().replace(" ", "")
    try:
        if cleaned.endswith("%"):
            value = Fraction(cleaned[:-1]) / 100
        else:
            value = Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        return None
    return value if 0 < value <= 1 else None


# --- follow-up -------------------------------------------------------------------------------

OPEN_STATUSES = frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS})


def overdue(status: ActionStatus, due_on: date | None, today: date) -> bool:
    """An action not done nor dropped, past its due date."""
    return status in OPEN_STATUSES and due_on is not None and due_on < today


def review_due(review_on: date | None, today: date) -> bool:
    return review_on is not None and review_on <= today


@dataclass(frozen=True)
class Word:
    """A group's word on an action's progress, given on the note ``note_id``."""

    group: Group
    verdict: Verdict
    note_id: int | None
    order: int  # when it was given: a later word replaces an earlier one


def confirmations(words: Iterable[Word], latest_note_id: int | None) -> dict[Group, Verdict | None]:
    """Each group's standing word on the action's latest reported progress: its latest word
    given on that note (a new note asks again: None until the group speaks)."""
    standing: dict[Group, Verdict | None] = {group: None for group in Group}
    for word in sorted(words, key=lambda w: w.order):
        if word.note_id == latest_note_id:
            standing[word.group] = word.verdict
    return standing


def disputed(standing: Mapping[Group, Verdict | None]) -> bool:
    return Verdict.DISPUTED in standing.values()
