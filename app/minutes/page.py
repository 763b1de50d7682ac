"""What the minutes page and the meeting page show of minutes, assembled here in a constant
number of queries (the meeting page is assembled in app.meetings.page, which calls
``for_meeting``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.bodies.models import Body
from app.confirmations import isolate
from app.db import utcnow
from app.i18n import N_, format_datetime
from app.i18n import gettext as _
from app.meetings.confidentiality import BodyViewer, Restriction, may_see
from app.meetings.models import AgendaItem, Meeting, Minutes, MinutesComment, MinutesItem
from app.minutes import rules, service
from app.organisations.models import Organisation
from app.vocabulary import AgendaItemStatus, Confidentiality, Group, MinutesStatus


def _date(value: datetime | None) -> str:
    return format_datetime(value, with_time=False) if value is not None else ""


@dataclass(frozen=True)
class ItemView:
    id: int
    number: int
    title: str
    text: str


@dataclass(frozen=True)
class CommentView:
    id: int
    organisation: str
    group: Group
    item: str  # "Item 2: Wages", or "" for the whole minutes
    text: str
    written_at: datetime


@dataclass(frozen=True)
class VersionView:
    id: int
    version: int
    status: MinutesStatus
    sentence: str
    current: bool


@dataclass
class MinutesView:
    minutes: Minutes
    meeting: Meeting
    body: Body
    body_viewer: BodyViewer
    items: list[ItemView]
    #: What happened to these minutes, as sentences, in order.
    story: list[str]
    confidentiality: str
    release: str
    comments: list[CommentView] = field(default_factory=list)
    versions: list[VersionView] = field(default_factory=list)
    corrected_by: VersionView | None = None
    corrects: VersionView | None = None
    approval_options: list[tuple[str, str]] = field(default_factory=list)
    commenting_organisations: list[tuple[int, str]] = field(default_factory=list)
    may_edit: bool = False
    may_send: bool = False
    may_approve: bool = False
    may_publish: bool = False
    may_correct: bool = False
    may_comment: bool = False
    comments_closed: bool = False

    @property
    def form(self) -> dict[str, str]:
        """The draft form, filled in with what is kept."""
        m = self.minutes
        return {
            "preamble": m.preamble,
            "confidentiality": m.confidentiality.value,
            "restricted_group": m.restricted_group.value if m.restricted_group else "",
            "release_at": m.release_at.date().isoformat() if m.release_at else "",
            "release_event": m.release_event,
        }

    @property
    def texts(self) -> dict[int, str]:
        return {item.id: item.text for item in self.items}


STATUS_LABELS = {
    MinutesStatus.DRAFT: N_("Draft"),
    MinutesStatus.COMMENTS: N_("Out for comments"),
    MinutesStatus.APPROVED: N_("Approved"),
    MinutesStatus.PUBLISHED: N_("Published"),
}


def status_label(status: MinutesStatus) -> str:
    return _(STATUS_LABELS[status])


def _approval_sentence(minutes: Minutes, at: Meeting | None) -> str:
    if minutes.approved_at is None:
        return ""
    if at is None:
        return _("Approved on %(date)s by written procedure.") % {
            "date": _date(minutes.approved_at)
        }
    return _("Approved on %(date)s at the meeting “%(meeting)s” of %(meeting_date)s.") % {
        "date": _date(minutes.approved_at),
        "meeting": at.title,
        "meeting_date": _date(at.starts_at),
    }


def _story(minutes: Minutes, drafted_by: str, at: Meeting | None) -> list[str]:
    said = [
        _("Drafted by %(name)s on %(date)s; last changed on %(changed)s.")
        % {
            "name": isolate(drafted_by),
            "date": _date(minutes.created_at),
            "changed": _date(minutes.updated_at),
        }
    ]
    if minutes.comments_until is not None:
        said.append(
            _("Sent to the member organisations for comments until %(date)s.")
            % {"date": _date(minutes.comments_until)}
        )
    if minutes.approved_at is not None:
        said.append(_approval_sentence(minutes, at))
    if minutes.published_at is not None:
        said.append(_("Published on %(date)s: final.") % {"date": _date(minutes.published_at)})
    return said


def _version_sentence(row: Minutes) -> str:
    if row.status is MinutesStatus.PUBLISHED:
        return _("Version %(n)s, published on %(date)s") % {
            "n": row.version,
            "date": _date(row.published_at),
        }
    return _("Version %(n)s, %(status)s") % {
        "n": row.version,
        "status": status_label(row.status).lower(),
    }


def build(db: Session, viewer: Viewer | None, minutes_id: int) -> MinutesView:
    """The minutes page for this person (404 for those who may not read them)."""
    now = utcnow()
    opened = service.open_minutes(db, viewer, minutes_id, now)
    minutes, meeting, body, body_viewer = (
        opened.minutes,
        opened.meeting,
        opened.body,
        opened.body_viewer,
    )
    # the agenda's accepted items, with what these minutes say of each (one query)
    rows = db.execute(
        select(AgendaItem, MinutesItem.text)
        .outerjoin(
            MinutesItem,
            (MinutesItem.agenda_item_id == AgendaItem.id) & (MinutesItem.minutes_id == minutes.id),
        )
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status == AgendaItemStatus.ACCEPTED)
        .order_by(AgendaItem.number, AgendaItem.id)
    ).all()
    items = [
        ItemView(item.id, item.number, item.title, text or "")
        for item, text in rows
        if may_see(Restriction.of(item), body_viewer, now)
    ]
    titles = {item.id: item for item in items}
    drafted_by = db.scalar(select(User.name).where(User.id == minutes.drafted_by_id)) or ""
    # the meeting's versions (one query) and the later meetings of the body (one query)
    versions = list(
        db.scalars(
            select(Minutes).where(Minutes.meeting_id == meeting.id).order_by(Minutes.version)
        )
    )
    later = service.approval_meetings(db, meeting)
    at = next((m for m in later if m.id == minutes.approved_at_meeting_id), None)
    if minutes.approved_at_meeting_id is not None and at is None:
        at = db.get(Meeting, minutes.approved_at_meeting_id)
    shown_versions = [
        VersionView(v.id, v.version, v.status, _version_sentence(v), v.id == minutes.id)
        for v in versions
        if rules.may_read(v.status, Restriction.of(v), body_viewer, now)
    ]
    by_id = {v.id: v for v in shown_versions}
    corrected_by = next(
        (by_id[v.id] for v in versions if v.corrects_id == minutes.id and v.id in by_id), None
    )
    corrects = by_id.get(minutes.corrects_id) if minutes.corrects_id else None
    view = MinutesView(
        minutes=minutes,
        meeting=meeting,
        body=body,
        body_viewer=body_viewer,
        items=items,
        story=_story(minutes, drafted_by, at),
        confidentiality=rules.confidentiality_label(
            minutes.confidentiality, minutes.restricted_group
        ),
        release=rules.release_sentence(Restriction.of(minutes), minutes.release_event, now, _date),
        versions=shown_versions,
        corrected_by=corrected_by,
        corrects=corrects,
    )
    if body_viewer.member or body_viewer.secretariat:
        comment_rows = db.execute(
            select(MinutesComment, Organisation.name, Organisation.group_name)
            .join(Organisation, Organisation.id == MinutesComment.organisation_id)
            .where(MinutesComment.minutes_id == minutes.id)
            .order_by(MinutesComment.written_at, MinutesComment.id)
        ).all()
        view.comments = [
            CommentView(
                row.id,
                name,
                Group(group),
                _("Item %(number)s: %(title)s")
                % {
                    "number": titles[row.agenda_item_id].number,
                    "title": titles[row.agenda_item_id].title,
                }
                if row.agenda_item_id in titles
                else "",
                row.text,
                row.written_at,
            )
            for row, name, group in comment_rows
            if row.agenda_item_id is None or row.agenda_item_id in titles
        ]
    status = minutes.status
    if body_viewer.secretariat:
        view.may_edit = status in rules.EDITABLE
        view.may_send = status is MinutesStatus.DRAFT
        view.may_approve = status is MinutesStatus.COMMENTS
        view.may_publish = status is MinutesStatus.APPROVED
        view.may_correct = status is MinutesStatus.PUBLISHED and versions[-1].id == minutes.id
        view.approval_options = [(str(m.id), f"{m.title} ({_date(m.starts_at)})") for m in later]
    if body_viewer.member and status is MinutesStatus.COMMENTS:
        view.commenting_organisations = service.commenting_organisations(db, viewer, body.id)
        view.may_comment = bool(view.commenting_organisations) and rules.comments_open(
            status, minutes.comments_until, now
        )
        view.comments_closed = not view.may_comment
    return view


@dataclass
class MeetingMinutes:
    """What the meeting page shows of its minutes: the latest version the person may read,
    and, for the secretariat, the form that drafts them."""

    current: Minutes | None
    status: str
    sentence: str
    secretariat: bool
    items: list[ItemView]
    confidentiality_levels: tuple[Confidentiality, ...] = tuple(Confidentiality)


def for_meeting(
    db: Session, meeting: Meeting, body_viewer: BodyViewer, viewer: Viewer | None
) -> MeetingMinutes | None:
    """The meeting's minutes as its page shows them to this viewer (None: none they may
    see), in a constant number of queries."""
    now = utcnow()
    versions = list(
        db.scalars(
            select(Minutes).where(Minutes.meeting_id == meeting.id).order_by(Minutes.version.desc())
        )
    )
    current = next(
        (v for v in versions if rules.may_read(v.status, Restriction.of(v), body_viewer, now)),
        None,
    )
    if current is None and not body_viewer.secretariat:
        return None
    items: list[ItemView] = []
    if current is None:
        items = [
            ItemView(item.id, item.number, item.title, "")
            for item in service.agenda_items(db, meeting.id)
            if may_see(Restriction.of(item), body_viewer, now)
        ]
    sentence = ""
    if current is not None:
        sentence = _version_sentence(current)
    return MeetingMinutes(
        current=current,
        status=status_label(current.status) if current else "",
        sentence=sentence,
        secretariat=body_viewer.secretariat,
        items=items,
    )
