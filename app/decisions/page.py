"""What the meeting page shows of its decisions (assembled in app.meetings.page).

PLACEHOLDER until the decisions work lands: the decisions helper replaces this module."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.meetings.confidentiality import BodyViewer
from app.meetings.models import Meeting


def for_meeting(
    db: Session, meeting: Meeting, body_viewer: BodyViewer, viewer: Viewer | None
) -> dict[int, Any]:
    """Each agenda item's decision (by agenda item id), as the meeting page shows it, in a
    constant number of queries."""
    return {}
