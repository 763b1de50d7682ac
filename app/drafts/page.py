"""The draft text on the round page: its numbered paragraphs, each with its amendments (diff
and equal-weight tally of support), its comments, and each group's voices on it; and, for a
revised draft, what changed since the previous round. A fixed number of column-selecting
queries, whatever the number of paragraphs, amendments or comments (no N+1), run only when a
template asks for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.comments.models import Comment
from app.db import read
from app.drafts import rules
from app.drafts.models import Amendment, AmendmentSupport, DraftParagraph
from app.organisations.models import Organisation
from app.rounds import page as round_page
from app.rounds.models import Round
from app.rounds.rules import column_order
from app.vocabulary import Group, RoundStatus, Visibility, Weighting


@dataclass(frozen=True)
class AmendmentView:
    id: int
    paragraph_id: int
    #: "3.1": the first amendment to paragraph 3.
    label: str
    organisation_id: int
    organisation: str
    group: Group
    author: str
    text: str
    reason: str
    created_at: datetime
    diff: tuple[rules.DiffPiece, ...]
    tally: rules.AmendmentTally
    supporter_ids: frozenset[int]


@dataclass
class ParagraphView:
    id: int
    number: int
    text: str
    amendments: list[AmendmentView] = field(default_factory=list)
    comments: list[round_page.CommentView] = field(default_factory=list)
    voices: list[rules.GroupVoices] = field(default_factory=list)

    @property
    def label(self) -> str | None:
        """The source's own label ("Article 3", "3.1") its text starts with, if any; the
        number stays what amendments and comments refer to."""
        return rules.paragraph_label(self.text)


@dataclass(frozen=True)
class RoundLink:
    id: int
    number: int
    title: str


_PARAGRAPHS = select(
    DraftParagraph.id, DraftParagraph.number, DraftParagraph.text, DraftParagraph.round_id
).order_by(DraftParagraph.number)


class DraftSection:
    """What the round page shows of the draft text to one viewer (loaded on first use)."""

    def __init__(
        self,
        db: Session,
        info: round_page.RoundInfo,
        viewer: Viewer,
        organisations: Sequence[tuple[int, str, Group]],
    ) -> None:
        self.db = db
        self.round = info
        self.viewer = viewer
        self.invited = [rules.Invited(i, name, group) for i, name, group in organisations]
        self.order = column_order(info.id)
        invited_ids = {org.id for org in self.invited}
        speaking = None
        if info.is_open:
            speaking = next(
                (m.organisation_id for m in viewer.mandates if m.organisation_id in invited_ids),
                None,
            )
        #: The invited organisation the viewer speaks for while the round is open.
        self.speaking_for = speaking
        self.is_moderator = viewer.may_moderate

    # -- the paragraphs, their amendments and comments ---------------------------------------

    @cached_property
    def _rows(self) -> list[tuple[int, int, str]]:
        rows = read(self.db, _PARAGRAPHS.where(DraftParagraph.round_id == self.round.id))
        return [(r.id, r.number, r.text) for r in rows]

    @property
    def shown(self) -> bool:
        return bool(self._rows)

    @cached_property
    def paragraphs(self) -> list[ParagraphView]:
        if not self._rows:
            return []
        views = {pid: ParagraphView(pid, number, text) for pid, number, text in self._rows}
        acts: dict[int, list[rules.Act]] = {pid: [] for pid in views}
        for amendment in self._amendments(views):
            views[amendment.paragraph_id].amendments.append(amendment)
            acts[amendment.paragraph_id].append(
                rules.Act(amendment.organisation_id, rules.PROPOSED, amendment.label)
            )
            acts[amendment.paragraph_id] += [
                rules.Act(org, rules.SUPPORTS, amendment.label)
                for org in sorted(amendment.supporter_ids)
            ]
        for paragraph_id, organisation_id in self._commenters:
            if paragraph_id in acts:
                acts[paragraph_id].append(rules.Act(organisation_id, rules.COMMENTED))
        for thread in self._threads:
            if thread.paragraph_id in views:
                views[thread.paragraph_id].comments.append(thread)
        for pid, view in views.items():
            view.voices = rules.paragraph_voices(self.order, self.invited, acts[pid])
        return list(views.values())

    def paragraph(self, paragraph_id: int) -> ParagraphView | None:
        return next((p for p in self.paragraphs if p.id == paragraph_id), None)

    def _amendments(self, views: dict[int, ParagraphView]) -> list[AmendmentView]:
        return amendment_views(
            self.db, self.round.id, views, self.invited, self.round.weighting, self.order
        )

    @cached_property
    def _commenters(self) -> list[tuple[int, int]]:
        """(paragraph, organisation) for every public comment on a paragraph."""
        rows = read(
            self.db,
            select(Comment.paragraph_id, Comment.organisation_id)
            .where(
                Comment.round_id == self.round.id,
                Comment.paragraph_id.is_not(None),
                Comment.visibility == Visibility.VISIBLE.value,
            )
            .distinct(),
        )
        return [(r.paragraph_id, r.organisation_id) for r in rows]

    @cached_property
    def _threads(self) -> list[round_page.CommentView]:
        """The threads on the paragraphs, as this viewer sees them (two queries)."""
        shown = round_page.shown_to(self.viewer)
        roots = [
            r.id
            for r in read(
                self.db,
                select(Comment.id)
                .where(
                    Comment.round_id == self.round.id,
                    Comment.paragraph_id.is_not(None),
                    (Comment.parent_id + 0).is_(None),  # the round's own (rounds.page._roots)
                    shown,
                )
                .order_by(Comment.id),
            )
        ]
        return round_page.load_threads(self.db, self.round, self.viewer, roots, shown)

    # -- what the viewer may do --------------------------------------------------------------

    @property
    def may_propose(self) -> bool:
        return self.speaking_for is not None

    def may_support(self, amendment: AmendmentView) -> bool:
        return self.speaking_for is not None and self.speaking_for not in amendment.supporter_ids

    @cached_property
    def _round_row(self) -> tuple[str, int | None]:
        row = read(
            self.db, select(Round.brief, Round.previous_round_id).where(Round.id == self.round.id)
        ).one()
        return row.brief, row.previous_round_id

    @property
    def may_import(self) -> bool:
        """A moderator may (re)place the draft text: before any amendment or paragraph
        comment, while the round is a draft, scheduled or open (rules.may_import)."""
        if not self.is_moderator:
            return False
        if self.round.status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
            return False
        return not any(p.amendments or p.comments for p in self.paragraphs) and not (
            self._commenters
        )

    @cached_property
    def next_round(self) -> RoundLink | None:
        """The round that revises this one (moderators see it as a draft already)."""
        if self.round.status not in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
            return None
        query = select(Round.id, Round.number, Round.title, Round.status).where(
            Round.previous_round_id == self.round.id
        )
        row = read(self.db, query.limit(1)).one_or_none()
        if row is None or (row.status == RoundStatus.DRAFT.value and not self.is_moderator):
            return None
        return RoundLink(row.id, row.number, row.title)

    @property
    def may_revise(self) -> bool:
        closed = self.round.status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED)
        return self.is_moderator and closed and self.next_round is None

    @property
    def is_brief(self) -> bool:
        """The draft text is the brief itself: the brief is then shown only as paragraphs."""
        return self.shown and rules.is_same_text(
            self._round_row[0], [t for _i, _n, t in self._rows]
        )

    # -- a revised draft: the previous round and what changed --------------------------------

    @cached_property
    def previous(self) -> RoundLink | None:
        previous_id = self._round_row[1] if self.shown else None
        if previous_id is None:
            return None
        row = read(
            self.db, select(Round.id, Round.number, Round.title).where(Round.id == previous_id)
        ).one()
        return RoundLink(row.id, row.number, row.title)

    @cached_property
    def changes(self) -> list[rules.ParagraphChange]:
        if self.previous is None:
            return []
        before = [
            r.text
            for r in read(self.db, _PARAGRAPHS.where(DraftParagraph.round_id == self.previous.id))
        ]
        if not before:
            brief = read(self.db, select(Round.brief).where(Round.id == self.previous.id)).scalar()
            before = rules.split_paragraphs(brief or "")
        return rules.compare_drafts(before, [t for _i, _n, t in self._rows])

    @property
    def changed_count(self) -> int:
        return sum(1 for c in self.changes if c.kind != rules.UNCHANGED)


def amendment_views(
    db: Session,
    round_id: int,
    views: dict[int, ParagraphView],
    invited: Sequence[rules.Invited],
    weighting: Weighting,
    order: Sequence[Group],
) -> list[AmendmentView]:
    """The round's amendments (withdrawn ones aside), each with its diff against its paragraph
    and the equal-weight tally of its support: two queries."""
    rows = read(
        db,
        select(
            Amendment.id,
            Amendment.paragraph_id,
            Amendment.organisation_id,
            Amendment.text,
            Amendment.reason,
            Amendment.created_at,
            Organisation.name.label("organisation"),
            Organisation.group_name,
            User.name.label("author"),
        )
        .join(Organisation, Organisation.id == Amendment.organisation_id)
        .join(User, User.id == Amendment.author_id)
        .where(Amendment.round_id == round_id, Amendment.withdrawn_at.is_(None))
        .order_by(Amendment.id),
    ).all()
    supporters: dict[int, set[int]] = {}
    for s in read(
        db,
        select(AmendmentSupport.amendment_id, AmendmentSupport.organisation_id)
        .join(Amendment, Amendment.id == AmendmentSupport.amendment_id)
        .where(Amendment.round_id == round_id),
    ):
        supporters.setdefault(s.amendment_id, set()).add(s.organisation_id)
    counts: dict[int, int] = {}
    amendments = []
    for r in rows:
        counts[r.paragraph_id] = counts.get(r.paragraph_id, 0) + 1
        paragraph = views[r.paragraph_id]
        ids = frozenset(supporters.get(r.id, set()) | {r.organisation_id})
        amendments.append(
            AmendmentView(
                r.id,
                r.paragraph_id,
                f"{paragraph.number}.{counts[r.paragraph_id]}",
                r.organisation_id,
                r.organisation,
                Group(r.group_name),
                r.author,
                r.text,
                r.reason,
                r.created_at,
                tuple(rules.text_diff(paragraph.text, r.text)),
                rules.amendment_tally(invited, ids, weighting, order),
                ids,
            )
        )
    return amendments


def summary_paragraphs(db: Session, round_id: int) -> list[ParagraphView]:
    """The draft text with its amendments and their support, for the summary page and the PDF
    (the same for every reader: amendments are public; comments are not included)."""
    rows = read(db, _PARAGRAPHS.where(DraftParagraph.round_id == round_id)).all()
    if not rows:
        return []
    weighting = read(db, select(Round.weighting).where(Round.id == round_id)).scalar_one()
    invited = [
        rules.Invited(i, name, group)
        for i, name, group in round_page.invited_organisations(db, round_id)
    ]
    views = {r.id: ParagraphView(r.id, r.number, r.text) for r in rows}
    order = column_order(round_id)
    for amendment in amendment_views(db, round_id, views, invited, Weighting(weighting), order):
        views[amendment.paragraph_id].amendments.append(amendment)
    return list(views.values())


def section(
    db: Session,
    info: round_page.RoundInfo,
    viewer: Viewer,
    organisations: Sequence[tuple[int, str, Group]],
) -> DraftSection:
    return DraftSection(db, info, viewer, organisations)


def amendment_label(db: Session, amendment_id: int) -> str:
    """An amendment's label as the round page shows it ("2.1": paragraph 2's first amendment,
    withdrawn ones aside): for the confirmation of what was done to it."""
    amendment = db.get_one(Amendment, amendment_id)
    number = db.get_one(DraftParagraph, amendment.paragraph_id).number
    before = db.scalar(
        select(func.count(Amendment.id)).where(
            Amendment.paragraph_id == amendment.paragraph_id,
            Amendment.withdrawn_at.is_(None),
            Amendment.id <= amendment_id,
        )
    )
    return f"{number}.{before or 1}"
