"""Rules of a round: who may read and post, when, and in what order groups appear. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from babel import numbers as babel_numbers

from app.accounts.rules import Speaking, Viewer
from app.errors import Conflict, DomainError, Forbidden
from app.i18n import N_, Labels, current_language
from app.i18n import gettext as _
from app.text_rules import clean_line
from app.vocabulary import Group, RoundStatus, Stance, Visibility

BASE_ORDER = (Group.GOVERNMENT, Group.EMPLOYERS, Group.WORKERS)
STATEMENT_MAX = 20_000
COMMENT_MAX = 5_000
COMMENT_EDIT_WINDOW = timedelta(minutes=15)
STATEMENT_REQUIRED = frozenset({Stance.OPPOSE, Stance.SUPPORT_WITH_RESERVATIONS})
#: Posting is rate-limited per account: at most POSTS_PER_WINDOW comments in any
#: POSTING_WINDOW. A steady pace of one comment every 10 seconds (12 in two minutes) never
#: meets the limit; a script flooding a round does.
POSTS_PER_WINDOW = 20
POSTING_WINDOW = timedelta(minutes=2)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

STANCE_LABELS = Labels(
    {
        Stance.SUPPORT: N_("Support"),
        Stance.SUPPORT_WITH_RESERVATIONS: N_("Support with reservations"),
        Stance.NEUTRAL: N_("Neutral"),
        Stance.OPPOSE: N_("Oppose"),
        Stance.ABSTAIN: N_("Abstain"),
    }
)

#: A round's status as its badge shows it (lowercase, like the status value).
ROUND_STATUS_LABELS = Labels(
    {
        RoundStatus.DRAFT: N_("draft"),
        RoundStatus.SCHEDULED: N_("scheduled"),
        RoundStatus.OPEN: N_("open"),
        RoundStatus.CLOSED: N_("closed"),
        RoundStatus.PUBLISHED: N_("published"),
    }
)

#: Each group named as the subject of a sentence ("The workers group posted no position").
GROUP_SUBJECTS = Labels(
    {
        Group.GOVERNMENT: N_("The government group"),
        Group.WORKERS: N_("The workers group"),
        Group.EMPLOYERS: N_("The employers group"),
    }
)


def column_order(round_id: int) -> tuple[Group, ...]:
    """The groups' column order, rotated from round to round so that no group is always first."""
    shift = round_id % len(BASE_ORDER)
    return BASE_ORDER[shift:] + BASE_ORDER[:shift]


def effective_status(
    status: RoundStatus, opens_at: datetime | None, closes_at: datetime | None, now: datetime
) -> RoundStatus:
    """The status that holds now: a scheduled round opens on time and a round past its deadline
    is closed, whether or not any background job has run."""
    if status is RoundStatus.SCHEDULED and opens_at is not None and opens_at <= now:
        status = RoundStatus.OPEN
    if status is RoundStatus.OPEN and closes_at is not None and closes_at <= now:
        return RoundStatus.CLOSED
    return status


def may_read(viewer: Viewer, status: RoundStatus) -> bool:
    """Drafts are for moderators and admins; every signed-in person may read a round after."""
    if status is RoundStatus.DRAFT:
        return viewer.may_moderate
    return True


def speaker_for(viewer: Viewer, invited: Iterable[int], status: RoundStatus) -> Speaking:
    """The organisation this person posts for in the round, or why they may not post."""
    if status is not RoundStatus.OPEN:
        if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
            raise Conflict(_("This round is closed: nothing more can be posted."))
        raise Conflict(_("This round is not open yet."))
    invited_ids = set(invited)
    for mandate in viewer.mandates:
        if mandate.organisation_id in invited_ids:
            return mandate
    if viewer.platform_role is not None:
        raise Forbidden(
            _(
                "Only representatives of invited organisations post in a round; "
                "moderators, observers and administrators read."
            )
        )
    raise Forbidden(
        _("Your organisation is not invited to this round, so you can read it but not post.")
    )


def posting_wait(nth_latest: datetime | None, now: datetime) -> int:
    """Seconds to wait before posting again (0: post now), given when the author's
    POSTS_PER_WINDOW-th latest comment was posted."""
    if nth_latest is None or now - nth_latest >= POSTING_WINDOW:
        return 0
    return max(1, int((nth_latest + POSTING_WINDOW - now).total_seconds()) + 1)


def format_number(value: int) -> str:
    """A count in the reader's language ("20,000", "20 000", "20.000")."""
    return babel_numbers.format_decimal(value, locale=current_language())


#: Refusals of fields whose label is a bare noun that is also a form label ("Title"): whole
#: sentences (control characters, required, too long), as a translation needs the article.
_BARE_LABEL_REFUSALS = {
    "Title": (
        N_("Title contains control characters; remove them and try again."),
        N_("Title is required."),
        N_("Title is %(length)s characters long; the limit is %(limit)s."),
    ),
    "Brief": (
        N_("Brief contains control characters; remove them and try again."),
        N_("Brief is required."),
        N_("Brief is %(length)s characters long; the limit is %(limit)s."),
    ),
}
_REFUSALS = (
    N_("%(label)s contains control characters; remove them and try again."),
    N_("%(label)s is required."),
    N_("%(label)s is %(length)s characters long; the limit is %(limit)s."),
)


def clean_text(
    text: str, *, field: str, label: str, max_length: int, required: bool, one_line: bool = False
) -> str:
    """Normalise line endings; refuse control characters (PostgreSQL refuses NUL), overlong text.
    ``one_line`` (a title, a name): also refuse line breaks and bidirectional formatting
    characters, and fold spaces (app.text_rules.clean_line).

    ``label`` names the field in English with its article ("The statement"), marked with
    ``N_`` where it is written; it is translated here, with the refusal."""
    if one_line:
        text = clean_line(text, field)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    control, empty, too_long = _BARE_LABEL_REFUSALS.get(label, _REFUSALS)
    words = {"label": _(label)}
    if _CONTROL.search(text):
        raise DomainError(_(control) % words, field=field)
    if required and not text:
        raise DomainError(_(empty) % words, field=field)
    if len(text) > max_length:
        words |= {"length": format_number(len(text)), "limit": format_number(max_length)}
        raise DomainError(_(too_long) % words, field=field)
    return text


def parse_stance(value: str) -> Stance:
    try:
        return Stance(value)
    except ValueError:
        raise DomainError(_("Choose a stance from the list."), field="stance") from None


def check_position(stance_value: str, statement: str) -> tuple[Stance, str]:
    stance = parse_stance(stance_value)
    statement = clean_text(
        statement,
        field="statement",
        label=N_("The statement"),
        max_length=STATEMENT_MAX,
        required=False,
    )
    if stance in STATEMENT_REQUIRED and not statement:
        raise DomainError(
            _("A statement is required with “%(stance)s”: say why.")
            % {"stance": STANCE_LABELS[stance]},
            field="statement",
        )
    return stance, statement


def check_comment(body: str) -> str:
    return clean_text(
        body, field="body", label=N_("The comment"), max_length=COMMENT_MAX, required=True
    )


def may_edit_comment(viewer: Viewer, author_id: int, created_at: datetime, now: datetime) -> bool:
    return viewer.user_id == author_id and now - created_at <= COMMENT_EDIT_WINDOW


def may_read_comment_text(visibility: Visibility, *, is_author: bool, is_moderator: bool) -> bool:
    """A comment's text is public once it is visible; a hidden or pending one is read by its
    author and the moderators alone (others see that it is there, not what it says)."""
    return visibility is Visibility.VISIBLE or is_author or is_moderator


def edit_awaits_approval(premoderated: bool, visibility: Visibility) -> bool:
    """Whether an edit puts a public comment back to awaiting approval: in a pre-moderated
    round, no text is public before a moderator has approved it, edits included."""
    return premoderated and visibility is Visibility.VISIBLE


def positions_visible(sealed: bool, status: RoundStatus) -> bool:
    """With sealed positions, each organisation sees only its own until the round closes."""
    return not sealed or status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED)


def balanced_ids(items: Sequence[tuple[int, Group]], order: Sequence[Group]) -> list[int]:
    """Ids interleaved round-robin by group in ``order``; within a group, the given order."""
    queues: dict[Group, list[int]] = {group: [] for group in order}
    for item_id, group in items:
        queues[group].append(item_id)
    result: list[int] = []
    index = 0
    while len(result) < len(items):
        for group in order:
            if index < len(queues[group]):
                result.append(queues[group][index])
        index += 1
    return result


_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def idempotency_key(value: str) -> str | None:
    """The form's idempotency key if it is well formed (URL-safe, 8-64 characters), else None:
    a malformed key only loses the duplicate protection, never the post."""
    return value if _KEY.fullmatch(value) else None
