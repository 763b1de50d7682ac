"""Rules of the round lifecycle and of moderation. Pure: plain values in, decisions out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from babel.numbers import format_decimal

from app.errors import Conflict, DomainError
from app.i18n import N_, Labels, current_language
from app.i18n import gettext as _
from app.text_rules import clean_line
from app.vocabulary import Group, RoundStatus

#: Why a moderator hides a comment. The code is what the form sends; the comment stores the
#: English label (with the moderator's note), shown in the reader's language by
#: ``shown_reason``.
HIDE_REASONS = Labels(
    {
        "off_topic": N_("Off topic"),
        "personal_attack": N_("Personal attack or harassment"),
        "confidential": N_("Confidential or personal information"),
        "spam": N_("Spam or advertising"),
        "other": N_("Other"),
    }
)
#: The reason stored on a comment hidden because enough organisations flagged it.
HIDDEN_PENDING_REVIEW = N_("Hidden pending review: flagged by several organisations")
#: A group named in a sentence, as a whole noun phrase: "the workers group's spokesperson".
GROUP_IN_SENTENCE = Labels(
    {
        Group.GOVERNMENT: N_("government group"),
        Group.WORKERS: N_("workers group"),
        Group.EMPLOYERS: N_("employers group"),
    }
)
FLAG_THRESHOLD = 3
REASON_MAX = 1_000
WARNING_HOURS = (24, 48)


def clean_reason(reason: str, *, required: bool, field: str = "reason") -> str:
    """A reason on one line (line breaks folded into spaces); control and bidirectional
    formatting characters (NUL included) refused."""
    reason = clean_line(" ".join(reason.split()), field)
    if required and not reason:
        raise DomainError(_("Give a reason: it is recorded in the audit log."), field=field)
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("The reason is limited to %(limit)s characters.") % {"limit": _number(REASON_MAX)},
            field=field,
        )
    return reason


def _number(value: int) -> str:
    """A whole number written in the reader's language ("1,000", "1 000")."""
    return format_decimal(value, locale=current_language())


def shown_reason(stored: str | None) -> str | None:
    """A comment's stored moderation reason (the English label of a hiding reason, then the
    moderator's note after a colon) in the reader's language; other text as it was written."""
    if stored is None:
        return None
    if stored == HIDDEN_PENDING_REVIEW:
        return _(HIDDEN_PENDING_REVIEW)
    for code in HIDE_REASONS:
        label = HIDE_REASONS.english(code)
        if stored == label:
            return HIDE_REASONS[code]
        if stored.startswith(f"{label}: "):
            note = stored[len(label) + 2 :]
            return _("%(reason)s: %(note)s") % {"reason": HIDE_REASONS[code], "note": note}
    return stored


def group_list(groups: Iterable[Group]) -> str:
    """Groups named together in a sentence: "government and employers"."""
    names = [group.label.lower() for group in groups]
    joined = names[0] if names else ""
    for name in names[1:]:
        joined = _("%(first)s and %(second)s") % {"first": joined, "second": name}
    return joined


def close_refusal(status: RoundStatus) -> DomainError | None:
    """Why an open round cannot be closed now (None: it can). The round page offers "Close"
    only when this is None; the close refuses with it."""
    if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        return FlaggingClosed(_("This round is already closed."))
    if status is not RoundStatus.OPEN:
        return Conflict(_("Only an open round can be closed; this one has not opened yet."))
    return None


def check_close(status: RoundStatus) -> None:
    _raise(close_refusal(status))


def _raise(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


def extend_refusal(status: RoundStatus) -> DomainError | None:
    """Whether the deadline may be moved now, whatever the new date (checked when given)."""
    if status is RoundStatus.PUBLISHED:
        return Conflict(_("A published round cannot be extended."))
    if status is RoundStatus.CLOSED:
        return Conflict(_("This round is closed: reopen it (with a reason) to extend it."))
    if status is RoundStatus.DRAFT:
        return Conflict(_("A draft round's deadline is set when it is opened."))
    return None


def reopen_refusal(status: RoundStatus) -> DomainError | None:
    if status is RoundStatus.PUBLISHED:
        return Conflict(_("A published round cannot be reopened: its record is final."))
    if status is not RoundStatus.CLOSED:
        return Conflict(_("Only a closed round can be reopened."))
    return None


def outcome_refusal(recorded: RoundStatus) -> DomainError | None:
    """The outcome is revised while the round is recorded as closed (not yet published)."""
    if recorded is not RoundStatus.CLOSED:
        return Conflict(
            _("The outcome can be revised only while the round is closed and not yet published.")
        )
    return None


def premoderation_refusal(status: RoundStatus) -> DomainError | None:
    """Pre-moderation is switched while comments can still be posted: scheduled or open."""
    if status not in (RoundStatus.SCHEDULED, RoundStatus.OPEN):
        return Conflict(
            _("Pre-moderation can be switched only while the round is scheduled or open.")
        )
    return None


def check_extend(
    status: RoundStatus, current: datetime | None, new: datetime | None, now: datetime
) -> datetime:
    _raise(extend_refusal(status))
    if new is None:
        raise DomainError(_("Give the new deadline."), field="closes_at")
    if new <= now:
        raise DomainError(_("The new deadline must be in the future."), field="closes_at")
    if current is not None and new <= current:
        raise DomainError(
            _(
                "The new deadline must be later than the current one "
                "(close the round early instead)."
            ),
            field="closes_at",
        )
    return new


def check_reopen(status: RoundStatus, new: datetime | None, now: datetime) -> datetime:
    _raise(reopen_refusal(status))
    if new is None or new <= now:
        raise DomainError(_("Give a new deadline in the future."), field="closes_at")
    return new


def check_publish(status: RoundStatus, outcome: str | None) -> None:
    if status is RoundStatus.PUBLISHED:
        raise Conflict(_("This round is already published."))
    if status is not RoundStatus.CLOSED:
        raise Conflict(_("Close the round before publishing it."))
    if not (outcome or "").strip():
        raise DomainError(_("Write the outcome before publishing."), field="outcome")


def publish_refusal(
    status: RoundStatus,
    recorded: RoundStatus,
    outcome: str | None,
    signoffs: dict[Group, str],
    signoff_deadline: datetime | None,
    now: datetime,
) -> DomainError | None:
    """Why the round cannot be published now (None: it can): ``status`` is the effective one
    (a passed deadline closes it), ``recorded`` the stored one (the moderator closed it with
    its outcome). The round page offers "Publish" only when None, or shows this reason."""
    if status is RoundStatus.CLOSED and recorded is not RoundStatus.CLOSED:
        return Conflict(_("Close the round with its outcome before publishing it."))
    try:
        check_publish(status, outcome)
    except DomainError as refusal:
        return refusal
    blocked = publication_blocked(signoffs, signoff_deadline, now)
    return Conflict(blocked) if blocked else None


def signoff_request_refusal(
    recorded: RoundStatus, outcome: str | None, signoffs: dict[Group, str]
) -> DomainError | None:
    """The groups are asked to sign off once the round is closed with its outcome, and until
    every group has answered (then the round is ready to publish)."""
    if recorded is not RoundStatus.CLOSED or not (outcome or "").strip():
        return DomainError(
            _(
                "Sign-off is asked for once the round is closed with its outcome, "
                "and before it is published."
            ),
            status_code=409,
        )
    if signoffs and all(signoffs.get(g, "requested") != "requested" for g in Group):
        return Conflict(
            _("Every group has answered the sign-off request: the round can be published.")
        )
    return None


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


class FlaggingClosed(Conflict):
    """The round is not open: its comments are not flagged (the page says so; no form)."""


def flag_refusal(status: RoundStatus) -> FlaggingClosed | None:
    """Participants flag comments while the round is open. Once it is closed (signing off,
    published) its record stands: no flag, and so no automatic hiding, can change it; a
    moderator's explicit action (recorded in the audit log) still can."""
    if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        return FlaggingClosed(
            _(
                "This round is closed: its record stands, and its comments can no longer be "
                "flagged. A moderator can still act on a comment if it must be."
            )
        )
    if status is not RoundStatus.OPEN:
        return FlaggingClosed(_("This round is not open: its comments cannot be flagged."))
    return None


def check_flaggable(status: RoundStatus) -> None:
    _raise(flag_refusal(status))


def dismiss_flags_refusal(open_flags: int) -> DomainError | None:
    """A comment's flags are dismissed only when it has open ones."""
    if open_flags <= 0:
        return Conflict(_("This comment has no open flags."))
    return None


def seen_fingerprint(body_html: str) -> str:
    """A short fingerprint of a comment's text as a moderator's page shows it: the forms that
    make a comment public carry it, so that no one approves a text they have not read."""
    return hashlib.sha256(body_html.encode("utf-8")).hexdigest()[:16]


def check_seen(body_html: str, seen: str) -> None:
    """The moderator's form was built from the comment's current text (empty: not checked)."""
    if seen and seen != seen_fingerprint(body_html):
        raise Conflict(
            _(
                "The comment was edited since you opened this page: read its new text, "
                "then decide again."
            )
        )


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
        return _("Ask each group's spokesperson to sign off the draft outcome before publishing.")
    waiting = [group for group in Group if signoffs.get(group, "requested") == "requested"]
    if not waiting:
        return None
    if deadline is not None and deadline <= now:
        return None
    if len(waiting) == 1:
        return _(
            "Waiting for the %(group)s to confirm or file a reservation "
            "(or for the sign-off deadline to pass)."
        ) % {"group": GROUP_IN_SENTENCE[waiting[0]]}
    return _(
        "Waiting for the %(groups)s groups to confirm or file a reservation "
        "(or for the sign-off deadline to pass)."
    ) % {"groups": group_list(waiting)}
