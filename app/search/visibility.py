"""Who may find what: the predicates of docs/search-design.md §1, as SQL on the live source rows.

Each predicate mirrors one rule of the pages (quoted beside it), so that a search finds exactly
what the person could open. They go into the WHERE clause of the statement that checks the
search's candidates, before anything is ranked, counted or faceted (app.search.service): a
row the viewer may not see never reaches the page, so neither the total, the facets nor the
pages give it away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.accounts.rules import Viewer
from app.bodies.models import Seat
from app.db import UTCDateTime
from app.organisations.models import Organisation
from app.rounds.models import Round, RoundInvitation
from app.vocabulary import Confidentiality, Group, MinutesStatus, RoundStatus, Visibility

Condition = ColumnElement[bool]
#: Aliases made once (one made per call adapts its columns again on every search).
_MEMBER_ORG = aliased(Organisation, name="member_org")
_VISIBLE_ROUND = aliased(Round, name="visible_round")


@dataclass(frozen=True)
class Facts:
    """What about the viewer decides what they may find (no query: all of it is on the
    signed-in ``Viewer``). ``orgs`` are the organisations of their active mandates,
    ``orgs_by_group`` the same per the mandate's group (a body's member groups, as
    ``app.meetings.confidentiality.body_viewer`` takes them)."""

    now: datetime
    signed_in: bool = False
    user_id: int = 0
    moderator: bool = False
    orgs: tuple[int, ...] = ()
    orgs_by_group: dict[Group, tuple[int, ...]] = field(default_factory=dict)

    @property
    def groups(self) -> tuple[Group, ...]:
        """The groups whose caucus partitions the viewer's search reads (their mandates')."""
        return tuple(g for g in Group if self.orgs_by_group.get(g))

    @property
    def shape(self) -> tuple[object, ...]:
        """What of the facts changes a statement's text (the rest are its parameters)."""
        return (self.signed_in, self.moderator, bool(self.user_id), bool(self.orgs), self.groups)

    @property
    def placeholder(self) -> Facts:
        """Facts of the same shape whose values match nothing: a statement built from them
        and kept for others of this shape finds nothing with a value it was not given."""
        return Facts(
            now=NEVER,
            signed_in=self.signed_in,
            user_id=-1 if self.user_id else 0,
            moderator=self.moderator,
            orgs=(-1,) if self.orgs else (),
            orgs_by_group={g: (-1,) for g in self.groups},
        )

    @property
    def params(self) -> dict[str, Any]:
        """The values of the parameters the predicates below name."""
        found: dict[str, Any] = {"viewer_user_id": self.user_id, "viewer_now": self.now}
        found["viewer_orgs"] = list(self.orgs)
        for group in self.groups:
            found[f"viewer_orgs_{group.value}"] = list(self.orgs_by_group[group])
        return found


#: The placeholder's time: every deadline and release is after it.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


# The viewer's values enter a statement only as these named parameters (Facts.params).


def user_id(f: Facts) -> Any:
    return bindparam("viewer_user_id", f.user_id, type_=Integer())


def orgs(f: Facts) -> Any:
    return bindparam("viewer_orgs", list(f.orgs), expanding=True, type_=Integer())


def group_orgs(f: Facts, group: Group) -> Any:
    name = f"viewer_orgs_{group.value}"
    return bindparam(name, list(f.orgs_by_group[group]), expanding=True, type_=Integer())


def now(f: Facts) -> Any:
    return bindparam("viewer_now", f.now, type_=UTCDateTime())


def facts(viewer: Viewer | None, now: datetime) -> Facts:
    if viewer is None:
        return Facts(now)
    by_group: dict[Group, list[int]] = {}
    for mandate in viewer.mandates:
        by_group.setdefault(mandate.group, []).append(mandate.organisation_id)
    return Facts(
        now=now,
        signed_in=True,
        user_id=viewer.user_id,
        moderator=viewer.may_moderate,
        orgs=tuple(sorted({m.organisation_id for m in viewer.mandates})),
        orgs_by_group={g: tuple(sorted(set(ids))) for g, ids in by_group.items()},
    )


# -- rounds ------------------------------------------------------------------------------------


def read(f: Facts, r: Any = Round) -> Condition:
    """``app.rounds.rules.may_read``: drafts for moderators; a signed-in person reads the rest
    (a stored draft is never changed by ``effective_status``)."""
    if not f.signed_in:
        return false()
    if f.moderator:
        return true()
    condition: Condition = r.status != RoundStatus.DRAFT
    return condition


def unsealed(f: Facts, r: Any = Round) -> Condition:
    """``rules.positions_visible(sealed, rules.effective_status(...))``: not sealed, or closed
    now (closed or published, or an open or opened-on-time round past its deadline)."""
    at = now(f)
    return or_(
        r.sealed.is_(False),
        r.status.in_([RoundStatus.CLOSED, RoundStatus.PUBLISHED]),
        and_(
            r.closes_at.is_not(None),
            r.closes_at <= at,
            or_(
                r.status == RoundStatus.OPEN,
                and_(
                    r.status == RoundStatus.SCHEDULED,
                    r.opens_at.is_not(None),
                    r.opens_at <= at,
                ),
            ),
        ),
    )


def own_organisation(f: Facts, organisation_id: Any) -> Condition:
    """The row is their own organisation's (``Viewer.speaks_for``)."""
    return organisation_id.in_(orgs(f)) if f.orgs else false()


def member(f: Facts, group: Any, round_id: Any, r: Any = Round) -> Condition:
    """``app.caucus.rules.access(...) is Access.MEMBER``: a mandate from an organisation of
    the group invited to the round, which is not a draft. Moderators the group let read its
    caucus are not given its texts in search (found by the group's members only)."""
    if not f.orgs:
        return false()
    o = _MEMBER_ORG
    invited = (
        select(RoundInvitation.id)
        .join(o, o.id == RoundInvitation.organisation_id)
        .where(
            RoundInvitation.round_id == round_id,
            RoundInvitation.organisation_id.in_(orgs(f)),
            o.group_name == group,
        )
    )
    return and_(r.status != RoundStatus.DRAFT, exists(invited))


def consultation_visible(f: Facts, consultation_id: Any) -> Condition:
    """``rounds.service.visible_consultations``: moderators see every consultation, others
    those with a round past draft."""
    if not f.signed_in:
        return false()
    if f.moderator:
        return true()
    r2 = _VISIBLE_ROUND
    return exists(
        select(r2.id).where(r2.consultation_id == consultation_id, r2.status != RoundStatus.DRAFT)
    )


def comment_text(f: Facts, c: Any) -> Condition:
    """``rounds.rules.may_read_comment_text``: visible, or the author's, or a moderator's."""
    if f.moderator:
        return true()
    return or_(c.visibility == Visibility.VISIBLE, c.author_id == user_id(f))


def comment_shown(f: Facts, c: Any) -> Condition:
    """``rounds.page.shown_to``: which comments the thread shows (for the page number)."""
    if f.moderator:
        return true()
    return or_(c.visibility != Visibility.PENDING, c.author_id == user_id(f))


# -- bodies and meetings -----------------------------------------------------------------------


def _seated(organisations: Any) -> Any:
    return select(Seat.body_id).where(Seat.organisation_id.in_(organisations))


def body_member(f: Facts, body_id: Any) -> Condition:
    """``BodyViewer.member``: one of their organisations holds a seat on the body."""
    return body_id.in_(_seated(orgs(f))) if f.orgs else false()


def meeting(f: Facts, m: Any) -> Condition:
    """``app.meetings.service.enter``: a public meeting, else the body's members and its
    secretariat."""
    if f.moderator:
        return true()
    return or_(m.public.is_(True), body_member(f, m.body_id))


def restricted_visible(f: Facts, x: Any, m: Any) -> Condition:
    """``app.meetings.confidentiality.may_see`` (``app.bodies.service.visible`` for one body)
    for a row with the ``Restricted`` columns, on any body: the body is ``m.body_id``."""
    if f.moderator:
        members: Condition = x.confidentiality == Confidentiality.MEMBERS
    elif f.orgs:
        members = and_(x.confidentiality == Confidentiality.MEMBERS, body_member(f, m.body_id))
    else:
        members = false()
    in_group = [
        and_(
            x.confidentiality == Confidentiality.GROUP,
            x.restricted_group == group,
            m.body_id.in_(_seated(group_orgs(f, group))),
        )
        for group in f.groups
    ]
    return or_(
        x.confidentiality == Confidentiality.PUBLIC,
        x.released_at.is_not(None),
        and_(x.release_at.is_not(None), x.release_at <= now(f)),
        members,
        *in_group,
    )


def item(f: Facts, ai: Any, m: Any) -> Condition:
    """``app.decisions.service.item_place``: the agenda item may be seen, in a meeting the
    viewer may enter."""
    return and_(restricted_visible(f, ai, m), meeting(f, m))


def minutes(f: Facts, mi: Any, m: Any) -> Condition:
    """``app.minutes.service.open_minutes`` (``minutes.rules.may_read``): the secretariat
    reads all; members the unpublished; published minutes as their confidentiality says."""
    if f.moderator:
        return true()
    return and_(
        meeting(f, m),
        or_(
            and_(mi.status != MinutesStatus.PUBLISHED, body_member(f, m.body_id)),
            and_(mi.status == MinutesStatus.PUBLISHED, restricted_visible(f, mi, m)),
        ),
    )
