"""Rules of a round's tripartite officers and of the order in which the groups speak first.
Pure: plain values in, decisions out.

- The **chair** is government or neutral: any person with an account who does not speak for an
  employers' or workers' organisation (a ministry's representative, a moderator, someone
  without a mandate), or simply a name typed in (someone without an account).
- The two **vice-chairs** are one representative of an invited employers' organisation and one
  of an invited workers' organisation.
- With ``social_partners_first`` (the default), the balanced discussion opens with the first
  top-level comments of the employers' and workers' groups (their opening statements), then the
  government's; after that the groups take turns in the columns' order, as always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.errors import Conflict, DomainError
from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.rounds import rules as round_rules
from app.rounds.rules import clean_text
from app.vocabulary import Group, RoundStatus

NAME_MAX = 200
SOCIAL_PARTNERS = frozenset({Group.EMPLOYERS, Group.WORKERS})


class OfficerRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR_EMPLOYERS = "vice_chair_employers"
    VICE_CHAIR_WORKERS = "vice_chair_workers"


ROLE_LABELS = Labels(
    {
        OfficerRole.CHAIR: N_("Chair"),
        OfficerRole.VICE_CHAIR_EMPLOYERS: N_("Vice-chair (employers)"),
        OfficerRole.VICE_CHAIR_WORKERS: N_("Vice-chair (workers)"),
    }
)
#: The group each vice-chair comes from.
VICE_CHAIR_GROUPS = {
    OfficerRole.VICE_CHAIR_EMPLOYERS: Group.EMPLOYERS,
    OfficerRole.VICE_CHAIR_WORKERS: Group.WORKERS,
}
#: Whole sentences, so that each language words the group its own way.
_NOT_A_VICE_CHAIR = {
    Group.EMPLOYERS: N_("Choose a representative of an invited employers' organisation."),
    Group.WORKERS: N_("Choose a representative of an invited workers' organisation."),
}
_NOT_A_CHAIR = {
    Group.EMPLOYERS: N_(
        "The chair is government or neutral: %(name)s speaks for an employers' "
        "organisation (%(organisation)s)."
    ),
    Group.WORKERS: N_(
        "The chair is government or neutral: %(name)s speaks for a workers' "
        "organisation (%(organisation)s)."
    ),
}


@dataclass(frozen=True)
class Affiliation:
    """An active mandate of the person: the organisation, its group, and whether the round
    invites it."""

    organisation_id: int
    organisation: str
    group: Group
    invited: bool


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    affiliations: tuple[Affiliation, ...] = ()
    #: shown beside the name in the pickers: two people may share a name
    email: str = ""


@dataclass(frozen=True)
class Officer:
    role: OfficerRole
    name: str
    user_id: int | None = None
    organisation_id: int | None = None
    organisation: str | None = None


def may_chair(person: Person) -> bool:
    """Government or neutral: nobody who speaks for an employers' or workers' organisation."""
    return not any(a.group in SOCIAL_PARTNERS for a in person.affiliations)


def choose_chair(person: Person | None, asked_for_person: bool, free_name: str) -> Officer | None:
    """The chair from the form: a person with an account (``asked_for_person``: one was chosen
    in the list; ``person``: who that is, None if nobody), or a name typed in, or nobody."""
    free_name = clean_text(
        free_name,
        field="chair_name",
        label=N_("The chair's name"),
        max_length=NAME_MAX,
        required=False,
        one_line=True,
    )
    if asked_for_person and free_name:
        raise DomainError(
            _("Choose the chair in the list or type a name, not both."), field="chair_name"
        )
    if free_name:
        return Officer(OfficerRole.CHAIR, free_name)
    if not asked_for_person:
        return None
    if person is None:
        raise DomainError(_("Choose the chair in the list."), field="chair_user")
    partner = next((a for a in person.affiliations if a.group in SOCIAL_PARTNERS), None)
    if partner is not None:
        message = _(_NOT_A_CHAIR[partner.group])
        raise DomainError(
            message % {"name": person.name, "organisation": partner.organisation},
            field="chair_user",
        )
    government = sorted(
        (a for a in person.affiliations if a.group is Group.GOVERNMENT),
        key=lambda a: (not a.invited, a.organisation),
    )
    if government:
        first = government[0]
        return Officer(
            OfficerRole.CHAIR,
            person.name,
            person.user_id,
            first.organisation_id,
            first.organisation,
        )
    return Officer(OfficerRole.CHAIR, person.name, person.user_id)


def vice_chair_affiliation(role: OfficerRole, person: Person) -> Affiliation | None:
    """The invited organisation of the vice-chair's group the person speaks for, if any."""
    group = VICE_CHAIR_GROUPS[role]
    matching = sorted(
        (a for a in person.affiliations if a.group is group and a.invited),
        key=lambda a: a.organisation,
    )
    return matching[0] if matching else None


def choose_vice_chair(
    role: OfficerRole, person: Person | None, asked_for_person: bool
) -> Officer | None:
    """A vice-chair: a representative of an invited organisation of the role's group."""
    if not asked_for_person:
        return None
    affiliation = vice_chair_affiliation(role, person) if person is not None else None
    if person is None or affiliation is None:
        raise DomainError(_(_NOT_A_VICE_CHAIR[VICE_CHAIR_GROUPS[role]]), field=role.value)
    return Officer(
        role, person.name, person.user_id, affiliation.organisation_id, affiliation.organisation
    )


def opening_order(order: Sequence[Group]) -> tuple[Group, ...]:
    """Who opens: the social partners first (in the columns' order between them), then the
    government."""
    return tuple(g for g in order if g in SOCIAL_PARTNERS) + tuple(
        g for g in order if g not in SOCIAL_PARTNERS
    )


def balanced_ids(
    items: Sequence[tuple[int, Group]], order: Sequence[Group], *, social_partners_first: bool
) -> list[int]:
    """Top-level comment ids interleaved by group in the columns' ``order``
    (``app.rounds.rules.balanced_ids``); with ``social_partners_first``, each group's first
    comment (its opening statement) comes in ``opening_order``: the employers' and workers'
    before the government's. After the openings the groups take turns in ``order``."""
    if not social_partners_first:
        return round_rules.balanced_ids(items, order)
    openings: dict[Group, int] = {}
    rest: list[tuple[int, Group]] = []
    for item_id, group in items:
        if group in openings:
            rest.append((item_id, group))
        else:
            openings[group] = item_id
    head = [openings[g] for g in opening_order(order) if g in openings]
    return head + round_rules.balanced_ids(rest, order)


def change_refusal(status: RoundStatus) -> DomainError | None:
    """The officers are named or changed until the round is published (the round page offers
    "Change the officers" only then; the form refuses with this)."""
    if status is RoundStatus.PUBLISHED:
        return Conflict(_("The round is published: its officers are part of the final record."))
    return None
