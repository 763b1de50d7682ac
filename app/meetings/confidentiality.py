"""Who may see an agenda item, a meeting document or minutes, and when they become public.
Pure (tests/unit/test_confidentiality.py).

- **public**: everyone, signed in or not.
- **members**: the body's members (people mandated by an organisation with a seat on it) and
  its secretariat (moderators, administrators).
- **group**: the members of one group on the body, and nobody else (the caucus rule: the
  secretariat is not in a group's room).

A restricted row with a release becomes public once released: at ``release_at``, or when the
secretariat marks its ``release_event`` as come (``released_at``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.vocabulary import Confidentiality, Group


@dataclass(frozen=True)
class BodyViewer:
    """What about a person decides what of a body they may see."""

    #: The groups in which they hold a mandate for an organisation seated on the body.
    member_groups: frozenset[Group] = frozenset()
    secretariat: bool = False

    @property
    def member(self) -> bool:
        return bool(self.member_groups)


OUTSIDER = BodyViewer()


@dataclass(frozen=True)
class Restriction:
    confidentiality: Confidentiality
    restricted_group: Group | None = None
    release_at: datetime | None = None
    released_at: datetime | None = None

    @classmethod
    def of(cls, row: object) -> Restriction:
        """The restriction of a row with the ``Restricted`` columns."""
        return cls(
            confidentiality=row.confidentiality,  # type: ignore[attr-defined]
            restricted_group=row.restricted_group,  # type: ignore[attr-defined]
            release_at=row.release_at,  # type: ignore[attr-defined]
            released_at=row.released_at,  # type: ignore[attr-defined]
        )


def released(restriction: Restriction, now: datetime) -> bool:
    return restriction.released_at is not None or (
        restriction.release_at is not None and restriction.release_at <= now
    )


def effective(restriction: Restriction, now: datetime) -> Confidentiality:
    """The confidentiality that applies now: public once released."""
    if released(restriction, now):
        return Confidentiality.PUBLIC
    return restriction.confidentiality


def may_see(restriction: Restriction, viewer: BodyViewer, now: datetime) -> bool:
    level = effective(restriction, now)
    if level is Confidentiality.PUBLIC:
        return True
    if level is Confidentiality.MEMBERS:
        return viewer.member or viewer.secretariat
    return restriction.restricted_group in viewer.member_groups


def body_viewer(
    mandated: Iterable[tuple[int, Group]], seated: Iterable[int], secretariat: bool
) -> BodyViewer:
    """A person's view of a body: the groups of their mandated organisations (organisation id,
    group) that hold a seat on it, and whether they run it (moderators, administrators)."""
    seated_ids = set(seated)
    return BodyViewer(
        member_groups=frozenset(group for org_id, group in mandated if org_id in seated_ids),
        secretariat=secretariat,
    )
