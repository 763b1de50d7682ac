"""The meeting page, assembled in one place (``build``) in a constant number of queries: the
meeting and its body, the viewer's own task, the quorum box, attendance per group, the agenda
(each item with its decision: app.decisions.page), the documents, and the minutes
(app.minutes.page). What the viewer may not see is left out before anything is counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.bodies import service as bodies
from app.bodies.service import SeatRow
from app.db import read, utcnow
from app.decisions import page as decisions_page
from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.meetings import rules
from app.meetings.models import AgendaChange, AgendaItem, Attendance, MeetingDocument
from app.meetings.service import Place, may_propose, visible
from app.minutes import page as minutes_page
from app.organisations.models import Organisation
from app.rounds.models import Round
from app.vocabulary import (
    AgendaChangeRule,
    AgendaItemStatus,
    BodyKind,
    Group,
    Presence,
    Weighting,
    WithoutQuorum,
)

#: A group's seats, as a sentence says them ("no employers' seat is present").
GROUP_SEATS = Labels(
    {
        Group.GOVERNMENT: N_("government"),
        Group.WORKERS: N_("workers'"),
        Group.EMPLOYERS: N_("employers'"),
    }
)
#: A seat's attendance, in the reader's words.
PRESENCE_LABELS = Labels(
    {
        Presence.HOLDER: N_("present (holder)"),
        Presence.ALTERNATE: N_("present (alternate)"),
        Presence.EXCUSED: N_("excused"),
        Presence.ABSENT: N_("absent"),
    }
)
#: What the viewer's own seat may be marked as, as a button says it.
MARK_LABELS = Labels(
    {
        Presence.HOLDER: N_("I am present"),
        Presence.ALTERNATE: N_("I am present as the alternate"),
        Presence.EXCUSED: N_("I am excused"),
        Presence.ABSENT: N_("I am leaving (absent)"),
    }
)
BODY_KIND_LABELS = Labels(
    {
        BodyKind.COUNCIL: N_("National council"),
        BodyKind.COMMISSION: N_("C144 commission"),
        BodyKind.TASK_TEAM: N_("Task team"),
    }
)
WITHOUT_QUORUM_LABELS = Labels(
    {
        WithoutQuorum.REFUSE: N_("A decision without quorum is refused."),
        WithoutQuorum.RECORD: N_(
            "A decision without quorum is recorded as “taken without quorum”: an absent group "
            "does not block a properly convened meeting."
        ),
    }
)
AGENDA_CHANGE_LABELS = Labels(
    {
        AgendaChangeRule.UNANIMITY: N_(
            "Once issued, the agenda changes only with the agreement of each of the three groups."
        ),
        AgendaChangeRule.CHAIR: N_(
            "Once issued, the agenda changes only with the chair's agreement."
        ),
    }
)
WEIGHTING_LABELS = Labels(
    {
        Weighting.EQUAL: N_("In a group-equal vote the three groups weigh 1:1:1."),
        Weighting.PLENARY: N_(
            "In a group-equal vote the government weighs 2, workers 1 and employers 1 (2:1:1)."
        ),
    }
)


@dataclass(frozen=True)
class SeatView:
    seat: SeatRow
    holder: str
    alternate: str
    status: Presence | None
    #: What this viewer may mark on this seat (empty: nothing).
    may_mark: tuple[Presence, ...]


@dataclass(frozen=True)
class QuorumBox:
    state: rules.QuorumState
    seats: int
    #: The groups with fewer seats present than the rule asks, with how many are needed.
    missing: tuple[tuple[Group, int], ...]

    @property
    def quorate(self) -> bool:
        return self.state.quorate

    @property
    def headline(self) -> str:
        """ "Quorate: 5 of 6 seats present, every group present" or "Not quorate: …"."""
        present = self.state.present
        if self.quorate:
            return _("Quorate: %(present)d of %(seats)d seats present, every group present.") % {
                "present": present,
                "seats": self.seats,
            }
        return _("Not quorate: %(reasons)s.") % {"reasons": "; ".join(self.reasons)}

    @property
    def reasons(self) -> list[str]:
        """Why the meeting is not quorate, each in words (empty when it is)."""
        said: list[str] = []
        state = self.state
        for group, _needed in self.missing:
            have = state.present_by_group.get(group, 0)
            if have == 0:
                said.append(
                    _("no %(group)s seat is present (%(needed)d needed)")
                    % {"group": GROUP_SEATS[group], "needed": state.rule.per_group}
                )
            else:
                said.append(
                    _("%(present)d %(group)s seats present (%(needed)d needed)")
                    % {
                        "present": have,
                        "group": GROUP_SEATS[group],
                        "needed": state.rule.per_group,
                    }
                )
        if not state.overall_met:
            said.append(
                _("%(present)d of %(seats)d seats present (%(needed)d needed)")
                % {"present": state.present, "seats": self.seats, "needed": state.rule.overall}
            )
        return said


@dataclass(frozen=True)
class ItemView:
    item: AgendaItem
    proposed_by: str
    round_title: str


@dataclass(frozen=True)
class ChangeView:
    change: AgendaChange
    number: int
    title: str
    groups: tuple[Group, ...]


@dataclass
class MeetingPage:
    place: Place
    now: datetime
    seats: list[SeatView]
    quorum: QuorumBox
    items: list[ItemView]
    proposals: list[ItemView]
    declined: list[ItemView]
    changes: list[ChangeView]
    documents: list[MeetingDocument]
    decisions: dict[int, Any]
    minutes: Any
    #: The viewer's own seats here (holder or alternate).
    own_seats: list[SeatView] = field(default_factory=list)
    may_propose: bool = False

    @property
    def meeting(self) -> Any:
        return self.place.meeting

    @property
    def body(self) -> Any:
        return self.place.body

    @property
    def body_viewer(self) -> Any:
        return self.place.viewer

    @property
    def secretariat(self) -> bool:
        return self.place.viewer.secretariat

    @property
    def notice_given(self) -> int:
        """Whole days between convening the meeting and its start."""
        meeting = self.place.meeting
        return max(0, (_aware(meeting.starts_at) - _aware(meeting.convened_at)).days)

    @property
    def upcoming(self) -> bool:
        return _aware(self.place.meeting.starts_at) > self.now

    @property
    def proposals_open(self) -> bool:
        return self.may_propose

    @property
    def withdrawable(self) -> list[ItemView]:
        return [v for v in self.items if v.item.status is AgendaItemStatus.ACCEPTED]

    @property
    def seats_by_group(self) -> dict[Group, list[SeatView]]:
        grouped: dict[Group, list[SeatView]] = {g: [] for g in Group}
        for view in self.seats:
            grouped[view.seat.group].append(view)
        return grouped

    def documents_of(self, item_id: int | None) -> list[MeetingDocument]:
        return [d for d in self.documents if d.agenda_item_id == item_id]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row.id: row.name for row in read(db, select(User.id, User.name).where(User.id.in_(ids)))
    }


def _attendance(db: Session, meeting_id: int) -> dict[int, Presence]:
    rows = read(
        db,
        select(Attendance.seat_id, Attendance.status).where(Attendance.meeting_id == meeting_id),
    )
    return {row.seat_id: row.status for row in rows}


def quorum_box(place: Place, seats: list[SeatRow], attendance: dict[int, Presence]) -> QuorumBox:
    body = place.body
    rule = rules.QuorumRule(body.quorum_overall, body.quorum_per_group)
    state = rules.quorum(((s.group, attendance.get(s.id)) for s in seats), rule)
    missing = tuple(
        (group, rule.per_group - state.present_by_group.get(group, 0))
        for group in state.missing_groups
    )
    return QuorumBox(state, len(seats), missing)


def quorum_only(db: Session, place: Place) -> QuorumBox:
    """The quorum box alone (the partial htmx polls): two queries."""
    return quorum_box(place, bodies.seats(db, place.body.id), _attendance(db, place.meeting.id))


def markable(viewer: Viewer | None, place: Place, seat: SeatRow) -> tuple[Presence, ...]:
    if viewer is None or place.meeting.cancelled_at is not None:
        return ()
    has_alternate = seat.alternate_id is not None
    if place.viewer.secretariat:
        return tuple(p for p in Presence if rules.may_mark(p, has_alternate))
    if seat.holder_id == viewer.user_id:
        return (Presence.HOLDER, Presence.EXCUSED, Presence.ABSENT)
    if has_alternate and seat.alternate_id == viewer.user_id:
        return (Presence.ALTERNATE,)
    return ()


def build(db: Session, viewer: Viewer | None, place: Place) -> MeetingPage:
    now = utcnow()
    meeting = place.meeting
    seats = bodies.seats(db, place.body.id)
    attendance = _attendance(db, meeting.id)
    people = {s.holder_id for s in seats if s.holder_id} | {
        s.alternate_id for s in seats if s.alternate_id
    }
    rows = db.execute(
        select(AgendaItem, Organisation.name, Round.title)
        .outerjoin(Organisation, Organisation.id == AgendaItem.proposed_by_organisation_id)
        .outerjoin(Round, Round.id == AgendaItem.round_id)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.number, AgendaItem.id)
    ).all()
    seen = [
        ItemView(item, org or "", round_title or "")
        for item, org, round_title in rows
        if visible(item, place.viewer, now)
    ]
    seen_ids = {view.item.id for view in seen}
    changes = list(
        db.scalars(
            select(AgendaChange)
            .where(AgendaChange.meeting_id == meeting.id)
            .order_by(AgendaChange.recorded_at, AgendaChange.id)
        )
    )
    documents = [
        d
        for d in db.scalars(
            select(MeetingDocument)
            .where(MeetingDocument.meeting_id == meeting.id)
            .order_by(MeetingDocument.uploaded_at, MeetingDocument.id)
        )
        if visible(d, place.viewer, now)
        and (d.agenda_item_id is None or d.agenda_item_id in seen_ids)
    ]
    names = _names(db, people)
    by_id = {view.item.id: view.item for view in seen}
    change_views = []
    for change in changes:
        shown = by_id.get(change.agenda_item_id or 0)
        if shown is None:
            continue
        agreed = tuple(g for g in Group if g.value in change.agreed_by.split(","))
        change_views.append(ChangeView(change, shown.number, shown.title, agreed))
    seat_views = [
        SeatView(
            s,
            names.get(s.holder_id or 0, ""),
            names.get(s.alternate_id or 0, ""),
            attendance.get(s.id),
            markable(viewer, place, s),
        )
        for s in seats
    ]
    page = MeetingPage(
        place=place,
        now=now,
        seats=seat_views,
        quorum=quorum_box(place, seats, attendance),
        items=[
            v
            for v in seen
            if v.item.status in (AgendaItemStatus.ACCEPTED, AgendaItemStatus.WITHDRAWN)
        ],
        proposals=[v for v in seen if v.item.status is AgendaItemStatus.PROPOSED],
        declined=[v for v in seen if v.item.status is AgendaItemStatus.DECLINED],
        changes=change_views,
        documents=documents,
        decisions=decisions_page.for_meeting(db, meeting, place.viewer, viewer),
        minutes=minutes_page.for_meeting(db, meeting, place.viewer, viewer),
    )
    if viewer is not None:
        page.own_seats = [
            v for v in seat_views if viewer.user_id in (v.seat.holder_id, v.seat.alternate_id)
        ]
    page.may_propose = may_propose(place, now)
    return page
