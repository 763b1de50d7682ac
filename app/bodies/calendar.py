"""Calendar feeds (iCalendar, RFC 5545, written by the ``icalendar`` library).

- A person's **private feed**: a secret URL (only its SHA-256 is kept, like API tokens),
  revocable; the meetings (not cancelled) of the bodies where their organisations hold a seat,
  and the closing deadlines of the rounds their organisations are invited to.
- A body's **public feed**: its public meetings, with their public agenda items only.

Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.credentials import hash_token, new_token
from app.accounts.models import User
from app.accounts.rules import Viewer, mandate_is_active
from app.audit.service import record
from app.bodies.models import Body, CalendarFeed, Seat
from app.db import read, utcnow
from app.errors import NotFound
from app.i18n import gettext as _
from app.meetings.confidentiality import OUTSIDER, BodyViewer, Restriction, may_see
from app.meetings.models import AgendaItem, Meeting
from app.organisations.models import Mandate, Organisation
from app.rounds.models import Consultation, Round, RoundInvitation
from app.vocabulary import AgendaItemStatus, Group, RoundStatus

#: A meeting without an end time lasts this long in a calendar.
DEFAULT_LENGTH = timedelta(hours=2)
PREFIX = "cal_"


# -- the private feed's secret -------------------------------------------------------------------


def active_feed(db: Session, user_id: int) -> CalendarFeed | None:
    return db.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def _revoke_all(db: Session, user_id: int) -> int:
    now = utcnow()
    feeds = list(
        db.scalars(
            select(CalendarFeed).where(
                CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None)
            )
        )
    )
    for feed in feeds:
        feed.revoked_at = now
    return len(feeds)


def create_feed(db: Session, viewer: Viewer) -> tuple[CalendarFeed, str]:
    """A new private feed (the earlier one, if any, stops working) and its secret, shown once."""
    _revoke_all(db, viewer.user_id)
    secret, _hash = new_token()
    plain = PREFIX + secret
    feed = CalendarFeed(user_id=viewer.user_id, token_hash=hash_token(plain))
    db.add(feed)
    db.flush()
    record(db, viewer.user_id, "calendar.feed_created", "user", viewer.user_id, feed=feed.id)
    return feed, plain


def revoke_feed(db: Session, viewer: Viewer) -> int:
    """The person's feed revoked (how many were active: 0 or 1)."""
    revoked = _revoke_all(db, viewer.user_id)
    if revoked:
        record(db, viewer.user_id, "calendar.feed_revoked", "user", viewer.user_id)
    return revoked


# -- events --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    url: str
    description: str


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _ical(entries: Iterable[Entry], name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tripartite//meetings and deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = _utc(utcnow())
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(entry.starts_at))
        event.add("dtend", _utc(entry.ends_at))
        event.add("summary", entry.summary)
        if entry.location:
            event.add("location", entry.location)
        event.add("url", entry.url)
        if entry.description:
            event.add("description", entry.description)
        calendar.add_component(event)
    content: bytes = calendar.to_ical()
    return content


def _meeting_entries(
    db: Session,
    meetings: list[Meeting],
    bodies: dict[int, Body],
    viewers: dict[int, BodyViewer],
    site: str,
) -> list[Entry]:
    """Each meeting as an event; its agenda lists the items the feed's reader may see."""
    items: dict[int, list[AgendaItem]] = defaultdict(list)
    if meetings:
        rows = db.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.meeting_id.in_([m.id for m in meetings]),
                AgendaItem.status == AgendaItemStatus.ACCEPTED,
            )
            .order_by(AgendaItem.number)
        )
        now = utcnow()
        by_body = {m.id: m.body_id for m in meetings}
        for item in rows:
            viewer = viewers.get(by_body[item.meeting_id], OUTSIDER)
            if may_see(Restriction.of(item), viewer, now):
                items[item.meeting_id].append(item)
    entries = []
    for meeting in meetings:
        body = bodies[meeting.body_id]
        agenda = "\n".join(f"{i.number}. {i.title}" for i in items.get(meeting.id, []))
        location = ", ".join(part for part in (meeting.place, meeting.link) if part)
        entries.append(
            Entry(
                uid=f"meeting-{meeting.id}@tripartite",
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH,
                summary=f"{body.name}: {meeting.title}",
                location=location,
                url=f"{site}/meetings/{meeting.id}",
                description=agenda,
            )
        )
    return entries


def body_feed(db: Session, body_id: int, site: str) -> bytes:
    """A body's public calendar: its public meetings, with their public agenda items."""
    body = db.get(Body, body_id)
    if body is None:
        raise NotFound(_("There is no such body."))
    meetings = list(
        db.scalars(
            select(Meeting)
            .where(
                Meeting.body_id == body.id,
                Meeting.public.is_(True),
                Meeting.cancelled_at.is_(None),
            )
            .order_by(Meeting.starts_at)
        )
    )
    entries = _meeting_entries(db, meetings, {body.id: body}, {}, site)
    return _ical(entries, body.name)


def person_feed(db: Session, token: str, site: str) -> bytes:
    """The private feed behind a secret (404 for an unknown or revoked one)."""
    feed = db.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    person = db.get(User, feed.user_id) if feed is not None else None
    if feed is None or person is None or not person.is_active:
        raise NotFound(_("There is no such calendar."))
    now = utcnow()
    mandates = read(
        db,
        select(
            Mandate.organisation_id,
            Organisation.group_name,
            Mandate.starts_at,
            Mandate.expires_at,
            Mandate.revoked_at,
        )
        .join(Organisation, Organisation.id == Mandate.organisation_id)
        .where(Mandate.user_id == person.id, Mandate.revoked_at.is_(None)),
    ).all()
    orgs: dict[int, Group] = {
        m.organisation_id: m.group_name
        for m in mandates
        if mandate_is_active(m.starts_at, m.expires_at, m.revoked_at, now)
    }
    entries: list[Entry] = []
    if orgs:
        seats = read(
            db,
            select(Seat.body_id, Seat.organisation_id).where(Seat.organisation_id.in_(orgs)),
        ).all()
        groups: dict[int, set[Group]] = defaultdict(set)
        for seat in seats:
            groups[seat.body_id].add(orgs[seat.organisation_id])
        viewers = {
            body_id: BodyViewer(member_groups=frozenset(found)) for body_id, found in groups.items()
        }
        bodies = (
            {b.id: b for b in db.scalars(select(Body).where(Body.id.in_(list(viewers))))}
            if viewers
            else {}
        )
        meetings = (
            list(
                db.scalars(
                    select(Meeting)
                    .where(Meeting.body_id.in_(list(viewers)), Meeting.cancelled_at.is_(None))
                    .order_by(Meeting.starts_at)
                )
            )
            if viewers
            else []
        )
        entries += _meeting_entries(db, meetings, bodies, viewers, site)
        rounds = read(
            db,
            select(Round.id, Round.title, Round.number, Round.closes_at, Consultation.title)
            .join(Consultation, Consultation.id == Round.consultation_id)
            .where(
                Round.id.in_(
                    select(RoundInvitation.round_id).where(
                        RoundInvitation.organisation_id.in_(orgs)
                    )
                ),
                Round.status != RoundStatus.DRAFT,
                Round.closes_at.is_not(None),
            )
            .order_by(Round.closes_at),
        ).all()
        for r in rounds:
            entries.append(
                Entry(
                    uid=f"round-{r.id}-closes@tripartite",
                    starts_at=r.closes_at,
                    ends_at=r.closes_at,
                    summary=_("Round closes: %(title)s") % {"title": r[1]},
                    location="",
                    url=f"{site}/rounds/{r.id}",
                    description=r[4],
                )
            )
    return _ical(entries, _("Tripartite: my meetings and deadlines"))
