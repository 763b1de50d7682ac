"""What the pages show of decisions: an agenda item's decision on the meeting page
(``for_meeting``, assembled in app.meetings.page) and a decision's own record page. Both are
built by ``views`` in a constant number of queries, however many decisions, votes, positions
or actions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from babel import numbers as babel_numbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.bodies.models import Body
from app.db import utcnow
from app.decisions import actions as action_service
from app.decisions import rules, service
from app.decisions.models import Decision, DecisionVote, DivergentPosition
from app.i18n import N_, current_language
from app.i18n import gettext as _
from app.meetings import rules as meeting_rules
from app.meetings.confidentiality import BodyViewer, Restriction, may_see
from app.meetings.models import AgendaItem, Meeting
from app.moderation.rules import group_list
from app.vocabulary import DecisionMethod, Group, Presence, Vote

METHOD_LABELS = {
    DecisionMethod.CONSENSUS: N_("by consensus"),
    DecisionMethod.GROUP_EQUAL_VOTE: N_("by a group-equal vote"),
    DecisionMethod.DOUBLE_MAJORITY: N_("by a double majority"),
    DecisionMethod.CHAIR_CASTING: N_("by the chair, with a casting vote on a tie"),
}
VOTE_LABELS = {Vote.FOR: N_("for"), Vote.AGAINST: N_("against"), Vote.ABSTAIN: N_("abstains")}
PRESENCE_LABELS = {
    Presence.HOLDER: N_("present (holder)"),
    Presence.ALTERNATE: N_("present (alternate)"),
    Presence.EXCUSED: N_("excused"),
    Presence.ABSENT: N_("absent"),
}


def fraction_words(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def weight_words(value: Fraction) -> str:
    """A weight as a reader counts it: 2, 1.5, 2.67 (in the reader's language)."""
    return babel_numbers.format_decimal(float(value), "#,##0.##", locale=current_language())


@dataclass(frozen=True)
class Seated:
    """A seat at the meeting as the record shows it."""

    organisation: str
    group: Group
    status: Presence


@dataclass
class DecisionView:
    decision: Decision
    item_title: str
    votes: list[rules.VoteFact]
    outcome: rules.Outcome
    attendance: list[Seated]
    quorum: meeting_rules.QuorumState
    divergent: dict[Group, str]
    actions: list[action_service.ActionRow]
    #: Open: the organisations that may vote (present seats), with who sits for each.
    voters: list[service.SeatAttendance] = field(default_factory=list)
    voted: set[str] = field(default_factory=set)
    #: The seats this person may still vote for (organisation id, name).
    my_votes: list[tuple[int, str]] = field(default_factory=list)
    may_record: bool = False
    may_add_action: bool = False
    #: The groups this person writes a divergent position for.
    divergent_groups: list[Group] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.decision.recorded_at is not None

    @property
    def method(self) -> DecisionMethod:
        return self.decision.method

    @property
    def threshold(self) -> Fraction:
        return service.threshold(self.decision)

    @property
    def disputed(self) -> bool:
        return any(a.disputed for a in self.actions)

    @property
    def tie(self) -> bool:
        return self.outcome.overall.for_ == self.outcome.overall.against

    @property
    def method_words(self) -> str:
        return _(METHOD_LABELS[self.decision.method])

    @staticmethod
    def vote_words(vote: Vote) -> str:
        return _(VOTE_LABELS[vote])

    @staticmethod
    def presence_words(status: Presence) -> str:
        return _(PRESENCE_LABELS[status])

    @property
    def threshold_words(self) -> str:
        return fraction_words(self.threshold)

    @property
    def result(self) -> str:
        return result_words(self.decision, self.outcome)

    @property
    def abstentions(self) -> list[rules.VoteFact]:
        return [v for v in self.votes if v.vote is Vote.ABSTAIN]

    def votes_of(self, group: Group) -> list[rules.VoteFact]:
        return [v for v in self.votes if v.group is group]


def result_words(decision: Decision, outcome: rules.Outcome) -> str:
    """The result as a sentence: adopted or not, and the figures that made it so."""
    adopted = _("Adopted") if outcome.adopted else _("Not adopted")
    method = decision.method
    if method is DecisionMethod.CONSENSUS:
        return _("Adopted by consensus") if outcome.adopted else _("Not adopted: no consensus")
    if method is DecisionMethod.GROUP_EQUAL_VOTE:
        groups_for = [g for g, r in outcome.group_results.items() if r == "for"]
        total = sum(outcome.weights.values())
        figures = _("weight %(weight)d of %(total)d; at least %(needed)s needed") % {
            "weight": outcome.weight_for,
            "total": total,
            "needed": weight_words(outcome.weight_needed),
        }
        if not groups_for:
            return _("%(result)s: no group for (%(figures)s)") % {
                "result": adopted,
                "figures": figures,
            }
        return _("%(result)s: %(groups)s for (%(figures)s)") % {
            "result": adopted,
            "groups": group_list(groups_for),
            "figures": figures,
        }
    counts = _("%(for)d for, %(against)d against, %(abstain)d abstaining") % {
        "for": outcome.overall.for_,
        "against": outcome.overall.against,
        "abstain": outcome.overall.abstain,
    }
    if method is DecisionMethod.DOUBLE_MAJORITY:
        return _(
            "%(result)s: %(counts)s overall; a majority is needed overall and in every "
            "group that voted"
        ) % {
            "result": adopted,
            "counts": counts,
        }
    if outcome.casting_decided:
        casting = decision.casting_vote
        if casting is None:
            return _("%(result)s: %(counts)s, a tie the chair's casting vote decides") % {
                "result": adopted,
                "counts": counts,
            }
        return _("%(result)s on the chair's casting vote (%(vote)s): %(counts)s, a tie") % {
            "result": adopted,
            "vote": _(VOTE_LABELS[casting]),
            "counts": counts,
        }
    return _("%(result)s: %(counts)s") % {"result": adopted, "counts": counts}


def _in_order(seated: list[Seated]) -> list[Seated]:
    """The seats in the groups' usual order (government, workers, employers), then by name."""
    order = {group: n for n, group in enumerate(Group)}
    return sorted(seated, key=lambda s: (order[s.group], s.organisation))


def _seated(snapshot: list[dict[str, Any]]) -> list[Seated]:
    return _in_order(
        [
            Seated(str(s.get("organisation", "")), Group(s["group"]), Presence(s["status"]))
            for s in snapshot
        ]
    )


def views(
    db: Session,
    meeting: Meeting,
    body: Body,
    decisions: list[Decision],
    body_viewer: BodyViewer,
    viewer: Viewer | None,
    titles: dict[int, str],
) -> list[DecisionView]:
    """The views of a meeting's decisions: five queries whatever their number."""
    ids = [d.id for d in decisions]
    votes = service.vote_facts(db, ids)
    voted_orgs: dict[int, set[int]] = defaultdict(set)
    divergent: dict[int, dict[Group, str]] = defaultdict(dict)
    if ids:
        for decision_id, org_id in db.execute(
            select(DecisionVote.decision_id, DecisionVote.organisation_id).where(
                DecisionVote.decision_id.in_(ids)
            )
        ):
            voted_orgs[decision_id].add(org_id)
        for position in db.scalars(
            select(DivergentPosition)
            .where(DivergentPosition.decision_id.in_(ids))
            .order_by(DivergentPosition.group_name)
        ):
            divergent[position.decision_id][position.group_name] = position.text
    acts = action_service.action_rows(db, ids, utcnow().date())
    seats = service.attendance(db, meeting) if decisions else []
    live = service.quorum_of(body, seats)
    place = service.Place(None, meeting, body, body_viewer)  # type: ignore[arg-type]
    may_record = service.may_record(place, viewer)
    mandated = {m.organisation_id for m in viewer.mandates} if viewer else set()
    shown = []
    for d in decisions:
        recorded = d.recorded_at is not None
        view = DecisionView(
            decision=d,
            item_title=titles.get(d.agenda_item_id, ""),
            votes=votes[d.id],
            outcome=service.outcome(d, votes[d.id]),
            attendance=_seated(d.attendance)
            if recorded
            else _in_order(
                [Seated(s.organisation, s.group, s.status or Presence.ABSENT) for s in seats]
            ),
            quorum=meeting_rules.quorum(
                ((s.group, s.status) for s in _seated(d.attendance)),
                meeting_rules.QuorumRule(d.quorum_overall or 0, d.quorum_per_group or 0),
            )
            if recorded
            else live,
            divergent=divergent[d.id],
            actions=acts[d.id],
            may_add_action=body_viewer.secretariat,
            divergent_groups=sorted(body_viewer.member_groups),
        )
        if not recorded:
            view.may_record = may_record
            if d.method is not DecisionMethod.CONSENSUS:
                view.voters = [s for s in seats if s.voter() is not None]
                view.voted = {
                    s.organisation for s in seats if s.organisation_id in voted_orgs[d.id]
                }
                if viewer is not None:
                    view.my_votes = [
                        (s.organisation_id, s.organisation)
                        for s in view.voters
                        if s.voter() == viewer.user_id
                        and s.organisation_id in mandated
                        and s.organisation_id not in voted_orgs[d.id]
                    ]
        shown.append(view)
    return shown


def for_meeting(
    db: Session, meeting: Meeting, body_viewer: BodyViewer, viewer: Viewer | None
) -> dict[int, Any]:
    """Each agenda item's decision (by agenda item id), as the meeting page shows it, in a
    constant number of queries."""
    now = utcnow()
    rows = [
        (decision, item)
        for decision, item in db.execute(
            select(Decision, AgendaItem)
            .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
            .where(Decision.meeting_id == meeting.id)
        ).all()
        # only the decisions of the items this person may see: the others do not exist for them
        if may_see(Restriction.of(item), body_viewer, now)
    ]
    if not rows:
        return {}
    body = db.get(Body, meeting.body_id)
    assert body is not None
    decisions = [d for d, _i in rows]
    titles = {d.agenda_item_id: i.title for d, i in rows}
    return {
        v.decision.agenda_item_id: v
        for v in views(db, meeting, body, decisions, body_viewer, viewer, titles)
    }


@dataclass
class DecisionPage:
    view: DecisionView
    place: service.Place


def decision_page(db: Session, viewer: Viewer, decision_id: int) -> DecisionPage:
    decision, place = service.place_of(db, viewer, decision_id)
    view = views(
        db,
        place.meeting,
        place.body,
        [decision],
        place.viewer,
        viewer,
        {place.item.id: place.item.title},
    )[0]
    return DecisionPage(view, place)


def template_labels() -> dict[str, Any]:
    """The vocabulary the decision templates write in words."""
    return {
        "method_labels": METHOD_LABELS,
        "vote_labels": VOTE_LABELS,
        "presence_labels": PRESENCE_LABELS,
        "status_labels": action_service.STATUS_LABELS,
        "owner_labels": action_service.OWNER_LABELS,
        "verdict_labels": action_service.VERDICT_LABELS,
        "fraction_words": fraction_words,
        "groups": list(Group),
        "methods": list(DecisionMethod),
        "today": date.today(),
    }
