"""Moderating comments: flags, hiding with a reason, restoring, approving, locking threads.

Nothing is ever deleted: a hidden comment stays in its thread as "hidden by a moderator",
its author still sees it, and every action is in the audit log with its reason."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.audit.service import record
from app.comments.models import Comment, Flag
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.moderation import rules
from app.positions.service import current_status, invited_organisation_ids
from app.rounds.models import Round
from app.rounds.service import lock_round, require_moderator
from app.vocabulary import RoundStatus, Visibility


def _comment(db: Session, round_id: int, comment_id: int) -> Comment:
    comment = db.get(Comment, comment_id)
    if comment is None or comment.round_id != round_id:
        raise NotFound(_("There is no such comment in this round."))
    return comment


def _check_seen(comment: Comment, seen: str) -> None:
    rules.check_seen(comment.body_html, seen)


def _reason(text: str, *, required: bool, field: str = "reason") -> str:
    return rules.clean_reason(text, required=required, field=field)


def check_flaggable(round_: Round | None) -> Round:
    """The round, if its comments may be flagged now (its effective status: a deadline that
    passed closes it)."""
    if round_ is None or round_.status == RoundStatus.DRAFT:
        raise NotFound(_("There is no such round."))
    rules.check_flaggable(current_status(round_))
    return round_


def require_flaggable(db: Session, round_id: int) -> None:
    """The flag form is offered only while the round's comments may be flagged."""
    check_flaggable(db.get(Round, round_id))


def flag(
    db: Session,
    viewer: Viewer,
    round_id: int,
    comment_id: int,
    reason: str,
    threshold: int = rules.FLAG_THRESHOLD,
) -> Flag:
    """A participant reports a comment while the round is open; enough organisations
    flagging it hide it for review."""
    check_flaggable(db.get(Round, round_id))
    invited = set(invited_organisation_ids(db, round_id))
    speaking = next((m for m in viewer.mandates if m.organisation_id in invited), None)
    if speaking is None:
        raise Forbidden(
            _(
                "Only representatives of the round's organisations flag comments; "
                "moderators hide them directly."
            )
        )
    why = _reason(reason, required=True)
    comment = _comment(db, round_id, comment_id)
    if comment.author_id == viewer.user_id:
        raise DomainError(_("You cannot flag your own comment; edit it instead."), status_code=409)
    already = db.scalar(
        select(Flag.id).where(Flag.comment_id == comment_id, Flag.reporter_id == viewer.user_id)
    )
    if already is not None:
        raise Conflict(_("You have already flagged this comment; a moderator will review it."))
    # again under the round's lock: a close racing this flag comes before it (refused) or
    # after it (the flag, and any hiding it causes, happened while the round was open)
    locked = lock_round(db, round_id)
    db.refresh(locked)  # read before the lock: read again under it
    check_flaggable(locked)
    new = Flag(
        comment_id=comment_id,
        reporter_id=viewer.user_id,
        organisation_id=speaking.organisation_id,
        reason=why,
    )
    try:
        with db.begin_nested():  # the same person flagging from another tab at the same moment
            db.add(new)
            db.flush()
    except IntegrityError:
        raise Conflict(
            _("You have already flagged this comment; a moderator will review it.")
        ) from None
    record(
        db, viewer.user_id, "comment.flagged", "comment", comment_id, reason=why, round_id=round_id
    )
    organisations = db.scalars(
        select(Flag.organisation_id).where(
            Flag.comment_id == comment_id, Flag.resolved_at.is_(None)
        )
    )
    if comment.visibility == Visibility.VISIBLE and rules.should_hide_pending_review(
        organisations, threshold
    ):
        comment.visibility = Visibility.HIDDEN
        comment.moderation_reason = rules.HIDDEN_PENDING_REVIEW  # stored in English
        comment.moderated_at = utcnow()
        comment.moderated_by_id = None
        record(
            db,
            None,
            "comment.hidden_pending_review",
            "comment",
            comment_id,
            round_id=round_id,
            threshold=threshold,
        )
        _touch(db, round_id)
    return new


def _touch(db: Session, round_id: int) -> None:
    db.execute(update(Round).where(Round.id == round_id).values(version=Round.version + 1))


def _resolve_flags(db: Session, viewer: Viewer, comment_id: int, resolution: str) -> int:
    result = db.execute(
        update(Flag)
        .where(Flag.comment_id == comment_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=viewer.user_id, resolution=resolution)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def hide(
    db: Session, viewer: Viewer, round_id: int, comment_id: int, reason_code: str, note: str
) -> Comment:
    require_moderator(viewer)
    lock_round(db, round_id)
    comment = _comment(db, round_id, comment_id)
    if reason_code not in rules.HIDE_REASONS:
        raise DomainError(_("Choose a reason from the list."), field="reason_code")
    extra = _reason(note, required=reason_code == "other", field="note")
    if comment.visibility == Visibility.HIDDEN and comment.moderated_by_id is not None:
        raise Conflict(_("This comment is already hidden."))
    before = comment.visibility
    label = rules.HIDE_REASONS.english(reason_code)  # stored in English, shown translated
    comment.visibility = Visibility.HIDDEN
    comment.moderation_reason = f"{label}: {extra}" if extra else label
    comment.moderated_by_id = viewer.user_id
    comment.moderated_at = utcnow()
    flags = _resolve_flags(db, viewer, comment_id, "upheld")
    _touch(db, round_id)
    record(
        db,
        viewer.user_id,
        "comment.hidden",
        "comment",
        comment_id,
        round_id=round_id,
        reason=comment.moderation_reason,
        before=before,
        after="hidden",
        flags_upheld=flags,
    )
    return comment


def restore(
    db: Session, viewer: Viewer, round_id: int, comment_id: int, note: str, seen: str = ""
) -> Comment:
    require_moderator(viewer)
    lock_round(db, round_id)
    comment = _comment(db, round_id, comment_id)
    if comment.visibility != Visibility.HIDDEN:
        raise Conflict(_("This comment is not hidden."))
    _check_seen(comment, seen)
    why = _reason(note, required=False, field="note")
    previous = comment.moderation_reason
    comment.visibility = Visibility.VISIBLE
    comment.moderation_reason = None
    comment.moderated_by_id = viewer.user_id
    comment.moderated_at = utcnow()
    flags = _resolve_flags(db, viewer, comment_id, "dismissed")
    _touch(db, round_id)
    record(
        db,
        viewer.user_id,
        "comment.restored",
        "comment",
        comment_id,
        round_id=round_id,
        reason=why,
        before=f"hidden ({previous})",
        after="visible",
        flags_dismissed=flags,
    )
    return comment


def dismiss_flags(
    db: Session, viewer: Viewer, round_id: int, comment_id: int, seen: str = ""
) -> Comment:
    """The flags were unfounded: they are closed, and a comment hidden only because of them
    (pending review) is visible again."""
    require_moderator(viewer)
    lock_round(db, round_id)
    comment = _comment(db, round_id, comment_id)
    _check_seen(comment, seen)
    flags = _resolve_flags(db, viewer, comment_id, "dismissed")
    refusal = rules.dismiss_flags_refusal(flags)  # the page offers it only then (open_flags)
    if refusal is not None:
        raise refusal
    if comment.visibility == Visibility.HIDDEN and comment.moderated_by_id is None:
        comment.visibility = Visibility.VISIBLE
        comment.moderation_reason = None
        comment.moderated_by_id = viewer.user_id
        comment.moderated_at = utcnow()
    _touch(db, round_id)
    record(
        db,
        viewer.user_id,
        "comment.flags_dismissed",
        "comment",
        comment_id,
        round_id=round_id,
        flags=flags,
    )
    return comment


def approve(db: Session, viewer: Viewer, round_id: int, comment_id: int, seen: str = "") -> Comment:
    """Pre-moderation: a pending comment (new, or edited since it was approved) becomes
    visible to everyone, as the moderator read it (``seen``)."""
    require_moderator(viewer)
    lock_round(db, round_id)
    comment = _comment(db, round_id, comment_id)
    if comment.visibility != Visibility.PENDING:
        raise Conflict(_("This comment is not awaiting approval."))
    _check_seen(comment, seen)
    comment.visibility = Visibility.VISIBLE
    comment.moderated_by_id = viewer.user_id
    comment.moderated_at = utcnow()
    _touch(db, round_id)
    record(
        db,
        viewer.user_id,
        "comment.approved",
        "comment",
        comment_id,
        round_id=round_id,
        before="pending",
        after="visible",
    )
    return comment


def set_locked(
    db: Session, viewer: Viewer, round_id: int, comment_id: int, locked: bool
) -> Comment:
    """Lock a thread (its top-level comment): no more replies anywhere in it."""
    require_moderator(viewer)
    lock_round(db, round_id)
    comment = _comment(db, round_id, comment_id)
    if comment.parent_id is not None:
        raise DomainError(_("Lock a thread from its first comment."), status_code=409)
    if comment.locked == locked:
        raise Conflict(
            _("This thread is already locked.") if locked else _("This thread is already unlocked.")
        )
    comment.locked = locked
    _touch(db, round_id)
    record(
        db,
        viewer.user_id,
        "thread.locked" if locked else "thread.unlocked",
        "comment",
        comment_id,
        round_id=round_id,
    )
    return comment


def set_premoderation(db: Session, viewer: Viewer, round_id: int, on: bool) -> Round:
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    refusal = rules.premoderation_refusal(current_status(round_))
    if refusal is not None:
        raise refusal
    if round_.premoderated == on:
        raise Conflict(
            _("Pre-moderation is already on.") if on else _("Pre-moderation is already off.")
        )
    round_.premoderated = on
    round_.version += 1
    record(db, viewer.user_id, "round.premoderation_" + ("on" if on else "off"), "round", round_id)
    return round_
