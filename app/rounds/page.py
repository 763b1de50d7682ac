"""The round page's read model: a fixed number of column-selecting queries, whatever the size
of the round (no N+1), turned into plain values for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from app import i18n, markdown
from app.accounts.models import User
from app.accounts.rules import Speaking, Viewer
from app.caucus import statements as caucus_statements
from app.comments.models import Comment, Flag
from app.db import read, utcnow
from app.drafts import page as drafts_page
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.moderation import decision, signoff
from app.moderation import rules as moderation_rules
from app.officers import rules as officer_rules
from app.officers import service as officers_service
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds import briefs, fragments, rules
from app.rounds.models import Consultation, Round, RoundBrief, RoundInvitation
from app.summaries.tally import PositionFact, Tally, tally
from app.vocabulary import Group, RoundStatus, Stance, Visibility, Weighting
from app.web import base_context, new_key, refusal, render, url_path

THREADS_PER_PAGE = 30
#: A page of threads holding more comments than this shows each thread's opening comment, its
#: replies folded behind a link (the first screen carries the threads, not every reply).
COMMENTS_UNFOLDED = 30
#: Columns holding more positions than this show each organisation's stance, the statements
#: in full on demand (one link).
STATEMENTS_SHOWN = 12


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
    created_at: datetime
    premoderated: bool = False
    signoff_deadline: datetime | None = None
    #: The language the brief shown is written in, and whether it is the reader's own.
    brief_language: str = "en"
    brief_in_reader_language: bool = True
    #: "general" or a subject of C144 art. 5(1) (app.cycle.subjects)
    kind: str = "general"
    #: In the balanced discussion, the social partners' opening statements come first.
    social_partners_first: bool = True
    #: When it closed, and the deadline it had if it closed early (shown beside each other).
    closed_at: datetime | None = None
    deadline_before_close: datetime | None = None
    #: The status as stored (``status`` is the one that holds now: a passed deadline closes
    #: the round before a moderator records its close with the outcome).
    recorded_status: RoundStatus | None = None

    @property
    def closed_early(self) -> bool:
        return self.deadline_before_close is not None

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
    #: The markdown source (loaded for the organisation's own position form only).
    statement: str = ""
    #: The language the statement is written in (None: not recorded).
    language: str | None = None


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

    @property
    def responded_percent(self) -> str:
        """The share of invited organisations that responded, as the length of the group's
        participation bar (0–100, the bar's own units)."""
        return f"{100 * self.posted / self.invited:.4g}" if self.invited else "0"


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
    moderation_reason: str | None = None
    #: False for a hidden or pending comment shown to someone other than its author or a
    #: moderator: the thread keeps its place, not its text.
    show_body: bool = True
    replies: list[CommentView] = field(default_factory=list)
    #: The language the comment is written in (None: not recorded).
    language: str | None = None
    #: The draft paragraph it comments on (app.drafts shows those under their paragraph).
    paragraph_id: int | None = None
    #: Flags no moderator has resolved yet (a moderator dismisses them only when there are).
    open_flags: int = 0

    def descendants(self) -> list[CommentView]:
        """Every reply under this comment, at any depth, in the order they are shown."""
        found: list[CommentView] = []
        for reply in self.replies:
            found.append(reply)
            found.extend(reply.descendants())
        return found


@dataclass
class Discussion:
    order: str
    group: Group | None
    organisation_id: int | None
    page: int
    threads: list[CommentView]
    thread_count: int
    #: the threads' replies are folded (too many comments for one screen; COMMENTS_UNFOLDED)
    folded: bool = False

    @property
    def has_more(self) -> bool:
        return self.page * THREADS_PER_PAGE < self.thread_count


_ROUND = (
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
        Round.created_at,
        Round.premoderated,
        Round.signoff_deadline,
        Round.brief_language,
        Round.kind,
        Round.social_partners_first,
        Round.closed_at,
        Round.deadline_before_close,
        select(RoundBrief.brief)
        .where(RoundBrief.round_id == Round.id, RoundBrief.language == bindparam("language"))
        .scalar_subquery()
        .label("brief_translated"),
    )
    .join(Consultation, Consultation.id == Round.consultation_id)
    .where(Round.id == bindparam("round_id"))
)


def load_round(db: Session, round_id: int, viewer: Viewer) -> RoundInfo:
    params = {"round_id": round_id, "language": i18n.current_language()}
    return _round_info(read(db, _ROUND, params).one_or_none(), viewer)


def _round_info(row: Any, viewer: Viewer) -> RoundInfo:
    if row is None:
        raise NotFound(_("There is no such round."))
    status = rules.effective_status(RoundStatus(row.status), row.opens_at, row.closes_at, utcnow())
    if not rules.may_read(viewer, status):
        raise NotFound(_("There is no such round."))
    brief = briefs.choose(
        i18n.current_language(),
        row.brief_language,
        row.brief,
        {i18n.current_language(): row.brief_translated} if row.brief_translated else {},
    )
    return RoundInfo(
        row.id,
        row.number,
        row.title,
        Markup(markdown.render_cached(brief.text)),
        status,
        Weighting(row.weighting),
        row.sealed,
        row.opens_at,
        row.closes_at,
        row.outcome,
        row.version,
        row.consultation_id,
        row.consultation_title,
        row.created_at,
        premoderated=row.premoderated,
        signoff_deadline=row.signoff_deadline,
        brief_language=brief.language,
        brief_in_reader_language=brief.in_reader_language,
        kind=row.kind,
        social_partners_first=row.social_partners_first,
        closed_at=row.closed_at,
        deadline_before_close=row.deadline_before_close,
        recorded_status=RoundStatus(row.status),
    )


def _columns(
    db: Session, info: RoundInfo, viewer: Viewer
) -> tuple[list[GroupColumn], list[PositionFact], PositionView | None]:
    invited = read(
        db,
        select(Organisation.id, Organisation.name, Organisation.group_name)
        .join(RoundInvitation, RoundInvitation.organisation_id == Organisation.id)
        .where(RoundInvitation.round_id == info.id)
        .order_by(Organisation.name),
    ).all()
    editor = aliased(User)
    positions = {
        p.organisation_id: p
        for p in read(
            db,
            select(
                Position.id,
                Position.organisation_id,
                Position.stance,
                Position.statement_html,
                Position.version,
                Position.updated_at,
                Position.language,
                editor.name.label("editor"),
            )
            .join(editor, editor.id == Position.last_edited_by_id)
            .where(Position.round_id == info.id),
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
                language=row.language,
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
    order: tuple[Group, ...],
    *,
    mode: str,
    group: Group | None,
    organisation_id: int | None,
    page: int,
    whole_threads: bool = False,
) -> Discussion:
    own_or_visible = shown_to(viewer)
    roots = _roots(info, own_or_visible, group, organisation_id)
    root_rows = [(r.id, Group(r.group_name)) for r in read(db, roots)]
    openings_first = info.social_partners_first  # the social partners open: app.officers.rules
    ids = (
        officer_rules.balanced_ids(root_rows, order, social_partners_first=openings_first)
        if mode == "balanced"
        else [r[0] for r in root_rows]
    )
    start = (page - 1) * THREADS_PER_PAGE
    page_ids = ids[start : start + THREADS_PER_PAGE]
    threads = load_threads(db, info, viewer, page_ids, own_or_visible)
    shown = len(threads) + sum(len(t.descendants()) for t in threads)
    folded = not whole_threads and shown > COMMENTS_UNFOLDED
    return Discussion(mode, group, organisation_id, page, threads, len(ids), folded)


def _roots(
    info: RoundInfo, condition: Any, group: Group | None, organisation_id: int | None
) -> Any:
    """The discussion's threads (their top-level comments) the viewer sees, filtered."""
    roots = (
        select(Comment.id, Organisation.group_name)
        .join(Organisation, Organisation.id == Comment.organisation_id)
        # "+ 0": SQLite's statistics cannot tell parent_id IS NULL (a third of all comments)
        # from one parent's replies, and took the parent_id index through every round's
        # threads (0.3–1.8 s at 1,000,000 comments); the round's own are read instead
        .where(Comment.round_id == info.id, (Comment.parent_id + 0).is_(None), condition)
        .where(Comment.paragraph_id.is_(None))  # paragraph comments sit under their paragraph
        .order_by(Comment.id)
    )
    if group is not None:
        roots = roots.where(Organisation.group_name == group.value)
    if organisation_id is not None:
        roots = roots.where(Comment.organisation_id == organisation_id)
    return roots


def thread_count(db: Session, info: RoundInfo, viewer: Viewer, params: DiscussionParams) -> int:
    """How many threads the discussion shows the viewer, as filtered: the count a new comment
    changes (swapped with it)."""
    roots = _roots(info, shown_to(viewer), params.group, params.organisation_id).subquery()
    return int(db.scalar(select(func.count()).select_from(roots)) or 0)


def load_threads(
    db: Session, info: RoundInfo, viewer: Viewer, root_ids: list[int], condition: object = None
) -> list[CommentView]:
    """Whole threads for these top-level comments, in the given order (one query)."""
    if not root_ids:
        return []
    threads = Comment.id.in_(root_ids) | Comment.thread_id.in_(root_ids)
    flat = load_comments(db, info, viewer, threads, condition)
    by_id = {c.id: c for c in flat}
    for comment in flat:
        if comment.parent_id is not None and comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append(comment)
    return [by_id[i] for i in root_ids if i in by_id]


def load_comments(
    db: Session, info: RoundInfo, viewer: Viewer, where: object, condition: object = None
) -> list[CommentView]:
    if condition is None:
        condition = shown_to(viewer)
    position_org = aliased(Organisation)
    rows = read(
        db,
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
            Comment.moderation_reason,
            Comment.language,
            Comment.paragraph_id,
            User.name.label("author"),
            Organisation.name.label("organisation"),
            Organisation.group_name,
            position_org.name.label("position_org"),
            _OPEN_FLAGS,
        )
        .join(User, User.id == Comment.author_id)
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .outerjoin(Position, Position.id == Comment.position_id)
        .outerjoin(position_org, position_org.id == Position.organisation_id)
        .where(Comment.round_id == info.id, where, condition)  # type: ignore[arg-type]
        .order_by(Comment.id),
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
            # the text only to those who may read it: no template can show what it never gets
            Markup(r.body_html) if _may_read_text(viewer, r) else Markup(""),
            Visibility(r.visibility),
            r.created_at,
            r.edited_at,
            r.locked,
            info.is_open and rules.may_edit_comment(viewer, r.author_id, r.created_at, now),
            r.position_org if r.parent_id is None else None,
            moderation_reason=r.moderation_reason,
            language=r.language,
            paragraph_id=r.paragraph_id,
            show_body=_may_read_text(viewer, r),
            open_flags=int(r.open_flags or 0) if viewer.may_moderate else 0,
        )
        for r in rows
    ]


_OPEN_FLAGS = (
    select(func.count(Flag.id))
    .where(Flag.comment_id == Comment.id, Flag.resolved_at.is_(None))
    .correlate(Comment)
    .scalar_subquery()
    .label("open_flags")
)


def _may_read_text(viewer: Viewer, row: Any) -> bool:
    """A hidden or pending comment's text is for its author and the moderators alone."""
    return rules.may_read_comment_text(
        Visibility(row.visibility),
        is_author=row.author_id == viewer.user_id,
        is_moderator=viewer.may_moderate,
    )


def shown_to(viewer: Viewer) -> Any:
    """Which comments appear in the thread for this viewer: visible ones and hidden ones (as
    "hidden by a moderator — reason"); comments awaiting approval only to their author and
    to moderators, who see everything."""
    if viewer.may_moderate:
        return Comment.id.is_not(None)
    return (Comment.visibility != Visibility.PENDING.value) | (Comment.author_id == viewer.user_id)


def require_reader(viewer: Viewer, info: RoundInfo) -> None:
    if not rules.may_read(viewer, info.status):
        raise Forbidden(_("You cannot see this round."))


def user_names(db: Session, ids: set[int]) -> dict[int, str]:
    return {
        row.id: row.name for row in read(db, select(User.id, User.name).where(User.id.in_(ids)))
    }


def organisation_name(db: Session, organisation_id: int) -> str:
    return db.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""


@dataclass(frozen=True)
class DiscussionParams:
    mode: str = "chronological"
    group: Group | None = None
    organisation_id: int | None = None
    page: int = 1
    #: every thread whole, its replies unfolded (``replies=all``)
    replies: bool = False
    #: every position's statement in full in the columns (``statements=all``)
    statements: bool = False

    @property
    def query(self) -> str:
        """The query string of these choices (chronological, unfiltered, folded: empty)."""
        parts = [] if self.mode == "chronological" else [f"order={self.mode}"]
        if self.group:
            parts.append(f"group={self.group.value}")
        if self.organisation_id:
            parts.append(f"organisation={self.organisation_id}")
        if self.replies:
            parts.append("replies=all")
        if self.statements:
            parts.append("statements=all")
        return "&".join(parts)

    def link(self, *more: str) -> str:
        """``?`` and the query string of these choices with ``more`` (``"page=2"``) after."""
        return "?" + "&".join(p for p in (self.query, *more) if p)


@dataclass(frozen=True)
class RoundFacts:
    organisations: list[tuple[int, str, Group]]
    last_comment_id: int


def load_round_facts(db: Session, round_id: int) -> RoundFacts:
    last = read(db, select(func.max(Comment.id)).where(Comment.round_id == round_id)).scalar()
    last = last or 0
    return RoundFacts(invited_organisations(db, round_id), last)


def invited_organisations(db: Session, round_id: int) -> list[tuple[int, str, Group]]:
    return [
        (r.id, r.name, Group(r.group_name))
        for r in read(
            db,
            select(Organisation.id, Organisation.name, Organisation.group_name)
            .join(RoundInvitation, RoundInvitation.organisation_id == Organisation.id)
            .where(RoundInvitation.round_id == round_id)
            .order_by(Organisation.name),
        )
    ]


class RoundPage:
    """What the round page shows to one viewer. The costly parts (columns, tally, discussion)
    load only when a template asks for them, so a page assembled from cached fragments runs
    none of their queries."""

    def __init__(
        self,
        db: Session,
        loaded: ViewerRound,
        viewer: Viewer,
        facts: RoundFacts,
        params: DiscussionParams = DiscussionParams(),
    ) -> None:
        self.db = db
        self.loaded = loaded
        info = self.round = loaded.info
        self.viewer = viewer
        self.organisations = facts.organisations
        self.last_comment_id = facts.last_comment_id
        self.params = params
        self.order = rules.column_order(info.id)
        invited_ids = {org_id for org_id, _name, _group in self.organisations}
        self.speaking: Speaking | None = None
        if info.is_open:
            self.speaking = next(
                (m for m in viewer.mandates if m.organisation_id in invited_ids), None
            )
        self.own_organisations = frozenset(
            m.organisation_id for m in viewer.mandates if m.organisation_id in invited_ids
        )
        self.member_of = next(
            (m for m in viewer.mandates if m.organisation_id in invited_ids), None
        )

    @cached_property
    def _columns_and_facts(
        self,
    ) -> tuple[list[GroupColumn], list[PositionFact], PositionView | None]:
        return _columns(self.db, self.round, self.viewer)

    @property
    def columns(self) -> list[GroupColumn]:
        return self._columns_and_facts[0]

    @property
    def statements_folded(self) -> bool:
        """Whether the columns show stances alone (too many statements for the first screen;
        the link ``statements=all`` shows them in full)."""
        if self.params.statements:
            return False
        shown = sum(
            1
            for column in self.columns
            for slot in column.slots
            if slot.position is not None and not slot.sealed
        )
        return shown > STATEMENTS_SHOWN

    @cached_property
    def tally(self) -> Tally | None:
        if not rules.positions_visible(self.round.sealed, self.round.status):
            return None
        return tally(self._columns_and_facts[1], self.round.weighting)

    @cached_property
    def own_position(self) -> PositionView | None:
        if self.member_of is None:
            return None
        if self.member_of.organisation_id == self.loaded.organisation_id:
            return self.loaded.own_position
        return own_position(self.db, self.round.id, self.member_of.organisation_id)

    @cached_property
    def discussion(self) -> Discussion:
        p = self.params
        return _discussion(
            self.db,
            self.round,
            self.viewer,
            self.order,
            mode=p.mode,
            group=p.group,
            organisation_id=p.organisation_id,
            page=max(p.page, 1),
            whole_threads=p.replies,
        )

    @cached_property
    def hidden_by_group(self) -> dict[Group, int]:
        """How many comments moderators hid, per group: public, for equal treatment."""
        rows = read(
            self.db,
            select(Organisation.group_name, func.count(Comment.id).label("hidden"))
            .join(Organisation, Organisation.id == Comment.organisation_id)
            .where(Comment.round_id == self.round.id, Comment.visibility == Visibility.HIDDEN.value)
            .group_by(Organisation.group_name),
        ).all()
        return {Group(row.group_name): int(row.hidden) for row in rows}

    @cached_property
    def signoffs(self) -> dict[Group, Any]:
        """Each group's sign-off of the outcome (app.moderation.signoff)."""
        return signoff.signoffs(self.db, self.round.id)

    @cached_property
    def officers(self) -> list[Any]:
        """The round's chair and vice-chairs, named under its title (app.officers)."""
        return officers_service.officers(self.db, self.round.id)

    @cached_property
    def caucus(self) -> caucus_statements.OnRoundPage:
        """The caucuses the viewer may enter, and the published group statements
        (app.caucus)."""
        return caucus_statements.on_round_page(self)

    @cached_property
    def group_statements(self) -> list[caucus_statements.StatementView]:
        """The published group statements alone (what the live updates swap in)."""
        return caucus_statements.published_statements(self)

    @property
    def signoff_deadline_passed(self) -> bool:
        deadline = self.round.signoff_deadline
        return deadline is not None and deadline <= utcnow()

    @property
    def may_reply(self) -> bool:
        return self.speaking is not None

    @property
    def owes_position(self) -> bool:
        """Whether the viewer speaks for an organisation that has not yet posted its position in
        this open round: the page then leads with that task."""
        return self.speaking is not None and self.own_position is None


_EDITOR = aliased(User)
_OWN_POSITION = (
    select(
        Position.id,
        Position.stance,
        Position.statement_html,
        Position.statement,
        Position.version,
        Position.updated_at,
        _EDITOR.name.label("editor"),
        Organisation.name,
        Organisation.group_name,
    )
    .join(_EDITOR, _EDITOR.id == Position.last_edited_by_id)
    .join(Organisation, Organisation.id == Position.organisation_id)
    .where(
        Position.round_id == bindparam("round_id"),
        Position.organisation_id == bindparam("organisation_id"),
    )
)


def own_position(db: Session, round_id: int, organisation_id: int) -> PositionView | None:
    row = read(
        db, _OWN_POSITION, {"round_id": round_id, "organisation_id": organisation_id}
    ).one_or_none()
    if row is None:
        return None
    return PositionView(
        row.id,
        organisation_id,
        row.name,
        Group(row.group_name),
        Stance(row.stance),
        Markup(row.statement_html),
        row.version,
        row.editor,
        row.updated_at,
        statement=row.statement,
    )


_RECENT_OWN_COMMENT = (
    select(Comment.id)
    .where(
        Comment.round_id == bindparam("round_id"),
        Comment.author_id == bindparam("user_id"),
        (Comment.created_at > bindparam("since", type_=Comment.created_at.type))
        | (Comment.visibility != Visibility.VISIBLE.value),
    )
    .limit(1)
)


def has_recent_own_comments(db: Session, round_id: int, user_id: int) -> bool:
    """Whether the viewer has comments that look different to them (still editable, or not yet
    public): their threads are then rendered for them alone, not shared."""
    since = utcnow() - rules.COMMENT_EDIT_WINDOW
    params = {"round_id": round_id, "user_id": user_id, "since": since}
    return read(db, _RECENT_OWN_COMMENT, params).first() is not None


#: Whether the viewer has comments in the round that look different to them (still editable, or
#: not yet public): a column of the page's state reads (here and app/rounds/page_cache.py).
RECENT_OWN = (
    select(Comment.id)
    .where(
        Comment.round_id == Round.id,
        Comment.author_id == bindparam("user_id"),
        (Comment.created_at > bindparam("since", type_=Comment.created_at.type))
        | (Comment.visibility != Visibility.VISIBLE.value),
    )
    .exists()
    .label("recent")
)
_ANY_OWN = (
    select(Comment.id)
    .where(Comment.round_id == Round.id, Comment.author_id == bindparam("user_id"))
    .exists()
    .label("any_own")
)
_ROUND_FOR_VIEWER = (
    select(
        *_ROUND.selected_columns,
        RECENT_OWN,
        _ANY_OWN,
        Position.id.label("p_id"),
        Position.stance.label("p_stance"),
        Position.statement_html.label("p_statement_html"),
        Position.statement.label("p_statement"),
        Position.version.label("p_version"),
        Position.updated_at.label("p_updated_at"),
        _EDITOR.name.label("p_editor"),
        Organisation.name.label("p_organisation"),
        Organisation.group_name.label("p_group"),
    )
    .join(Consultation, Consultation.id == Round.consultation_id)
    .outerjoin(
        Position,
        (Position.round_id == Round.id)
        & (Position.organisation_id == bindparam("organisation_id")),
    )
    .outerjoin(_EDITOR, _EDITOR.id == Position.last_edited_by_id)
    .outerjoin(Organisation, Organisation.id == Position.organisation_id)
    .where(Round.id == bindparam("round_id"))
)


@dataclass(frozen=True)
class ViewerRound:
    """The round, and what is the viewer's own in it, read in one query."""

    info: RoundInfo
    organisation_id: int | None
    own_position: PositionView | None
    #: comments of theirs that look different to them: still editable, or not (yet) public
    recent_own_comments: bool
    #: any comment of theirs in the round (a member is offered no flag on their own)
    own_comments: bool = False


def load_round_for(db: Session, round_id: int, viewer: Viewer) -> ViewerRound:
    organisation_id = viewer.mandates[0].organisation_id if viewer.mandates else None
    params = {
        "round_id": round_id,
        "user_id": viewer.user_id,
        "organisation_id": organisation_id if organisation_id is not None else -1,
        "since": utcnow() - rules.COMMENT_EDIT_WINDOW,
        "language": i18n.current_language(),
    }
    row = read(db, _ROUND_FOR_VIEWER, params).one_or_none()
    info = _round_info(row, viewer)  # 404 when there is no such round
    assert row is not None
    own = None
    if row.p_id is not None and organisation_id is not None:
        own = PositionView(
            row.p_id,
            organisation_id,
            row.p_organisation,
            Group(row.p_group),
            Stance(row.p_stance),
            Markup(row.p_statement_html),
            row.p_version,
            row.p_editor,
            row.p_updated_at,
            statement=row.p_statement,
        )
    return ViewerRound(info, organisation_id, own, bool(row.recent), bool(row.any_own))


# -- the round page, assembled in one place ----------------------------------------------------


def organisations_by_group(db: Session) -> dict[Group, list[Any]]:
    """Every organisation, by group (a draft round's invitation form; the new round's)."""
    organisations = db.execute(
        select(Organisation.id, Organisation.name, Organisation.group_name).order_by(
            Organisation.name
        )
    ).all()
    return {g: [o for o in organisations if o.group_name == g.value] for g in Group}


def discussion_params(
    order: str = "chronological",
    group: str = "",
    organisation: int | str | None = None,
    page: int = 1,
    replies: str = "",
    statements: str = "",
) -> DiscussionParams:
    """The discussion's order, filters and page, and what is unfolded, from the query string
    (anything unknown: no filter, folded)."""
    text = str(organisation or "")
    return DiscussionParams(
        "balanced" if order == "balanced" else "chronological",
        Group(group) if group in {g.value for g in Group} else None,
        int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None,
        max(page, 1),
        replies == "all",
        statements == "all",
    )


def build(
    request: Request,
    db: Session,
    viewer: Viewer,
    round_id: int,
    *,
    params: DiscussionParams = DiscussionParams(),
    regions: tuple[str, ...] | None = None,
    csrf: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the round page's templates need, from every package that adds to it: the
    round and the viewer's part in it (RoundPage, whose costly parts load when a region is
    rendered: the columns, the tally, the discussion, the officers, the caucus links and the
    published group statements, the sign-off), the draft text (app.drafts), the sign-off forms
    (app.moderation.signoff), and the regions from the fragment cache. ``extra`` carries a
    refused form back, filled in; ``csrf`` the token the regions' forms carry (this browser's
    when None). Routes render it; no template reads the database."""
    loaded = load_round_for(db, round_id, viewer)
    info = loaded.info
    data = RoundPage(db, loaded, viewer, fragments.round_facts(db, info), params)
    own = data.own_position
    decided = (
        {g: v.status for g, v in data.signoffs.items()} if info.status is RoundStatus.CLOSED else {}
    )
    allowed = controls(info, decided, utcnow())
    context: dict[str, Any] = {
        "page": data,
        "round": info,
        "controls": allowed,
        "may_reply": data.may_reply,
        # flags while the round is open only: once closed, its record stands
        "may_flag": data.member_of is not None and allowed.flag is None,
        "round_path": url_path(request, "rounds.show", round_id=info.id),
        "stances": list(Stance),
        "stance_labels": rules.STANCE_LABELS,
        "group_subjects": rules.GROUP_SUBJECTS,
        "percent": lambda share: i18n.format_percent(float(share)),
        "now": datetime.now(UTC),
        "position_form": {
            "stance": own.stance.value if own else "",
            "statement": own.statement if own else "",
            "base_version": own.version if own else 0,
            "key": new_key(),
        },
        "position_errors": {},
        "comment_form": {"body": "", "key": new_key()},
        "comment_errors": {},
        "stale": None,
        "signoff_errors": {},
        "draft": drafts_page.section(db, info, viewer, data.organisations),
    }
    if info.status is RoundStatus.DRAFT and viewer.may_moderate:
        context["all_organisations"] = organisations_by_group(db)
    if info.status is RoundStatus.CLOSED and info.outcome:
        if viewer.may_moderate and allowed.signoff_request is None:
            context["signoff_candidates"] = signoff.candidates(db, info.id)
            context["decision_context"] = decision.load(db, info.id)
        context["my_signoff"] = next(
            (s for s in data.signoffs.values() if s.spokesperson_id == viewer.user_id), None
        )
    context.update(extra)
    context["fragments"] = fragments.render(
        request,
        data,
        {**base_context(request), **context},
        regions if regions is not None else tuple(fragments.PARTIALS),
        token=csrf,
    )
    return context


@dataclass(frozen=True)
class Controls:
    """What the viewer may do on the round now: each action's refusal, or None when it would
    succeed. The same rules (``*_refusal`` in app.moderation.rules and app.officers.rules) are
    what the actions themselves refuse with, so the page offers exactly what the server
    accepts; a refusal worth explaining is shown, in words, beside a disabled control."""

    close: DomainError | None
    extend: DomainError | None
    reopen: DomainError | None
    outcome: DomainError | None
    publish: DomainError | None
    premoderation: DomainError | None
    signoff_request: DomainError | None
    officers: DomainError | None
    flag: DomainError | None


def controls(info: RoundInfo, signoffs: dict[Group, str], now: datetime) -> Controls:
    status = info.status
    recorded = info.recorded_status or status
    return Controls(
        close=moderation_rules.close_refusal(recorded),
        extend=moderation_rules.extend_refusal(status),
        reopen=moderation_rules.reopen_refusal(status),
        outcome=moderation_rules.outcome_refusal(recorded),
        publish=moderation_rules.publish_refusal(
            status, recorded, info.outcome, signoffs, info.signoff_deadline, now
        ),
        premoderation=moderation_rules.premoderation_refusal(status),
        signoff_request=moderation_rules.signoff_request_refusal(recorded, info.outcome, signoffs),
        officers=officer_rules.change_refusal(status),
        flag=moderation_rules.flag_refusal(status),
    )


def refused(
    request: Request, db: Session, viewer: Viewer, round_id: int, error: DomainError, **form: Any
) -> Response:
    """A refused action shown on the round page itself, its form filled in (403 and 404 get
    their own page: app.web.refusal)."""
    return refusal(
        request,
        db,
        error,
        lambda: render(request, "rounds/show.html", build(request, db, viewer, round_id, **form)),
    )
