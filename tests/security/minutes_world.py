"""The security world's minutes and release register (tests/security/world.py): a body on
which the world's three organisations sit (the workers' rep holds its seat, its focal point is
the alternate), a meeting whose minutes are in each state, and a row whose release event the
secretariat may mark."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.meetings.models import AgendaItem, Minutes
from app.vocabulary import Confidentiality, Group, MinutesStatus
from tests import factories


def build(db: Session, people: dict[str, Any], orgs: dict[Group, Any]) -> dict[str, Any]:
    now = utcnow()
    body = factories.body(db, name="Matrix council")
    factories.seat(db, body, orgs[Group.WORKERS], people["rep"], people["focal"])
    factories.seat(db, body, orgs[Group.GOVERNMENT], people["government_rep"])
    factories.seat(db, body, orgs[Group.EMPLOYERS], people["employers_rep"])
    meetings = {}
    for status in MinutesStatus:
        meeting = factories.meeting(db, body, title=f"Meeting with {status.value} minutes")
        meeting.starts_at = now - timedelta(days=20)
        db.add(AgendaItem(meeting_id=meeting.id, number=1, title="Wages"))
        meetings[status] = meeting
    later = factories.meeting(db, body, title="Later meeting")
    db.flush()
    minutes = {}
    for status, meeting in meetings.items():
        row = Minutes(
            meeting_id=meeting.id,
            status=status,
            preamble="Opened.",
            drafted_by_id=people["moderator"].id,
            comments_until=now + timedelta(days=5),
            approved_at=now
            if status in (MinutesStatus.APPROVED, MinutesStatus.PUBLISHED)
            else None,
            published_at=now if status is MinutesStatus.PUBLISHED else None,
            # members only, released once "the report is tabled"
            confidentiality=Confidentiality.MEMBERS,
            release_event="the report is tabled",
        )
        db.add(row)
        minutes[status] = row
    db.flush()
    return {
        "minutes_body": body.id,
        "minutes_meeting": meetings[MinutesStatus.DRAFT].id,
        "minutes_later_meeting": later.id,
        "minutes_draft": minutes[MinutesStatus.DRAFT].id,
        "minutes_comments": minutes[MinutesStatus.COMMENTS].id,
        "minutes_approved": minutes[MinutesStatus.APPROVED].id,
        "minutes_published": minutes[MinutesStatus.PUBLISHED].id,
        "minutes_until": (now + timedelta(days=7)).date().isoformat(),  # a form's date
        "release_kind": "minutes",  # a path segment (a kind of row), not an id
    }
