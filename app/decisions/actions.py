"""Actions that carry a decision out, their progress notes (with files) and each group's word
on the reported progress. Never commits.

An action is seen by those who may see its decision (app.decisions.service.place_of)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import text_rules
from app.accounts.models import User
from app.accounts.rules import Viewer
from app.audit.service import record
from app.bodies.models import Seat
from app.db import read, utcnow
from app.decisions import rules, service
from app.decisions.models import (
    Action,
    ActionConfirmation,
    ActionNote,
    ActionNoteFile,
    Decision,
)
from app.documents.checks import FileKind
from app.documents.service import Checked
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import N_
from app.i18n import gettext as _
from app.organisations.models import Organisation
from app.text_rules import small_id
from app.vocabulary import ActionOwner, ActionStatus, Group, Verdict

OWNER_LABELS = {
    ActionOwner.ORGANISATION: N_("an organisation"),
    ActionOwner.GROUP: N_("a group"),
    ActionOwner.GOVERNMENT: N_("the government"),
    ActionOwner.SECRETARIAT: N_("the secretariat"),
}
STATUS_LABELS = {
    ActionStatus.PLANNED: N_("planned"),
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.DONE: N_("done"),
    ActionStatus.DROPPED: N_("dropped"),
}
VERDICT_LABELS = {Verdict.CONFIRMED: N_("confirmed"), Verdict.DISPUTED: N_("disputed")}


def _no_such_action() -> NotFound:
    return NotFound(_("There is no such action."))


@dataclass(frozen=True)
class ActionRow:
    """An action as lists show it: its owner in words, its state, each group's word."""

    id: int
    decision_id: int
    what: str
    owner: ActionOwner
    owner_organisation_id: int | None
    owner_organisation: str
    owner_group: Group | None
    due_on: date | None
    status: ActionStatus
    overdue: bool
    latest_note_id: int | None
    standing: dict[Group, Verdict | None] = field(default_factory=dict)

    @property
    def disputed(self) -> bool:
        return rules.disputed(self.standing)

    @property
    def status_words(self) -> str:
        return _(STATUS_LABELS[self.status])

    @property
    def owner_words(self) -> str:
        if self.owner is ActionOwner.ORGANISATION:
            return self.owner_organisation
        if self.owner is ActionOwner.GROUP and self.owner_group is not None:
            return _("the %(group)s group") % {"group": self.owner_group.label}
        return _(OWNER_LABELS[self.owner])


def action_rows(
    db: Session, decision_ids: Iterable[int], today: date
) -> dict[int, list[ActionRow]]:
    """The actions of these decisions, by decision, in three queries however many."""
    ids = sorted(set(decision_ids))
    found: dict[int, list[ActionRow]] = {d: [] for d in ids}
    if not ids:
        return found
    actions = read(
        db,
        select(
            Action.id,
            Action.decision_id,
            Action.what,
            Action.owner,
            Action.owner_organisation_id,
            Organisation.name,
            Action.owner_group,
            Action.due_on,
            Action.status,
        )
        .outerjoin(Organisation, Organisation.id == Action.owner_organisation_id)
        .where(Action.decision_id.in_(ids))
        .order_by(Action.due_on.is_(None), Action.due_on, Action.id),
    ).all()
    action_ids = [a[0] for a in actions]
    latest: dict[int, int] = {}
    words: dict[int, list[rules.Word]] = defaultdict(list)
    if action_ids:
        for action_id, note_id in read(
            db,
            select(ActionNote.action_id, ActionNote.id)
            .where(ActionNote.action_id.in_(action_ids))
            .order_by(ActionNote.id),
        ):
            latest[action_id] = note_id
        for action_id, cid, group, verdict, on_note in read(
            db,
            select(
                ActionConfirmation.action_id,
                ActionConfirmation.id,
                ActionConfirmation.group_name,
                ActionConfirmation.verdict,
                ActionConfirmation.note_id,
            ).where(ActionConfirmation.action_id.in_(action_ids)),
        ):
            words[action_id].append(rules.Word(Group(group), Verdict(verdict), on_note, cid))
    for a in actions:
        status = ActionStatus(a[8])
        note = latest.get(a[0])
        found[a[1]].append(
            ActionRow(
                id=a[0],
                decision_id=a[1],
                what=a[2],
                owner=ActionOwner(a[3]),
                owner_organisation_id=a[4],
                owner_organisation=a[5] or "",
                owner_group=Group(a[6]) if a[6] else None,
                due_on=a[7],
                status=status,
                overdue=rules.overdue(status, a[7], today),
                latest_note_id=note,
                standing=rules.confirmations(words[a[0]], note),
            )
        )
    return found


# -- adding -----------------------------------------------------------------------------------


def add_action(
    db: Session,
    viewer: Viewer,
    decision_id: int,
    what: str,
    owner: str,
    organisation_id: str = "",
    group: str = "",
    due_on: str = "",
) -> Action:
    decision, place = service.place_of(db, viewer, decision_id)
    if not place.viewer.secretariat:
        raise Forbidden(_("Only the body's secretariat adds an action to a decision."))
    cleaned = text_rules.clean_line(what, "what")
    if not cleaned:
        raise DomainError(_("Write what is to be done."), field="what")
    if len(cleaned) > 500:
        raise DomainError(_("Keep what is to be done under 500 characters."), field="what")
    try:
        chosen = ActionOwner(owner)
    except ValueError:
        raise DomainError(_("Choose who carries the action out."), field="owner") from None
    owner_org: int | None = None
    owner_group: Group | None = None
    if chosen is ActionOwner.ORGANISATION:
        seated = {
            s for s in db.scalars(select(Seat.organisation_id).where(Seat.body_id == place.body.id))
        }
        owner_org = small_id(organisation_id)
        if owner_org not in seated:
            raise DomainError(
                _("Choose an organisation that holds a seat on this body."), field="organisation"
            )
    elif chosen is ActionOwner.GROUP:
        try:
            owner_group = Group(group)
        except ValueError:
            raise DomainError(_("Choose the group."), field="group") from None
    due = service.parse_day(due_on, "due_on") if due_on.strip() else None
    action = Action(
        decision_id=decision.id,
        what=cleaned,
        owner=chosen,
        owner_organisation_id=owner_org,
        owner_group=owner_group,
        due_on=due,
        created_by_id=viewer.user_id,
    )
    db.add(action)
    db.flush()
    record(
        db,
        viewer.user_id,
        "action.added",
        "decision",
        decision.id,
        action_id=action.id,
        owner=chosen.value,
        **service.audit_texts(place, title=cleaned),
    )
    return action


# -- one action -------------------------------------------------------------------------------


def action_place(
    db: Session, viewer: Viewer | None, action_id: int
) -> tuple[Action, Decision, service.Place]:
    action = db.get(Action, action_id)
    if action is None:
        raise _no_such_action()
    try:
        decision, place = service.place_of(db, viewer, action.decision_id)
    except NotFound:
        raise _no_such_action() from None
    return action, decision, place


def reporting_organisation(
    action: Action, place: service.Place, viewer: Viewer
) -> tuple[bool, int | None]:
    """Whether this person reports on the action (its owner's people, or the secretariat),
    and the organisation they report for."""
    seated_groups = place.viewer.member_groups
    if action.owner is ActionOwner.ORGANISATION:
        for m in viewer.mandates:
            if m.organisation_id == action.owner_organisation_id:
                return True, m.organisation_id
    wanted: Group | None = None
    if action.owner is ActionOwner.GROUP:
        wanted = action.owner_group
    elif action.owner is ActionOwner.GOVERNMENT:
        wanted = Group.GOVERNMENT
    if wanted is not None and wanted in seated_groups:
        org = next((m.organisation_id for m in viewer.mandates if m.group is wanted), None)
        return True, org
    return place.viewer.secretariat, None


def check_report(db: Session, viewer: Viewer, action_id: int) -> None:
    """Refuse, before a file is read, anyone who may not report on the action."""
    action, _decision, place = action_place(db, viewer, action_id)
    if not reporting_organisation(action, place, viewer)[0]:
        raise Forbidden(_("Only the action's owner or the secretariat reports its progress."))


def parse_status(value: str) -> ActionStatus:
    try:
        return ActionStatus(value)
    except ValueError:
        raise DomainError(_("Choose the action's status."), field="status") from None


def add_note(
    db: Session,
    viewer: Viewer,
    action_id: int,
    text: str,
    status: str,
    checked: Checked | None = None,
) -> tuple[Action, ActionNote]:
    action, decision, place = action_place(db, viewer, action_id)
    allowed, organisation_id = reporting_organisation(action, place, viewer)
    if not allowed:
        raise Forbidden(_("Only the action's owner or the secretariat reports its progress."))
    cleaned = text_rules.clean_block(text, "text")
    if not cleaned:
        raise DomainError(_("Write what has been done."), field="text")
    new_status = parse_status(status)
    note = ActionNote(
        action_id=action.id,
        text=cleaned,
        status=new_status,
        organisation_id=organisation_id,
        written_by_id=viewer.user_id,
    )
    db.add(note)
    db.flush()
    if checked is not None:
        db.add(
            ActionNoteFile(
                note_id=note.id,
                sha256=checked.sha256,
                size=checked.size,
                kind=checked.kind.value,
                file_name=checked.file_name,
                text=checked.text,
                uploaded_by_id=viewer.user_id,
            )
        )
    before = action.status
    action.status = new_status
    action.updated_at = utcnow()
    db.flush()
    record(
        db,
        viewer.user_id,
        "action.progress",
        "decision",
        decision.id,
        action_id=action.id,
        before={"status": before.value},
        after={"status": new_status.value},
        **service.audit_texts(place, title=action.what),
    )
    return action, note


def give_word(
    db: Session, viewer: Viewer, action_id: int, verdict: str, reason: str, group: str = ""
) -> tuple[Action, Group, Verdict]:
    """A group's word on the action's latest reported progress."""
    action, decision, place = action_place(db, viewer, action_id)
    groups = place.viewer.member_groups
    if not groups:
        raise Forbidden(_("Only a group's members on this body confirm or dispute progress."))
    if group:
        try:
            chosen = Group(group)
        except ValueError:
            raise DomainError(_("Choose the group."), field="group") from None
        if chosen not in groups:
            raise Forbidden(_("You speak only for a group you are a member of on this body."))
    else:
        chosen = sorted(groups)[0]
    try:
        word = Verdict(verdict)
    except ValueError:
        raise DomainError(_("Choose confirmed or disputed."), field="verdict") from None
    cleaned = text_rules.clean_block(reason, "reason")
    if word is Verdict.DISPUTED and not cleaned:
        raise DomainError(_("Say why the group disputes the reported progress."), field="reason")
    latest = db.scalar(
        select(ActionNote.id)
        .where(ActionNote.action_id == action.id)
        .order_by(ActionNote.id.desc())
        .limit(1)
    )
    if latest is None:
        raise Conflict(_("No progress has been reported on this action yet."))
    db.add(
        ActionConfirmation(
            action_id=action.id,
            note_id=latest,
            group_name=chosen,
            verdict=word,
            reason=cleaned,
            given_by_id=viewer.user_id,
        )
    )
    db.flush()
    record(
        db,
        viewer.user_id,
        "action.confirmed" if word is Verdict.CONFIRMED else "action.disputed",
        "decision",
        decision.id,
        action_id=action.id,
        group=chosen.value,
        **service.audit_texts(place, title=action.what, reason=cleaned),
    )
    return action, chosen, word


# -- the action's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteFile:
    id: int
    file_name: str
    size: int
    kind: FileKind


@dataclass(frozen=True)
class NoteView:
    id: int
    text: str
    status: ActionStatus
    organisation: str
    written_by: str
    written_at: datetime
    files: list[NoteFile]


@dataclass(frozen=True)
class WordView:
    group: Group
    verdict: Verdict
    reason: str
    given_by: str
    given_at: datetime
    on_latest: bool


@dataclass
class ActionPage:
    action: ActionRow
    decision: Decision
    place: service.Place
    notes: list[NoteView]
    words: list[WordView]
    may_report: bool
    #: The groups this person speaks for here (confirm or dispute).
    groups: list[Group]


def action_page(db: Session, viewer: Viewer, action_id: int) -> ActionPage:
    action, decision, place = action_place(db, viewer, action_id)
    row = next(
        r for r in action_rows(db, [decision.id], utcnow().date())[decision.id] if r.id == action.id
    )
    people: dict[int, str] = {}
    notes = db.execute(
        select(ActionNote, Organisation.name)
        .outerjoin(Organisation, Organisation.id == ActionNote.organisation_id)
        .where(ActionNote.action_id == action.id)
        .order_by(ActionNote.id.desc())
    ).all()
    files: dict[int, list[NoteFile]] = defaultdict(list)
    if notes:
        for f in db.scalars(
            select(ActionNoteFile)
            .where(ActionNoteFile.note_id.in_([n.id for n, _o in notes]))
            .order_by(ActionNoteFile.id)
        ):
            files[f.note_id].append(NoteFile(f.id, f.file_name, f.size, FileKind(f.kind)))
    confirmations = list(
        db.scalars(
            select(ActionConfirmation)
            .where(ActionConfirmation.action_id == action.id)
            .order_by(ActionConfirmation.id.desc())
        )
    )
    ids = {n.written_by_id for n, _o in notes} | {c.given_by_id for c in confirmations}
    if ids:
        people = {
            i: name for i, name in read(db, select(User.id, User.name).where(User.id.in_(ids)))
        }
    return ActionPage(
        action=row,
        decision=decision,
        place=place,
        notes=[
            NoteView(
                n.id,
                n.text,
                n.status,
                org or "",
                people.get(n.written_by_id, ""),
                n.written_at,
                files[n.id],
            )
            for n, org in notes
        ],
        words=[
            WordView(
                c.group_name,
                c.verdict,
                c.reason,
                people.get(c.given_by_id, ""),
                c.given_at,
                c.note_id == row.latest_note_id,
            )
            for c in confirmations
        ],
        may_report=reporting_organisation(action, place, viewer)[0],
        groups=sorted(place.viewer.member_groups),
    )


@dataclass(frozen=True)
class NoteDownload:
    sha256: str
    size: int
    kind: FileKind
    file_name: str


def note_file(db: Session, viewer: Viewer, file_id: int) -> NoteDownload:
    """A progress note's file, to those who may see its action (404 otherwise)."""
    found = db.execute(
        select(ActionNoteFile, ActionNote.action_id)
        .join(ActionNote, ActionNote.id == ActionNoteFile.note_id)
        .where(ActionNoteFile.id == file_id)
    ).one_or_none()
    if found is None:
        raise NotFound(_("There is no such file."))
    row, action_id = found
    try:
        action_place(db, viewer, action_id)
    except NotFound:
        raise NotFound(_("There is no such file.")) from None
    return NoteDownload(row.sha256, row.size, FileKind(row.kind), row.file_name)
