"""What the meeting page shows of its minutes (assembled in app.meetings.page).

PLACEHOLDER until the minutes work lands: the minutes helper replaces this module."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.meetings.confidentiality import BodyViewer
from app.meetings.models import Meeting


def for_meeting(
    db: Session, meeting: Meeting, body_viewer: BodyViewer, viewer: Viewer | None
) -> Any:
    """The meeting's minutes as its page shows them to this viewer (None: none they may
    see), in a constant number of queries."""
    return None
