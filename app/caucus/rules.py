"""Rules of a group's caucus: who enters it, what they may do there, and when a group
statement may be endorsed and published. Pure: plain values in, decisions out.

Who is in a group's caucus in a round: the people holding an active mandate (representatives
and focal points) from an organisation of THAT group invited to the round. Nobody else — not
the other groups, not observers, not moderators, not administrators — unless the group has
invited the round's moderators: moderators and administrators may then read the caucus, never
post in it, endorse or publish. Everyone without access is told there is no such page (404),
so that nothing is revealed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.accounts.rules import Speaking, Viewer
from app.errors import Conflict, DomainError
from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.rounds.rules import clean_text
from app.vocabulary import Group, RoundStatus

POST_MAX = 5_000
STATEMENT_MAX = 20_000
#: The same text posted again by the same person this soon is a double click or a retry.
REPEAT_WINDOW = timedelta(seconds=30)
#: Statuses in which a caucus takes posts and statements (it is read-only afterwards).
WRITABLE = frozenset({RoundStatus.SCHEDULED, RoundStatus.OPEN})

#: A group's caucus named as a page title ("Workers' caucus").
CAUCUS_TITLES = Labels(
    {
        Group.GOVERNMENT: N_("Government caucus"),
        Group.WORKERS: N_("Workers' caucus"),
        Group.EMPLOYERS: N_("Employers' caucus"),
    }
)

#: A published group statement's heading on the round page.
STATEMENT_TITLES = Labels(
    {
        Group.GOVERNMENT: N_("Statement of the government group"),
        Group.WORKERS: N_("Statement of the workers group"),
        Group.EMPLOYERS: N_("Statement of the employers group"),
    }
)


class Access(StrEnum):
    """What a person may do in a group's caucus."""

    NONE = "none"  # 404: the caucus does not exist for them
    READ = "read"  # a moderator or administrator the group has invited
    MEMBER = "member"  # reads, posts, drafts, endorses and publishes


def parse_group(value: str) -> Group | None:
    try:
        return Group(value)
    except ValueError:
        return None


def member_mandates(
    viewer: Viewer, group: Group, invited: Mapping[int, Group]
) -> tuple[Speaking, ...]:
    """The viewer's active mandates from organisations of ``group`` invited to the round
    (``invited``: organisation id -> its group)."""
    return tuple(m for m in viewer.mandates if invited.get(m.organisation_id) is group)


def access(
    viewer: Viewer | None,
    group: Group,
    invited: Mapping[int, Group],
    status: RoundStatus,
    moderators_invited: bool,
) -> Access:
    """Who may enter a group's caucus in a round (see the module's docstring).

    A draft round has no caucus yet: it is not announced to the organisations."""
    if viewer is None or status is RoundStatus.DRAFT:
        return Access.NONE
    if member_mandates(viewer, group, invited):
        return Access.MEMBER
    if moderators_invited and viewer.may_moderate:
        return Access.READ
    return Access.NONE


def require_writable(status: RoundStatus) -> None:
    """Posts and statements while the round is scheduled or open; read-only afterwards."""
    if status not in WRITABLE:
        raise Conflict(_("The round is closed: its caucus can be read but no longer written in."))


def check_post(body: str) -> str:
    return clean_text(
        body, field="body", label=N_("The message"), max_length=POST_MAX, required=True
    )


def check_statement(text: str) -> str:
    return clean_text(
        text,
        field="text",
        label=N_("The statement"),
        max_length=STATEMENT_MAX,
        required=True,
    )


def is_repeat(last_body: str | None, last_at: datetime | None, body: str, now: datetime) -> bool:
    """The author's latest post in this caucus has the same text and is seconds old: the
    same message sent twice (a double click, a retry), not a new one."""
    if last_body is None or last_at is None:
        return False
    return last_body == body and now - last_at < REPEAT_WINDOW


def fingerprint(text: str) -> str:
    """A short fingerprint of a statement's text: a form carries the one its reader saw, so
    nobody endorses, publishes or overwrites a text they have not read."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def require_seen(current_text: str, seen: str) -> None:
    """The reader's form was built from the current text (an empty ``seen``: not checked)."""
    if seen and seen != fingerprint(current_text):
        raise DomainError(
            _(
                "The draft statement changed since you opened this page: read the "
                "current text (shown here) and try again."
            ),
            field="text",
            status_code=409,
        )


@dataclass(frozen=True)
class StatementState:
    """What the rules need to know about a group statement."""

    published: bool
    endorsements: int


#: At least this many organisations of the group endorse a statement before it is published.
MIN_ENDORSEMENTS = 1


def require_draft(state: StatementState) -> None:
    if state.published:
        raise Conflict(_("This statement is published: it can no longer be changed or endorsed."))


def publish_refusal(published: bool, endorsements: int) -> DomainError | None:
    """Why a statement cannot be published now (None: it can). The caucus page shows its
    "Publish" button disabled with this reason; the publication refuses with it."""
    if published:
        return Conflict(_("This statement is published: it can no longer be changed or endorsed."))
    if endorsements < MIN_ENDORSEMENTS:
        return DomainError(
            _(
                "At least one organisation of the group must endorse the statement "
                "before it is published."
            ),
            field="publish",
            status_code=409,
        )
    return None


def require_publishable(state: StatementState) -> None:
    """A member publishes a draft that at least one organisation of the group endorses;
    the endorsing organisations sign it, and signatures are closed at publication."""
    refusal = publish_refusal(state.published, state.endorsements)
    if refusal is not None:
        raise refusal
