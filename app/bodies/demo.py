"""The demo's tripartite body: the National Labour Advisory Council of Ardenia and its task team
on labour migration, with holders and alternates; a past meeting with published minutes and two
recorded decisions (one by consensus with the workers' divergent position, one by group-equal
vote) whose actions stand in every state; and an upcoming meeting with a draft agenda.

Rows are written directly, consistent with the rules: the decisions' attendance snapshot and
quorum come from app.meetings.rules.quorum, their results from app.decisions.rules.decide.
Nothing here puts an item in the demo's people's to-do lists but the one overdue action, which
belongs to the secretariat (the moderation home shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.bodies.models import Body, Seat
from app.db import utcnow
from app.decisions import rules as decision_rules
from app.decisions.models import (
    Action,
    ActionConfirmation,
    ActionNote,
    Decision,
    DecisionVote,
    DivergentPosition,
)
from app.meetings import rules as meeting_rules
from app.meetings.models import AgendaItem, Attendance, Meeting, Minutes, MinutesItem
from app.organisations.models import Mandate, Organisation
from app.vocabulary import (
    ActionOwner,
    ActionStatus,
    AgendaChangeRule,
    AgendaItemStatus,
    BodyKind,
    Confidentiality,
    DecisionMethod,
    Group,
    MandateRole,
    MinutesStatus,
    Presence,
    Verdict,
    Vote,
    Weighting,
    WithoutQuorum,
)

T = TypeVar("T")

COUNCIL = "National Labour Advisory Council"
TASK_TEAM = "Task team on labour migration"

#: The council's seats: organisation slug -> (the holder's email, the new alternate's name).
COUNCIL_SEATS = {
    "labour": ("focal@labour.example", "Nadia Benali"),
    "interior": ("focal@interior.example", "Lukas Novak"),
    "atuc": ("focal@atuc.example", "Esther Achieng"),
    "nudw": ("focal@nudw.example", "Rosa Delgado"),
    "cawu": ("focal@cawu.example", "Kofi Mensah"),
    "aef": ("focal@aef.example", "Anna Lindqvist"),
    "ccia": ("focal@ccia.example", "Rahul Mehta"),
    "aap": ("focal@aap.example", "Marta Kowalski"),
}
#: The task team's seats: organisation slug -> the holder's email (the alternates: the
#: council's new alternates of the same organisation, where there is one).
TASK_TEAM_SEATS = {
    "labour": "rep@labour.example",
    "mwsu": "focal@mwsu.example",
    "aap": "rep@aap.example",
}
#: Attendance at the past plenary, by slug (every seat marked).
PAST_ATTENDANCE = {
    "labour": Presence.HOLDER,
    "interior": Presence.ALTERNATE,
    "atuc": Presence.HOLDER,
    "nudw": Presence.HOLDER,
    "cawu": Presence.EXCUSED,
    "aef": Presence.HOLDER,
    "ccia": Presence.ALTERNATE,
    "aap": Presence.ABSENT,
}
#: The group-equal vote on ratifying C189, by slug (aap was absent; the employers split).
C189_VOTES = {
    "labour": Vote.FOR,
    "interior": Vote.FOR,
    "atuc": Vote.FOR,
    "nudw": Vote.FOR,
    "aef": Vote.FOR,
    "ccia": Vote.AGAINST,
}
#: Who speaks for each group when the demo's groups confirm or dispute progress.
GROUP_VOICES = {
    Group.GOVERNMENT: "focal@labour.example",
    Group.WORKERS: "focal@atuc.example",
    Group.EMPLOYERS: "focal@aef.example",
}


@dataclass
class _Demo:
    db: Session
    now: datetime
    moderator: User
    people: dict[str, User]
    organisations: dict[str, Organisation]

    def add(self, row: T) -> T:
        self.db.add(row)
        self.db.flush()
        return row


def add_demo_bodies(
    db: Session,
    *,
    moderator_id: int,
    password_hash: str,
    slugs: dict[int, str],
    country: str,
) -> Body:
    """Add the council and everything it did (the caller commits). ``slugs``: organisation id
    -> the demo's slug for it."""
    now = utcnow()
    organisations = {
        slugs[o.id]: o
        for o in db.scalars(select(Organisation).where(Organisation.id.in_(list(slugs))))
    }
    people = {
        u.email: u
        for u in db.scalars(
            select(User).where(User.email.like("focal@%") | User.email.like("rep@%"))
        )
    }
    moderator = db.get(User, moderator_id)
    assert moderator is not None
    demo = _Demo(db, now, moderator, people, organisations)
    council = demo.add(
        Body(
            name=COUNCIL,
            country=country,
            kind=BodyKind.COUNCIL,
            mandate="The national tripartite body consulted on labour law, labour migration and "
            "the ILO Conventions (Convention No. 144, article 5).",
            notice_days=10,
            quorum_overall=4,
            quorum_per_group=1,
            without_quorum=WithoutQuorum.RECORD,
            agenda_change=AgendaChangeRule.UNANIMITY,
            weighting=Weighting.EQUAL,
            created_by_id=moderator.id,
            created_at=now - timedelta(days=120),
        )
    )
    seats: dict[str, Seat] = {}
    for slug, (holder, alternate_name) in COUNCIL_SEATS.items():
        alternate = _alternate(demo, slug, alternate_name, password_hash)
        seats[slug] = demo.add(
            Seat(
                body_id=council.id,
                organisation_id=organisations[slug].id,
                holder_id=people[holder].id,
                alternate_id=alternate.id,
            )
        )
    team = demo.add(
        Body(
            name=TASK_TEAM,
            country=country,
            kind=BodyKind.TASK_TEAM,
            parent_id=council.id,
            mandate="Prepares the council's opinions on the National Labour Migration Policy.",
            notice_days=5,
            quorum_overall=3,
            quorum_per_group=1,
            created_by_id=moderator.id,
            created_at=now - timedelta(days=60),
        )
    )
    for slug, holder in TASK_TEAM_SEATS.items():
        team_alternate = demo.people.get(f"alternate@{slug}.example")
        demo.add(
            Seat(
                body_id=team.id,
                organisation_id=organisations[slug].id,
                holder_id=people[holder].id,
                alternate_id=team_alternate.id if team_alternate else None,
            )
        )
    _past_meeting(demo, council, seats)
    _upcoming_meeting(demo, council)
    return council


def _alternate(demo: _Demo, slug: str, name: str, password_hash: str) -> User:
    """A new demo person, mandated by the organisation, who sits as its alternate."""
    person = demo.add(
        User(email=f"alternate@{slug}.example", name=name, password_hash=password_hash)
    )
    demo.add(
        Mandate(
            user_id=person.id,
            organisation_id=demo.organisations[slug].id,
            role=MandateRole.REPRESENTATIVE,
            starts_at=demo.now - timedelta(days=130),
        )
    )
    demo.people[person.email] = person
    return person


def _past_meeting(demo: _Demo, council: Body, seats: dict[str, Seat]) -> None:
    now = demo.now
    starts = (now - timedelta(days=30)).replace(hour=9, minute=30, second=0, microsecond=0)
    meeting = demo.add(
        Meeting(
            body_id=council.id,
            title="Plenary session: recruitment fees and Convention No. 189",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            place="Ministry of Labour, conference room 2, Ardenia City",
            convened_at=starts - timedelta(days=21),
            convened_by_id=demo.moderator.id,
            short_notice=meeting_rules.short_notice(
                starts - timedelta(days=21), starts, council.notice_days
            ),
            proposals_until=starts - timedelta(days=14),
            agenda_issued_at=starts - timedelta(days=12),
            chair_id=demo.people["focal@labour.example"].id,
        )
    )
    for slug, status in PAST_ATTENDANCE.items():
        demo.add(
            Attendance(
                meeting_id=meeting.id,
                seat_id=seats[slug].id,
                status=status,
                marked_by_id=demo.moderator.id,
                marked_at=starts,
            )
        )
    texts = [
        (
            "Fair recruitment: implementing the ban on recruitment fees",
            "The Ministry presents the draft regulation following the consultation round.",
            "The Ministry presented the draft regulation. The employers asked for a transition "
            "period for small agencies; the workers opposed any transition. The council "
            "adopted its opinion by consensus, the workers' group recording a divergent "
            "position.",
        ),
        (
            "Ratification of the Domestic Workers Convention, 2011 (No. 189)",
            "Whether the council recommends that the Government submit C189 for ratification.",
            "The council voted by group: the government and the workers' groups for, the "
            "employers' group divided. The recommendation to ratify is adopted.",
        ),
        (
            "Date of the next plenary",
            "",
            "The next plenary will discuss the follow-up of the ban on recruitment fees.",
        ),
    ]
    items = []
    for number, (title, description, _minutes) in enumerate(texts, start=1):
        items.append(
            demo.add(
                AgendaItem(
                    meeting_id=meeting.id,
                    number=number,
                    title=title,
                    description=description,
                    status=AgendaItemStatus.ACCEPTED,
                    confidentiality=Confidentiality.PUBLIC,
                    created_at=starts - timedelta(days=20),
                )
            )
        )
    minutes = demo.add(
        Minutes(
            meeting_id=meeting.id,
            version=1,
            status=MinutesStatus.PUBLISHED,
            confidentiality=Confidentiality.PUBLIC,
            preamble="Chaired by Amina Haddad (Ministry of Labour and Social Protection). "
            "Six of the eight seats were present; the meeting was quorate.",
            comments_until=starts + timedelta(days=10),
            approved_at=starts + timedelta(days=14),
            published_at=starts + timedelta(days=15),
            drafted_by_id=demo.moderator.id,
            created_at=starts + timedelta(days=1),
            updated_at=starts + timedelta(days=15),
        )
    )
    for item, (_title, _description, text) in zip(items, texts, strict=True):
        demo.add(MinutesItem(minutes_id=minutes.id, agenda_item_id=item.id, text=text))

    # what made the decisions valid: the attendance, as it was
    snapshot: list[dict[str, Any]] = [
        {
            "seat_id": seats[slug].id,
            "organisation_id": demo.organisations[slug].id,
            "group": Group(demo.organisations[slug].group_name).value,
            "status": status.value,
        }
        for slug, status in PAST_ATTENDANCE.items()
    ]
    state = meeting_rules.quorum(
        ((Group(e["group"]), Presence(e["status"])) for e in snapshot),
        meeting_rules.QuorumRule(council.quorum_overall, council.quorum_per_group),
    )
    recorded_at = starts + timedelta(hours=2)
    common = {
        "meeting_id": meeting.id,
        "weighting": council.weighting,
        "opened_by_id": demo.moderator.id,
        "opened_at": recorded_at - timedelta(minutes=30),
        "recorded_by_id": demo.moderator.id,
        "recorded_at": recorded_at,
        "quorate": state.quorate,
        "without_quorum": False,
        "quorum_overall": council.quorum_overall,
        "quorum_per_group": council.quorum_per_group,
        "attendance": snapshot,
    }
    fees = demo.add(
        Decision(
            agenda_item_id=items[0].id,
            text="The council supports the regulation banning every recruitment fee and related "
            "cost charged to workers, in force on 1 January, and asks the Government to license "
            "recruitment agencies.",
            method=DecisionMethod.CONSENSUS,
            adopted=decision_rules.decide(DecisionMethod.CONSENSUS, [], consensus=True).adopted,
            effective_on=(starts + timedelta(days=45)).date(),
            review_on=(starts + timedelta(days=365)).date(),
            **common,
        )
    )
    demo.add(
        DivergentPosition(
            decision_id=fees.id,
            group_name=Group.WORKERS,
            text="The workers' group does not accept any transition period: a fee charged "
            "during a transition is still debt bondage.",
            written_by_id=demo.people["focal@atuc.example"].id,
            written_at=recorded_at,
        )
    )
    facts = [
        decision_rules.VoteFact(
            demo.organisations[slug].name, Group(demo.organisations[slug].group_name), vote
        )
        for slug, vote in C189_VOTES.items()
    ]
    threshold = decision_rules.DEFAULT_THRESHOLD
    outcome = decision_rules.decide(
        DecisionMethod.GROUP_EQUAL_VOTE, facts, weighting=council.weighting, threshold=threshold
    )
    c189 = demo.add(
        Decision(
            agenda_item_id=items[1].id,
            text="The council recommends that the Government submit the Domestic Workers "
            "Convention, 2011 (No. 189) to Parliament for ratification.",
            method=DecisionMethod.GROUP_EQUAL_VOTE,
            threshold_numerator=Fraction(threshold).numerator,
            threshold_denominator=Fraction(threshold).denominator,
            adopted=outcome.adopted,
            effective_on=recorded_at.date(),
            review_on=(starts + timedelta(days=180)).date(),
            **common,
        )
    )
    for slug, vote in C189_VOTES.items():
        seat = seats[slug]
        voter = seat.alternate_id if PAST_ATTENDANCE[slug] is Presence.ALTERNATE else seat.holder_id
        assert voter is not None
        demo.add(
            DecisionVote(
                decision_id=c189.id,
                organisation_id=demo.organisations[slug].id,
                vote=vote,
                cast_by_id=voter,
                cast_at=recorded_at - timedelta(minutes=10),
            )
        )
    _actions(demo, fees, c189, recorded_at)


def _actions(demo: _Demo, fees: Decision, c189: Decision, since: datetime) -> None:
    today = demo.now.date()
    labour = demo.organisations["labour"]
    nudw = demo.organisations["nudw"]

    def action(decision: Decision, what: str, owner: ActionOwner, due_in: int, **kw: Any) -> Action:
        return demo.add(
            Action(
                decision_id=decision.id,
                what=what,
                owner=owner,
                due_on=today + timedelta(days=due_in),
                created_by_id=demo.moderator.id,
                created_at=since,
                updated_at=since,
                **kw,
            )
        )

    def note(row: Action, text: str, status: ActionStatus, days_ago: int, **kw: Any) -> ActionNote:
        row.status = status
        row.updated_at = demo.now - timedelta(days=days_ago)
        return demo.add(
            ActionNote(
                action_id=row.id,
                text=text,
                status=status,
                written_by_id=kw.pop("by", demo.moderator.id),
                written_at=demo.now - timedelta(days=days_ago),
                **kw,
            )
        )

    def word(row: Action, on: ActionNote, group: Group, verdict: Verdict, reason: str = "") -> None:
        demo.add(
            ActionConfirmation(
                action_id=row.id,
                note_id=on.id,
                group_name=group,
                verdict=verdict,
                reason=reason,
                given_by_id=demo.people[GROUP_VOICES[group]].id,
                given_at=on.written_at + timedelta(days=1),
            )
        )

    # done, and confirmed by the three groups
    published = action(
        fees,
        "Publish the regulation banning recruitment fees in the Official Gazette",
        ActionOwner.ORGANISATION,
        -10,
        owner_organisation_id=labour.id,
    )
    note(
        published,
        "Drafting with the Ministry of Justice.",
        ActionStatus.IN_PROGRESS,
        20,
        organisation_id=labour.id,
        by=demo.people["focal@labour.example"].id,
    )
    gazette = note(
        published,
        "Published in the Official Gazette No. 48; in force on 1 January.",
        ActionStatus.DONE,
        12,
        organisation_id=labour.id,
        by=demo.people["focal@labour.example"].id,
    )
    for group in Group:
        word(published, gazette, group, Verdict.CONFIRMED)
    # in progress, overdue, and disputed by the workers (the secretariat owns it)
    register = action(
        fees,
        "Report to the council on the licensing of recruitment agencies",
        ActionOwner.SECRETARIAT,
        -5,
    )
    progress = note(
        register,
        "The licensing register is open; 14 agencies have applied, none inspected yet.",
        ActionStatus.IN_PROGRESS,
        8,
    )
    word(register, progress, Group.GOVERNMENT, Verdict.CONFIRMED)
    word(
        register,
        progress,
        Group.WORKERS,
        Verdict.DISPUTED,
        "Agencies that charge fees still advertise openly: a register without inspections "
        "is not licensing.",
    )
    # planned
    action(
        c189,
        "Submit Convention No. 189 to Parliament with the council's recommendation",
        ActionOwner.GOVERNMENT,
        60,
    )
    # dropped
    study = action(
        c189,
        "Study of domestic workers' social security coverage",
        ActionOwner.ORGANISATION,
        30,
        owner_organisation_id=nudw.id,
    )
    note(
        study,
        "Dropped: the task team on labour migration covers it in its own study.",
        ActionStatus.DROPPED,
        5,
        organisation_id=nudw.id,
        by=demo.people["focal@nudw.example"].id,
    )


def _upcoming_meeting(demo: _Demo, council: Body) -> None:
    now = demo.now
    starts = (now + timedelta(days=24)).replace(hour=9, minute=30, second=0, microsecond=0)
    convened = now - timedelta(days=2)
    meeting = demo.add(
        Meeting(
            body_id=council.id,
            title="Plenary session: follow-up of fair recruitment",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            place="Ministry of Labour, conference room 2, Ardenia City",
            link="https://meet.example/nlac-plenary",
            convened_at=convened,
            convened_by_id=demo.moderator.id,
            short_notice=meeting_rules.short_notice(convened, starts, council.notice_days),
            proposals_until=starts - timedelta(days=14),
            chair_id=demo.people["focal@labour.example"].id,
        )
    )
    demo.add(
        AgendaItem(
            meeting_id=meeting.id,
            number=1,
            title="Follow-up of the ban on recruitment fees: licensing and inspections",
            description="The secretariat reports on the actions of the last plenary.",
            status=AgendaItemStatus.ACCEPTED,
            confidentiality=Confidentiality.PUBLIC,
            proposed_by_id=demo.moderator.id,
        )
    )
    aap = demo.organisations["aap"]
    demo.add(
        AgendaItem(
            meeting_id=meeting.id,
            number=2,
            title="Seasonal work permits for agriculture",
            description="The employers' group asks the council to discuss how long seasonal "
            "work permits take to issue before the harvest.",
            status=AgendaItemStatus.ACCEPTED,
            confidentiality=Confidentiality.PUBLIC,
            proposed_by_id=demo.people["focal@aap.example"].id,
            proposed_by_organisation_id=aap.id,
        )
    )


def describe_bodies(db: Session, base_url: str) -> list[dict[str, Any]]:
    """``tripartite demo --json``'s ``bodies``."""
    return [
        {"id": b.id, "name": b.name, "url": f"{base_url}/bodies/{b.id}"}
        for b in db.execute(select(Body.id, Body.name).order_by(Body.id))
    ]
