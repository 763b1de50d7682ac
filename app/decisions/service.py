"""Decisions: opening one on an agenda item, the organisations' votes, recording it (with the
attendance and quorum that made it valid), and the groups' divergent positions. Never commits.

Every way to a decision goes through ``place_of``: a decision whose agenda item someone may
not see does not exist for them (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import text_rules
from app.accounts.rules import Viewer
from app.audit.service import record
from app.bodies.models import Body, Seat
from app.bodies.service import viewer_of
from app.db import read, utcnow
from app.decisions import rules
from app.decisions.models import Decision, DecisionVote, DivergentPosition
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.meetings import rules as meeting_rules
from app.meetings.confidentiality import BodyViewer, Restriction, may_see
from app.meetings.models import AgendaItem, Attendance, Meeting
from app.organisations.models import Organisation
from app.vocabulary import (
    AgendaItemStatus,
    Confidentiality,
    DecisionMethod,
    Group,
    Presence,
    Vote,
    WithoutQuorum,
)


@dataclass(frozen=True)
class Place:
    """Where a decision (or an agenda item about to have one) stands, and who is looking."""

    item: AgendaItem
    meeting: Meeting
    body: Body
    viewer: BodyViewer


def _no_such_decision() -> NotFound:
    return NotFound(_("There is no such decision."))


def item_place(db: Session, viewer: Viewer | None, item_id: int) -> Place:
    """An agenda item with its meeting and body, if this person may see it (404 otherwise)."""
    row = db.execute(
        select(AgendaItem, Meeting, Body)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .join(Body, Body.id == Meeting.body_id)
        .where(AgendaItem.id == item_id)
    ).one_or_none()
    if row is None:
        raise NotFound(_("There is no such agenda item."))
    item, meeting, body = row
    seen_as = viewer_of(db, viewer, body.id)
    if not may_see(Restriction.of(item), seen_as, utcnow()):
        raise NotFound(_("There is no such agenda item."))
    if not meeting.public and not (seen_as.member or seen_as.secretariat):
        # a meeting kept off the public calendar is the body's own, and so are its decisions
        raise NotFound(_("There is no such agenda item."))
    return Place(item, meeting, body, seen_as)


def place_of(db: Session, viewer: Viewer | None, decision_id: int) -> tuple[Decision, Place]:
    decision = db.get(Decision, decision_id)
    if decision is None:
        raise _no_such_decision()
    try:
        return decision, item_place(db, viewer, decision.agenda_item_id)
    except NotFound:
        raise _no_such_decision() from None


def audit_texts(place: Place, **texts: str) -> dict[str, str]:
    """Texts worth keeping in an audit event's details, unless the agenda item is a group's
    only: the audit log is shared beyond the group, so its events then carry ids only."""
    if place.item.confidentiality is Confidentiality.GROUP:
        return {}
    return texts


def _secretariat(place: Place) -> None:
    if not place.viewer.secretariat:
        raise Forbidden(_("Only the body's secretariat may do this."))


# -- opening ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """What the secretariat typed to open a decision, checked."""

    text: str
    method: DecisionMethod
    threshold: Fraction
    effective_on: date | None
    review_on: date | None


def parse_day(value: str, field: str) -> date:
    """A date as a date field sends it (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(_("Write the date as YYYY-MM-DD."), field=field) from None


def check_opening(
    text: str, method: str, threshold: str, effective_on: str, review_on: str
) -> Opening:
    """The form checked: a field at a time, the first error beside its field."""
    cleaned = text_rules.clean_block(text, "text")
    if not cleaned:
        raise DomainError(_("Write the text of the decision."), field="text")
    try:
        chosen = DecisionMethod(method)
    except ValueError:
        raise DomainError(_("Choose how the decision is taken."), field="method") from None
    fraction = rules.DEFAULT_THRESHOLD
    if threshold.strip():
        parsed = rules.parse_threshold(threshold)
        if parsed is None:
            raise DomainError(
                _("Write the threshold as a fraction or a share, such as 1/2, 2/3 or 50%."),
                field="threshold",
            )
        fraction = parsed
    dates: list[date | None] = []
    for name, value in (("effective_on", effective_on), ("review_on", review_on)):
        if not value.strip():
            dates.append(None)
            continue
        dates.append(parse_day(value, name))
    if dates[0] and dates[1] and dates[1] < dates[0]:
        raise DomainError(
            _("The review date must come after the date the decision takes effect."),
            field="review_on",
        )
    return Opening(cleaned, chosen, fraction, dates[0], dates[1])


def open_decision(db: Session, viewer: Viewer, item_id: int, opening: Opening) -> Decision:
    place = item_place(db, viewer, item_id)
    _secretariat(place)
    if place.meeting.cancelled_at is not None:
        raise Conflict(_("The meeting is cancelled: no decision is taken at it."))
    if place.item.status is not AgendaItemStatus.ACCEPTED:
        raise Conflict(
            _("This agenda item is not on the agenda: a decision is taken on an accepted item.")
        )
    if db.scalar(select(Decision.id).where(Decision.agenda_item_id == item_id)) is not None:
        raise Conflict(_("This agenda item already has a decision: there is one per item."))
    decision = Decision(
        meeting_id=place.meeting.id,
        agenda_item_id=item_id,
        text=opening.text,
        method=opening.method,
        threshold_numerator=opening.threshold.numerator,
        threshold_denominator=opening.threshold.denominator,
        weighting=place.body.weighting,
        effective_on=opening.effective_on,
        review_on=opening.review_on,
        opened_by_id=viewer.user_id,
    )
    db.add(decision)
    db.flush()
    record(
        db,
        viewer.user_id,
        "decision.opened",
        "decision",
        decision.id,
        meeting_id=place.meeting.id,
        agenda_item_id=item_id,
        method=opening.method.value,
        **audit_texts(place, title=place.item.title),
    )
    return decision


# -- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatAttendance:
    seat_id: int
    organisation_id: int
    organisation: str
    group: Group
    holder_id: int | None
    alternate_id: int | None
    #: None: not marked (which is not present).
    status: Presence | None

    def voter(self) -> int | None:
        """Who votes for the seat's organisation at this meeting: the holder when present,
        the alternate when sitting in for them; nobody when the seat is not present."""
        if self.status is Presence.HOLDER:
            return self.holder_id
        if self.status is Presence.ALTERNATE:
            return self.alternate_id
        return None


def attendance(db: Session, meeting: Meeting) -> list[SeatAttendance]:
    """Every seat of the meeting's body with its attendance: one query."""
    rows = read(
        db,
        select(
            Seat.id,
            Seat.organisation_id,
            Organisation.name,
            Organisation.group_name,
            Seat.holder_id,
            Seat.alternate_id,
            Attendance.status,
        )
        .join(Organisation, Organisation.id == Seat.organisation_id)
        .outerjoin(
            Attendance, (Attendance.seat_id == Seat.id) & (Attendance.meeting_id == meeting.id)
        )
        .where(Seat.body_id == meeting.body_id)
        .order_by(Organisation.group_name, Organisation.name),
    )
    return [
        SeatAttendance(r[0], r[1], r[2], Group(r[3]), r[4], r[5], Presence(r[6]) if r[6] else None)
        for r in rows
    ]


def quorum_rule(body: Body) -> meeting_rules.QuorumRule:
    return meeting_rules.QuorumRule(body.quorum_overall, body.quorum_per_group)


def quorum_of(body: Body, seats: list[SeatAttendance]) -> meeting_rules.QuorumState:
    return meeting_rules.quorum(((s.group, s.status) for s in seats), quorum_rule(body))


def snapshot(seats: list[SeatAttendance]) -> list[dict[str, Any]]:
    """The attendance kept with a recorded decision (not marked counts as absent)."""
    return [
        {
            "seat_id": s.seat_id,
            "organisation_id": s.organisation_id,
            "organisation": s.organisation,
            "group": s.group.value,
            "status": (s.status or Presence.ABSENT).value,
        }
        for s in seats
    ]


# -- votes ------------------------------------------------------------------------------------


def _voting_seat(
    viewer: Viewer, seats: list[SeatAttendance], organisation_id: int | None
) -> SeatAttendance:
    """The seat this person votes for, or the refusal that says why they may not."""
    mandated = {m.organisation_id for m in viewer.mandates}
    held = [
        s
        for s in seats
        if viewer.user_id in (s.holder_id, s.alternate_id)
        and s.organisation_id in mandated
        and (organisation_id is None or s.organisation_id == organisation_id)
    ]
    if not held:
        raise Forbidden(
            _("You do not hold a seat on this body: only a seat's holder or alternate votes.")
        )
    for s in held:
        if s.voter() == viewer.user_id:
            return s
    s = held[0]
    if s.status is Presence.HOLDER:
        raise Forbidden(
            _(
                "The holder of %(organisation)s's seat is present: an alternate votes only "
                "when the holder is not."
            )
            % {"organisation": s.organisation}
        )
    if s.status is Presence.ALTERNATE:
        raise Forbidden(
            _("The alternate sits for %(organisation)s at this meeting: the alternate votes.")
            % {"organisation": s.organisation}
        )
    raise Forbidden(
        _("The seat of %(organisation)s is not present at this meeting: it has no vote.")
        % {"organisation": s.organisation}
    )


def cast_vote(
    db: Session, viewer: Viewer, decision_id: int, vote: str, organisation_id: int | None = None
) -> tuple[Decision, str, Vote]:
    """An organisation's vote, cast by the person sitting for it. Returns the organisation's
    name and the vote."""
    decision, place = place_of(db, viewer, decision_id)
    if decision.recorded_at is not None:
        raise Conflict(_("This decision is recorded: its vote is closed."))
    if decision.method is DecisionMethod.CONSENSUS:
        raise Conflict(_("This decision is taken by consensus: there is no vote."))
    seat = _voting_seat(viewer, attendance(db, place.meeting), organisation_id)
    try:
        chosen = Vote(vote)
    except ValueError:
        raise DomainError(_("Choose for, against or abstain."), field="vote") from None
    existing = db.scalar(
        select(DecisionVote.id).where(
            DecisionVote.decision_id == decision.id,
            DecisionVote.organisation_id == seat.organisation_id,
        )
    )
    if existing is not None:
        raise Conflict(
            _("%(organisation)s has voted already: one vote per organisation.")
            % {"organisation": seat.organisation}
        )
    db.add(
        DecisionVote(
            decision_id=decision.id,
            organisation_id=seat.organisation_id,
            vote=chosen,
            cast_by_id=viewer.user_id,
        )
    )
    db.flush()
    record(
        db,
        viewer.user_id,
        "decision.vote_cast",
        "decision",
        decision.id,
        organisation_id=seat.organisation_id,
        vote=chosen.value,
    )
    return decision, seat.organisation, chosen


# -- recording --------------------------------------------------------------------------------


def vote_facts(db: Session, decision_ids: list[int]) -> dict[int, list[rules.VoteFact]]:
    """The votes of these decisions, by decision: one query."""
    found: dict[int, list[rules.VoteFact]] = {d: [] for d in decision_ids}
    if not decision_ids:
        return found
    rows = read(
        db,
        select(
            DecisionVote.decision_id, Organisation.name, Organisation.group_name, DecisionVote.vote
        )
        .join(Organisation, Organisation.id == DecisionVote.organisation_id)
        .where(DecisionVote.decision_id.in_(decision_ids))
        .order_by(Organisation.group_name, Organisation.name),
    )
    for decision_id, name, group, vote in rows:
        found[decision_id].append(rules.VoteFact(name, Group(group), Vote(vote)))
    return found


def threshold(decision: Decision) -> Fraction:
    return Fraction(decision.threshold_numerator, decision.threshold_denominator)


def outcome(
    decision: Decision, votes: list[rules.VoteFact], consensus: bool | None = None
) -> rules.Outcome:
    """The decision's result by its method: the one place it is computed (rules.decide)."""
    return rules.decide(
        decision.method,
        votes,
        weighting=decision.weighting,
        threshold=threshold(decision),
        casting_vote=decision.casting_vote,
        consensus=bool(decision.adopted if consensus is None else consensus),
    )


def may_record(place: Place, viewer: Viewer | None) -> bool:
    return place.viewer.secretariat or (
        viewer is not None and place.meeting.chair_id == viewer.user_id
    )


def record_decision(
    db: Session, viewer: Viewer, decision_id: int, consensus: str = "", casting_vote: str = ""
) -> Decision:
    """The decision recorded: its result by its method, with the attendance and the quorum
    that made it valid (or the rule that let it be taken without quorum)."""
    decision, place = place_of(db, viewer, decision_id)
    if not may_record(place, viewer):
        raise Forbidden(_("Only the secretariat or the meeting's chair records a decision."))
    if decision.recorded_at is not None:
        raise Conflict(_("This decision is recorded already."))
    reached: bool | None = None
    if decision.method is DecisionMethod.CONSENSUS:
        if consensus not in ("yes", "no"):
            raise DomainError(_("Say whether consensus was reached."), field="consensus")
        reached = consensus == "yes"
    seats = attendance(db, place.meeting)
    # one vote per organisation whose seat is present: a vote cast before its seat was marked
    # absent is set aside, so the record, the register and the API count the same votes
    present = [
        s.organisation_id for s in seats if s.status in (Presence.HOLDER, Presence.ALTERNATE)
    ]
    db.execute(
        delete(DecisionVote).where(
            DecisionVote.decision_id == decision.id, DecisionVote.organisation_id.not_in(present)
        )
    )
    votes = vote_facts(db, [decision.id])[decision.id]
    if decision.method is DecisionMethod.CHAIR_CASTING:
        tally = outcome(decision, votes)
        if tally.overall.for_ == tally.overall.against:
            if casting_vote not in (Vote.FOR.value, Vote.AGAINST.value):
                raise DomainError(
                    _("The votes are tied: record the chair's casting vote, for or against."),
                    field="casting_vote",
                )
            decision.casting_vote = Vote(casting_vote)
        else:
            decision.casting_vote = None
    state = quorum_of(place.body, seats)
    if not state.quorate:
        if place.body.without_quorum is WithoutQuorum.REFUSE:
            raise Conflict(
                _(
                    "The meeting is not quorate: %(why)s; the body's rules refuse a "
                    "decision without quorum."
                )
                % {"why": quorum_words(state)}
            )
        decision.without_quorum = True
    result = outcome(decision, votes, reached)
    decision.adopted = result.adopted
    decision.quorate = state.quorate
    decision.quorum_overall = place.body.quorum_overall
    decision.quorum_per_group = place.body.quorum_per_group
    decision.attendance = snapshot(seats)
    decision.recorded_at = utcnow()
    decision.recorded_by_id = viewer.user_id
    db.flush()
    record(
        db,
        viewer.user_id,
        "decision.recorded",
        "decision",
        decision.id,
        adopted=result.adopted,
        quorate=state.quorate,
        without_quorum=decision.without_quorum,
        method=decision.method.value,
    )
    return decision


def quorum_words(state: meeting_rules.QuorumState) -> str:
    """Why a meeting is not quorate, in words: the seats present against the rule, and the
    groups short of their seats."""
    parts = []
    if not state.overall_met:
        parts.append(
            _("%(present)d seats present of the %(needed)d needed")
            % {"present": state.present, "needed": state.rule.overall}
        )
    for group in state.missing_groups:
        parts.append(
            _("the %(group)s group has %(present)d seats present of the %(needed)d needed")
            % {
                "group": group.label,
                "present": state.present_by_group.get(group, 0),
                "needed": state.rule.per_group,
            }
        )
    return "; ".join(parts)


# -- divergent positions ----------------------------------------------------------------------


def write_divergent(
    db: Session, viewer: Viewer, decision_id: int, text: str, group: str = ""
) -> tuple[Decision, Group]:
    """A group's divergent position, written or replaced by one of its members on the body."""
    decision, place = place_of(db, viewer, decision_id)
    groups = place.viewer.member_groups
    if not groups:
        raise Forbidden(_("Only a group's members on this body write its divergent position."))

    if group:
        try:
            chosen = Group(group)
        except ValueError:
            raise DomainError(_("Choose the group."), field="group") from None
        if chosen not in groups:
            raise Forbidden(_("You write only for a group you are a member of on this body."))
    else:
        chosen = sorted(groups)[0]
    cleaned = text_rules.clean_block(text, "text")
    if not cleaned:
        raise DomainError(_("Write the group's divergent position."), field="text")
    existing = db.scalar(
        select(DivergentPosition).where(
            DivergentPosition.decision_id == decision.id,
            DivergentPosition.group_name == chosen,
        )
    )
    if existing is not None and decision.recorded_at is not None:
        # what a group said stands with the record: written once the decision is recorded
        raise Conflict(_("The decision is recorded: its divergent positions are final."))
    if existing is None:
        db.add(
            DivergentPosition(
                decision_id=decision.id,
                group_name=chosen,
                text=cleaned,
                written_by_id=viewer.user_id,
            )
        )
    else:
        existing.text = cleaned
        existing.written_by_id = viewer.user_id
        existing.written_at = utcnow()
    db.flush()
    record(
        db,
        viewer.user_id,
        "decision.divergent_position",
        "decision",
        decision.id,
        group=chosen.value,
        replaced=existing is not None,
    )
    return decision, chosen
