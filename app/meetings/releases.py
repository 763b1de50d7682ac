"""The release register of a body: what of its meetings is restricted (agenda items, meeting
documents, minutes), for whom, and when it becomes public; and the secretariat's word that a
release event has come. Never commits.

A row is listed to the body's members and secretariat; a group-only row's title and release
event only to that group's members (to anyone else it is "an item for the workers group only",
public "when its group releases it"), who alone mark its release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.audit.service import record
from app.bodies.models import Body
from app.bodies.service import body as load_body
from app.bodies.service import viewer_of
from app.errors import Conflict, Forbidden, NotFound
from app.i18n import N_, format_datetime
from app.i18n import gettext as _
from app.meetings.confidentiality import BodyViewer, Restriction, may_see, released
from app.meetings.models import AgendaItem, Meeting, MeetingDocument, Minutes
from app.minutes import rules
from app.vocabulary import Confidentiality, Group


class Kind(StrEnum):
    AGENDA_ITEM = "agenda-item"
    DOCUMENT = "document"
    MINUTES = "minutes"


#: The kinds of restricted rows (each has the ``Restricted`` columns and a ``meeting_id``).
MODELS: dict[Kind, Any] = {
    Kind.AGENDA_ITEM: AgendaItem,
    Kind.DOCUMENT: MeetingDocument,
    Kind.MINUTES: Minutes,
}
KIND_LABELS = {
    Kind.AGENDA_ITEM: N_("Agenda item"),
    Kind.DOCUMENT: N_("Meeting document"),
    Kind.MINUTES: N_("Minutes"),
}
#: What a group-only row is called to those outside the group.
HIDDEN_TITLES = {
    Group.GOVERNMENT: N_("Restricted to the government group"),
    Group.WORKERS: N_("Restricted to the workers group"),
    Group.EMPLOYERS: N_("Restricted to the employers group"),
}
#: The audit log's name for each kind of row.
SUBJECT_TYPES = {
    Kind.AGENDA_ITEM: "agenda_item",
    Kind.DOCUMENT: "meeting_document",
    Kind.MINUTES: "minutes",
}


@dataclass(frozen=True)
class Row:
    kind: Kind
    id: int
    meeting_id: int
    meeting_title: str
    meeting_starts_at: datetime
    #: None when the viewer may not read the title (another group's row).
    title: str | None
    confidentiality: str
    release: str
    is_released: bool
    #: The secretariat may mark its release event as come.
    may_mark: bool


def _date(value: datetime) -> str:
    return format_datetime(value, with_time=False)


def _title(kind: Kind, row: AgendaItem | MeetingDocument | Minutes) -> str:
    if isinstance(row, AgendaItem):
        return _("Item %(number)s: %(title)s") % {"number": row.number, "title": row.title}
    if isinstance(row, MeetingDocument):
        return row.title
    return _("Minutes, version %(n)s") % {"n": row.version}


def enter(db: Session, viewer: Viewer, body_id: int) -> tuple[Body, BodyViewer]:
    """The body, for its members and secretariat (404 for anyone else)."""
    found = load_body(db, body_id)
    body_viewer = viewer_of(db, viewer, found.id)
    if not (body_viewer.member or body_viewer.secretariat):
        raise NotFound(_("There is no such body."))
    return found, body_viewer


def register(
    db: Session, viewer: Viewer, body_id: int, now: datetime
) -> tuple[Body, BodyViewer, list[Row]]:
    """Every restricted row of the body's meetings, in the order of the meetings (one query
    per kind)."""
    found, body_viewer = enter(db, viewer, body_id)
    rows: list[Row] = []
    for kind, model in MODELS.items():
        query = (
            select(model, Meeting.title, Meeting.starts_at)
            .join(Meeting, Meeting.id == model.meeting_id)
            .where(
                Meeting.body_id == found.id,
                model.confidentiality != Confidentiality.PUBLIC,
            )
        )
        for row, meeting_title, starts_at in db.execute(query):
            restriction = Restriction.of(row)
            sees = _sees(kind, restriction, body_viewer, now)
            group_only = row.confidentiality is Confidentiality.GROUP
            if not sees and not group_only:
                continue
            rows.append(
                Row(
                    kind=kind,
                    id=row.id,
                    meeting_id=row.meeting_id,
                    meeting_title=meeting_title,
                    meeting_starts_at=starts_at,
                    title=_title(kind, row) if sees else None,
                    confidentiality=rules.confidentiality_label(
                        row.confidentiality, row.restricted_group
                    ),
                    # the event's words are the group's too: to others, the date alone
                    release=rules.release_sentence(
                        restriction,
                        row.release_event if sees else "",
                        now,
                        _date,
                        group_event=bool(row.release_event) and not sees,
                    ),
                    is_released=released(restriction, now),
                    may_mark=may_mark(row, sees, body_viewer, now),
                )
            )
    rows.sort(key=lambda r: (r.meeting_starts_at, r.meeting_id, list(Kind).index(r.kind), r.id))
    return found, body_viewer, rows


def hidden_title(group: Group | None) -> str:
    return _(HIDDEN_TITLES[group]) if group else _("Restricted to one group")


def mark_released(
    db: Session, viewer: Viewer, kind: str, row_id: int, now: datetime
) -> tuple[Body, str]:
    """The secretariat says a row's release event has come: it is public from now on.
    Returns the body and what was released, in words."""
    try:
        chosen = Kind(kind)
    except ValueError:
        raise NotFound(_("There is no such item.")) from None
    model = MODELS[chosen]
    row = db.get(model, row_id) if 0 < row_id <= MAX_ID else None
    if row is None:
        raise NotFound(_("There is no such item."))
    meeting = db.get_one(Meeting, row.meeting_id)
    found = load_body(db, meeting.body_id)
    body_viewer = viewer_of(db, viewer, found.id)
    restriction = Restriction.of(row)
    sees = _sees(chosen, restriction, body_viewer, now)
    if row.confidentiality is Confidentiality.GROUP and not released(restriction, now):
        # a group's own row: its group releases it; to anyone else it is not there (the
        # caucus rule: the secretariat is not in a group's room)
        if not sees:
            raise NotFound(_("There is no such item."))
    else:
        knows = body_viewer.member or body_viewer.secretariat or sees
        if not body_viewer.secretariat:
            if knows:
                raise Forbidden(_("Only the body's secretariat marks a release."))
            raise NotFound(_("There is no such item."))
    if row.confidentiality is Confidentiality.PUBLIC or released(restriction, now):
        raise Conflict(_("This is public already."))
    if not row.release_event:
        raise Conflict(_("This has no release event to mark: it is released on its date."))
    row.released_at = now
    details: dict[str, object] = {"meeting_id": meeting.id}
    if row.confidentiality is not Confidentiality.GROUP:
        # a group-only row's words stay out of the shared log (the caucus rule)
        details["event"] = row.release_event
    record(db, viewer.user_id, "release.marked", SUBJECT_TYPES[chosen], row.id, **details)
    db.flush()
    what = _title(chosen, row) if sees else hidden_title(row.restricted_group)
    return found, what


#: The highest row id asked for (beyond it, nothing: the databases' integers end there).
MAX_ID = 999_999_999


def _sees(kind: Kind, restriction: Restriction, body_viewer: BodyViewer, now: datetime) -> bool:
    """Whether the person reads the row (the secretariat writes the minutes, in whichever
    confidentiality)."""
    return may_see(restriction, body_viewer, now) or (
        kind is Kind.MINUTES and body_viewer.secretariat
    )


def may_mark(
    row: AgendaItem | MeetingDocument | Minutes, sees: bool, body_viewer: BodyViewer, now: datetime
) -> bool:
    """Who marks a row's release event as come: the secretariat; a group-only row, the group
    (whoever reads it)."""
    if not row.release_event or released(Restriction.of(row), now):
        return False
    if row.confidentiality is Confidentiality.GROUP:
        return sees
    return body_viewer.secretariat


def body_of(db: Session, kind: str, row_id: int) -> int:
    """The body whose meeting holds this row (the row exists: it was just refused)."""
    model = MODELS[Kind(kind)]
    return db.execute(
        select(Meeting.body_id)
        .join(model, model.meeting_id == Meeting.id)
        .where(model.id == row_id)
    ).scalar_one()
