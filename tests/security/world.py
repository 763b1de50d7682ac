"""A small world for the security suite: every kind of object a route can name, one person per
role, a browser per role, and a way to run a request whose writes are undone afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.routing import iter_route_contexts
from sqlalchemy.orm import Session
from starlette.routing import Mount

from app.accounts.credentials import new_token
from app.api import tokens
from app.comments.models import Flag
from app.db import utcnow
from app.organisations.models import Invitation, Mandate
from app.rounds.models import GroupSignoff
from app.search.models import SavedSearch
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus, Visibility
from tests import factories
from tests.security import minutes_world

#: The roles of the authorisation matrix, in the order the table lists them.
ROLES = ("anonymous", "rep", "other_rep", "focal", "observer", "moderator", "admin", "token")

#: Argon2 at its cheapest: the suite signs in and changes passwords many times; the production
#: parameters are the app's business, not what these tests are about.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_HASH = CHEAP_HASHER.hash(factories.PASSWORD)


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.accounts import credentials

    monkeypatch.setattr(credentials, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(credentials, "_DUMMY_HASH", CHEAP_HASHER.hash("no account has this"))


def cheap_user(db: Session) -> Any:
    """A person whose password (``factories.PASSWORD``) checks fast: for signing in through the
    form (with the ``cheap_passwords`` fixture). Committed (to the test's savepoint): a refused
    sign-in rolls its request back, and must not undo the person."""
    someone = factories.user(db)
    someone.password_hash = CHEAP_HASH
    db.commit()
    return someone


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path template) the application answers, HEAD aside; a mount counts as
    ``GET /prefix``."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.add(("GET", str(route.path)))
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, str(route.path)))
    return sorted(found, key=lambda key: (key[1], key[0]))


@dataclass
class World:
    """Ids of everything built (plain ints: the ORM objects are expired between requests)."""

    ids: dict[str, int]
    invitation_token: str
    api_token: str
    people: dict[str, Any]
    clients: dict[str, Any] = field(default_factory=dict)


def build(db: Session, settings: Any = None) -> World:
    """The world; with ``settings``, its attachments too (their bytes in that file store)."""
    now = utcnow()
    orgs = {g: factories.organisation(db, g) for g in Group}
    outsider_org = factories.organisation(db, Group.WORKERS)
    member = factories.member
    people: dict[str, Any] = {
        "rep": member(db, orgs[Group.WORKERS]),
        "focal": member(db, orgs[Group.WORKERS], MandateRole.FOCAL_POINT),
        "other_rep": member(db, outsider_org),
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
        "admin": factories.user(db, platform_role=PlatformRole.ADMIN),
        # focal points too: each group has a spokesperson a moderator can name
        "government_rep": member(db, orgs[Group.GOVERNMENT], MandateRole.FOCAL_POINT),
        "employers_rep": member(db, orgs[Group.EMPLOYERS], MandateRole.FOCAL_POINT),
        "colleague": member(db, orgs[Group.WORKERS]),  # the mandate a focal point revokes
        "plain": factories.user(db),  # signs in at /login
        "inactive": factories.user(db),
    }
    people["inactive"].is_active = False
    people["inactive"].deactivated_at = now
    for person in people.values():
        person.password_hash = CHEAP_HASH
    invited = list(orgs.values())
    open_round = factories.consultation_round(db, invited, title="Open round")
    factories.country_consultation(db, "Ardenia")  # the Convention 144 cycle's pages
    draft = factories.consultation_round(db, invited, status=RoundStatus.DRAFT, title="Draft")
    closed_times = {"opens_at": now - timedelta(days=9), "closes_at": now - timedelta(days=1)}
    closed = factories.consultation_round(
        db, invited, status=RoundStatus.CLOSED, title="Closed round", **closed_times
    )
    signing = factories.consultation_round(
        db, invited, status=RoundStatus.CLOSED, title="Signing round", **closed_times
    )
    signed = factories.consultation_round(
        db, invited, status=RoundStatus.CLOSED, title="Signed round", **closed_times
    )
    closed.outcome = signing.outcome = signed.outcome = "The groups agreed on portability."
    signing.signoff_deadline = signed.signoff_deadline = now + timedelta(days=3)
    spokespeople = {
        Group.GOVERNMENT: people["government_rep"],
        Group.WORKERS: people["focal"],
        Group.EMPLOYERS: people["employers_rep"],
    }
    for round_, waiting in ((signing, Group.WORKERS), (signed, None)):
        db.add_all(
            GroupSignoff(
                round_id=round_.id,
                group_name=group.value,
                spokesperson_id=spokespeople[group].id,
                organisation_id=orgs[group].id,
                status="requested" if group is waiting else "confirmed",
                decided_at=None if group is waiting else now,
            )
            for group in Group
        )
    position = factories.position(db, open_round, orgs[Group.WORKERS], people["rep"])
    closed_position = factories.position(db, closed, orgs[Group.WORKERS], people["rep"])
    elsewhere = factories.comment(db, closed, people["rep"], orgs[Group.WORKERS], "Elsewhere.")
    government = (people["government_rep"], orgs[Group.GOVERNMENT])
    comment = factories.comment(db, open_round, *government, "A government comment.")
    own = factories.comment(db, open_round, people["rep"], orgs[Group.WORKERS], "Mine.")
    hidden = factories.comment(db, open_round, *government, "Hidden.")
    hidden.visibility = Visibility.HIDDEN.value
    hidden.moderated_by_id = people["moderator"].id
    hidden.moderated_at = now
    hidden.moderation_reason = "Off topic"
    pending = factories.comment(db, open_round, *government, "Pending.")
    pending.visibility = Visibility.PENDING.value
    flagged = factories.comment(db, open_round, *government, "Flagged.")
    db.add(
        Flag(
            comment_id=flagged.id,
            reporter_id=people["employers_rep"].id,
            organisation_id=orgs[Group.EMPLOYERS].id,
            reason="Off topic.",
        )
    )
    locked = factories.comment(db, open_round, *government, "Locked.")
    locked.locked = True
    # the open round's draft text, with an amendment by the government's organisation
    paragraph = factories.draft(db, open_round)[0]
    amendment = factories.amendment(db, paragraph, *reversed(government))
    # the workers' caucus of the open round: a message, and a draft its organisation endorses
    factories.caucus_post(db, open_round, people["rep"], orgs[Group.WORKERS], "Between us.")
    endorsed = [(orgs[Group.WORKERS], people["focal"])]
    statement = factories.group_statement(
        db, open_round, Group.WORKERS, people["rep"], "Our draft.", endorsed_by=endorsed
    )
    invitation_token, token_hash = new_token()
    invitation = Invitation(
        organisation_id=orgs[Group.WORKERS].id,
        email="invited@test.example",
        name="Invited Person",
        role=MandateRole.REPRESENTATIVE.value,
        token_hash=token_hash,
        expires_at=now + timedelta(hours=72),
        created_by_id=people["focal"].id,
    )
    outsider_invitation = Invitation(
        organisation_id=outsider_org.id,
        email="outsider@test.example",
        name="Outsider",
        role=MandateRole.REPRESENTATIVE.value,
        token_hash=new_token()[1],
        expires_at=now + timedelta(hours=72),
        created_by_id=people["admin"].id,
    )
    db.add_all([invitation, outsider_invitation])
    _token, api_token = tokens.create(db, "Security suite", None)
    revocable, _plain = tokens.create(db, "Revocable", None)
    db.flush()
    # the rep's saved search (another person's is a 404 to them)
    saved_search = SavedSearch(user_id=people["rep"].id, name="The rep's search", query="q=comment")
    db.add(saved_search)
    db.flush()
    colleague_mandate = db.query(Mandate).filter_by(user_id=people["colleague"].id).one()
    outsider_mandate = db.query(Mandate).filter_by(user_id=people["other_rep"].id).one()
    files: dict[str, int] = {}
    if settings is not None:
        from app.documents.storage import file_store
        from app.vocabulary import Place

        store = file_store(settings)
        files["attachment"] = factories.attachment(db, store, open_round, people["moderator"]).id
        files["caucus_attachment"] = factories.attachment(
            db, store, open_round, people["rep"], place=Place.CAUCUS, group=Group.WORKERS
        ).id
        files["draft_attachment"] = factories.attachment(db, store, draft, people["moderator"]).id
    meetings = _bodies_and_meetings(db, people, orgs, settings)
    ids = {
        **files,
        **meetings,
        **_decisions(db, settings, orgs, people),
        "version_number": 1,  # a path segment (a version's number), not an id
        "round": open_round.id,
        "draft": draft.id,
        "closed": closed.id,
        "signing": signing.id,
        "signed": signed.id,
        "consultation": open_round.consultation_id,
        "position": position.id,
        "closed_position": closed_position.id,
        "elsewhere_comment": elsewhere.id,
        "outsider_mandate": outsider_mandate.id,
        "outsider_invitation": outsider_invitation.id,
        "outsider_org": outsider_org.id,
        "comment": comment.id,
        "own_comment": own.id,
        "hidden": hidden.id,
        "pending": pending.id,
        "flagged": flagged.id,
        "locked": locked.id,
        "paragraph": paragraph.id,
        "amendment": amendment.id,
        "organisation": orgs[Group.WORKERS].id,
        "mandate": colleague_mandate.id,
        "invitation": invitation.id,
        "user": people["colleague"].id,
        "inactive": people["inactive"].id,
        "api_token": revocable.id,
        "statement": statement.id,
        "saved_search": saved_search.id,
        "caucus_group": Group.WORKERS.value,  # a path segment (the group), not an id
        **{f"org_{g.value}": o.id for g, o in orgs.items()},
    }
    ids.update(minutes_world.build(db, people, orgs))
    return World(ids, invitation_token, api_token, people)


def _bodies_and_meetings(
    db: Session, people: dict[str, Any], orgs: dict[Group, Any], settings: Any
) -> dict[str, int]:
    """A council with a seat per group (the workers': ``rep`` holds it, ``focal`` is its
    alternate), a public meeting whose agenda is a draft (a member's proposal waits on it,
    members only), an issued one, and (with ``settings``) a members-only meeting document."""
    import io

    from app.meetings.models import AgendaItem, MeetingDocument
    from app.vocabulary import AgendaItemStatus, Confidentiality

    body = factories.body(db, name="Security Council of Labour")
    holders = {
        Group.WORKERS: (people["rep"], people["focal"]),
        Group.GOVERNMENT: (people["government_rep"], None),
        Group.EMPLOYERS: (people["employers_rep"], None),
    }
    seats = {
        g: factories.seat(db, body, orgs[g], holder, alternate)
        for g, (holder, alternate) in holders.items()
    }
    meeting = factories.meeting(db, body, title="Security plenary", issued=False)
    meeting.proposals_until = utcnow() + timedelta(days=5)
    issued = factories.meeting(db, body, title="Issued plenary", issued=True)
    proposal = AgendaItem(
        meeting_id=meeting.id,
        title="A member's proposal",
        status=AgendaItemStatus.PROPOSED,
        confidentiality=Confidentiality.MEMBERS,
        proposed_by_id=people["rep"].id,
        proposed_by_organisation_id=orgs[Group.WORKERS].id,
    )
    db.add(proposal)
    db.flush()
    ids = {
        "body": body.id,
        "meeting": meeting.id,
        "issued_meeting": issued.id,
        "agenda_item": proposal.id,
        "seat": seats[Group.WORKERS].id,
    }
    if settings is not None:
        from app.documents.storage import file_store

        content = b"%PDF-1.4 meeting bytes"
        stored = file_store(settings).put(io.BytesIO(content), len(content) + 1)
        document = MeetingDocument(
            meeting_id=meeting.id,
            title="Members' paper",
            language="en",
            sha256=stored.sha256,
            size=stored.size,
            kind="pdf",
            file_name="paper.pdf",
            confidentiality=Confidentiality.MEMBERS,
            uploaded_by_id=people["moderator"].id,
        )
        db.add(document)
        db.flush()
        ids["meeting_document"] = document.id
    return ids


def clients_for(
    world: World, make_client: Callable[[], Any], db: Session, roles: tuple[str, ...] = ROLES
) -> dict[str, Any]:
    """A browser per role (API token: a browser sending the bearer token); each is an app
    instance of its own, so only the roles asked for are made."""
    clients: dict[str, Any] = {}
    for role in roles:
        if role == "anonymous":
            clients[role] = make_client()
        elif role == "token":
            clients[role] = make_client()
            clients[role].headers["Authorization"] = f"Bearer {world.api_token}"
        else:
            clients[role] = factories.signed_in(make_client, db, world.people[role])
    db.commit()
    world.clients = clients
    return clients


@contextmanager
def undone(db: Session) -> Iterator[None]:
    """Run a request whose writes (committed by the route into the test's transaction) are
    rolled back afterwards, so every request meets the same world."""
    from app.rounds.fragments import CACHE

    db.commit()
    connection = db.get_bind()
    savepoint = connection.begin_nested()  # type: ignore[union-attr]
    try:
        yield
    finally:
        if db.in_transaction():
            db.rollback()
        if savepoint.is_active:
            savepoint.rollback()
        db.expire_all()
        CACHE.clear()


@pytest.fixture
def make_client_with(settings: Any, db: Session) -> Iterator[Callable[..., Any]]:
    """Like ``make_client``, with some settings changed: ``make_client_with(cookie_secure=True)``.
    Each call builds an app instance of its own (a process of its own, as far as the app can
    tell) on the test's database."""
    from contextlib import nullcontext

    from app.db import get_session
    from app.exports.stream import export_connections
    from app.main import asgi
    from tests.conftest import Browser

    clients: list[Any] = []

    def make(base_url: str = "http://testserver", **changes: Any) -> Any:
        app = asgi(settings.model_copy(update=changes))
        overrides = app.fastapi_app.dependency_overrides  # type: ignore[attr-defined]
        overrides[get_session] = lambda: db
        overrides[export_connections] = lambda: lambda: nullcontext(db.connection())
        client = Browser(app, base_url=base_url, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _decisions(
    db: Session, settings: Any, orgs: dict[Group, Any], people: dict[str, Any]
) -> dict[str, int]:
    """A body with a seat per group (the workers' held by the rep, the colleague its
    alternate), a meeting where every seat is present, a public agenda item without a
    decision, one with an open group-equal vote, and an action the workers' union owns with
    a progress note (and its file, with ``settings``)."""
    from app.decisions.models import Action, ActionNote, ActionNoteFile, Decision
    from app.meetings.models import AgendaItem
    from app.vocabulary import ActionOwner, ActionStatus, Confidentiality, DecisionMethod, Presence

    body = factories.body(db, name="Matrix council")
    holders = {
        Group.GOVERNMENT: (people["government_rep"], None),
        Group.WORKERS: (people["rep"], people["colleague"]),
        Group.EMPLOYERS: (people["employers_rep"], None),
    }
    meeting = factories.meeting(db, body, convened_by=people["moderator"])
    for group, (holder, alternate) in holders.items():
        seat = factories.seat(db, body, orgs[group], holder, alternate)
        factories.attend(db, meeting, seat, Presence.HOLDER, people["moderator"])
    items = [
        AgendaItem(
            meeting_id=meeting.id, number=n, title=title, confidentiality=Confidentiality.PUBLIC
        )
        for n, title in ((1, "Minimum wage"), (2, "Social security"))
    ]
    db.add_all(items)
    db.flush()
    decision = Decision(
        meeting_id=meeting.id,
        agenda_item_id=items[1].id,
        text="Extend coverage.",
        method=DecisionMethod.GROUP_EQUAL_VOTE,
        opened_by_id=people["moderator"].id,
    )
    db.add(decision)
    db.flush()
    action = Action(
        decision_id=decision.id,
        what="Draft the bill",
        owner=ActionOwner.ORGANISATION,
        owner_organisation_id=orgs[Group.WORKERS].id,
        created_by_id=people["moderator"].id,
    )
    db.add(action)
    db.flush()
    note = ActionNote(
        action_id=action.id,
        text="Drafted.",
        status=ActionStatus.IN_PROGRESS,
        written_by_id=people["rep"].id,
    )
    db.add(note)
    db.flush()
    ids = {
        "dec_body": body.id,
        "dec_item": items[0].id,
        "dec_decision": decision.id,
        "dec_action": action.id,
    }
    if settings is not None:
        import io

        from app.documents.storage import file_store

        content = b"%PDF-1.4 matrix bytes"
        stored = file_store(settings).put(io.BytesIO(content), len(content) + 1)
        row = ActionNoteFile(
            note_id=note.id,
            sha256=stored.sha256,
            size=stored.size,
            kind="pdf",
            file_name="progress.pdf",
            uploaded_by_id=people["rep"].id,
        )
        db.add(row)
        db.flush()
        ids["dec_file"] = row.id
    return ids
