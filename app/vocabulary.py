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


class BodyKind(StrEnum):
    """What a tripartite body is: a national council, a C144 commission, or a task team (a
    chamber, a committee) under one."""

    COUNCIL = "council"
    COMMISSION = "commission"
    TASK_TEAM = "task_team"


class Presence(StrEnum):
    """A seat's attendance at a meeting. An alternate counts only when the holder is not
    present."""

    HOLDER = "holder"
    ALTERNATE = "alternate"
    EXCUSED = "excused"
    ABSENT = "absent"


class WithoutQuorum(StrEnum):
    """What a body's rules say of a decision taken without quorum."""

    #: Refused: nothing is recorded.
    REFUSE = "refuse"
    #: Recorded as "taken without quorum" (an absent group does not block a properly convened
    #: decision: Uruguay, Brazil).
    RECORD = "record"


class AgendaChangeRule(StrEnum):
    """The agreement a change to an issued agenda needs."""

    UNANIMITY = "unanimity"  # of the three groups
    CHAIR = "chair"


class AgendaItemStatus(StrEnum):
    PROPOSED = "proposed"  # by a member, before the cut-off; the secretariat accepts it or not
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # taken off an issued agenda, with the agreement recorded


class Confidentiality(StrEnum):
    """Who may see an agenda item, a meeting document or minutes (until released)."""

    PUBLIC = "public"
    MEMBERS = "members"  # the body's members and its secretariat
    GROUP = "group"  # one group's members of the body (the caucus rule)


class MinutesStatus(StrEnum):
    DRAFT = "draft"  # the secretariat writes
    COMMENTS = "comments"  # sent to every member organisation for comments, until a date
    APPROVED = "approved"  # at the next meeting or by written procedure
    PUBLISHED = "published"  # final; a correction is a new version


class DecisionMethod(StrEnum):
    CONSENSUS = "consensus"
    GROUP_EQUAL_VOTE = "group_equal_vote"
    DOUBLE_MAJORITY = "double_majority"
    CHAIR_CASTING = "chair_casting"


class Vote(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class ActionOwner(StrEnum):
    """Who carries out an action of a decision."""

    ORGANISATION = "organisation"
    GROUP = "group"
    GOVERNMENT = "government"
    SECRETARIAT = "secretariat"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class Verdict(StrEnum):
    """A group's word on an action's reported progress."""

    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class SearchKind(StrEnum):
    """What a search result is (one per indexed source: docs/search-design.md §1)."""

    CONSULTATION = "consultation"
    ROUND = "round"
    BRIEF = "brief"
    PARAGRAPH = "paragraph"
    AMENDMENT = "amendment"
    POSITION = "position"
    COMMENT = "comment"
    CAUCUS_POST = "caucus_post"
    STATEMENT = "statement"
    OUTCOME = "outcome"
    RESERVATION = "reservation"
    ATTACHMENT = "attachment"
    MEETING_DOCUMENT = "meeting_document"
    MINUTES = "minutes"
    MINUTES_ITEM = "minutes_item"
    MINUTES_COMMENT = "minutes_comment"
    DECISION = "decision"
    DIVERGENT = "divergent"
    ACTION = "action"
    ACTION_NOTE = "action_note"
