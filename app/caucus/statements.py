"""The group statement of a caucus: drafted and revised by its members, endorsed by its
organisations, published to the round signed by them; and what the round page shows of the
caucuses (the way in, for those who may enter, and the published statements; drafts never).

Only the publication is in the shared audit log (ids, never the text): drafting, revising and
endorsing stay in the caucus (app.audit.rules). Notifications go to the group's own people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from app import markdown
from app.accounts.models import User
from app.accounts.rules import Viewer
from app.audit.service import record
from app.caucus import rules
from app.caucus.models import CaucusInvitation, GroupStatement, GroupStatementEndorsement
from app.caucus.service import (
    Caucus,
    enter_to_write,
    group_members,
    lock_writable,
)
from app.db import read, utcnow
from app.errors import Conflict, NotFound
from app.i18n import gettext as _
from app.notifications import service as notifications
from app.organisations.models import Organisation
from app.rounds import rules as round_rules
from app.vocabulary import Group, RoundStatus

if TYPE_CHECKING:
    from app.rounds.page import RoundPage


# -- the group statement -------------------------------------------------------------------------


@dataclass
class StatementView:
    id: int
    group: Group
    text: str
    text_html: str
    created_by: str
    updated_at: datetime
    published_at: datetime | None
    #: The endorsing organisations: (id, name), by name.
    endorsers: list[tuple[int, str]] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return rules.fingerprint(self.text)

    @property
    def endorser_ids(self) -> set[int]:
        return {organisation_id for organisation_id, _name in self.endorsers}


_CREATOR = aliased(User)


def _statement_views(db: Session, condition: object) -> list[StatementView]:
    """Statements and their endorsing organisations, in one query."""
    rows = read(
        db,
        select(
            GroupStatement.id,
            GroupStatement.group_name,
            GroupStatement.text,
            GroupStatement.text_html,
            GroupStatement.updated_at,
            GroupStatement.published_at,
            _CREATOR.name.label("creator"),
            Organisation.id.label("organisation_id"),
            Organisation.name.label("organisation"),
        )
        .join(_CREATOR, _CREATOR.id == GroupStatement.created_by_id)
        .outerjoin(
            GroupStatementEndorsement, GroupStatementEndorsement.statement_id == GroupStatement.id
        )
        .outerjoin(Organisation, Organisation.id == GroupStatementEndorsement.organisation_id)
        .where(condition)  # type: ignore[arg-type]
        .order_by(GroupStatement.id, Organisation.name),
    ).all()
    views: dict[int, StatementView] = {}
    for r in rows:
        view = views.get(r.id)
        if view is None:
            view = views[r.id] = StatementView(
                r.id,
                r.group_name,
                r.text,
                r.text_html,
                r.creator,
                r.updated_at,
                r.published_at,
            )
        if r.organisation_id is not None:
            view.endorsers.append((r.organisation_id, r.organisation))
    return list(views.values())


def statements(db: Session, caucus: Caucus) -> tuple[StatementView | None, list[StatementView]]:
    """The group's draft statement (if any) and its published ones, newest first."""
    found = _statement_views(
        db,
        (GroupStatement.round_id == caucus.round.id) & (GroupStatement.group_name == caucus.group),
    )
    draft = next((s for s in found if s.published_at is None), None)
    published = sorted(
        (s for s in found if s.published_at is not None),
        key=lambda s: (s.published_at, s.id),
        reverse=True,
    )
    return draft, published


def _statement(db: Session, caucus: Caucus, statement_id: int | None) -> GroupStatement:
    statement = db.get(GroupStatement, statement_id) if statement_id else None
    if (
        statement is None
        or statement.round_id != caucus.round.id
        or statement.group_name != caucus.group
    ):
        raise NotFound(_("There is no such statement in this caucus."))
    return statement


def _state(db: Session, statement: GroupStatement) -> rules.StatementState:
    count = db.scalar(
        select(func.count(GroupStatementEndorsement.id)).where(
            GroupStatementEndorsement.statement_id == statement.id
        )
    )
    return rules.StatementState(statement.published_at is not None, int(count or 0))


def save_statement(
    db: Session,
    viewer: Viewer,
    round_id: int,
    group_value: str,
    statement_id: int | None,
    text: str,
    seen: str = "",
) -> GroupStatement:
    """Start the group's draft statement, or revise it. A revised text is a new text: the
    endorsements given to the old one are withdrawn (each organisation endorses again)."""
    caucus = enter_to_write(db, viewer, round_id, group_value)
    text = rules.check_statement(text)
    lock_writable(db, round_id)
    now = utcnow()
    if statement_id:
        statement = _statement(db, caucus, statement_id)
        rules.require_draft(_state(db, statement))
        rules.require_seen(statement.text, seen)
        if text == statement.text:
            return statement
        statement.text, statement.text_html = text, markdown.render(text)
        statement.updated_at = now
        db.execute(
            delete(GroupStatementEndorsement).where(
                GroupStatementEndorsement.statement_id == statement.id
            )
        )
        return statement  # nothing in the shared audit log: the caucus is private
    existing = db.scalar(
        select(GroupStatement.id).where(
            GroupStatement.round_id == round_id,
            GroupStatement.group_name == caucus.group,
            GroupStatement.published_at.is_(None),
        )
    )
    if existing is not None:
        raise Conflict(
            _("Your group already has a draft statement: revise that one."), field="text"
        )
    statement = GroupStatement(
        round_id=round_id,
        group_name=caucus.group,
        text=text,
        text_html=markdown.render(text),
        created_by_id=viewer.user_id,
        created_at=now,
        updated_at=now,
    )
    db.add(statement)
    db.flush()  # nothing in the shared audit log: the caucus is private (app.audit.rules)
    title = caucus.round.title
    notifications.notify(
        db,
        [p for p in group_members(db, round_id, caucus.group) if p != viewer.user_id],
        round_id,
        "caucus.statement_drafted",
        lambda: (
            _(
                "A draft statement of your group awaits your organisation's endorsement in the "
                "caucus of “%(round)s”."
            )
            % {"round": title}
        ),
    )
    return statement


def endorse(
    db: Session,
    viewer: Viewer,
    round_id: int,
    group_value: str,
    statement_id: int | None,
    *,
    endorsing: bool,
    seen: str = "",
) -> GroupStatement:
    """The viewer's organisation endorses the draft (once; again is no change), or withdraws
    its endorsement. Endorsements close when the statement is published."""
    caucus = enter_to_write(db, viewer, round_id, group_value)
    speaking = caucus.speaking
    assert speaking is not None
    lock_writable(db, round_id)
    statement = _statement(db, caucus, statement_id)
    rules.require_draft(_state(db, statement))
    if endorsing:
        rules.require_seen(statement.text, seen)
    existing = db.scalar(
        select(GroupStatementEndorsement).where(
            GroupStatementEndorsement.statement_id == statement.id,
            GroupStatementEndorsement.organisation_id == speaking.organisation_id,
        )
    )
    if endorsing and existing is None:
        db.add(
            GroupStatementEndorsement(
                statement_id=statement.id,
                organisation_id=speaking.organisation_id,
                endorsed_by_id=viewer.user_id,
            )
        )
    elif not endorsing and existing is not None:
        db.delete(existing)
    # nothing in the shared audit log: who endorses a draft stays in the caucus (the
    # endorsements of the published statement are public, with it)
    return statement


def publish(
    db: Session,
    viewer: Viewer,
    round_id: int,
    group_value: str,
    statement_id: int | None,
    seen: str = "",
) -> GroupStatement:
    """A member publishes the draft to the round as the group's statement, signed by the
    organisations that endorse it (at least one)."""
    caucus = enter_to_write(db, viewer, round_id, group_value)
    round_ = lock_writable(db, round_id)
    statement = _statement(db, caucus, statement_id)
    rules.require_seen(statement.text, seen)
    rules.require_publishable(_state(db, statement))
    statement.published_at = utcnow()
    statement.published_by_id = viewer.user_id
    round_.version += 1  # the round page shows it: public from now on
    signers = sorted(
        db.scalars(
            select(GroupStatementEndorsement.organisation_id).where(
                GroupStatementEndorsement.statement_id == statement.id
            )
        )
    )
    record(
        db,
        viewer.user_id,
        "group_statement.published",
        "round",
        round_id,
        group=caucus.group.value,
        statement_id=statement.id,
        organisations=signers,
    )
    title = caucus.round.title
    notifications.notify(
        db,
        [p for p in group_members(db, round_id, caucus.group) if p != viewer.user_id],
        round_id,
        "caucus.statement_published",
        lambda: (
            _("Your group's statement is published on the round “%(round)s”.") % {"round": title}
        ),
    )
    return statement


# -- on the round page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OnRoundPage:
    """What the round page shows of the caucuses: the caucuses this viewer may enter, and the
    groups' published statements (drafts never)."""

    caucuses: list[Group]
    statements: list[StatementView]


def on_round_page(page: RoundPage) -> OnRoundPage:
    """At most two queries, whatever the round holds."""
    info, viewer = page.round, page.viewer
    caucuses: set[Group] = set()
    if info.status is not RoundStatus.DRAFT:
        invited = {org_id: group for org_id, _name, group in page.organisations}
        caucuses = {
            invited[m.organisation_id] for m in viewer.mandates if m.organisation_id in invited
        }
        if viewer.may_moderate:
            caucuses |= {
                Group(g)
                for g in read(
                    page.db,
                    select(CaucusInvitation.group_name).where(
                        CaucusInvitation.round_id == info.id,
                        CaucusInvitation.revoked_at.is_(None),
                    ),
                ).scalars()
            }
    order = round_rules.column_order(info.id)
    return OnRoundPage([g for g in order if g in caucuses], published_statements(page))


def published_statements(page: RoundPage) -> list[StatementView]:
    """The round's published group statements, in the columns' order (one query); the round
    page's live updates swap them in."""
    info = page.round
    order = round_rules.column_order(info.id)
    published = _statement_views(
        page.db, (GroupStatement.round_id == info.id) & GroupStatement.published_at.is_not(None)
    )
    published.sort(key=lambda s: (order.index(s.group), s.published_at, s.id))
    return published
