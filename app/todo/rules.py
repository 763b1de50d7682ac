"""The home page's to-do list: what waits for this person now, by role. Pure: the facts the
page loads (app.todo.page) in, the items out, most urgent first.

An item names its kind and the facts its sentence needs; the template writes the sentence in
the reader's language and links to where the action is done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from app.caucus.rules import WRITABLE
from app.decisions.rules import overdue, review_due
from app.moderation.rules import publication_blocked
from app.rounds.rules import effective_status
from app.vocabulary import ActionStatus, Group, RoundStatus

#: How long a published summary stays on an observer's list.
RECENT_DAYS = 30
#: At most this many summaries are listed (the consultations list below has the rest).
RECENT_SHOWN = 5


class Kind(StrEnum):
    # representatives and focal points
    POSITION_OWED = "position_owed"
    SIGNOFF_REQUESTED = "signoff_requested"
    STATEMENT_TO_ENDORSE = "statement_to_endorse"
    REPRESENTATIVE_NEEDED = "representative_needed"
    # moderators
    DEADLINE_PASSED = "deadline_passed"
    SIGNOFF_TO_ASK = "signoff_to_ask"
    READY_TO_PUBLISH = "ready_to_publish"
    PARITY_WARNING = "parity_warning"
    QUEUE = "queue"
    # the follow-up of a body's decisions (moderators; an action's owners)
    ACTION_OVERDUE = "action_overdue"
    REVIEW_DUE = "review_due"
    # observers
    SUMMARY_PUBLISHED = "summary_published"


@dataclass(frozen=True)
class Item:
    """One thing to do. ``round_id`` is None for items about an organisation or the queue."""

    kind: Kind
    round_id: int | None = None
    title: str = ""
    consultation: str = ""
    #: The organisation the item is about (its id and name), when it is about one.
    organisation_id: int | None = None
    organisation: str = ""
    group: Group | None = None
    #: The deadline that makes it urgent (a round's, a sign-off's), or when it happened.
    at: datetime | None = None
    #: Flags, comments awaiting approval; hours left for a parity warning.
    count: int = 0
    count_more: int = 0
    silent: tuple[Group, ...] = ()
    #: The action or decision a follow-up item is about.
    action_id: int | None = None
    decision_id: int | None = None


# -- the facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invited:
    """An organisation the viewer speaks for, invited to a round (not a draft)."""

    round_id: int
    title: str
    consultation: str
    status: RoundStatus
    opens_at: datetime | None
    closes_at: datetime | None
    organisation_id: int
    organisation: str
    responded: bool


@dataclass(frozen=True)
class SignoffAsked:
    """A sign-off addressed to the viewer as their group's spokesperson."""

    round_id: int
    title: str
    consultation: str
    status: RoundStatus
    group: Group
    organisation_id: int
    decided: bool
    deadline: datetime | None


@dataclass(frozen=True)
class DraftStatement:
    """A group's draft statement in a round inviting one of the viewer's organisations."""

    round_id: int
    title: str
    consultation: str
    status: RoundStatus
    opens_at: datetime | None
    closes_at: datetime | None
    group: Group
    organisation_id: int
    organisation: str
    endorsed: bool


@dataclass(frozen=True)
class Represented:
    """An organisation of which the viewer is a focal point: who else speaks for it."""

    organisation_id: int
    organisation: str
    other_mandates: int
    pending_invitations: int


@dataclass(frozen=True)
class RoundToRun:
    """A round as a moderator sees it: its status as stored and as it holds now."""

    round_id: int
    title: str
    consultation: str
    stored: RoundStatus
    closes_at: datetime | None
    outcome: str | None
    signoff_deadline: datetime | None
    #: Each group's sign-off ("requested", "confirmed", "reservation"); empty if none asked.
    signoffs: dict[Group, str]
    warning: tuple[int, list[Group]] | None = None


@dataclass(frozen=True)
class Published:
    round_id: int
    title: str
    consultation: str
    published_at: datetime | None


@dataclass(frozen=True)
class ActionDue:
    """An action of a body's decision, with its due date (overdue or not: the rule says)."""

    action_id: int
    decision_id: int
    what: str
    body: str
    status: ActionStatus
    due_on: date | None


@dataclass(frozen=True)
class DecisionToReview:
    decision_id: int
    text: str
    body: str
    review_on: date | None


# -- the rules --------------------------------------------------------------------------------


def for_organisations(
    invited: Iterable[Invited],
    signoffs: Iterable[SignoffAsked],
    statements: Iterable[DraftStatement],
    represented: Iterable[Represented],
    now: datetime,
) -> list[Item]:
    """What a representative or focal point has to do: each open round their organisation was
    invited to and has not answered, the sign-offs asked of them and not given, the draft
    statements of their group their organisation has not endorsed, and, for a focal point, each
    organisation with no one else to speak for it and no invitation on its way."""
    items: list[Item] = []
    for i in invited:
        status = effective_status(i.status, i.opens_at, i.closes_at, now)
        if status is RoundStatus.OPEN and not i.responded:
            items.append(
                Item(
                    Kind.POSITION_OWED,
                    i.round_id,
                    i.title,
                    i.consultation,
                    i.organisation_id,
                    i.organisation,
                    at=i.closes_at,
                )
            )
    for s in signoffs:
        if s.status is RoundStatus.CLOSED and not s.decided:
            items.append(
                Item(
                    Kind.SIGNOFF_REQUESTED,
                    s.round_id,
                    s.title,
                    s.consultation,
                    s.organisation_id,
                    group=s.group,
                    at=s.deadline,
                )
            )
    for d in statements:
        status = effective_status(d.status, d.opens_at, d.closes_at, now)
        if status in WRITABLE and not d.endorsed:
            items.append(
                Item(
                    Kind.STATEMENT_TO_ENDORSE,
                    d.round_id,
                    d.title,
                    d.consultation,
                    d.organisation_id,
                    d.organisation,
                    d.group,
                    at=d.closes_at,
                )
            )
    for r in represented:
        if r.other_mandates == 0 and r.pending_invitations == 0:
            items.append(
                Item(
                    Kind.REPRESENTATIVE_NEEDED,
                    organisation_id=r.organisation_id,
                    organisation=r.organisation,
                )
            )
    return ordered(items)


def for_moderators(
    rounds: Iterable[RoundToRun], open_flags: int, pending: int, now: datetime
) -> list[Item]:
    """What a moderator has to do: rounds past their deadline but not closed with an outcome,
    closed rounds whose sign-off is not asked yet, rounds ready to publish, parity warnings,
    and the moderation queue (flagged comments, comments awaiting approval)."""
    items: list[Item] = []
    for r in rounds:
        kind = _round_action(r, now)
        if kind is not None:
            deadline = r.signoff_deadline if kind is Kind.READY_TO_PUBLISH else r.closes_at
            items.append(Item(kind, r.round_id, r.title, r.consultation, at=deadline))
        if r.warning is not None:
            hours, silent = r.warning
            items.append(
                Item(
                    Kind.PARITY_WARNING,
                    r.round_id,
                    r.title,
                    r.consultation,
                    at=r.closes_at,
                    count=hours,
                    silent=tuple(silent),
                )
            )
    if open_flags or pending:
        items.append(Item(Kind.QUEUE, count=open_flags, count_more=pending))
    return ordered(items)


def _round_action(r: RoundToRun, now: datetime) -> Kind | None:
    if r.stored is RoundStatus.OPEN and r.closes_at is not None and r.closes_at <= now:
        return Kind.DEADLINE_PASSED
    if r.stored is not RoundStatus.CLOSED or not (r.outcome or "").strip():
        return None
    if not r.signoffs:
        return Kind.SIGNOFF_TO_ASK
    if publication_blocked(r.signoffs, r.signoff_deadline, now) is None:
        return Kind.READY_TO_PUBLISH
    return None


def _day(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


def follow_up(
    actions: Iterable[ActionDue], reviews: Iterable[DecisionToReview], today: date
) -> list[Item]:
    """Overdue actions (not done nor dropped, past their due date) and decisions whose review
    date has come."""
    items: list[Item] = []
    for a in actions:
        if a.due_on is not None and overdue(a.status, a.due_on, today):
            items.append(
                Item(
                    Kind.ACTION_OVERDUE,
                    title=a.what,
                    consultation=a.body,
                    at=_day(a.due_on),
                    action_id=a.action_id,
                    decision_id=a.decision_id,
                )
            )
    for r in reviews:
        if r.review_on is not None and review_due(r.review_on, today):
            items.append(
                Item(
                    Kind.REVIEW_DUE,
                    title=r.text,
                    consultation=r.body,
                    at=_day(r.review_on),
                    decision_id=r.decision_id,
                )
            )
    return ordered(items)


def for_observers(published: Iterable[Published], now: datetime) -> list[Item]:
    """The summaries published in the last ``RECENT_DAYS`` days, newest first."""
    since = now - timedelta(days=RECENT_DAYS)
    recent = sorted(
        (p for p in published if p.published_at is not None and p.published_at >= since),
        key=lambda p: (p.published_at, p.round_id),
        reverse=True,
    )
    return [
        Item(Kind.SUMMARY_PUBLISHED, p.round_id, p.title, p.consultation, at=p.published_at)
        for p in recent[:RECENT_SHOWN]
    ]


#: The order of kinds with the same urgency: what blocks others first.
_KIND_ORDER = {kind: n for n, kind in enumerate(Kind)}


def ordered(items: list[Item]) -> list[Item]:
    """Items with a deadline first, soonest first; then the others in the order of kinds."""
    far = datetime.max

    def key(item: Item) -> tuple[int, datetime, int, int]:
        at = item.at.replace(tzinfo=None) if item.at is not None else far
        return (item.at is None, at, _KIND_ORDER[item.kind], item.round_id or 0)

    return sorted(items, key=key)
