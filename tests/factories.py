"""Small builders for test data (committed through the test's rolled-back session)."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from app.accounts.credentials import hash_password
from app.accounts.models import User
from app.db import utcnow
from app.organisations.models import Mandate, Organisation
from app.vocabulary import Group, MandateRole, PlatformRole

PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_HASH = hash_password(PASSWORD)
_ids = count(1)


def user(
    db: Session, *, name: str = "", platform_role: PlatformRole | None = None, email: str = ""
) -> User:
    n = next(_ids)
    person = User(
        email=email or f"person{n}@test.example",
        name=name or f"Person {n}",
        password_hash=_HASH,
        platform_role=platform_role.value if platform_role else None,
    )
    if platform_role in (PlatformRole.MODERATOR, PlatformRole.ADMIN):
        # they must use a second factor: enrolled, so that sessions made here open pages
        person.totp_secret = TOTP_SECRET
        person.totp_enabled_at = utcnow()
    db.add(person)
    db.flush()
    return person


def organisation(db: Session, group: Group = Group.WORKERS, name: str = "") -> Organisation:
    n = next(_ids)
    org = Organisation(name=name or f"Organisation {n}", group_name=group.value, country="Ardenia")
    db.add(org)
    db.flush()
    return org


def member(
    db: Session, org: Organisation, role: MandateRole = MandateRole.REPRESENTATIVE, **kwargs: object
) -> User:
    person = user(db, **kwargs)  # type: ignore[arg-type]
    db.add(Mandate(user_id=person.id, organisation_id=org.id, role=role.value, starts_at=utcnow()))
    db.flush()
    return person


# --- consultation rounds (positions, comments) ---------------------------------------------

import secrets  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from app import markdown  # noqa: E402
from app.accounts.credentials import new_token  # noqa: E402
from app.accounts.models import UserSession  # noqa: E402
from app.comments.models import Comment  # noqa: E402
from app.positions.models import Position, PositionVersion  # noqa: E402
from app.rounds.models import Consultation, Round, RoundInvitation  # noqa: E402
from app.vocabulary import RoundStatus, Stance, Weighting  # noqa: E402


def consultation_round(
    db: Session,
    organisations: Iterable[Organisation] = (),
    *,
    status: RoundStatus = RoundStatus.OPEN,
    sealed: bool = False,
    weighting: Weighting = Weighting.EQUAL,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    title: str = "",
    brief: str = "What should the national labour migration policy say?",
) -> Round:
    """A consultation holding one round (open, deadline a week away by default) that invites
    the given organisations."""
    n = next(_ids)
    now = utcnow()
    consultation = Consultation(title=f"Consultation {n}", brief="A topic.")
    db.add(consultation)
    db.flush()
    round_ = Round(
        consultation_id=consultation.id,
        number=1,
        title=title or f"Round {n}",
        brief=brief,
        status=status.value,
        weighting=weighting.value,
        sealed=sealed,
        opens_at=opens_at if opens_at is not None else now - timedelta(days=2),
        closes_at=closes_at if closes_at is not None else now + timedelta(days=7),
    )
    db.add(round_)
    db.flush()
    db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o.id) for o in organisations)
    db.flush()
    return round_


def position(
    db: Session,
    round_: Round,
    org: Organisation,
    author: User,
    stance: Stance = Stance.SUPPORT,
    statement: str = "",
) -> Position:
    """An organisation's position (version 1), written directly."""
    row = Position(
        round_id=round_.id,
        organisation_id=org.id,
        stance=stance.value,
        statement=statement,
        statement_html=markdown.render(statement),
        version=1,
        created_by_id=author.id,
        last_edited_by_id=author.id,
    )
    db.add(row)
    db.flush()
    db.add(
        PositionVersion(
            position_id=row.id,
            version=1,
            stance=stance.value,
            statement=statement,
            author_id=author.id,
        )
    )
    db.flush()
    return row


def comment(
    db: Session,
    round_: Round,
    author: User,
    org: Organisation,
    body: str = "",
    *,
    parent: Comment | None = None,
    created_at: datetime | None = None,
) -> Comment:
    """A visible comment (or a reply to ``parent``), written directly."""
    body = body or f"Comment {next(_ids)}"
    row = Comment(
        round_id=round_.id,
        parent_id=parent.id if parent else None,
        thread_id=parent.thread_id if parent else None,
        position_id=parent.position_id if parent else None,
        author_id=author.id,
        organisation_id=org.id,
        body=body,
        body_html=markdown.render(body),
        created_at=created_at or utcnow(),
    )
    db.add(row)
    db.flush()
    if row.thread_id is None:
        row.thread_id = row.id
        db.flush()
    return row


def three_groups_round(
    db: Session, **round_options: object
) -> tuple[Round, dict[Group, Organisation], dict[Group, User]]:
    """An open round inviting one organisation of each group, each with one representative."""
    orgs = {g: organisation(db, g, name=f"{g.label} organisation {next(_ids)}") for g in Group}
    reps = {g: member(db, orgs[g], name=f"{g.label} representative {next(_ids)}") for g in Group}
    return consultation_round(db, orgs.values(), **round_options), orgs, reps  # type: ignore[arg-type]


def session_cookie(db: Session, person: User) -> str:
    """A live session for ``person``, as the value of its cookie: what signing in creates,
    without the password check (that is tested in tests/http/test_sign_in.py)."""
    token, token_hash = new_token()
    db.add(
        UserSession(
            token_hash=token_hash,
            user_id=person.id,
            csrf_token=secrets.token_urlsafe(16),
            expires_at=utcnow() + timedelta(hours=2),
        )
    )
    db.flush()
    return token


def signed_in(make_client, db: Session, person: User):  # type: ignore[no-untyped-def]
    """A browser signed in as ``person``; what the test built so far is committed (to the
    test's savepoint), so a refusal that rolls back the request does not undo it."""
    browser = make_client()
    browser.csrf()
    browser.cookies.set("tripartite_session", session_cookie(db, person))
    db.commit()
    return browser
