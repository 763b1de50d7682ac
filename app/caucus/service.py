"""Use cases of a group's caucus: entering it (or being told it does not exist), its messages,
and inviting the moderators in (the group statement: app.caucus.statements).

Nothing written in a caucus bumps the round's version except a publication: the version is
public (the round page polls it), and a caucus's activity must not show through it. Nor does
it show in the shared audit log (app.audit.rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app import markdown
from app.accounts.models import User
from app.accounts.rules import Speaking, Viewer, mandate_is_active
from app.caucus import rules
from app.caucus.models import CaucusInvitation, CaucusPost
from app.db import read, utcnow
from app.errors import Forbidden, NotFound, TooManyAttempts
from app.i18n import gettext as _
from app.i18n import ngettext
from app.organisations.models import Mandate, Organisation
from app.rounds import rules as round_rules
from app.rounds.models import Round
from app.rounds.queries import (
    RoundHeader,
    header_of,
    invited_mandates,
    invited_organisations,
    round_headers,
)
from app.rounds.service import lock_round
from app.vocabulary import Group

#: The newest messages a caucus page shows.
POSTS_SHOWN = 200


@dataclass(frozen=True)
class Caucus:
    """A group's caucus in a round, as one viewer may use it."""

    round: RoundHeader
    group: Group
    access: rules.Access
    #: The viewer's mandates from the group's invited organisations (members only).
    mandates: tuple[Speaking, ...]
    moderators_invited: bool
    #: The group's organisations invited to the round: (id, name), by name.
    organisations: tuple[tuple[int, str], ...]

    @property
    def is_member(self) -> bool:
        return self.access is rules.Access.MEMBER

    @property
    def writable(self) -> bool:
        return self.round.status in rules.WRITABLE

    @property
    def may_write(self) -> bool:
        return self.is_member and self.writable

    @property
    def speaking(self) -> Speaking | None:
        """The organisation the viewer speaks for here (their first mandate in the group)."""
        return self.mandates[0] if self.mandates else None


def _no_such_page() -> NotFound:
    return NotFound(_("There is no such page."))


def enter(db: Session, viewer: Viewer, round_id: int, group_value: str) -> Caucus:
    """The caucus, if this viewer may enter it; otherwise 404, as if it did not exist."""
    group = rules.parse_group(group_value)
    if group is None:
        raise _no_such_page()
    invited_moderators = (
        select(CaucusInvitation.id)
        .where(
            CaucusInvitation.round_id == Round.id,
            CaucusInvitation.group_name == group,
            CaucusInvitation.revoked_at.is_(None),
        )
        .exists()
        .label("moderators_invited")
    )
    row = read(db, round_headers(invited_moderators).where(Round.id == round_id)).one_or_none()
    if row is None:
        raise _no_such_page()
    header = header_of(row, utcnow())
    invited = read(db, invited_organisations(round_id)).all()
    groups = {r.id: r.group_name for r in invited}
    access = rules.access(viewer, group, groups, header.status, bool(row.moderators_invited))
    if access is rules.Access.NONE:
        raise _no_such_page()
    return Caucus(
        header,
        group,
        access,
        rules.member_mandates(viewer, group, groups),
        bool(row.moderators_invited),
        tuple((r.id, r.name) for r in invited if r.group_name == group),
    )


def enter_to_write(db: Session, viewer: Viewer, round_id: int, group_value: str) -> Caucus:
    """The caucus, for a member, while it takes writes (moderators invited in only read)."""
    caucus = enter(db, viewer, round_id, group_value)
    if not caucus.is_member:
        raise Forbidden(
            _(
                "Moderators invited into a caucus read it; only the group's representatives "
                "write in it."
            )
        )
    rules.require_writable(caucus.round.status)
    return caucus


def lock_writable(db: Session, round_id: int) -> Round:
    """Lock the round (a close racing this write comes before it or after it), then check its
    status again."""
    round_ = lock_round(db, round_id)
    status = round_rules.effective_status(
        round_.status, round_.opens_at, round_.closes_at, utcnow()
    )
    rules.require_writable(status)
    return round_


# -- messages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostView:
    id: int
    author_id: int
    author: str
    organisation: str
    body_html: str
    created_at: datetime


def older_window(db: Session, caucus: Caucus, upto: int) -> bool:
    """Whether message ``upto`` is older than the newest POSTS_SHOWN of the caucus (so the
    page shows the messages up to it instead of the newest)."""
    newer = read(
        db,
        select(func.count())
        .select_from(CaucusPost)
        .where(
            CaucusPost.round_id == caucus.round.id,
            CaucusPost.group_name == caucus.group,
            CaucusPost.id > upto,
        ),
    ).scalar_one()
    return int(newer) >= POSTS_SHOWN


def posts(
    db: Session, caucus: Caucus, *, after: int = 0, upto: int | None = None
) -> tuple[list[PostView], bool]:
    """The newest messages (oldest first), or with ``upto`` the newest up to and including
    that one, and whether older ones were left out (one query)."""
    rows = read(
        db,
        select(
            CaucusPost.id,
            CaucusPost.author_id,
            CaucusPost.body_html,
            CaucusPost.created_at,
            User.name.label("author"),
            Organisation.name.label("organisation"),
        )
        .join(User, User.id == CaucusPost.author_id)
        .outerjoin(Organisation, Organisation.id == CaucusPost.organisation_id)
        .where(
            CaucusPost.round_id == caucus.round.id,
            CaucusPost.group_name == caucus.group,
            CaucusPost.id > after,
            CaucusPost.id <= upto if upto is not None else true(),
        )
        .order_by(CaucusPost.id.desc())
        .limit(POSTS_SHOWN + 1),
    ).all()
    views = [
        PostView(r.id, r.author_id, r.author, r.organisation or "", r.body_html, r.created_at)
        for r in rows[:POSTS_SHOWN]
    ]
    return views[::-1], len(rows) > POSTS_SHOWN


def post(
    db: Session,
    viewer: Viewer,
    round_id: int,
    group_value: str,
    body: str,
    *,
    posting_limit: int = round_rules.POSTS_PER_WINDOW,
) -> CaucusPost:
    """A member's message in the caucus (markdown), limited like comments."""
    caucus = enter_to_write(db, viewer, round_id, group_value)
    body = rules.check_post(body)
    speaking = caucus.speaking
    assert speaking is not None  # a member
    _check_posting_limit(db, viewer, posting_limit)
    lock_writable(db, round_id)
    latest = db.scalar(
        select(CaucusPost)
        .where(
            CaucusPost.round_id == round_id,
            CaucusPost.group_name == caucus.group,
            CaucusPost.author_id == viewer.user_id,
        )
        .order_by(CaucusPost.id.desc())
        .limit(1)
    )
    now = utcnow()
    if latest is not None and rules.is_repeat(latest.body, latest.created_at, body, now):
        return latest  # the same message sent twice: a double click or a retry
    message = CaucusPost(
        round_id=round_id,
        group_name=caucus.group,
        author_id=viewer.user_id,
        organisation_id=speaking.organisation_id,
        body=body,
        body_html=markdown.render(body),
        created_at=now,
    )
    db.add(message)
    db.flush()
    return message


def _check_posting_limit(db: Session, viewer: Viewer, posting_limit: int) -> None:
    """At most ``posting_limit`` caucus messages per account within the posting window (the
    comments' limit, counted on its own)."""
    nth_latest = db.scalar(
        select(CaucusPost.created_at)
        .where(CaucusPost.author_id == viewer.user_id)
        .order_by(CaucusPost.created_at.desc())
        .offset(max(posting_limit, 1) - 1)
        .limit(1)
    )
    wait = round_rules.posting_wait(nth_latest, utcnow())
    if wait:
        posted = ngettext(
            "You have posted %(count)d message in the last %(minutes)d minutes.",
            "You have posted %(count)d messages in the last %(minutes)d minutes.",
            posting_limit,
        ) % {"count": posting_limit, "minutes": round_rules.POSTING_WINDOW.seconds // 60}
        again = ngettext(
            "Please wait %(seconds)d second and send it again (your text is kept below).",
            "Please wait %(seconds)d seconds and send it again (your text is kept below).",
            wait,
        ) % {"seconds": wait}
        raise TooManyAttempts(f"{posted} {again}", retry_after=wait)


# -- the moderators' invitation ------------------------------------------------------------------


def set_moderators_invited(
    db: Session, viewer: Viewer, round_id: int, group_value: str, invited: bool
) -> None:
    """A member lets the round's moderators read the caucus, or stops letting them."""
    caucus = enter(db, viewer, round_id, group_value)
    if not caucus.is_member:
        raise Forbidden(_("Only the group's representatives invite moderators into its caucus."))
    lock_round(db, round_id)
    row = db.scalar(
        select(CaucusInvitation).where(
            CaucusInvitation.round_id == round_id,
            CaucusInvitation.group_name == caucus.group,
        )
    )
    now = utcnow()
    if invited:
        if row is not None and row.revoked_at is None:
            return
        if row is None:
            row = CaucusInvitation(round_id=round_id, group_name=caucus.group)
            db.add(row)
        row.invited_by_id, row.created_at, row.revoked_at = viewer.user_id, now, None
    else:
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = now
    # not in the shared audit log: the invitation row keeps who let the moderators in, and
    # when; the log's readers are outside the group (app.audit.rules)


def group_members(db: Session, round_id: int, group: Group) -> list[int]:
    """People holding an active mandate from an organisation of ``group`` invited to the round:
    the only ones told about the caucus's activity."""
    now = utcnow()
    rows = db.execute(
        invited_mandates(round_id)
        .join(Organisation, Organisation.id == Mandate.organisation_id)
        .where(Organisation.group_name == group)
    )
    return sorted(
        {r.user_id for r in rows if mandate_is_active(r.starts_at, r.expires_at, r.revoked_at, now)}
    )
