"""The domain's fixed vocabulary (see shared/docs/domain.md). Pure: no framework imports."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_


class Group(StrEnum):
    """The three groups of social dialogue; each carries equal weight by default."""

    GOVERNMENT = "government"
    WORKERS = "workers"
    EMPLOYERS = "employers"

    @property
    def label(self) -> str:
        """The group's name in the reader's language."""
        from app.i18n import gettext

        return gettext(GROUP_LABELS[self.value])


#: Group names as written in English (translated by ``Group.label``).
GROUP_LABELS = {
    "government": N_("Government"),
    "workers": N_("Workers"),
    "employers": N_("Employers"),
}


class Stance(StrEnum):
    SUPPORT = "support"
    SUPPORT_WITH_RESERVATIONS = "support_with_reservations"
    NEUTRAL = "neutral"
    OPPOSE = "oppose"
    ABSTAIN = "abstain"


class MandateRole(StrEnum):
    """What a mandate lets its holder do for the organisation."""

    REPRESENTATIVE = "representative"
    FOCAL_POINT = "focal_point"


class PlatformRole(StrEnum):
    """Roles outside the three groups, given by the platform, not by an organisation."""

    ADMIN = "admin"
    MODERATOR = "moderator"
    OBSERVER = "observer"


class RoundStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class Weighting(StrEnum):
    """Group weights government:employers:workers."""

    EQUAL = "1:1:1"
    PLENARY = "2:1:1"


class Visibility(StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"
    HIDDEN = "hidden"


def sql_in(enum: type[StrEnum]) -> str:
    """A CHECK constraint body allowing exactly the enum's values."""
    return ", ".join(f"'{member.value}'" for member in enum)


class Place(StrEnum):
    """What an attachment hangs on, and so who may see and add it."""

    #: The whole consultation (shown on each of its rounds): the draft instrument, studies.
    CONSULTATION = "consultation"
    #: One round: its questionnaire, its background papers.
    ROUND = "round"
    #: An organisation's position in a round: its position paper.
    POSITION = "position"
    #: A group's caucus in a round: seen by the group's members alone.
    CAUCUS = "caucus"
