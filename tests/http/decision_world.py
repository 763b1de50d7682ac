"""A body with one seat per group, a meeting with an agenda item, and the people around it:
the world of the decisions, actions and register tests (agenda items built directly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.decisions.models import Decision
from app.meetings.models import AgendaItem
from app.vocabulary import Confidentiality, DecisionMethod, Group, PlatformRole, Presence
from tests import factories


@dataclass
class World:
    body: Any
    orgs: dict[Group, Any]
    holders: dict[Group, Any]
    alternates: dict[Group, Any]
    seats: dict[Group, Any]
    meeting: Any
    item: Any
    moderator: Any
    outsider: Any  # a workers' representative whose union has no seat

    def item_on(self, db: Session, title: str = "", **restriction: Any) -> AgendaItem:
        """Another item of the meeting (public unless told)."""
        row = AgendaItem(
            meeting_id=self.meeting.id,
            number=10,
            title=title or "Another item",
            confidentiality=restriction.pop("confidentiality", Confidentiality.PUBLIC),
            **restriction,
        )
        db.add(row)
        db.flush()
        return row

    def attend_all(self, db: Session, **statuses: Presence) -> None:
        """Every seat present by its holder, unless ``statuses`` (by group) says otherwise."""
        for group in Group:
            status = statuses.get(group.value, Presence.HOLDER)
            if status is not None:
                factories.attend(db, self.meeting, self.seats[group], status, self.moderator)


def build(db: Session, **body_options: Any) -> World:
    body, orgs, holders, alternates, seats = factories.seated_body(db, **body_options)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    meeting = factories.meeting(db, body, convened_by=moderator)
    item = AgendaItem(
        meeting_id=meeting.id,
        number=1,
        title="Minimum wage for domestic work",
        confidentiality=Confidentiality.PUBLIC,
    )
    db.add(item)
    outsider = factories.member(db, factories.organisation(db, Group.WORKERS))
    db.flush()
    return World(body, orgs, holders, alternates, seats, meeting, item, moderator, outsider)


def decision(
    db: Session,
    world: World,
    method: DecisionMethod = DecisionMethod.GROUP_EQUAL_VOTE,
    item: AgendaItem | None = None,
    **columns: Any,
) -> Decision:
    """A decision opened directly (the routes are tested in test_decisions.py)."""
    row = Decision(
        meeting_id=world.meeting.id,
        agenda_item_id=(item or world.item).id,
        text=columns.pop("text", "The minimum wage rises by 5%."),
        method=method,
        opened_by_id=world.moderator.id,
        **columns,
    )
    db.add(row)
    db.flush()
    return row
