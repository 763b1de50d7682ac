"""Calendar feeds over HTTP, on both databases: a person's private feed (created, shown once,
stored as a SHA-256, revoked), its meetings and round deadlines, and a body's public feed of
its public meetings with their public agenda items only."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from app.bodies.models import CalendarFeed
from app.db import utcnow
from app.meetings.models import AgendaItem
from app.vocabulary import AgendaItemStatus, Confidentiality, Group, RoundStatus
from tests import factories
from tests.factories import signed_in
from tests.helpers import soup


def events(content: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(content)
    return {
        str(e["UID"]): {
            "summary": str(e["SUMMARY"]),
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "location": str(e.get("LOCATION", "")),
            "url": str(e.get("URL", "")),
            "description": str(e.get("DESCRIPTION", "")),
        }
        for e in calendar.walk("VEVENT")
    }


def agenda_item(db, meeting, title, confidentiality, group=None, number=1):
    row = AgendaItem(
        meeting_id=meeting.id,
        title=title,
        number=number,
        status=AgendaItemStatus.ACCEPTED,
        confidentiality=confidentiality,
        restricted_group=group,
    )
    db.add(row)
    return row


def world(db):
    body, orgs, holders, alternates, seats = factories.seated_body(db, name="Labour Council")
    open_meeting = factories.meeting(db, body, title="Plenary")
    closed_meeting = factories.meeting(db, body, title="Closed session")
    closed_meeting.public = False
    cancelled = factories.meeting(db, body, title="Cancelled one")
    cancelled.cancelled_at = utcnow()
    agenda_item(db, open_meeting, "Public point", Confidentiality.PUBLIC, number=1)
    agenda_item(db, open_meeting, "Members point", Confidentiality.MEMBERS, number=2)
    agenda_item(db, open_meeting, "Workers point", Confidentiality.GROUP, Group.WORKERS, number=3)
    round_ = factories.consultation_round(
        db, [orgs[Group.WORKERS]], title="Fees round", status=RoundStatus.OPEN
    )
    round_.closes_at = utcnow() + timedelta(days=7)
    db.commit()
    return body, holders, open_meeting, closed_meeting, round_


def test_a_person_creates_reads_and_revokes_a_private_feed(make_client, db):
    body, holders, open_meeting, closed_meeting, round_ = world(db)
    browser = signed_in(make_client, db, holders[Group.WORKERS])
    page = soup(browser.get("/calendar").text)
    assert "no private calendar feed" in page.select_one("#feed-state").get_text()
    created = browser.submit("/calendar/feed")
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    shown = soup(created.text).select_one("#feed-url").get_text(strip=True)
    token = shown.rsplit("/", 1)[1].removesuffix(".ics")
    feed = db.scalar(select(CalendarFeed))
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in browser.get("/calendar").text  # shown once

    anonymous = make_client()
    response = anonymous.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    found = events(response.content)
    assert f"meeting-{open_meeting.id}@tripartite" in found
    assert f"meeting-{closed_meeting.id}@tripartite" in found  # a member's own body
    assert not any("Cancelled" in e["summary"] for e in found.values())
    plenary = found[f"meeting-{open_meeting.id}@tripartite"]
    assert plenary["summary"] == "Labour Council: Plenary"
    assert plenary["start"].utcoffset() == timedelta(0)
    assert plenary["url"].endswith(f"/meetings/{open_meeting.id}")
    assert "Geneva" in plenary["location"]
    assert "Workers point" in plenary["description"] and "Members point" in plenary["description"]
    deadline = found[f"round-{round_.id}-closes@tripartite"]
    assert "Fees round" in deadline["summary"]

    # an employer's feed: no workers' point
    employer = signed_in(make_client, db, holders[Group.EMPLOYERS])
    employer.submit("/calendar/feed")
    other = soup(employer.get("/calendar").text)
    assert other.select_one("#feed-state") is not None
    revoked = browser.submit("/calendar/feed/revoke")
    assert revoked.status_code == 303
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404
    assert anonymous.get("/calendar/cal_unknown.ics").status_code == 404
    assert browser.submit("/calendar/feed/revoke").status_code == 303  # nothing left to revoke


def test_a_new_address_replaces_the_old_one(make_client, db):
    _body, holders, *_ = world(db)
    browser = signed_in(make_client, db, holders[Group.GOVERNMENT])
    first = soup(browser.submit("/calendar/feed").text).select_one("#feed-url").get_text(strip=True)
    second = (
        soup(browser.submit("/calendar/feed").text).select_one("#feed-url").get_text(strip=True)
    )
    assert first != second
    client = make_client()
    assert client.get("/calendar/" + first.rsplit("/", 1)[1]).status_code == 404
    assert client.get("/calendar/" + second.rsplit("/", 1)[1]).status_code == 200


def test_an_employers_feed_leaves_out_the_workers_item(make_client, db):
    _body, holders, open_meeting, *_ = world(db)
    browser = signed_in(make_client, db, holders[Group.EMPLOYERS])
    shown = soup(browser.submit("/calendar/feed").text).select_one("#feed-url").get_text(strip=True)
    found = events(make_client().get("/calendar/" + shown.rsplit("/", 1)[1]).content)
    description = found[f"meeting-{open_meeting.id}@tripartite"]["description"]
    assert "Members point" in description and "Workers point" not in description


def test_the_public_feed_has_public_meetings_and_public_items_only(make_client, db):
    body, _holders, open_meeting, closed_meeting, _round = world(db)
    response = make_client().get(f"/bodies/{body.id}/calendar.ics")
    assert response.status_code == 200
    found = events(response.content)
    assert list(found) == [f"meeting-{open_meeting.id}@tripartite"]
    description = found[f"meeting-{open_meeting.id}@tripartite"]["description"]
    assert "Public point" in description
    assert "Members point" not in description and "Workers point" not in description
    assert b"Closed session" not in response.content
    assert make_client().get("/bodies/999999/calendar.ics").status_code == 404


def test_the_calendar_page_needs_a_session(make_client, db):
    response = make_client().get("/calendar")
    assert response.status_code == 303 and "/login" in response.headers["location"]
