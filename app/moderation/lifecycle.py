"""Lifecycle actions on a round: close with an outcome, extend, reopen, publish.

Each takes the round's row lock first (so it is ordered with posts, which claim the same row),
and records who did what, when, why, and the state before and after in the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.audit.service import record
from app.db import utcnow
from app.i18n import N_
from app.moderation import rules, signoff
from app.notifications import service as notifications
from app.rounds.models import Round
from app.rounds.rules import clean_text, effective_status
from app.rounds.service import lock_round, require_moderator
from app.vocabulary import Group, RoundStatus

OUTCOME_MAX = 20_000


def _state(round_: Round) -> dict[str, str | None]:
    return {
        "status": round_.status,
        "closes_at": round_.closes_at.isoformat() if round_.closes_at else None,
    }


def _outcome(text: str) -> str:
    return clean_text(
        text, field="outcome", label=N_("The outcome"), max_length=OUTCOME_MAX, required=True
    )


def close(db: Session, viewer: Viewer, round_id: int, outcome: str) -> Round:
    """Close an open round now (or record the close of one whose deadline passed) with the
    moderator's outcome statement."""
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    rules.check_close(RoundStatus(round_.status))
    text = _outcome(outcome)
    before = _state(round_)
    now = utcnow()
    deadline_passed = round_.closes_at is not None and round_.closes_at <= now
    round_.closed_at = round_.closes_at if deadline_passed else now
    if not deadline_passed:
        round_.deadline_before_close = round_.closes_at  # shown beside the early close
        round_.closes_at = now
    round_.status = RoundStatus.CLOSED
    round_.outcome = text
    round_.version += 1
    record(
        db,
        viewer.user_id,
        "round.closed",
        "round",
        round_id,
        before=before,
        after=_state(round_),
        early=not deadline_passed,
    )
    notifications.notify_round(
        db,
        round_id,
        "round.closed",
        f"“{round_.title}” is closed; its draft outcome is on the round page.",
    )
    return round_


def write_outcome(db: Session, viewer: Viewer, round_id: int, outcome: str) -> Round:
    """Revise the outcome of a closed round before it is published."""
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    refusal = rules.outcome_refusal(RoundStatus(round_.status))
    if refusal is not None:
        raise refusal
    before = round_.outcome
    round_.outcome = _outcome(outcome)
    round_.version += 1
    reset = signoff.reset_confirmations(db, round_id)  # a revised text is confirmed anew
    record(
        db,
        viewer.user_id,
        "round.outcome_revised",
        "round",
        round_id,
        before=before,
        after=round_.outcome,
        confirmations_reset=reset,
    )
    return round_


def extend(
    db: Session, viewer: Viewer, round_id: int, closes_at: datetime | None, reason: str
) -> Round:
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    now = utcnow()
    status = effective_status(round_.status, round_.opens_at, round_.closes_at, now)
    new = rules.check_extend(status, round_.closes_at, closes_at, now)
    why = rules.clean_reason(reason, required=False)
    before = _state(round_)
    round_.closes_at = new
    round_.version += 1
    record(
        db,
        viewer.user_id,
        "round.extended",
        "round",
        round_id,
        reason=why,
        before=before,
        after=_state(round_),
    )
    return round_


def reopen(
    db: Session, viewer: Viewer, round_id: int, closes_at: datetime | None, reason: str
) -> Round:
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    now = utcnow()
    status = effective_status(round_.status, round_.opens_at, round_.closes_at, now)
    why = rules.clean_reason(reason, required=True)
    new = rules.check_reopen(status, closes_at, now)
    before = _state(round_)
    round_.status = RoundStatus.OPEN
    round_.closes_at = new
    round_.closed_at = None
    round_.deadline_before_close = None
    round_.version += 1
    record(
        db,
        viewer.user_id,
        "round.reopened",
        "round",
        round_id,
        reason=why,
        before=before,
        after=_state(round_),
    )
    notifications.notify_round(
        db, round_id, "round.reopened", f"“{round_.title}” is open again for posting."
    )
    return round_


def publish(db: Session, viewer: Viewer, round_id: int) -> Round:
    require_moderator(viewer)
    round_ = lock_round(db, round_id)
    now = utcnow()
    status = effective_status(round_.status, round_.opens_at, round_.closes_at, now)
    decided = {g: s.status for g, s in signoff.signoffs(db, round_id).items()}
    refusal = rules.publish_refusal(
        status, RoundStatus(round_.status), round_.outcome, decided, round_.signoff_deadline, now
    )
    if refusal is not None:
        raise refusal
    silent = [g.value for g in Group if decided.get(g, "requested") == "requested"]
    before = _state(round_)
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = now
    round_.version += 1
    record(
        db,
        viewer.user_id,
        "round.published",
        "round",
        round_id,
        before=before,
        after=_state(round_),
        signoff={group.value: status for group, status in decided.items()},
        no_answer_by_signoff_deadline=silent,
    )
    notifications.notify_round(
        db, round_id, "round.published", f"“{round_.title}” is published with its outcome."
    )
    return round_
