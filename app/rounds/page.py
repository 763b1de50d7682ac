"""The round page's read model: a fixed number of column-selecting queries, whatever the size
of the round (no N+1), turned into plain values for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app import markdown
from app.accounts.models import User
from app.accounts.rules import Speaking, Viewer
from app.comments.models import Comment
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds import rules
from app.rounds.models import Consultation, Round, RoundInvitation
from app.summaries.tally import PositionFact, Tally, tally
from app.vocabulary import Group, RoundStatus, Stance, Visibility, Weighting

THREADS_PER_PAGE = 30


@dataclass
class RoundInfo:
    id: int
    number: int
    title: str
    brief_html: Markup
    status: RoundStatus
    weighting: Weighting
    sealed: bool
    opens_at: datetime | None
    closes_at: datetime | None
    outcome: str | None
    version: int
    consultation_id: int
    consultation_title: str

    @property
    def is_open(self) -> bool:
        return self.status is RoundStatus.OPEN


@dataclass
class PositionView:
    id: int
    organisation_id: int
    organisation: str
    group: Group
    stance: Stance
    statement_html: Markup
    version: int
    last_edited_by: str
    updated_at: datetime
    sealed: bool = False


@dataclass
class OrganisationSlot:
    """One invited organisation in its group's column: its position, or none yet."""

    id: int
    name: str
    group: Group
    position: PositionView | None
    sealed: bool


@dataclass
class GroupColumn:
    group: Group
    slots: list[OrganisationSlot]

    @property
    def invited(self) -> int:
        return len(self.slots)

    @property
    def posted(self) -> int:
        return sum(1 for slot in self.slots if slot.position is not None)


@dataclass
class CommentView:
    id: int
    parent_id: int | None
    position_id: int | None
    author_id: int
    author: str
    organisation: str
    group: Group
    body_html: Markup
    visibility: Visibility
    created_at: datetime
    edited_at: datetime | None
    locked: bool
    editable: bool
    on_position_of: str | None = None
    replies: list[CommentView] = field(default_factory=list)


@dataclass
class Discussion:
    order: str
    group: Group | None
    organisation_id: int | None
    page: int
    threads: list[CommentView]
    thread_count: int
    last_comment_id: int

    @property
    def has_more(self) -> bool:
        return self.page * THREADS_PER_PAGE < self.thread_count


@dataclass
class RoundPage:
    round: RoundInfo
    columns: list[GroupColumn]
    tally: Tally | None
    speaking: Speaking | None
    own_position: PositionView | None
    discussion: Discussion
    organisations: list[tuple[int, str, Group]]

    @property
    def order(self) -> tuple[Group, ...]:
        return tuple(column.group for column in self.columns)


def load_round(db: Session, round_id: int, viewer: Viewer) -> RoundInfo:
    row = db.execute(
        select(
            Round.id,
            Round.number,
            Round.title,
            Round.brief,
            Round.status,
            Round.weighting,
            Round.sealed,
            Round.opens_at,
            Round.closes_at,
            Round.outcome,
            Round.version,
            Round.consultation_id,
            Consultation.title.label("consultation_title"),
        )
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(Round.id == round_id)
    ).one_or_none()
    if row is None:
        raise NotFound("There is no such round.")
    status = rules.effective_status(RoundStatus(row.status), row.opens_at, row.closes_at, utcnow())
    if not rules.may_read(viewer, status):
        raise NotFound("There is no such round.")
    return RoundInfo(
        row.id,
        row.number,
        row.title,
        Markup(markdown.render(row.brief)),
        status,
        Weighting(row.weighting),
        row.sealed,
        row.opens_at,
        row.closes_at,
        row.outcome,
        row.version,
        row.consultation_id,
        row.consultation_title,
    )


def _columns(
    db: Session, info: RoundInfo, viewer: Viewer
) -> tuple[list[GroupColumn], list[PositionFact], PositionView | None]:
    invited = db.execute(
        select(Organisation.id, Organisation.name, Organisation.group_name)
        .join(RoundInvitation, RoundInvitation.organisation_id == Organisation.id)
        .where(RoundInvitation.round_id == info.id)
        .order_by(Organisation.name)
    ).all()
    editor = aliased(User)
    positions = {
        p.organisation_id: p
        for p in db.execute(
            select(
                Position.id,
                Position.organisation_id,
                Position.stance,
                Position.statement_html,
                Position.version,
                Position.updated_at,
                editor.name.label("editor"),
            )
            .join(editor, editor.id == Position.last_edited_by_id)
            .where(Position.round_id == info.id)
        )
    }
    visible = rules.positions_visible(info.sealed, info.status)
    by_group: dict[Group, list[OrganisationSlot]] = {group: [] for group in Group}
    facts: list[PositionFact] = []
    own: PositionView | None = None
    for org in invited:
        group = Group(org.group_name)
        row = positions.get(org.id)
        view = None
        if row is not None:
            view = PositionView(
                row.id,
                org.id,
                org.name,
                group,
                Stance(row.stance),
                Markup(row.statement_html),
                row.version,
                row.editor,
                row.updated_at,
            )
            facts.append(PositionFact(group, org.name, view.stance))
            if viewer.speaks_for(org.id):
                own = view
        sealed = view is not None and not visible and not viewer.speaks_for(org.id)
        by_group[group].append(OrganisationSlot(org.id, org.name, group, view, sealed))
    columns = [GroupColumn(group, by_group[group]) for group in rules.column_order(info.id)]
    return columns, facts, own


def _discussion(
    db: Session,
    info: RoundInfo,
    viewer: Viewer,
    order: Sequence_Group,
    *,
    mode: str,
    group: Group | None,
    organisation_id: int | None,
    page: int,
) -> Discussion:
    own_or_visible = (Comment.visibility == Visibility.VISIBLE.value) | (
        Comment.author_id == viewer.user_id
    )
    roots = (
        select(Comment.id, Organisation.group_name)
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .where(Comment.round_id == info.id, Comment.parent_id.is_(None), own_or_visible)
        .order_by(Comment.id)
    )
    if group is not None:
        roots = roots.where(Organisation.group_name == group.value)
    if organisation_id is not None:
        roots = roots.where(Comment.organisation_id == organisation_id)
    root_rows = [(r.id, Group(r.group_name)) for r in db.execute(roots)]
    ids = [r[0] for r in root_rows] if mode != "balanced" else rules.balanced_ids(root_rows, order)
    start = (page - 1) * THREADS_PER_PAGE
    page_ids = ids[start : start + THREADS_PER_PAGE]
    threads = load_threads(db, info, viewer, page_ids, own_or_visible)
    last_id = (
        db.scalar(
            select(Comment.id)
            .where(Comment.round_id == info.id)
            .order_by(Comment.id.desc())
            .limit(1)
        )
        or 0
    )
    return Discussion(mode, group, organisation_id, page, threads, len(ids), last_id)


Sequence_Group = tuple[Group, ...]


def load_threads(
    db: Session, info: RoundInfo, viewer: Viewer, root_ids: list[int], condition: object = None
) -> list[CommentView]:
    """Whole threads for these top-level comments, in the given order (one query)."""
    if not root_ids:
        return []
    flat = load_comments(db, info, viewer, Comment.thread_id.in_(root_ids), condition)
    by_id = {c.id: c for c in flat}
    for comment in flat:
        if comment.parent_id is not None and comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append(comment)
    return [by_id[i] for i in root_ids if i in by_id]


def load_comments(
    db: Session, info: RoundInfo, viewer: Viewer, where: object, condition: object = None
) -> list[CommentView]:
    if condition is None:
        condition = (Comment.visibility == Visibility.VISIBLE.value) | (
            Comment.author_id == viewer.user_id
        )
    position_org = aliased(Organisation)
    rows = db.execute(
        select(
            Comment.id,
            Comment.parent_id,
            Comment.position_id,
            Comment.author_id,
            Comment.body_html,
            Comment.visibility,
            Comment.created_at,
            Comment.edited_at,
            Comment.locked,
            User.name.label("author"),
            Organisation.name.label("organisation"),
            Organisation.group_name,
            position_org.name.label("position_org"),
        )
        .join(User, User.id == Comment.author_id)
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .outerjoin(Position, Position.id == Comment.position_id)
        .outerjoin(position_org, position_org.id == Position.organisation_id)
        .where(Comment.round_id == info.id, where, condition)  # type: ignore[arg-type]
        .order_by(Comment.id)
    ).all()
    now = utcnow()
    return [
        CommentView(
            r.id,
            r.parent_id,
            r.position_id,
            r.author_id,
            r.author,
            r.organisation,
            Group(r.group_name),
            Markup(r.body_html),
            Visibility(r.visibility),
            r.created_at,
            r.edited_at,
            r.locked,
            info.is_open and rules.may_edit_comment(viewer, r.author_id, r.created_at, now),
            r.position_org if r.parent_id is None else None,
        )
        for r in rows
    ]


def load_round_page(
    db: Session,
    round_id: int,
    viewer: Viewer,
    *,
    mode: str = "chronological",
    group: Group | None = None,
    organisation_id: int | None = None,
    page: int = 1,
) -> RoundPage:
    info = load_round(db, round_id, viewer)
    columns, facts, own = _columns(db, info, viewer)
    order = tuple(column.group for column in columns)
    discussion = _discussion(
        db,
        info,
        viewer,
        order,
        mode=mode,
        group=group,
        organisation_id=organisation_id,
        page=max(page, 1),
    )
    speaking = None
    if info.is_open:
        invited_ids = {slot.id for column in columns for slot in column.slots}
        speaking = next((m for m in viewer.mandates if m.organisation_id in invited_ids), None)
    shown_tally = (
        tally(facts, info.weighting) if rules.positions_visible(info.sealed, info.status) else None
    )
    organisations = [
        (slot.id, slot.name, slot.group) for column in columns for slot in column.slots
    ]
    return RoundPage(info, columns, shown_tally, speaking, own, discussion, organisations)


def require_reader(viewer: Viewer, info: RoundInfo) -> None:
    if not rules.may_read(viewer, info.status):
        raise Forbidden("You cannot see this round.")


def user_names(db: Session, ids: set[int]) -> dict[int, str]:
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all())


def organisation_name(db: Session, organisation_id: int) -> str:
    return db.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""
