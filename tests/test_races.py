"""A close racing concurrent posters, on both databases: nothing is accepted after the close,
nothing accepted is lost, and every refused poster is told the round is closed."""

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import UniqueConstraint, func, select
from sqlalchemy.orm import Session

from app.accounts.credentials import new_token
from app.accounts.models import User
from app.accounts.rules import Speaking, Viewer
from app.bodies.models import Seat
from app.caucus.models import CaucusInvitation, GroupStatementEndorsement
from app.comments import service as comments
from app.comments.models import Comment, Flag
from app.db import make_engine, make_sessionmaker, open_session, utcnow
from app.decisions.models import Decision, DecisionVote, DivergentPosition
from app.drafts.models import AmendmentSupport, DraftParagraph
from app.errors import DomainError
from app.meetings.models import AgendaItem, Attendance, Minutes, MinutesItem
from app.migrate import upgrade
from app.moderation import lifecycle
from app.notifications.models import Notification
from app.organisations.models import Invitation, Organisation
from app.positions.models import Position, PositionVersion
from app.rounds.models import (
    Consultation,
    GroupSignoff,
    Round,
    RoundBrief,
    RoundInvitation,
    RoundOfficer,
)
from app.search.models import SavedSearch
from app.vocabulary import (
    AgendaItemStatus,
    Confidentiality,
    DecisionMethod,
    Group,
    MandateRole,
    PlatformRole,
    Presence,
    RoundStatus,
)
from tests import factories
from tests.conftest import _fresh_url, text_of
from tests.helpers import days_ahead
from tests.live import LiveApp, at_once, served_world, submit
from tests.security.world import World

POSTERS = 6
POSTS_EACH = 15


def test_close_racing_posters(fresh_url):
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=POSTERS + 2)
    factory = make_sessionmaker(engine)
    with open_session(factory, write=True) as db:
        orgs = [
            Organisation(name=f"Org {i}", group_name=list(Group)[i % 3].value, country="Ardenia")
            for i in range(POSTERS)
        ]
        db.add_all(orgs)
        consultation = Consultation(title="Race", brief="")
        db.add(consultation)
        db.flush()
        round_ = Round(
            consultation_id=consultation.id,
            number=1,
            title="Race",
            brief="b",
            status="open",
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=1),
        )
        db.add(round_)
        db.flush()
        db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o.id) for o in orgs)
        people = [factories.user(db) for _ in range(POSTERS)]
        moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
        db.commit()
        round_id = round_.id
        speakers = [
            Viewer(
                p.id,
                p.name,
                p.email,
                None,
                (Speaking(i, o.id, o.name, o.group, MandateRole.REPRESENTATIVE),),
            )
            for i, (p, o) in enumerate(zip(people, orgs, strict=True))
        ]
        closer = Viewer(moderator.id, moderator.name, moderator.email, PlatformRole.MODERATOR)

    accepted: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(POSTERS + 1)

    def poster(viewer: Viewer) -> None:
        start.wait()
        for n in range(POSTS_EACH):
            with open_session(factory, write=True) as db:
                try:
                    comment = comments.post(
                        db,
                        viewer,
                        round_id,
                        f"Post {n}",
                        parent_id=None,
                        position_id=None,
                        idempotency_key="",
                    )
                    db.commit()
                except DomainError as error:
                    with lock:
                        refused.append(error.message)
                    continue
                with lock:
                    accepted.append(comment.id)

    def close() -> None:
        start.wait()
        deadline = time.monotonic() + 30
        while len(accepted) < POSTERS * 2 and time.monotonic() < deadline:
            time.sleep(0.001)  # close in the middle of the posting, not before it
        with open_session(factory, write=True) as db:
            lifecycle.close(db, closer, round_id, "Closed while people were posting.")
            db.commit()

    threads = [threading.Thread(target=poster, args=(v,)) for v in speakers]
    threads.append(threading.Thread(target=close))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    with factory() as db:
        closed_at = db.scalar(select(Round.closed_at).where(Round.id == round_id))
        stored = db.execute(
            select(Comment.id, Comment.created_at).where(Comment.round_id == round_id)
        ).all()
    engine.dispose()
    assert closed_at is not None
    assert sorted(c.id for c in stored) == sorted(accepted)  # nothing accepted is lost
    assert all(c.created_at <= closed_at for c in stored)  # nothing accepted after the close
    assert len(accepted) + len(refused) == POSTERS * POSTS_EACH
    assert all("closed" in message for message in refused)
    assert accepted and refused  # the close really raced the posters


# -- every unique constraint a person's action can meet, met by several requests at once -------
#
# The constraints are read from the models' metadata; each is either raced below (the same
# route requested by several tabs or browsers at once, each request on a connection and
# transaction of its own, through a real server) or listed with the reason no action can
# meet it. Losers are told why, in the page (409 or 410); nobody ever gets a 500. Several
# requests may also all succeed where the action is an edit (the last one stands) or a
# repeat (the same thing, recorded once): what the database then holds is checked.

TABS = 6

#: Unique constraints no person's action can meet twice, and why.
UNREACHABLE = {
    "uq_search_entries_kind_source_id": "upserted (ON CONFLICT DO UPDATE) by the search index's "
    "flush listener: a second writer of the same entry updates it, never conflicts",
    "uq_api_tokens_token_hash": "a random 256-bit token, drawn afresh for each API token",
    "uq_user_sessions_token_hash": "a random 256-bit token, drawn afresh for each sign-in",
    "uq_invitations_token_hash": "a random 256-bit token, drawn afresh for each invitation",
    "uq_calendar_feeds_token_hash": "a random 256-bit token, drawn afresh for each feed",
}


def unique_constraints() -> set[str]:
    """Every unique constraint and unique index of the models, by name."""
    import app.models  # noqa: F401 - every model registered
    from app.db import Base

    found = set()
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                found.add(str(constraint.name))
        for index in table.indexes:
            if index.unique:
                found.add(str(index.name))
        for column in table.columns:
            # a unique=True column is a UniqueConstraint named by the convention above
            assert not column.unique or any(
                isinstance(c, UniqueConstraint) and list(c.columns) == [column]
                for c in table.constraints
            ), f"{table.name}.{column.name}"
    return found


@dataclass
class Race:
    """``role``'s browser (``tabs``: the same person in several tabs; else several browsers)
    sends the same form at once."""

    role: str
    path: str
    #: the form, built from what ``setup`` made (and the tab's number)
    data: Callable[[dict[str, Any], int], dict[str, Any]]
    #: fresh objects for this race only; returns what ``path`` and ``data`` name
    setup: Callable[[Session, World], dict[str, Any]]
    #: what the database holds afterwards
    check: Callable[[Session, dict[str, Any]], None]
    won: frozenset[int] = frozenset({303})
    #: several may succeed (an edit whose last one stands, or a repeat recorded once)
    many_win: bool = False
    tabs: bool = True
    #: files sent with the form (multipart), built like ``data``
    files: Callable[[dict[str, Any], int], dict[str, Any]] | None = None


def _org(db: Session, world: World, group: Group) -> Organisation:
    return db.get_one(Organisation, world.ids[f"org_{group.value}"])


def _orgs(db: Session, world: World) -> list[Organisation]:
    return [_org(db, world, group) for group in Group]


def _open_round(db: Session, world: World, **options: Any) -> dict[str, Any]:
    round_ = factories.consultation_round(db, _orgs(db, world), **options)
    return {"round": round_.id, "consultation": round_.consultation_id}


def _draft_round(db: Session, world: World) -> dict[str, Any]:
    return _open_round(db, world, status=RoundStatus.DRAFT)


def _closed_round(db: Session, world: World) -> dict[str, Any]:
    now = utcnow()
    made = _open_round(
        db,
        world,
        status=RoundStatus.CLOSED,
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=1),
    )
    round_ = db.get_one(Round, made["round"])
    round_.outcome, round_.closed_at = "The groups agreed.", round_.closes_at
    return made


def _rows(db: Session, model: Any, **equal: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model).filter_by(**equal)) or 0)


def _new_comment(db: Session, world: World) -> dict[str, Any]:
    round_ = db.get_one(Round, world.ids["round"])
    author = world.people["government_rep"]
    comment = factories.comment(db, round_, author, _org(db, world, Group.GOVERNMENT))
    return {"round": round_.id, "comment": comment.id}


def _new_invitation(db: Session, world: World) -> dict[str, Any]:
    token, token_hash = new_token()
    email = f"racer-{secrets.token_hex(4)}@test.example"
    db.add(
        Invitation(
            organisation_id=world.ids["organisation"],
            email=email,
            name="Racing Person",
            role=MandateRole.REPRESENTATIVE.value,
            token_hash=token_hash,
            expires_at=utcnow() + timedelta(hours=72),
            created_by_id=world.people["focal"].id,
        )
    )
    return {"token": token, "email": email}


def _new_position(db: Session, world: World) -> dict[str, Any]:
    made = _open_round(db, world)
    round_ = db.get_one(Round, made["round"])
    factories.position(db, round_, _org(db, world, Group.WORKERS), world.people["rep"])
    return made


def _new_amendment(db: Session, world: World) -> dict[str, Any]:
    made = _open_round(db, world)
    paragraph = factories.draft(db, db.get_one(Round, made["round"]))[0]
    government = _org(db, world, Group.GOVERNMENT)
    amendment = factories.amendment(db, paragraph, government, world.people["government_rep"])
    return {**made, "amendment": amendment.id}


def _new_attachment(db: Session, world: World) -> dict[str, Any]:
    """A round document of an open round (its first version's bytes are not needed: a new
    version reads none)."""
    from app.documents.checks import FileKind
    from app.documents.rules import Described
    from app.documents.service import Checked, hang
    from app.vocabulary import Place

    made = _open_round(db, world)
    round_ = db.get_one(Round, made["round"])
    attachment = hang(
        db,
        consultation_id=round_.consultation_id,
        round_id=round_.id,
        place=Place.ROUND,
        described=Described("Questionnaire", "en", ""),
        checked=Checked(FileKind.PDF, "questionnaire.pdf", "0" * 64, 1, ""),
        uploader_id=world.people["moderator"].id,
    )
    return {**made, "attachment": attachment.id}


def _versions_numbered_once_each(db: Session, made: dict[str, Any]) -> None:
    from app.documents.models import Attachment, AttachmentVersion

    numbers = sorted(
        db.scalars(
            select(AttachmentVersion.number).where(
                AttachmentVersion.attachment_id == made["attachment"]
            )
        )
    )
    assert numbers == list(range(1, TABS + 2)), numbers
    assert db.get_one(Attachment, made["attachment"]).current_version == TABS + 1


def _word_file(made: dict[str, Any], tab: int) -> dict[str, Any]:
    from tests.files import docx_file

    return {"file": (f"version-{tab}.docx", docx_file(), "application/octet-stream")}


def _new_statement(db: Session, world: World) -> dict[str, Any]:
    made = _open_round(db, world)
    round_ = db.get_one(Round, made["round"])
    statement = factories.group_statement(
        db, round_, Group.WORKERS, world.people["rep"], "Our draft."
    )
    return {**made, "statement": statement.id}


def _round_numbers_distinct(db: Session, made: dict[str, Any]) -> None:
    numbers = list(
        db.scalars(select(Round.number).where(Round.consultation_id == made["consultation"]))
    )
    assert len(numbers) == len(set(numbers)) > 1


def _one(model: Any, **columns: str) -> Callable[[Session, dict[str, Any]], None]:
    """Exactly one row of ``model`` whose columns equal what the race made."""

    def check(db: Session, made: dict[str, Any]) -> None:
        assert _rows(db, model, **{c: made[key] for c, key in columns.items()}) == 1

    return check


def _sitting(db: Session, world: World) -> dict[str, Any]:
    """A body of its own with a seat per group (the workers' held by the rep), a meeting where
    every seat is present, and two accepted public agenda items."""
    body = factories.body(db)
    holders = {
        Group.GOVERNMENT: world.people["government_rep"],
        Group.WORKERS: world.people["rep"],
        Group.EMPLOYERS: world.people["employers_rep"],
    }
    meeting = factories.meeting(db, body, convened_by=world.people["moderator"])
    seats = {}
    for group, holder in holders.items():
        seats[group] = factories.seat(db, body, _org(db, world, group), holder)
        factories.attend(db, meeting, seats[group], Presence.HOLDER, world.people["moderator"])
    items = [
        AgendaItem(
            meeting_id=meeting.id,
            number=n,
            title=title,
            status=AgendaItemStatus.ACCEPTED,
            confidentiality=Confidentiality.PUBLIC,
        )
        for n, title in ((1, "Minimum wage"), (2, "Social security"))
    ]
    db.add_all(items)
    db.flush()
    return {
        "body": body.id,
        "meeting": meeting.id,
        "item": items[0].id,
        "other_item": items[1].id,
        "seat": seats[Group.WORKERS].id,
    }


def _absent_seat(db: Session, world: World) -> dict[str, Any]:
    """A sitting whose workers' seat is not marked yet."""
    made = _sitting(db, world)
    db.execute(
        Attendance.__table__.delete().where(
            Attendance.meeting_id == made["meeting"], Attendance.seat_id == made["seat"]
        )
    )
    return made


def _unseated_body(db: Session, world: World) -> dict[str, Any]:
    body = factories.body(db)
    return {
        "body": body.id,
        "organisation": world.ids["organisation"],
        "holder": world.people["rep"].id,
    }


def _open_vote(db: Session, world: World) -> dict[str, Any]:
    made = _sitting(db, world)
    decision = Decision(
        meeting_id=made["meeting"],
        agenda_item_id=made["item"],
        text="Raise the minimum wage.",
        method=DecisionMethod.GROUP_EQUAL_VOTE,
        opened_by_id=world.people["moderator"].id,
    )
    db.add(decision)
    db.flush()
    return {**made, "decision": decision.id}


def _one_divergent(db: Session, made: dict[str, Any]) -> None:
    assert _rows(db, DivergentPosition, decision_id=made["decision"]) == 1


def _draft_without_items(db: Session, world: World) -> dict[str, Any]:
    made = _sitting(db, world)
    db.add(
        Minutes(meeting_id=made["meeting"], version=1, drafted_by_id=world.people["moderator"].id)
    )
    db.flush()
    return made


def _one_draft_of_minutes(db: Session, made: dict[str, Any]) -> None:
    minutes = list(db.scalars(select(Minutes).where(Minutes.meeting_id == made["meeting"])))
    assert [m.version for m in minutes] == [1]
    assert _rows(db, MinutesItem, minutes_id=minutes[0].id, agenda_item_id=made["item"]) == 1


SPOKESPEOPLE = {
    "spokesperson_government": "{government_rep}",
    "spokesperson_workers": "{focal}",
    "spokesperson_employers": "{employers_rep}",
}
OFFICERS = {
    "chair_user": "{government_rep}",
    "vice_chair_employers": "{employers_rep}",
    "vice_chair_workers": "{rep}",
    "social_partners_first": "1",
}

RACES: dict[str, list[Race]] = {
    "uq_flags_comment_id_reporter_id": [
        Race(
            "rep",
            "/rounds/{round}/comments/{comment}/flag",
            lambda made, tab: {"reason": "Off topic."},
            _new_comment,
            _one(Flag, comment_id="comment"),
        )
    ],
    "uq_users_email": [
        Race(
            "anonymous",
            "/invitations/accept",
            lambda made, tab: {
                "token": made["token"],
                "name": "Racing Person",
                "password": "a long enough passphrase",
            },
            _new_invitation,
            _one(User, email="email"),
            tabs=False,
        )
    ],
    "uq_organisations_name": [
        Race(
            "admin",
            "/admin/organisations",
            lambda made, tab: {
                "name": made["name"],
                "group": "workers",
                "country": "Ardenia",
                "focal_point_name": "Fay Focal",
                "focal_point_email": "fay@race.example",
            },
            lambda db, world: {"name": f"Racing Union {secrets.token_hex(4)}"},
            _one(Organisation, name="name"),
            won=frozenset({201}),
        )
    ],
    "uq_rounds_consultation_id_number": [
        Race(
            "moderator",
            "/consultations/{consultation}/rounds",
            lambda made, tab: {
                "title": f"Round from tab {tab}",
                "brief": "More.",
                "closes_at": days_ahead(),
                "weighting": "1:1:1",
                "organisations": made["organisations"],
            },
            lambda db, world: {
                **_open_round(db, world),
                "organisations": [str(o.id) for o in _orgs(db, world)],
            },
            lambda db, made: _round_numbers_distinct(db, made),
            many_win=True,  # each tab creates a round of its own, numbered after the others
        ),
        Race(
            "moderator",
            "/rounds/{round}/revise",
            lambda made, tab: {
                "title": "Round two",
                "brief": "Revised.",
                "closes_at": days_ahead(),
                "paragraphs": ["One.", "Two."],
            },
            _closed_round,
            _one(Round, previous_round_id="round"),
        ),
    ],
    "uq_round_briefs_round_id_language": [
        Race(
            "moderator",
            "/rounds/{round}/briefs",
            lambda made, tab: {"language": "es", "brief": f"Nota informativa {tab}."},
            _draft_round,
            _one(RoundBrief, round_id="round"),
            many_win=True,
        )
    ],
    "uq_round_invitations_round_id_organisation_id": [
        Race(
            "moderator",
            "/rounds/{round}/invitations",
            lambda made, tab: {"organisations": made["organisations"]},
            lambda db, world: {
                "round": factories.consultation_round(db, status=RoundStatus.DRAFT).id,
                "organisations": [str(o.id) for o in _orgs(db, world)],
            },
            lambda db, made: _check_equal(_rows(db, RoundInvitation, round_id=made["round"]), 3),
            many_win=True,
        )
    ],
    "uq_round_officers_round_id_role": [
        Race(
            "moderator",
            "/rounds/{round}/officers",
            lambda made, tab: {k: made["people"].get(v, v) for k, v in OFFICERS.items()},
            lambda db, world: {**_open_round(db, world), "people": _people(world)},
            lambda db, made: _check_equal(_rows(db, RoundOfficer, round_id=made["round"]), 3),
            many_win=True,
        )
    ],
    "uq_draft_paragraphs_round_id_number": [
        Race(
            "moderator",
            "/rounds/{round}/draft",
            lambda made, tab: {"text": "One.\n\nTwo."},
            _draft_round,
            lambda db, made: _check_equal(_rows(db, DraftParagraph, round_id=made["round"]), 2),
            many_win=True,
        )
    ],
    "uq_group_signoffs_round_id_group_name": [
        Race(
            "moderator",
            "/rounds/{round}/signoff",
            lambda made, tab: {
                "signoff_deadline": days_ahead(),
                **{k: made["people"][v] for k, v in SPOKESPEOPLE.items()},
            },
            lambda db, world: {**_closed_round(db, world), "people": _people(world)},
            lambda db, made: _check_equal(_rows(db, GroupSignoff, round_id=made["round"]), 3),
            many_win=True,
        )
    ],
    "uq_notifications_user_id_round_id_kind": [
        Race(
            "moderator",
            "/rounds/{round}/open",
            lambda made, tab: {},
            _draft_round,
            lambda db, made: _no_notification_twice(db, made["round"]),
        )
    ],
    "uq_positions_round_id_organisation_id": [
        Race(
            "rep",
            "/rounds/{round}/positions",
            lambda made, tab: {
                "stance": "support",
                "statement": f"From tab {tab}.",
                "base_version": "0",
                "idempotency_key": f"position-{tab}-{made['round']}",
            },
            _open_round,
            _one(Position, round_id="round"),
        )
    ],
    "uq_position_versions_position_id_version": [
        Race(
            "rep",
            "/rounds/{round}/positions",
            lambda made, tab: {
                "stance": "oppose",
                "statement": f"Revised in tab {tab}.",
                "base_version": "1",
                "idempotency_key": f"position-{tab}-{made['round']}",
            },
            _new_position,
            lambda db, made: _check_equal(_position_versions(db, made["round"]), 2),
        )
    ],
    "uq_position_versions_author_id_idempotency_key": [
        Race(
            "rep",
            "/rounds/{round}/positions",
            lambda made, tab: {
                "stance": "support",
                "statement": "Posted twice.",
                "base_version": "0",
                "idempotency_key": f"same-key-{made['round']}",
            },
            _open_round,
            lambda db, made: _check_equal(_position_versions(db, made["round"]), 1),
            many_win=True,  # a double click: the same position, recorded once
        )
    ],
    "uq_comments_author_id_idempotency_key": [
        Race(
            "rep",
            "/rounds/{round}/comments",
            lambda made, tab: {
                "body": "Sent twice.",
                "idempotency_key": f"comment-key-{made['round']}",
            },
            _open_round,
            _one(Comment, round_id="round"),
            many_win=True,  # a double click: the same comment, recorded once
        )
    ],
    "uq_caucus_invitations_round_id_group_name": [
        Race(
            "rep",
            "/rounds/{round}/caucus/workers/moderators",
            lambda made, tab: {"invite": "1"},
            _open_round,
            _one(CaucusInvitation, round_id="round"),
            many_win=True,
        )
    ],
    "uq_group_statement_endorsements_statement_id_organisation_id": [
        Race(
            "rep",
            "/rounds/{round}/caucus/workers/statement/endorse",
            lambda made, tab: {"statement_id": str(made["statement"]), "action": "endorse"},
            _new_statement,
            _one(GroupStatementEndorsement, statement_id="statement"),
            many_win=True,  # endorsing again changes nothing
        )
    ],
    "uq_attachment_versions_attachment_id_number": [
        Race(
            "moderator",
            "/attachments/{attachment}/versions",
            lambda made, tab: {},
            _new_attachment,
            _versions_numbered_once_each,
            many_win=True,  # every upload is a version of its own, numbered in turn
            files=_word_file,
        )
    ],
    "uq_seats_body_id_organisation_id": [
        Race(
            "moderator",
            "/bodies/{body}/seats",
            lambda made, tab: {"organisation": made["organisation"], "holder": made["holder"]},
            _unseated_body,
            lambda db, made: _check_equal(_rows(db, Seat, body_id=made["body"]), 1),
        )
    ],
    "uq_attendance_meeting_id_seat_id": [
        Race(
            "rep",
            "/meetings/{meeting}/attendance",
            lambda made, tab: {"seat_id": made["seat"], "status": "holder"},
            _absent_seat,
            _one(Attendance, meeting_id="meeting", seat_id="seat"),
            many_win=True,
        )
    ],
    "uq_decisions_agenda_item_id": [
        Race(
            "moderator",
            "/agenda-items/{item}/decision",
            lambda made, tab: {"text": f"Decision {tab}.", "method": "consensus"},
            _sitting,
            _one(Decision, agenda_item_id="item"),
        )
    ],
    "uq_decision_votes_decision_id_organisation_id": [
        Race(
            "rep",
            "/decisions/{decision}/votes",
            lambda made, tab: {"vote": "for"},
            _open_vote,
            _one(DecisionVote, decision_id="decision"),
        )
    ],
    "uq_divergent_positions_decision_id_group_name": [
        Race(
            "rep",
            "/decisions/{decision}/divergent",
            lambda made, tab: {"text": f"The workers' view, tab {tab}.", "group": "workers"},
            _open_vote,
            _one_divergent,
            many_win=True,
        )
    ],
    "uq_minutes_meeting_id_version": [
        Race(
            "moderator",
            "/meetings/{meeting}/minutes",
            lambda made, tab: {
                "preamble": f"Minutes, tab {tab}.",
                "item_id": [str(made["item"])],
                "item_text": [f"Discussed, tab {tab}."],
            },
            _sitting,
            _one_draft_of_minutes,
            many_win=True,
        )
    ],
    "uq_minutes_items_minutes_id_agenda_item_id": [
        Race(
            "moderator",
            "/meetings/{meeting}/minutes",
            lambda made, tab: {
                "preamble": "Minutes.",
                "item_id": [str(made["item"])],
                "item_text": [f"Discussed, tab {tab}."],
            },
            _draft_without_items,
            _one_draft_of_minutes,
            many_win=True,
        )
    ],
    "uq_saved_searches_user_id_query": [
        Race(
            "rep",
            "/search/saved",
            lambda made, tab: {"name": f"Tab {tab}", "q": made["q"]},
            lambda db, world: {"q": f"racing{secrets.token_hex(4)}"},
            lambda db, made: _check_equal(_rows(db, SavedSearch, query=f"q={made['q']}"), 1),
            many_win=True,
        )
    ],
    "uq_amendment_supports_amendment_id_organisation_id": [
        Race(
            "rep",
            "/rounds/{round}/amendments/{amendment}/support",
            lambda made, tab: {},
            _new_amendment,
            lambda db, made: _check_equal(
                _rows(db, AmendmentSupport, amendment_id=made["amendment"]), 2
            ),
        )
    ],
}


def _check_equal(found: int, expected: int) -> None:
    assert found == expected


def _people(world: World) -> dict[str, str]:
    return {f"{{{key}}}": str(person.id) for key, person in world.people.items()}


def _position_versions(db: Session, round_id: int) -> int:
    return int(
        db.scalar(
            select(func.count(PositionVersion.id))
            .join(Position, Position.id == PositionVersion.position_id)
            .where(Position.round_id == round_id)
        )
        or 0
    )


def _no_notification_twice(db: Session, round_id: int) -> None:
    rows = db.execute(
        select(Notification.user_id, Notification.kind).where(Notification.round_id == round_id)
    ).all()
    assert rows and len(rows) == len(set(rows))


def test_every_unique_constraint_is_raced_or_unreachable():
    found = unique_constraints()
    assert "uq_flags_comment_id_reporter_id" in found  # the reading works
    listed = set(RACES) | set(UNREACHABLE)
    assert found == listed, (
        f"not raced: {sorted(found - listed)}; no longer constraints: {sorted(listed - found)}"
    )


@pytest.fixture(scope="module")
def race_server(
    backend: str, postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveApp, World]]:
    folder = tmp_path_factory.mktemp(f"races-{backend}")
    url = _fresh_url(backend, postgres_server, folder)
    upgrade(url)
    # enough threads and connections that every tab's request runs at the same time
    with served_world(url, folder, threadpool_size=TABS + 2) as served:
        yield served


RACE_CASES = [(name, i, race) for name, races in RACES.items() for i, race in enumerate(races)]


@pytest.mark.parametrize(
    ("constraint", "number", "race"),
    RACE_CASES,
    ids=[f"{name}-{i}" for name, i, _race in RACE_CASES],
)
def test_a_unique_constraint_met_at_once_answers_409_or_410_never_500(
    race_server: tuple[LiveApp, World], constraint: str, number: int, race: Race
) -> None:
    app, world = race_server
    with app.sessions() as db:
        made = race.setup(db, world)
        db.commit()
    path = race.path.format(**made)
    if race.role == "anonymous":
        browsers = [app.browser() for _ in range(TABS)]
    else:
        first = app.browser(world.people[race.role])
        browsers = [first] + [app.same_person(first) for _ in range(TABS - 1)]
    try:
        for browser in browsers:
            browser.get("/healthz")  # each on its own open connection before the start
        answers = at_once(
            TABS,
            lambda tab: submit(
                browsers[tab],
                path,
                race.data(made, tab),
                race.files(made, tab) if race.files is not None else None,
            ),
        )
    finally:
        for browser in browsers:
            browser.close()
    failed = [a for a in answers if isinstance(a, BaseException)]
    assert not failed, failed
    statuses = sorted(a.status_code for a in answers)
    assert all(s < 500 for s in statuses), statuses
    winners = [a for a in answers if a.status_code in race.won]
    losers = [a for a in answers if a.status_code not in race.won]
    assert winners, statuses
    assert race.many_win or len(winners) == 1, statuses
    for loser in losers:
        assert loser.status_code in (409, 410), statuses
        said = text_of(loser.text)
        assert "Something went wrong" not in said and len(said) > 20, said
    with app.sessions() as db:
        race.check(db, made)
