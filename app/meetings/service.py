"""Meetings: convening one, its agenda (proposed, accepted, issued, changed with the agreement
the body requires), attendance, and its documents. Never commits.

Every way to a meeting goes through ``enter``: a meeting that is not public is not there (404)
for anyone outside its body; an agenda item or a document the viewer may not see
(app.meetings.confidentiality.may_see) is not there either."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import text_rules
from app.accounts.rules import Viewer
from app.audit.service import record
from app.bodies import service as bodies
from app.bodies.models import Body, Seat
from app.db import utcnow
from app.documents.service import Checked
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.meetings import rules
from app.meetings.confidentiality import BodyViewer, Restriction, may_see
from app.meetings.models import (
    AgendaChange,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingDocument,
)
from app.organisations.models import Organisation
from app.rounds.models import Round
from app.text_rules import check_plausible_date, clean_line
from app.vocabulary import (
    AgendaChangeRule,
    AgendaItemStatus,
    Confidentiality,
    Group,
    Presence,
)

TITLE_MAX = 200


@dataclass(frozen=True)
class Place:
    """A meeting as the viewer reaches it: the meeting, its body, and who they are to it."""

    meeting: Meeting
    body: Body
    viewer: BodyViewer


def form_id(value: str) -> int | None:
    """A row's id as a form gives it; None when it cannot be one (not plain digits, or beyond
    what the databases' integers hold)."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _no_such_meeting() -> NotFound:
    return NotFound(_("There is no such meeting."))


def enter(db: Session, viewer: Viewer | None, meeting_id: int) -> Place:
    """The meeting, if the viewer may read it: a public one, anyone; else the body's members
    and its secretariat."""
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise _no_such_meeting()
    body = bodies.body(db, meeting.body_id)
    body_viewer = bodies.viewer_of(db, viewer, body.id)
    if not meeting.public and not (body_viewer.member or body_viewer.secretariat):
        raise _no_such_meeting()
    return Place(meeting, body, body_viewer)


def visible(row: object, body_viewer: BodyViewer, now: datetime) -> bool:
    return may_see(Restriction.of(row), body_viewer, now)


def _touch(meeting: Meeting) -> None:
    meeting.version = (meeting.version or 0) + 1


# -- convening ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Convening:
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    link: str
    public: bool
    proposals_until: datetime | None


def check_title(value: str, field: str = "title") -> str:
    title = clean_line(value, field)
    if not title:
        raise DomainError(_("Give a title."), field=field)
    if len(title) > TITLE_MAX:
        raise DomainError(
            _("The title is longer than %(max)d characters.") % {"max": TITLE_MAX}, field=field
        )
    return title


def check_convening(
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    place: str,
    link: str,
    public: bool,
    proposals_until: datetime | None,
) -> Convening:
    checked_title = check_title(title)
    if starts_at is None:
        raise DomainError(_("Give the day and time the meeting starts."), field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(_("The meeting must end after it starts."), field="ends_at")
    if proposals_until is not None and proposals_until > starts_at:
        raise DomainError(
            _("Proposals must close before the meeting starts."), field="proposals_until"
        )
    place = clean_line(place, "place")[:200]
    link = link.strip()
    if link and not link.startswith(("https://", "http://")):
        raise DomainError(_("Give the link as a web address (https://…)."), field="link")
    if len(link) > 500:
        raise DomainError(_("The link is longer than 500 characters."), field="link")
    if not place and not link:
        raise DomainError(_("Give a place, a link, or both."), field="place")
    return Convening(checked_title, starts_at, ends_at, place, link, public, proposals_until)


def convene(db: Session, viewer: Viewer, body_id: int, convening: Convening) -> Meeting:
    bodies.require_secretariat(viewer)
    body = bodies.body(db, body_id)
    now = utcnow()
    meeting = Meeting(
        body_id=body.id,
        title=convening.title,
        starts_at=convening.starts_at,
        ends_at=convening.ends_at,
        place=convening.place,
        link=convening.link,
        public=convening.public,
        proposals_until=convening.proposals_until,
        convened_at=now,
        convened_by_id=viewer.user_id,
        short_notice=rules.short_notice(now, convening.starts_at, body.notice_days),
    )
    db.add(meeting)
    db.flush()
    record(
        db,
        viewer.user_id,
        "meeting.convened",
        "meeting",
        meeting.id,
        title=meeting.title,
        body=body.name,
        starts_at=meeting.starts_at.isoformat(),
        short_notice=meeting.short_notice,
    )
    return meeting


# -- the agenda --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemForm:
    title: str
    description: str
    round_id: int | None
    confidentiality: Confidentiality
    group: Group | None
    release_at: datetime | None
    release_event: str


def check_item(
    db: Session,
    body_viewer: BodyViewer,
    *,
    title: str,
    description: str,
    round_id: str,
    confidentiality: str,
    group: str,
    release_at: datetime | None,
    release_event: str,
) -> ItemForm:
    checked_title = check_title(title)
    described = text_rules.clean_block(description, "description")[:20_000]
    linked: int | None = None
    if round_id.strip():
        linked = form_id(round_id)
        if linked is None or db.get(Round, linked) is None:
            raise DomainError(_("Choose a round from the list."), field="round_id")
    level, chosen_group = check_restriction(body_viewer, confidentiality, group)
    if release_at is not None:
        check_plausible_date(release_at, utcnow(), "release_at")
    event = clean_line(release_event, "release_event")[:200]
    return ItemForm(checked_title, described, linked, level, chosen_group, release_at, event)


def check_restriction(
    body_viewer: BodyViewer, confidentiality: str, group: str
) -> tuple[Confidentiality, Group | None]:
    """Who may see it: public, members, or (for a member) their own group only."""
    try:
        level = Confidentiality(confidentiality or Confidentiality.MEMBERS.value)
    except ValueError:
        raise DomainError(_("Choose who may see it."), field="confidentiality") from None
    if level is not Confidentiality.GROUP:
        return level, None
    try:
        chosen = Group(group) if group else None
    except ValueError:
        chosen = None
    if chosen is None and len(body_viewer.member_groups) == 1:
        chosen = next(iter(body_viewer.member_groups))
    if chosen is None or chosen not in body_viewer.member_groups:
        raise DomainError(
            _("Only a group's own members may keep something to their group."),
            field="confidentiality",
        )
    return level, chosen


def _proposer_organisation(viewer: Viewer, db: Session, body_id: int) -> int | None:
    seated = bodies.seated_organisations(db, body_id)
    return next((m.organisation_id for m in viewer.mandates if m.organisation_id in seated), None)


def _audit_item(
    db: Session, viewer: Viewer, action: str, item: AgendaItem, **extra: object
) -> None:
    """Recorded in the shared log; a group-only item's title stays out of it (the caucus
    rule)."""
    details: dict[str, object] = {"item": item.id, **extra}
    if item.confidentiality is not Confidentiality.GROUP:
        details["title"] = item.title
    record(db, viewer.user_id, action, "meeting", item.meeting_id, **details)


def _next_number(db: Session, meeting_id: int) -> int:
    highest = db.scalar(
        select(func.max(AgendaItem.number)).where(AgendaItem.meeting_id == meeting_id)
    )
    return (highest or 0) + 1


def _new_item(place: Place, viewer: Viewer, form: ItemForm, db: Session) -> AgendaItem:
    return AgendaItem(
        meeting_id=place.meeting.id,
        title=form.title,
        description=form.description,
        round_id=form.round_id,
        confidentiality=form.confidentiality,
        restricted_group=form.group,
        release_at=form.release_at,
        release_event=form.release_event,
        proposed_by_id=viewer.user_id,
        proposed_by_organisation_id=_proposer_organisation(viewer, db, place.body.id),
    )


def may_propose(place: Place, now: datetime) -> bool:
    """A member proposes items until the cut-off, and only before the agenda is issued."""
    meeting = place.meeting
    return (
        place.viewer.member
        and meeting.agenda_issued_at is None
        and meeting.cancelled_at is None
        and (meeting.proposals_until is None or now < _aware(meeting.proposals_until))
    )


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def add_item(db: Session, viewer: Viewer, place: Place, form: ItemForm) -> AgendaItem:
    """The secretariat's item is on the agenda at once; a member's is proposed (never group
    only: the secretariat could not see it to accept it). A secretary who is also a group's
    member may put an item for that group alone on the agenda."""
    meeting = place.meeting
    now = utcnow()
    secretariat = place.viewer.secretariat
    if not (secretariat or place.viewer.member):
        raise Forbidden(_("Only the body's members and its secretariat add agenda items."))
    if meeting.agenda_issued_at is not None:
        raise Conflict(
            _(
                "The agenda is issued: an item is added only as a change to it, with the "
                "agreement the body's rules require."
            ),
            field="title",
        )
    if not secretariat and not may_propose(place, now):
        raise Conflict(
            _("Proposals for this agenda closed on %(when)s.")
            % {"when": _aware(meeting.proposals_until or now).strftime("%d %b %Y, %H:%M UTC")},
            field="title",
        )
    if not secretariat and form.confidentiality is Confidentiality.GROUP:
        # a proposal waits for the secretariat, which is not in a group's room
        raise DomainError(
            _(
                "A group-only item is for your group's own preparation: the secretariat could "
                "not see it to accept it. Choose members only, and keep it in your caucus."
            ),
            field="confidentiality",
        )
    item = _new_item(place, viewer, form, db)
    if secretariat:
        item.status = AgendaItemStatus.ACCEPTED
        item.number = _next_number(db, meeting.id)
    else:
        item.status = AgendaItemStatus.PROPOSED
        item.number = 0
    db.add(item)
    db.flush()
    _touch(meeting)
    _audit_item(db, viewer, "agenda.item_added", item, status=item.status.value)
    return item


def _item_for_secretariat(db: Session, viewer: Viewer, item_id: int) -> tuple[AgendaItem, Place]:
    item = db.get(AgendaItem, item_id)
    if item is None:
        raise NotFound(_("There is no such agenda item."))
    place = enter(db, viewer, item.meeting_id)
    if not visible(item, place.viewer, utcnow()):
        raise NotFound(_("There is no such agenda item."))
    bodies.require_secretariat(viewer)
    return item, place


def decide_proposal(db: Session, viewer: Viewer, item_id: int, accept: bool) -> AgendaItem:
    item, place = _item_for_secretariat(db, viewer, item_id)
    if item.status is not AgendaItemStatus.PROPOSED:
        raise Conflict(_("This item is not a proposal waiting for an answer."))
    if place.meeting.agenda_issued_at is not None and accept:
        raise Conflict(
            _("The agenda is issued: add the item as a change to it, with the agreement needed.")
        )
    if accept:
        item.status = AgendaItemStatus.ACCEPTED
        item.number = _next_number(db, item.meeting_id)
    else:
        item.status = AgendaItemStatus.DECLINED
    _touch(place.meeting)
    code = "agenda.item_accepted" if accept else "agenda.item_declined"
    _audit_item(db, viewer, code, item, number=item.number)
    return item


def issue(db: Session, viewer: Viewer, place: Place) -> Meeting:
    bodies.require_secretariat(viewer)
    meeting = place.meeting
    if meeting.agenda_issued_at is not None:
        raise Conflict(_("The agenda is issued already."))
    meeting.agenda_issued_at = utcnow()
    accepted = db.scalar(
        select(func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == AgendaItemStatus.ACCEPTED)
    )
    _touch(meeting)
    record(db, viewer.user_id, "agenda.issued", "meeting", meeting.id, items=accepted or 0)
    return meeting


@dataclass(frozen=True)
class Agreement:
    groups: frozenset[Group]
    chair: bool

    def agreed_by(self, rule: AgendaChangeRule) -> str:
        if rule is AgendaChangeRule.CHAIR:
            return "chair"
        return ",".join(g.value for g in Group if g in self.groups)


def parse_agreement(groups: Iterable[str], chair: str) -> Agreement:
    chosen = frozenset(Group(g) for g in groups if g in {x.value for x in Group})
    return Agreement(chosen, bool(chair))


def change_agenda(
    db: Session,
    viewer: Viewer,
    place: Place,
    *,
    withdraw: int | None,
    form: ItemForm | None,
    agreement: Agreement,
) -> AgendaChange:
    """A change to the issued agenda (an item added, or withdrawn), with the agreement the
    body's rules require, recorded; refused (409) without it."""
    bodies.require_secretariat(viewer)
    meeting, body = place.meeting, place.body
    if meeting.agenda_issued_at is None:
        raise Conflict(_("The agenda is not issued yet: change it freely."))
    if not rules.agenda_change_agreed(body.agenda_change, agreement.groups, agreement.chair):
        if body.agenda_change is AgendaChangeRule.CHAIR:
            message = _("The body's rules ask for the chair's agreement to change the agenda.")
        else:
            message = _(
                "The body's rules ask for the agreement of each of the three groups to change "
                "the agenda."
            )
        raise Conflict(message, field="agreement")
    now = utcnow()
    if withdraw is not None:
        item = db.get(AgendaItem, withdraw)
        if (
            item is None
            or item.meeting_id != meeting.id
            or item.status is not AgendaItemStatus.ACCEPTED
            or not visible(item, place.viewer, now)
        ):
            raise DomainError(_("Choose an item of the agenda to withdraw."), field="withdraw")
        item.status = AgendaItemStatus.WITHDRAWN
        description = "withdrawn"
    else:
        if form is None:
            raise DomainError(_("Give the title of the item to add."), field="title")
        item = _new_item(place, viewer, form, db)
        item.status = AgendaItemStatus.ACCEPTED
        item.number = _next_number(db, meeting.id)
        db.add(item)
        db.flush()
        description = "added"
    change = AgendaChange(
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        description=description,
        rule=body.agenda_change,
        agreed_by=agreement.agreed_by(body.agenda_change),
        recorded_by_id=viewer.user_id,
        recorded_at=now,
    )
    db.add(change)
    db.flush()
    _touch(meeting)
    _audit_item(
        db,
        viewer,
        "agenda.changed",
        item,
        change=description,
        number=item.number,
        agreed_by=change.agreed_by,
    )
    return change


# -- attendance --------------------------------------------------------------------------------


def mark(
    db: Session, viewer: Viewer, place: Place, seat_id: int, status_value: str
) -> tuple[Attendance, Organisation]:
    """A seat's attendance: its holder marks it (present, excused, absent), its alternate
    marks it "alternate", the secretariat marks any seat; anyone else is refused."""
    meeting = place.meeting
    seat = db.get(Seat, seat_id)
    if seat is None or seat.body_id != place.body.id:
        raise NotFound(_("There is no such seat."))
    try:
        status = Presence(status_value)
    except ValueError:
        raise DomainError(
            _("Choose present, alternate, excused or absent."), field="status"
        ) from None
    secretariat = place.viewer.secretariat
    holder = seat.holder_id == viewer.user_id
    alternate = seat.alternate_id is not None and seat.alternate_id == viewer.user_id
    if not secretariat:
        if holder and status is Presence.ALTERNATE and not alternate:
            raise Forbidden(_("The seat's alternate marks their own presence."))
        if alternate and not holder and status is not Presence.ALTERNATE:
            raise Forbidden(_("As the alternate you mark the seat “present (alternate)”."))
        if not (holder or alternate):
            raise Forbidden(_("Only the seat's holder, its alternate or the secretariat mark it."))
        if not viewer.speaks_for(seat.organisation_id):
            # named on the seat, but their mandate for its organisation has ended
            raise Forbidden(
                _("Only a person with an active mandate of the seat's organisation marks it.")
            )
    if not rules.may_mark(status, seat.alternate_id is not None):
        raise Conflict(_("This seat has no alternate."), field="status")
    if meeting.cancelled_at is not None:
        raise Conflict(_("The meeting is cancelled."))
    row = db.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.seat_id == seat.id)
    )
    if (
        not secretariat
        and status is Presence.ALTERNATE
        and row is not None
        and row.status is Presence.HOLDER
    ):
        raise Conflict(
            _(
                "The holder of this seat is present: the alternate stands in only when the "
                "holder is not."
            ),
            field="status",
        )
    if row is None:
        row = Attendance(
            meeting_id=meeting.id, seat_id=seat.id, status=status, marked_by_id=viewer.user_id
        )
        db.add(row)
    else:
        row.status = status
        row.marked_by_id = viewer.user_id
        row.marked_at = utcnow()
    _touch(meeting)
    db.flush()
    organisation = db.get(Organisation, seat.organisation_id)
    assert organisation is not None
    record(
        db,
        viewer.user_id,
        "attendance.marked",
        "meeting",
        meeting.id,
        seat=seat.id,
        organisation_id=organisation.id,
        status=status.value,
    )
    return row, organisation


# -- documents ---------------------------------------------------------------------------------


def add_document(
    db: Session,
    viewer: Viewer,
    place: Place,
    *,
    title: str,
    language: str,
    agenda_item: str,
    confidentiality: Confidentiality,
    group: Group | None,
    release_at: datetime | None,
    release_event: str,
    checked: Checked,
) -> MeetingDocument:
    bodies.require_secretariat(viewer)
    title = check_title(title)
    release_event = clean_line(release_event, "release_event")[:200]
    item_id: int | None = None
    if agenda_item.strip():
        chosen = form_id(agenda_item)
        item = db.get(AgendaItem, chosen) if chosen is not None else None
        if (
            item is None
            or item.meeting_id != place.meeting.id
            or item.status is not AgendaItemStatus.ACCEPTED
            or not visible(item, place.viewer, utcnow())
        ):
            raise DomainError(_("Choose an item of this meeting's agenda."), field="agenda_item")
        item_id = item.id
    document = MeetingDocument(
        meeting_id=place.meeting.id,
        agenda_item_id=item_id,
        title=title,
        language=language,
        confidentiality=confidentiality,
        restricted_group=group,
        release_at=release_at,
        release_event=release_event,
        sha256=checked.sha256,
        size=checked.size,
        kind=checked.kind.value,
        file_name=checked.file_name,
        text=checked.text,
        uploaded_by_id=viewer.user_id,
    )
    db.add(document)
    db.flush()
    _touch(place.meeting)
    details: dict[str, object] = {"document": document.id}
    if confidentiality is not Confidentiality.GROUP:
        # a group-only document's words stay out of the shared log (the caucus rule)
        details["title"] = title
        details["file"] = checked.file_name
    record(db, viewer.user_id, "meeting.document_added", "meeting", place.meeting.id, **details)
    return document


def document(db: Session, viewer: Viewer | None, document_id: int) -> MeetingDocument:
    """A meeting document, if the viewer may see the meeting and the document (else 404)."""
    found = db.get(MeetingDocument, document_id)
    if found is None:
        raise NotFound(_("There is no such file."))
    try:
        place = enter(db, viewer, found.meeting_id)
    except NotFound:
        raise NotFound(_("There is no such file.")) from None
    if not visible(found, place.viewer, utcnow()):
        raise NotFound(_("There is no such file."))
    return found
