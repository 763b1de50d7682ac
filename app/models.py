"""Every model, imported once so the metadata (and Alembic) sees the whole schema."""

from app.accounts.models import ApiToken, LoginAttempt, RecoveryCode, User, UserSession
from app.audit.models import AuditEvent
from app.bodies.models import Body, CalendarFeed, Seat
from app.caucus.models import (
    CaucusInvitation,
    CaucusPost,
    GroupStatement,
    GroupStatementEndorsement,
)
from app.comments.models import Comment, Flag
from app.db import Base
from app.decisions.models import (
    Action,
    ActionConfirmation,
    ActionNote,
    ActionNoteFile,
    Decision,
    DecisionVote,
    DivergentPosition,
)
from app.documents.models import Attachment, AttachmentVersion
from app.drafts.models import Amendment, AmendmentSupport, DraftParagraph
from app.meetings.models import (
    AgendaChange,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingDocument,
    Minutes,
    MinutesComment,
    MinutesItem,
)
from app.notifications.models import Notification, OutboxEmail
from app.organisations.models import Invitation, Mandate, Organisation
from app.positions.models import Position, PositionVersion
from app.rounds.models import (
    Consultation,
    GroupSignoff,
    Round,
    RoundBrief,
    RoundInvitation,
    RoundOfficer,
)
from app.search.models import SavedSearch, SearchEntry

__all__ = [
    "Body",
    "CalendarFeed",
    "Seat",
    "Action",
    "ActionConfirmation",
    "ActionNote",
    "ActionNoteFile",
    "Decision",
    "DecisionVote",
    "DivergentPosition",
    "AgendaChange",
    "AgendaItem",
    "Attendance",
    "Meeting",
    "MeetingDocument",
    "Minutes",
    "MinutesComment",
    "MinutesItem",
    "Amendment",
    "Attachment",
    "AttachmentVersion",
    "AmendmentSupport",
    "CaucusInvitation",
    "CaucusPost",
    "DraftParagraph",
    "GroupStatement",
    "GroupStatementEndorsement",
    "RoundBrief",
    "RoundOfficer",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Comment",
    "Consultation",
    "Flag",
    "GroupSignoff",
    "Invitation",
    "LoginAttempt",
    "Mandate",
    "Notification",
    "Organisation",
    "OutboxEmail",
    "Position",
    "RecoveryCode",
    "PositionVersion",
    "Round",
    "RoundInvitation",
    "SavedSearch",
    "SearchEntry",
    "User",
    "UserSession",
]

# the search index follows every flush of an indexed row (app/search/index.py)
import app.search.index  # noqa: E402, F401, I001
