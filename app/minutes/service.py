"""A meeting's minutes: the secretariat drafts them (a preamble and a text per accepted agenda
item), sends them to the body's member organisations for comments until a date, records their
approval (at a later meeting of the body, or by written procedure) and publishes them.
Published minutes are final: a correction is a new version. Never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.rules import Viewer, mandate_is_active
from app.audit.service import record
from app.bodies.models import Body, Seat
from app.bodies.service import viewer_of
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.meetings.confidentiality import BodyViewer, Restriction, may_see
from app.meetings.models import AgendaItem, Meeting, Minutes, MinutesComment, MinutesItem
from app.minutes import rules
from app.notifications.service import notify
from app.organisations.models import Mandate, Organisation
from app.text_rules import check_plausible_date, clean_line
from app.vocabulary import AgendaItemStatus, Confidentiality, Group, MinutesStatus

MAX_TEXT = 40_000


@dataclass
class Opened:
    """Minutes someone may read, with their meeting, body and who the person is to it."""

    minutes: Minutes
    meeting: Meeting
    body: Body
    body_viewer: BodyViewer


@dataclass
class DraftForm:
    """What the secretariat typed: a preamble, a text per agenda item (by id), and who may
    read the published minutes."""

    preamble: str = ""
    texts: dict[int, str] = field(default_factory=dict)
    confidentiality: str = Confidentiality.MEMBERS.value
    restricted_group: str = ""
    release_at: str = ""
    release_event: str = ""


def no_such_minutes() -> NotFound:
    return NotFound(_("There are no such minutes."))


def _meeting(db: Session, meeting_id: int) -> tuple[Meeting, Body]:
    found = db.execute(
        select(Meeting, Body).join(Body, Body.id == Meeting.body_id).where(Meeting.id == meeting_id)
    ).first()
    if found is None:
        raise NotFound(_("There is no such meeting."))
    return found[0], found[1]


def _sees_meeting(meeting: Meeting, body_viewer: BodyViewer) -> bool:
    return meeting.public or body_viewer.member or body_viewer.secretariat


def _secretariat_only(body_viewer: BodyViewer, knows: bool) -> None:
    """The secretariat's actions: refused to a person who knows the thing (403), and to
    anyone else as if it did not exist (404)."""
    if body_viewer.secretariat:
        return
    if knows:
        raise Forbidden(_("Only the body's secretariat does this."))
    raise no_such_minutes()


def open_minutes(db: Session, viewer: Viewer | None, minutes_id: int, now: datetime) -> Opened:
    """Minutes the person may read (404 for anyone else, whatever they ask for)."""
    found = db.execute(
        select(Minutes, Meeting, Body)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .join(Body, Body.id == Meeting.body_id)
        .where(Minutes.id == minutes_id)
    ).first()
    if found is None:
        raise no_such_minutes()
    minutes, meeting, body = found
    body_viewer = viewer_of(db, viewer, body.id)
    if not _sees_meeting(meeting, body_viewer):
        # the minutes of a meeting that is not public are not there for outsiders
        raise no_such_minutes()
    if not rules.may_read(minutes.status, Restriction.of(minutes), body_viewer, now):
        raise no_such_minutes()
    return Opened(minutes, meeting, body, body_viewer)


def latest(db: Session, meeting_id: int) -> Minutes | None:
    return db.scalars(
        select(Minutes).where(Minutes.meeting_id == meeting_id).order_by(Minutes.version.desc())
    ).first()


def agenda_items(db: Session, meeting_id: int) -> list[AgendaItem]:
    """The meeting's accepted agenda items, in their order."""
    return list(
        db.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.status == AgendaItemStatus.ACCEPTED,
            )
            .order_by(AgendaItem.number, AgendaItem.id)
        )
    )


def _text(value: str, field_name: str) -> str:
    value = value.replace("\r\n", "\n").strip()
    if len(value) > MAX_TEXT:
        raise DomainError(_("This text is too long."), field=field_name)
    if "\x00" in value:
        raise DomainError(_("This text holds a character that cannot be kept."), field=field_name)
    return value


def _release_date(value: str, now: datetime) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Give a date, like 2027-06-01."), field="release_at") from None
    return check_plausible_date(datetime.combine(day, time(), UTC), now, "release_at")


def _apply_restriction(minutes: Minutes, form: DraftForm, now: datetime) -> None:
    try:
        level = Confidentiality(form.confidentiality)
    except ValueError:
        raise DomainError(
            _("Choose who may read the published minutes."), field="confidentiality"
        ) from None
    group: Group | None = None
    if level is Confidentiality.GROUP:
        try:
            group = Group(form.restricted_group)
        except ValueError:
            raise DomainError(
                _("Choose the group the minutes are for."), field="restricted_group"
            ) from None
    event = clean_line(form.release_event, "release_event")
    if len(event) > 200:
        raise DomainError(_("Say the event in 200 characters or fewer."), field="release_event")
    minutes.confidentiality = level
    minutes.restricted_group = group
    minutes.release_at = _release_date(form.release_at, now)
    minutes.release_event = event if level is not Confidentiality.PUBLIC else ""


def save_draft(
    db: Session, viewer: Viewer, meeting_id: int, form: DraftForm, now: datetime
) -> tuple[Minutes, bool]:
    """Write the meeting's minutes (a first draft, or the latest version while it is a draft
    or out for comments). Returns the minutes and whether they were new."""
    meeting, body = _meeting(db, meeting_id)
    body_viewer = viewer_of(db, viewer, body.id)
    if not _sees_meeting(meeting, body_viewer):
        raise NotFound(_("There is no such meeting."))
    _secretariat_only(body_viewer, knows=True)
    minutes = latest(db, meeting.id)
    created = minutes is None
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id, version=1, drafted_by_id=viewer.user_id)
        db.add(minutes)
    else:
        refusal = rules.edit_refusal(minutes.status)
        if refusal is not None:
            raise Conflict(refusal)
    minutes.preamble = _text(form.preamble, "preamble")
    _apply_restriction(minutes, form, now)
    minutes.updated_at = now
    db.flush()
    items = {item.id: item for item in agenda_items(db, meeting.id)}
    unknown = set(form.texts) - set(items)
    if unknown:
        raise DomainError(_("An agenda item of another meeting was named."), field="items")
    existing = {
        row.agenda_item_id: row
        for row in db.scalars(select(MinutesItem).where(MinutesItem.minutes_id == minutes.id))
    }
    for item_id, text in form.texts.items():
        cleaned = _text(text, f"item_{item_id}")
        row = existing.get(item_id)
        if row is None:
            db.add(MinutesItem(minutes_id=minutes.id, agenda_item_id=item_id, text=cleaned))
        else:
            row.text = cleaned
    record(
        db,
        viewer.user_id,
        "minutes.drafted",
        "minutes",
        minutes.id,
        meeting_id=meeting.id,
        version=minutes.version,
    )
    db.flush()
    return minutes, created


def _comments_until(value: str, now: datetime) -> datetime:
    value = value.strip()
    if not value:
        raise DomainError(_("Give the last day for comments."), field="comments_until")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Give a date, like 2027-03-20."), field="comments_until") from None
    until = datetime.combine(day, time(23, 59, 59), UTC)
    if until < now:
        raise DomainError(
            _("The last day for comments cannot be in the past."), field="comments_until"
        )
    return check_plausible_date(until, now, "comments_until")


def member_people(
    db: Session, body_id: int, now: datetime, group: Group | None = None
) -> list[int]:
    """Everyone mandated (now) by an organisation seated on the body (of one group only, when
    told)."""
    query = (
        select(Mandate.user_id, Mandate.starts_at, Mandate.expires_at, Mandate.revoked_at)
        .join(Seat, Seat.organisation_id == Mandate.organisation_id)
        .where(Seat.body_id == body_id)
    )
    if group is not None:
        query = query.join(Organisation, Organisation.id == Mandate.organisation_id).where(
            Organisation.group_name == group
        )
    rows = db.execute(query)
    return sorted(
        {r.user_id for r in rows if mandate_is_active(r.starts_at, r.expires_at, r.revoked_at, now)}
    )


def send(
    db: Session, viewer: Viewer, minutes_id: int, comments_until: str, now: datetime
) -> Opened:
    """Draft → out for comments until a day; every member of the body is told."""
    opened = open_minutes(db, viewer, minutes_id, now)
    _secretariat_only(opened.body_viewer, knows=True)
    minutes = opened.minutes
    if minutes.status is not MinutesStatus.DRAFT:
        raise Conflict(_("These minutes were sent for comments already."))
    minutes.comments_until = _comments_until(comments_until, now)
    minutes.status = MinutesStatus.COMMENTS
    minutes.updated_at = now
    until = minutes.comments_until
    title = opened.meeting.title
    body_name = opened.body.name

    def message() -> str:
        return _(
            "The draft minutes of “%(meeting)s” (%(body)s) are sent for comments until %(until)s."
        ) % {
            "meeting": title,
            "body": body_name,
            "until": i18n.format_datetime(until, with_time=False),
        }

    # group-only minutes: their group alone is told (the caucus rule)
    if minutes.confidentiality is Confidentiality.GROUP:
        people = (
            member_people(db, opened.body.id, now, minutes.restricted_group)
            if minutes.restricted_group is not None
            else []
        )
    else:
        people = member_people(db, opened.body.id, now)
    notify(db, people, None, f"minutes.sent.{minutes.id}", message)
    record(
        db,
        viewer.user_id,
        "minutes.sent",
        "minutes",
        minutes.id,
        meeting_id=opened.meeting.id,
        comments_until=until.date().isoformat(),
    )
    db.flush()
    return opened


def commenting_organisations(
    db: Session, viewer: Viewer | None, body_id: int
) -> list[tuple[int, str]]:
    """The organisations, seated on the body, the person speaks for: (id, name)."""
    if viewer is None or not viewer.mandates:
        return []
    seated = set(db.scalars(select(Seat.organisation_id).where(Seat.body_id == body_id)))
    return [
        (m.organisation_id, m.organisation_name)
        for m in viewer.mandates
        if m.organisation_id in seated
    ]


def _id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def comment(
    db: Session,
    viewer: Viewer,
    minutes_id: int,
    text: str,
    organisation_id: str,
    agenda_item_id: str,
    now: datetime,
) -> tuple[Opened, MinutesComment]:
    """A member organisation's comment on the minutes (optionally on one item), while they are
    out for comments."""
    opened = open_minutes(db, viewer, minutes_id, now)
    organisations = dict(commenting_organisations(db, viewer, opened.body.id))
    if not organisations:
        raise Forbidden(_("Only the body's member organisations comment on its minutes."))
    minutes = opened.minutes
    if not rules.comments_open(minutes.status, minutes.comments_until, now):
        if minutes.status is MinutesStatus.DRAFT:
            raise Conflict(_("These minutes are not sent for comments yet."))
        raise Conflict(_("The period for comments is over."))
    chosen = _id(organisation_id) if organisation_id.strip() else next(iter(organisations))
    if chosen not in organisations:
        raise DomainError(
            _("Choose an organisation you speak for on this body."), field="organisation_id"
        )
    item_id: int | None = None
    if agenda_item_id.strip():
        item_id = _id(agenda_item_id)
        items = {
            item.id: item
            for item in agenda_items(db, opened.meeting.id)
            if may_see(Restriction.of(item), opened.body_viewer, now)
        }
        if item_id not in items:
            raise DomainError(_("Choose an item of these minutes."), field="agenda_item_id")
    cleaned = _text(text, "text")
    if not cleaned:
        raise DomainError(_("Write your comment."), field="text")
    row = MinutesComment(
        minutes_id=minutes.id,
        organisation_id=chosen,
        agenda_item_id=item_id,
        text=cleaned,
        written_by_id=viewer.user_id,
        written_at=now,
    )
    db.add(row)
    db.flush()
    record(
        db,
        viewer.user_id,
        "minutes.commented",
        "minutes",
        minutes.id,
        organisation_id=chosen,
        comment_id=row.id,
    )
    return opened, row


def approval_meetings(db: Session, meeting: Meeting) -> list[Meeting]:
    """The body's later meetings, at which the minutes may be approved."""
    return list(
        db.scalars(
            select(Meeting)
            .where(
                Meeting.body_id == meeting.body_id,
                Meeting.starts_at > meeting.starts_at,
                Meeting.cancelled_at.is_(None),
            )
            .order_by(Meeting.starts_at)
        )
    )


#: The choice of approval by written procedure.
WRITTEN = "written"


def approve(db: Session, viewer: Viewer, minutes_id: int, at: str, now: datetime) -> Opened:
    """Record the approval of minutes out for comments: at a later meeting of the body, or by
    written procedure."""
    opened = open_minutes(db, viewer, minutes_id, now)
    _secretariat_only(opened.body_viewer, knows=True)
    minutes = opened.minutes
    if minutes.status is MinutesStatus.DRAFT:
        raise Conflict(_("Send the draft for comments before it is approved."))
    if minutes.status is not MinutesStatus.COMMENTS:
        raise Conflict(_("These minutes are approved already."))
    meeting_id: int | None = None
    if at.strip() != WRITTEN:
        meeting_id = _id(at)
        if meeting_id not in {m.id for m in approval_meetings(db, opened.meeting)}:
            raise DomainError(
                _("Choose a later meeting of the body, or the written procedure."),
                field="approval",
            )
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_at_meeting_id = meeting_id
    minutes.approved_at = now
    minutes.updated_at = now
    record(
        db,
        viewer.user_id,
        "minutes.approved",
        "minutes",
        minutes.id,
        meeting_id=opened.meeting.id,
        at_meeting_id=meeting_id,
    )
    db.flush()
    return opened


def publish(db: Session, viewer: Viewer, minutes_id: int, now: datetime) -> Opened:
    opened = open_minutes(db, viewer, minutes_id, now)
    _secretariat_only(opened.body_viewer, knows=True)
    minutes = opened.minutes
    if minutes.status is MinutesStatus.PUBLISHED:
        raise Conflict(_("These minutes are published already."))
    if minutes.status is not MinutesStatus.APPROVED:
        raise Conflict(_("Minutes are published once approved."))
    minutes.status = MinutesStatus.PUBLISHED
    minutes.published_at = now
    minutes.updated_at = now
    record(db, viewer.user_id, "minutes.published", "minutes", minutes.id, version=minutes.version)
    db.flush()
    return opened


def correct(db: Session, viewer: Viewer, minutes_id: int, now: datetime) -> Minutes:
    """A new draft version of published minutes, their texts copied; the older one stays."""
    opened = open_minutes(db, viewer, minutes_id, now)
    _secretariat_only(opened.body_viewer, knows=True)
    old = opened.minutes
    if old.status is not MinutesStatus.PUBLISHED:
        raise Conflict(_("Only published minutes are corrected: edit these instead."))
    newest = db.scalar(
        select(func.max(Minutes.version)).where(Minutes.meeting_id == old.meeting_id)
    )
    if newest != old.version:
        raise Conflict(_("These minutes have a newer version already: correct that one."))
    fresh = Minutes(
        meeting_id=old.meeting_id,
        version=old.version + 1,
        corrects_id=old.id,
        status=MinutesStatus.DRAFT,
        preamble=old.preamble,
        confidentiality=old.confidentiality,
        restricted_group=old.restricted_group,
        release_at=old.release_at,
        release_event=old.release_event,
        drafted_by_id=viewer.user_id,
        created_at=now,
        updated_at=now,
    )
    db.add(fresh)
    db.flush()
    db.add_all(
        MinutesItem(minutes_id=fresh.id, agenda_item_id=row.agenda_item_id, text=row.text)
        for row in db.scalars(select(MinutesItem).where(MinutesItem.minutes_id == old.id))
    )
    record(
        db,
        viewer.user_id,
        "minutes.corrected",
        "minutes",
        fresh.id,
        corrects_id=old.id,
        version=fresh.version,
    )
    db.flush()
    return fresh
