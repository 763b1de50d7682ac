"""Rules of the round lifecycle and of moderation. Pure: plain values in, decisions out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from app.vocabulary import Group, RoundStatus

HIDE_REASONS = {
    "off_topic": "Off topic",
    "personal_attack": "Personal attack or harassment",
    "confidential": "Confidential or personal information",
    "spam": "Spam or advertising",
    "other": "Other",
}
FLAG_THRESHOLD = 3
REASON_MAX = 1_000
WARNING_HOURS = (24, 48)


class LifecycleError(Exception):
    """A refused lifecycle or moderation action (422 for what was typed, 409 for the state)."""

    def __init__(self, message: str, field: str | None = None, status_code: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status_code = status_code


def clean_reason(reason: str, *, required: bool, field: str = "reason") -> str:
    reason = " ".join(reason.split())
    if required and not reason:
        raise LifecycleError("Give a reason: it is recorded in the audit log.", field, 422)
    if len(reason) > REASON_MAX:
        raise LifecycleError(f"The reason is limited to {REASON_MAX:,} characters.", field, 422)
    return reason


def check_close(status: RoundStatus) -> None:
    if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        raise LifecycleError("This round is already closed.")
    if status is not RoundStatus.OPEN:
        raise LifecycleError("Only an open round can be closed; this one has not opened yet.")


def check_extend(
    status: RoundStatus, current: datetime | None, new: datetime | None, now: datetime
) -> datetime:
    if status is RoundStatus.PUBLISHED:
        raise LifecycleError("A published round cannot be extended.")
    if status is RoundStatus.CLOSED:
        raise LifecycleError("This round is closed: reopen it (with a reason) to extend it.")
    if new is None:
        raise LifecycleError("Give the new deadline.", "closes_at", 422)
    if new <= now:
        raise LifecycleError("The new deadline must be in the future.", "closes_at", 422)
    if current is not None and new <= current:
        raise LifecycleError(
            "The new deadline must be later than the current one (close the round early instead).",
            "closes_at",
            422,
        )
    return new


def check_reopen(status: RoundStatus, new: datetime | None, now: datetime) -> datetime:
    if status is RoundStatus.PUBLISHED:
        raise LifecycleError("A published round cannot be reopened: its record is final.")
    if status is not RoundStatus.CLOSED:
        raise LifecycleError("Only a closed round can be reopened.")
    if new is None or new <= now:
        raise LifecycleError("Give a new deadline in the future.", "closes_at", 422)
    return new


def check_publish(status: RoundStatus, outcome: str | None) -> None:
    if status is RoundStatus.PUBLISHED:
        raise LifecycleError("This round is already published.")
    if status is not RoundStatus.CLOSED:
        raise LifecycleError("Close the round before publishing it.")
    if not (outcome or "").strip():
        raise LifecycleError("Write the outcome before publishing.", "outcome", 422)


def silent_groups(posted_by_group: dict[Group, int]) -> list[Group]:
    """Groups none of whose organisations posted a position (said plainly in the outcome)."""
    return [group for group in Group if posted_by_group.get(group, 0) == 0]


def parity_warning(
    status: RoundStatus,
    closes_at: datetime | None,
    posted_by_group: dict[Group, int],
    now: datetime,
) -> tuple[int, list[Group]] | None:
    """(hours, silent groups) when a group has no position and the deadline is within 24 or
    48 hours; None otherwise."""
    if status is not RoundStatus.OPEN or closes_at is None:
        return None
    silent = silent_groups(posted_by_group)
    if not silent:
        return None
    left = closes_at - now
    for hours in WARNING_HOURS:
        if left <= timedelta(hours=hours):
            return hours, silent
    return None


def should_hide_pending_review(
    flagging_organisations: Iterable[int | None], threshold: int = FLAG_THRESHOLD
) -> bool:
    """A comment flagged by ``threshold`` different organisations is hidden pending review."""
    return len({o for o in flagging_organisations if o is not None}) >= threshold


def dashboard_bucket(status: RoundStatus, closes_at: datetime | None, now: datetime) -> str:
    """draft, scheduled, open, closing soon (within 48 hours), closed or published."""
    if (
        status is RoundStatus.OPEN
        and closes_at is not None
        and closes_at - now <= timedelta(hours=48)
    ):
        return "closing_soon"
    return status.value


SIGNOFF_STATUSES = ("requested", "confirmed", "reservation")


def publication_blocked(
    signoffs: dict[Group, str], deadline: datetime | None, now: datetime
) -> str | None:
    """Why the round cannot be published yet, or None: every group has confirmed or filed a
    reservation, or the sign-off deadline has passed (the record then says who did not)."""
    if not signoffs:
        return "Ask each group's spokesperson to sign off the draft outcome before publishing."
    waiting = [group for group in Group if signoffs.get(group, "requested") == "requested"]
    if not waiting:
        return None
    if deadline is not None and deadline <= now:
        return None
    names = " and ".join(group.label.lower() for group in waiting)
    return (
        f"Waiting for the {names} group{'s' if len(waiting) > 1 else ''} to confirm or "
        f"file a reservation (or for the sign-off deadline to pass)."
    )
