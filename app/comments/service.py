"""Posting, replying to and editing comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import i18n, markdown
from app.accounts.rules import Viewer
from app.audit.service import record
from app.comments.models import Comment
from app.db import read, utcnow
from app.drafts.models import DraftParagraph
from app.errors import DomainError, Forbidden, NotFound, TooManyAttempts
from app.i18n import gettext as _
from app.i18n import ngettext
from app.positions.models import Position
from app.positions.service import current_status, invited_organisation_ids
from app.rounds import rules
from app.rounds.models import Round, RoundInvitation
from app.rounds.rules import effective_status
from app.rounds.service import claim_round, lock_round
from app.vocabulary import RoundStatus, Visibility


def post(
    db: Session,
    viewer: Viewer,
    round_id: int,
    body: str,
    *,
    parent_id: int | None,
    position_id: int | None,
    idempotency_key: str,
    posting_limit: int = rules.POSTS_PER_WINDOW,
    language: str = "",
    paragraph_id: int | None = None,
) -> Comment:
    """A comment on the round, on a position, or a reply.

    Everything is checked first, without locks; then the round is claimed (version bumped,
    row locked until commit) and its status checked again, so that a close or the deadline
    racing this post comes either before it (refused) or after it (accepted)."""
    key = rules.idempotency_key(idempotency_key)
    state = _posting_state(db, viewer, round_id, key, posting_limit)
    if state.repeat_id is not None:
        return db.get_one(Comment, state.repeat_id)  # a double click or a retry
    wait = rules.posting_wait(state.limit_reached_at, utcnow())
    if wait:
        posted = ngettext(
            "You have posted %(count)d comment in the last %(minutes)d minutes.",
            "You have posted %(count)d comments in the last %(minutes)d minutes.",
            posting_limit,
        ) % {"count": posting_limit, "minutes": rules.POSTING_WINDOW.seconds // 60}
        again = ngettext(
            "Please wait %(seconds)d second and send it again (your text is kept below).",
            "Please wait %(seconds)d seconds and send it again (your text is kept below).",
            wait,
        ) % {"seconds": wait}
        raise TooManyAttempts(f"{posted} {again}", retry_after=wait)
    speaking = rules.speaker_for(viewer, state.invited, state.status)
    body = rules.check_comment(body)
    thread_id = None
    if parent_id is not None:
        parent = db.get(Comment, parent_id)
        if parent is None or parent.round_id != round_id:
            raise DomainError(
                _("The comment you are replying to is not part of this round."), field="body"
            )
        root = db.get(Comment, parent.thread_id) if parent.thread_id else parent
        if parent.locked or (root is not None and root.locked):
            raise DomainError(
                _("This thread is locked by a moderator: no more replies."), status_code=409
            )
        position_id, thread_id = parent.position_id, parent.thread_id or parent.id
        paragraph_id = parent.paragraph_id
    elif paragraph_id is not None:
        paragraph = db.get(DraftParagraph, paragraph_id)
        if paragraph is None or paragraph.round_id != round_id:
            raise DomainError(_("That paragraph is not part of this round."), field="body")
        position_id = None
    elif position_id is not None:
        position = db.get(Position, position_id)
        if position is None or position.round_id != round_id:
            raise DomainError(_("That position is not part of this round."), field="body")
    html = markdown.render(body)
    # The claim comes before the insert: the comment's id is drawn under the round's lock, so
    # ids follow the order of the commits (live pages and the API read "comments after id N").
    status, premoderated = claim_round(db, round_id)
    rules.speaker_for(viewer, [speaking.organisation_id], status)
    visibility = Visibility.PENDING if premoderated else Visibility.VISIBLE
    comment = Comment(
        round_id=round_id,
        position_id=position_id,
        paragraph_id=paragraph_id,
        parent_id=parent_id,
        thread_id=thread_id,
        author_id=viewer.user_id,
        organisation_id=speaking.organisation_id,
        body=body,
        body_html=html,
        visibility=visibility,
        idempotency_key=key,
        created_at=utcnow(),
        language=i18n.text_language(language),
    )
    db.add(comment)
    try:
        db.flush()
    except IntegrityError:
        # A concurrent retry with the same key committed first: this attempt is abandoned
        # (its transaction with it) and the comment that won is the answer.
        db.rollback()
        repeat = _by_key(db, viewer.user_id, key)
        if repeat is None:
            raise
        return repeat
    return comment


def _by_key(db: Session, author_id: int, key: str | None) -> Comment | None:
    if key is None:
        return None
    return db.scalar(
        select(Comment).where(Comment.author_id == author_id, Comment.idempotency_key == key)
    )


def edit(db: Session, viewer: Viewer, round_id: int, comment_id: int, body: str) -> Comment:
    """The author corrects their comment within 15 minutes of posting; the edit is marked.

    In a pre-moderated round the new text is not public until a moderator approves it: an
    approved (or restored) comment goes back to awaiting approval, and the moderation queue
    shows it as edited. A hidden comment stays hidden."""
    round_ = lock_round(db, round_id)
    comment = db.get(Comment, comment_id)
    if comment is None or comment.round_id != round_id:
        raise NotFound(_("No such comment in this round."))
    if comment.author_id != viewer.user_id:
        raise Forbidden(_("Only the author can edit a comment."))
    if not rules.may_edit_comment(viewer, comment.author_id, comment.created_at, utcnow()):
        raise DomainError(
            _(
                "Comments can be edited for 15 minutes after posting; this one can "
                "no longer be changed."
            ),
            status_code=409,
        )
    rules.speaker_for(viewer, invited_organisation_ids(db, round_id), current_status(round_))
    body = rules.check_comment(body)
    if body != comment.body:
        comment.body = body
        comment.body_html = markdown.render(body)
        comment.edited_at = utcnow()
        round_.version += 1
        if rules.edit_awaits_approval(round_.premoderated, comment.visibility):
            comment.visibility = Visibility.PENDING
            record(
                db,
                viewer.user_id,
                "comment.edited_awaiting_approval",
                "comment",
                comment.id,
                round_id=round_id,
                before="visible",
                after="pending",
            )
    return comment


@dataclass(frozen=True)
class _PostingState:
    status: RoundStatus
    invited: list[int]
    repeat_id: int | None
    #: When the author's posting_limit-th latest comment was posted (rate limit).
    limit_reached_at: datetime | None


#: The posting path's one read, built once (app.db.read): the round's status, which of the
#: viewer's organisations it invites, an earlier comment with the same idempotency key, and when
#: the author's posting_limit-th latest comment was posted.
_POSTING_STATE = (
    select(
        Round.status,
        Round.opens_at,
        Round.closes_at,
        RoundInvitation.organisation_id,
        select(Comment.id)
        .where(
            Comment.author_id == bindparam("author_id"),
            Comment.idempotency_key == bindparam("key", type_=Comment.idempotency_key.type),
        )
        .limit(1)
        .scalar_subquery()
        .label("repeat_id"),
        select(Comment.created_at)
        .where(Comment.author_id == bindparam("author_id"))
        .order_by(Comment.created_at.desc())
        .offset(bindparam("skip", type_=Integer()))
        .limit(1)
        .scalar_subquery()
        .label("nth_latest"),
    )
    .outerjoin(
        RoundInvitation,
        (RoundInvitation.round_id == Round.id)
        & RoundInvitation.organisation_id.in_(bindparam("organisations", expanding=True)),
    )
    .where(Round.id == bindparam("round_id"))
)


def _posting_state(
    db: Session, viewer: Viewer, round_id: int, key: str | None, posting_limit: int
) -> _PostingState:
    """The round's status, which of the viewer's organisations it invites, and an earlier
    comment with the same idempotency key: one query on the posting path."""
    rows = read(
        db,
        _POSTING_STATE,
        {
            "author_id": viewer.user_id,
            "key": key,
            "skip": max(posting_limit, 1) - 1,
            "organisations": [m.organisation_id for m in viewer.mandates] or [-1],
            "round_id": round_id,
        },
    ).all()
    if not rows:
        raise NotFound(_("No such round."))
    first = rows[0]
    status = effective_status(first.status, first.opens_at, first.closes_at, utcnow())
    invited = [r.organisation_id for r in rows if r.organisation_id is not None]
    return _PostingState(
        status,
        invited,
        first.repeat_id if key is not None else None,
        first.nth_latest,
    )
