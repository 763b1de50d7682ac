"""The moderator's dashboard: rounds by status with participation per group, parity warnings,
and the moderation queue (flagged comments, comments awaiting approval). Five queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.comments.models import Comment, Flag
from app.db import read, utcnow
from app.i18n import N_, Labels
from app.moderation import rules
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds.models import Round, RoundInvitation
from app.rounds.queries import header_of, round_headers
from app.vocabulary import Group, RoundStatus, Visibility

BUCKETS = ["open", "closing_soon", "scheduled", "draft", "closed", "published"]
BUCKET_LABELS = Labels(
    {
        "open": N_("Open"),
        "closing_soon": N_("Closing soon (within 48 hours)"),
        "scheduled": N_("Scheduled"),
        "draft": N_("Drafts"),
        "closed": N_("Closed"),
        "published": N_("Published"),
    }
)


@dataclass
class DashboardRound:
    id: int
    title: str
    consultation: str
    status: RoundStatus
    closes_at: datetime | None
    invited: dict[Group, int] = field(default_factory=dict)
    posted: dict[Group, int] = field(default_factory=dict)
    open_flags: int = 0
    pending: int = 0
    warning: tuple[int, list[Group]] | None = None


@dataclass
class QueueItem:
    comment_id: int
    round_id: int
    round_title: str
    author: str
    organisation: str
    group: Group
    body: str
    visibility: Visibility
    moderation_reason: str | None
    #: When its author last edited it (in a pre-moderated round, an edit awaits approval).
    edited_at: datetime | None = None
    #: The fingerprint of its text as shown: approving it approves this text.
    seen: str = ""
    #: (the flagging organisation's name, or None; the reason)
    flags: list[tuple[str | None, str]] = field(default_factory=list)


def dashboard(db: Session) -> tuple[dict[str, list[DashboardRound]], list[QueueItem]]:
    now = utcnow()
    rounds: dict[int, DashboardRound] = {}
    for r in read(db, round_headers().order_by(Round.closes_at)):
        h = header_of(r, now)
        rounds[h.id] = DashboardRound(h.id, h.title, h.consultation_title, h.status, h.closes_at)
    participation = read(
        db,
        (
            select(
                RoundInvitation.round_id,
                Organisation.group_name,
                func.count(RoundInvitation.id).label("invited"),
                func.count(Position.id).label("posted"),
            )
            .join(Organisation, Organisation.id == RoundInvitation.organisation_id)
            .outerjoin(
                Position,
                and_(
                    Position.round_id == RoundInvitation.round_id,
                    Position.organisation_id == RoundInvitation.organisation_id,
                ),
            )
            .group_by(RoundInvitation.round_id, Organisation.group_name)
        ),
    )
    for p in participation:
        if p.round_id in rounds:
            rounds[p.round_id].invited[p.group_name] = int(p.invited)
            rounds[p.round_id].posted[p.group_name] = int(p.posted)
    for f in read(
        db,
        select(Comment.round_id, func.count(func.distinct(Flag.comment_id)).label("n"))
        .join(Comment, Comment.id == Flag.comment_id)
        .where(Flag.resolved_at.is_(None))
        .group_by(Comment.round_id),
    ):
        if f.round_id in rounds:
            rounds[f.round_id].open_flags = int(f.n)
    for c in read(
        db,
        select(Comment.round_id, func.count(Comment.id).label("n"))
        .where(Comment.visibility == Visibility.PENDING)
        .group_by(Comment.round_id),
    ):
        if c.round_id in rounds:
            rounds[c.round_id].pending = int(c.n)
    buckets: dict[str, list[DashboardRound]] = {bucket: [] for bucket in BUCKETS}
    for item in rounds.values():
        item.warning = rules.parity_warning(item.status, item.closes_at, item.posted, now)
        buckets[rules.dashboard_bucket(item.status, item.closes_at, now)].append(item)
    return buckets, _queue(db)


def _queue(db: Session) -> list[QueueItem]:
    flagged = select(Flag.comment_id).where(Flag.resolved_at.is_(None))
    rows = read(
        db,
        select(
            Comment.id,
            Comment.round_id,
            Round.title,
            User.name,
            Organisation.name.label("organisation"),
            Organisation.group_name,
            Comment.body,
            Comment.body_html,
            Comment.visibility,
            Comment.moderation_reason,
            Comment.edited_at,
        )
        .join(Round, Round.id == Comment.round_id)
        .join(User, User.id == Comment.author_id)
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .where((Comment.id.in_(flagged)) | (Comment.visibility == Visibility.PENDING))
        .order_by(Comment.id)
        .limit(200),
    ).all()
    items = {
        r.id: QueueItem(
            r.id,
            r.round_id,
            r.title,
            r.name,
            r.organisation,
            r.group_name,
            r.body[:400],
            r.visibility,
            r.moderation_reason,
            r.edited_at,
            rules.seen_fingerprint(r.body_html),
        )
        for r in rows
    }
    reasons: dict[int, list[tuple[str | None, str]]] = defaultdict(list)
    if items:
        for f in read(
            db,
            select(Flag.comment_id, Flag.reason, Organisation.name)
            .outerjoin(Organisation, Organisation.id == Flag.organisation_id)
            .where(Flag.resolved_at.is_(None), Flag.comment_id.in_(list(items))),
        ):
            # written in the template, the organisation's name isolated (templates/moderation)
            reasons[f.comment_id].append((f.name, f.reason))
    for comment_id, item in items.items():
        item.flags = reasons.get(comment_id, [])
    return list(items.values())
