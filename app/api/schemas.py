"""The API's documented shapes. The summary model is the published JSON Schema of the summary
(file and API): a test holds ``summarise()`` to it, field for field (extra keys forbidden)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GroupName = Literal["government", "workers", "employers"]
StanceName = Literal["support", "support_with_reservations", "neutral", "oppose", "abstain"]
RoundStatusName = Literal["draft", "scheduled", "open", "closed", "published"]
WeightingName = Literal["1:1:1", "2:1:1"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Strict):
    status: int
    title: str
    message: str


class ErrorOut(Strict):
    """Every API error: a status and a message a person can act on."""

    error: ErrorBody


class PerGroup(Strict):
    government: float
    workers: float
    employers: float


class PerStanceCount(Strict):
    support: int
    support_with_reservations: int
    neutral: int
    oppose: int
    abstain: int


class PerStanceShare(Strict):
    """Fractions of the whole (0..1), rounded to 9 decimals."""

    support: float = Field(ge=0, le=1)
    support_with_reservations: float = Field(ge=0, le=1)
    neutral: float = Field(ge=0, le=1)
    oppose: float = Field(ge=0, le=1)
    abstain: float = Field(ge=0, le=1)


class SummaryRound(Strict):
    id: int
    title: str
    status: RoundStatusName
    weighting: WeightingName
    number: int
    consultation_id: int
    consultation: str
    closes_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None


class Statement(Strict):
    organisation: str
    stance: StanceName
    statement: str


class Quote(Strict):
    organisation: str
    stance: StanceName
    text: str


class CommentCounts(Strict):
    visible: int
    hidden: int


class GroupSummary(Strict):
    invited: int
    responded: int
    stances: PerStanceCount
    majority: StanceName | Literal["divided"] | None = Field(
        description="The substantive stance of more than half the group's organisations that "
        "took one (an abstention counts as a response but never forms a majority, so this is "
        'never "abstain"), "divided" when no stance has a majority (including a group whose '
        "responding organisations all abstained), null when the group is silent."
    )
    statements: list[Statement]
    quotes: list[Quote] = Field(
        description="What the summary's text quotes: the same number for every group."
    )
    comments: CommentCounts


class Groups(Strict):
    government: GroupSummary
    workers: GroupSummary
    employers: GroupSummary


class Convergence(Strict):
    kind: Literal["tripartite", "bipartite", "divergence"]
    stance: StanceName | None
    groups: list[GroupName]


class Dissent(Strict):
    organisation: str
    group: GroupName
    stance: StanceName
    group_majority: StanceName


class Reservation(Strict):
    group: GroupName
    text: str


class ParticipationDay(Strict):
    date: str = Field(description="YYYY-MM-DD")
    government: int
    workers: int
    employers: int


class Summary(Strict):
    """The equal-weight summary of a round: one computation behind the page, the PDF, the
    XLSX, the CSV and this API."""

    round: SummaryRound
    weights: PerGroup
    groups: Groups
    tally: PerStanceShare
    not_expressed: float = Field(ge=0, le=1)
    raw_counts: PerStanceCount
    convergence: Convergence
    dissent: list[Dissent]
    outcome: str | None
    reservations: list[Reservation]
    participation: list[ParticipationDay]
    unbalanced_groups: list[GroupName]
    generated_at: datetime
    fingerprint: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class Item(Strict):
    """One position or comment, as in the CSV export."""

    kind: Literal["position", "comment"]
    round_id: int
    group: GroupName
    organisation: str
    author: str
    stance: StanceName | Literal[""]
    text: str
    created_at: str
    edited_at: str
    visibility: Literal["visible", "pending", "hidden"]
    id: int
    parent_id: int | Literal[""]
    position_id: int | Literal[""]
    moderation_reason: str


class SummaryExport(Summary):
    """The JSON export file: the summary, then every item."""

    audience: Literal["public", "moderator"]
    items: list[Item]


class RoundBrief(Strict):
    id: int
    number: int
    title: str
    status: RoundStatusName


class ConsultationOut(Strict):
    id: int
    title: str
    brief: str
    country: str | None
    created_at: datetime
    rounds: list[RoundBrief]


class OrganisationOut(Strict):
    id: int
    name: str
    group: GroupName


class RoundOut(Strict):
    id: int
    consultation_id: int
    number: int
    title: str
    brief: str
    status: RoundStatusName
    weighting: WeightingName
    sealed: bool
    opens_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    outcome: str | None
    invited: list[OrganisationOut]


class PositionOut(Strict):
    id: int
    round_id: int
    organisation: str
    group: GroupName
    stance: StanceName
    statement: str
    version: int
    created_at: datetime
    updated_at: datetime


class CommentOut(Strict):
    id: int
    round_id: int
    parent_id: int | None
    position_id: int | None
    organisation: str
    group: GroupName
    author: str
    body: str | None = Field(description="null when the comment is hidden or awaiting approval")
    visibility: Literal["visible", "pending", "hidden"]
    created_at: datetime
    edited_at: datetime | None


class Page(Strict):
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class ConsultationPage(Page):
    items: list[ConsultationOut]


class RoundPage(Page):
    items: list[RoundOut]


class PositionPage(Page):
    items: list[PositionOut]


class CommentPage(Page):
    items: list[CommentOut]


# --- tripartite bodies, their meetings and decisions (issue 18) ------------------------------

PresenceName = Literal["holder", "alternate", "excused", "absent"]
VoteName = Literal["for", "against", "abstain"]
VerdictName = Literal["confirmed", "disputed"]
ActionStatusName = Literal["planned", "in_progress", "done", "dropped"]


class Quorum(Strict):
    overall: int = Field(description="Seats present, at least, overall")
    per_group: int = Field(description="Seats present, at least, in each of the three groups")


class SeatCounts(Strict):
    government: int
    workers: int
    employers: int


class BodyRules(Strict):
    notice_days: int
    quorum: Quorum
    without_quorum: Literal["refuse", "record"] = Field(
        description="What a decision taken without quorum becomes: refused, or recorded as "
        '"taken without quorum"'
    )
    agenda_change: Literal["unanimity", "chair"]
    weighting: WeightingName


class BodyOut(Strict):
    """A tripartite body (a council, a C144 commission, a task team under one)."""

    id: int
    name: str
    country: str
    kind: Literal["council", "commission", "task_team"]
    parent_id: int | None
    rules: BodyRules
    seats: SeatCounts = Field(description="Seats per group")
    parity_balanced: bool = Field(
        description="Whether workers and employers hold as many seats (C144 art. 3(2))"
    )


class AttendanceOut(Strict):
    organisation: str
    group: GroupName
    seat: int = Field(description="The seat's id")
    status: PresenceName = Field(description="absent also when the seat was not marked")


class QuorumNow(Strict):
    quorate: bool
    present: int
    present_by_group: SeatCounts
    missing_groups: list[GroupName]


class AgendaItemOut(Strict):
    id: int
    number: int
    title: str
    description: str
    confidentiality: Literal["public", "members", "group"] = Field(
        description="As it applies now: public once released"
    )


class MeetingOut(Strict):
    """A meeting, with the agenda items the token's owner may see (restricted ones absent)."""

    id: int
    body_id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    link: str
    short_notice: bool
    agenda_issued_at: datetime | None
    cancelled: bool
    quorate: bool = Field(description="Whether the meeting is quorate from its attendance now")
    quorum: QuorumNow
    attendance: list[AttendanceOut]
    agenda: list[AgendaItemOut]


class DecisionVoteOut(Strict):
    organisation: str
    group: GroupName
    vote: VoteName


class DivergentOut(Strict):
    group: GroupName
    text: str


class Confirmations(Strict):
    government: VerdictName | None
    workers: VerdictName | None
    employers: VerdictName | None


class ActionOut(Strict):
    id: int
    what: str
    owner: Literal["organisation", "group", "government", "secretariat"]
    owner_organisation: str | None
    owner_group: GroupName | None
    due: str | None = Field(description="YYYY-MM-DD")
    status: ActionStatusName
    overdue: bool
    confirmations: Confirmations = Field(
        description="Each group's standing word on the latest reported progress (null: none)"
    )


class GroupResults(Strict):
    government: Literal["for", "against", "silent"]
    workers: Literal["for", "against", "silent"]
    employers: Literal["for", "against", "silent"]


class DecisionOut(Strict):
    """A recorded decision: its method, the attendance that made it valid, the votes by
    organisation and group, the result, divergent positions and the actions that carry it out."""

    id: int
    meeting_id: int
    agenda_item_id: int
    method: Literal["consensus", "group_equal_vote", "double_majority", "chair_casting"]
    threshold: float = Field(gt=0, le=1, description="The share of the groups' total weight")
    threshold_fraction: str = Field(pattern=r"^[0-9]+/[0-9]+$", description='e.g. "1/2"')
    weights: PerGroup
    adopted: bool
    quorate: bool
    quorum: Quorum
    without_quorum: bool = Field(description='Recorded "taken without quorum"')
    attendance: list[AttendanceOut]
    votes: list[DecisionVoteOut]
    group_results: GroupResults = Field(
        description="Each group's result (group-equal vote): for, against or silent"
    )
    casting_vote: VoteName | None
    divergent_positions: list[DivergentOut]
    actions: list[ActionOut]
    text: str
    effective_on: str | None = Field(description="YYYY-MM-DD")
    review_on: str | None = Field(description="YYYY-MM-DD")
    recorded_at: datetime


class BodyPage(Page):
    items: list[BodyOut]


class MeetingPage(Page):
    items: list[MeetingOut]


class DecisionPage(Page):
    items: list[DecisionOut]
