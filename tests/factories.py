"""Small builders for test data (committed through the test's rolled-back session)."""

from __future__ import annotations

import io
from itertools import count
from typing import Any

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


# --- draft texts (paragraphs, amendments, support) -------------------------------------------

from app.drafts.models import Amendment, AmendmentSupport, DraftParagraph  # noqa: E402


def draft(db: Session, round_: Round, *texts: str) -> list[DraftParagraph]:
    """The round's draft text: these paragraphs, numbered 1, 2, 3..."""
    texts = texts or ("First paragraph.", "Second paragraph.", "Third paragraph.")
    paragraphs = [
        DraftParagraph(round_id=round_.id, number=n, text=text)
        for n, text in enumerate(texts, start=1)
    ]
    db.add_all(paragraphs)
    db.flush()
    return paragraphs


def amendment(
    db: Session,
    paragraph: DraftParagraph,
    org: Organisation,
    author: User,
    text: str = "",
    *,
    supporters: Iterable[Organisation] = (),
) -> Amendment:
    """An amendment to ``paragraph`` by ``org`` (which supports it), and other supporters."""
    row = Amendment(
        round_id=paragraph.round_id,
        paragraph_id=paragraph.id,
        organisation_id=org.id,
        author_id=author.id,
        text=text or f"{paragraph.text} Amended.",
    )
    db.add(row)
    db.flush()
    for supporter in (org, *supporters):
        db.add(
            AmendmentSupport(
                amendment_id=row.id, organisation_id=supporter.id, supported_by_id=author.id
            )
        )
    db.flush()
    return row


# --- the Convention 144 cycle (rounds held in a country, year by year) ----------------------

from datetime import UTC  # noqa: E402

from sqlalchemy import func, select  # noqa: E402


def country_consultation(db: Session, country: str, title: str = "") -> Consultation:
    """A consultation naming ``country`` (the yearly view and the annual report go by it)."""
    row = Consultation(
        title=title or f"Consultation {next(_ids)}", brief="A topic.", country=country
    )
    db.add(row)
    db.flush()
    return row


def held_round(
    db: Session,
    consultation: Consultation,
    organisations: Iterable[Organisation],
    *,
    opens_at: datetime,
    closes_at: datetime,
    status: RoundStatus = RoundStatus.CLOSED,
    kind: str = "general",
    outcome: str | None = None,
    title: str = "",
) -> Round:
    """A round of ``consultation`` that opened at ``opens_at`` (closed at its deadline when
    its status says so; published two days later)."""
    number = (
        db.scalar(select(func.max(Round.number)).where(Round.consultation_id == consultation.id))
        or 0
    ) + 1
    done = status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED)
    row = Round(
        consultation_id=consultation.id,
        number=number,
        title=title or f"Round {next(_ids)}",
        brief="What should the policy say?",
        status=status.value,
        kind=kind,
        opens_at=opens_at,
        closes_at=closes_at,
        closed_at=closes_at if done else None,
        published_at=closes_at + timedelta(days=2) if status is RoundStatus.PUBLISHED else None,
        outcome=outcome if outcome is not None else ("The groups agreed." if done else None),
    )
    db.add(row)
    db.flush()
    db.add_all(RoundInvitation(round_id=row.id, organisation_id=o.id) for o in organisations)
    db.flush()
    return row


def posted_at(db: Session, position_row: Position, when: datetime) -> Position:
    """Date a position's first posting (and its first version) back to ``when``."""
    position_row.created_at = position_row.updated_at = when
    for version in db.scalars(
        select(PositionVersion).where(PositionVersion.position_id == position_row.id)
    ):
        version.created_at = when
    db.flush()
    return position_row


# --- group caucus and tripartite officers ----------------------------------------------------

from app.caucus.models import (  # noqa: E402
    CaucusInvitation,
    CaucusPost,
    GroupStatement,
    GroupStatementEndorsement,
)
from app.rounds.models import RoundOfficer  # noqa: E402


def caucus_post(
    db: Session, round_: Round, author: User, org: Organisation, body: str = ""
) -> CaucusPost:
    """A message in the caucus of ``org``'s group, written directly."""
    body = body or f"Caucus message {next(_ids)}"
    row = CaucusPost(
        round_id=round_.id,
        group_name=org.group_name,
        author_id=author.id,
        organisation_id=org.id,
        body=body,
        body_html=markdown.render(body),
    )
    db.add(row)
    db.flush()
    return row


def group_statement(
    db: Session,
    round_: Round,
    group: Group,
    author: User,
    text: str = "",
    *,
    endorsed_by: Iterable[tuple[Organisation, User]] = (),
    published: bool = False,
) -> GroupStatement:
    """A group statement (a draft unless ``published``), endorsed by these organisations."""
    text = text or f"Group statement {next(_ids)}"
    row = GroupStatement(
        round_id=round_.id,
        group_name=group.value,
        text=text,
        text_html=markdown.render(text),
        created_by_id=author.id,
        published_at=utcnow() if published else None,
        published_by_id=author.id if published else None,
    )
    db.add(row)
    db.flush()
    db.add_all(
        GroupStatementEndorsement(
            statement_id=row.id, organisation_id=org.id, endorsed_by_id=person.id
        )
        for org, person in endorsed_by
    )
    db.flush()
    return row


def caucus_invitation(
    db: Session, round_: Round, group: Group, invited_by: User, *, revoked: bool = False
) -> CaucusInvitation:
    """The group let the round's moderators read its caucus (or did, and revoked it)."""
    row = CaucusInvitation(
        round_id=round_.id,
        group_name=group.value,
        invited_by_id=invited_by.id,
        revoked_at=utcnow() if revoked else None,
    )
    db.add(row)
    db.flush()
    return row


def officer(
    db: Session,
    round_: Round,
    role: str,
    name: str,
    *,
    person: User | None = None,
    org: Organisation | None = None,
) -> RoundOfficer:
    row = RoundOfficer(
        round_id=round_.id,
        role=role,
        user_id=person.id if person else None,
        name=name,
        organisation_id=org.id if org else None,
    )
    db.add(row)
    db.flush()
    return row


class CountryYear:
    """A country's year of consultation (2025) for the yearly view and the annual report:

    - round 1 (published, reports under article 22), the employers' deadline extended from
      20 to 28 February; a workers' position posted on 25 February is late; the workers group
      filed a reservation;
    - round 2 (closed, an ILO questionnaire), the workers group silent;
    - round 3 (closed), opened on 20 December 2025, closing in January;
    - and what the year leaves out: a round opened at the last second of 2024, one at the
      first second of 2026, a draft, and a round of another country in 2025.
    """

    YEAR = 2025

    def __init__(self, db: Session, country: str = "Republic of Ardenia") -> None:
        from app.audit.service import record
        from app.rounds.models import GroupSignoff

        def at(month: int, day: int, hour: int = 12) -> datetime:
            return datetime(self.YEAR, month, day, hour, tzinfo=UTC)

        self.country = country
        g, w, e = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
        self.orgs = {
            g: [organisation(db, g) for _ in range(2)],
            w: [organisation(db, w) for _ in range(3)],
            e: [organisation(db, e) for _ in range(2)],
        }
        self.reps = {o.id: member(db, o) for orgs in self.orgs.values() for o in orgs}
        everyone = [o for orgs in self.orgs.values() for o in orgs]
        main = country_consultation(db, country, "National labour migration policy")
        other = country_consultation(db, country, "ILO standards")
        self.rounds = [
            held_round(
                db,
                main,
                everyone,
                opens_at=at(2, 1),
                closes_at=at(2, 28),
                status=RoundStatus.PUBLISHED,
                kind="article_22_reports",
                title="Reports on Conventions Nos 87 and 98",
            ),
            held_round(
                db,
                other,
                [self.orgs[g][0], *self.orgs[w][:2], *self.orgs[e]],
                opens_at=at(6, 1),
                closes_at=at(6, 30),
                kind="ilo_questionnaire",
                title='=HYPERLINK("http://evil") Questionnaire on the platform economy',
            ),
            held_round(
                db,
                main,
                everyone,
                opens_at=at(12, 20),
                closes_at=datetime(self.YEAR + 1, 1, 10, tzinfo=UTC),
                title="Portability of pensions",
            ),
        ]
        one, two, three = self.rounds
        record(
            db,
            None,
            "round.extended",
            "round",
            one.id,
            before={"status": "open", "closes_at": at(2, 20).isoformat()},
            after={"status": "open", "closes_at": at(2, 28).isoformat()},
        )
        self._post(db, one, g, 0, Stance.SUPPORT, at(2, 10))
        self._post(db, one, w, 0, Stance.SUPPORT, at(2, 3))
        self._post(db, one, w, 1, Stance.SUPPORT, at(2, 25))  # after the announced deadline
        self._post(db, one, w, 2, Stance.OPPOSE, at(2, 15))
        self._post(db, one, e, 0, Stance.SUPPORT_WITH_RESERVATIONS, at(2, 18))
        db.add(
            GroupSignoff(
                round_id=one.id,
                group_name=w.value,
                spokesperson_id=self.reps[self.orgs[w][0].id].id,
                organisation_id=self.orgs[w][0].id,
                status="reservation",
                reservation="No transition period.",
                requested_at=at(3, 1),
                decided_at=at(3, 2),
            )
        )
        self._post(db, two, g, 0, Stance.OPPOSE, at(6, 5))
        self._post(db, two, e, 0, Stance.OPPOSE, at(6, 29))
        self._post(db, two, e, 1, Stance.OPPOSE, at(6, 20))
        self._post(db, three, e, 0, Stance.NEUTRAL, at(12, 22))
        # left out of 2025
        held_round(
            db,
            main,
            everyone,
            opens_at=datetime(self.YEAR, 1, 1, tzinfo=UTC) - timedelta(seconds=1),
            closes_at=at(1, 20),
            title="Opened in 2024",
        )
        held_round(
            db,
            main,
            everyone,
            opens_at=datetime(self.YEAR + 1, 1, 1, tzinfo=UTC),
            closes_at=datetime(self.YEAR + 1, 1, 20, tzinfo=UTC),
            title="Opened in 2026",
        )
        draft = held_round(
            db,
            main,
            everyone,
            opens_at=at(3, 1),
            closes_at=at(3, 20),
            status=RoundStatus.DRAFT,
            title="A draft",
        )
        draft.opens_at = None
        elsewhere = country_consultation(db, "Another country")
        held_round(
            db, elsewhere, everyone, opens_at=at(5, 1), closes_at=at(5, 20), title="Elsewhere"
        )
        db.flush()

    def _post(
        self, db: Session, round_: Round, group: Group, index: int, stance: Stance, when: datetime
    ) -> None:
        org = self.orgs[group][index]
        posted_at(db, position(db, round_, org, self.reps[org.id], stance, "Our view."), when)


# --- attachments (their bytes in the test's file store) ---------------------------------------

from app.documents.checks import FileKind  # noqa: E402
from app.documents.models import Attachment  # noqa: E402
from app.documents.rules import Described  # noqa: E402
from app.documents.service import Checked, hang  # noqa: E402
from app.vocabulary import Place  # noqa: E402


def attachment(
    db: Session,
    store: Any,
    round_: Round,
    uploader: User,
    *,
    place: Place = Place.ROUND,
    organisation: Organisation | None = None,
    group: Group | None = None,
    title: str = "Background study",
    content: bytes = b"%PDF-1.4 test bytes",
    text: str = "",
    kind: str = "pdf",
) -> Attachment:
    """An attachment of ``round_`` (its consultation's, with ``Place.CONSULTATION``) with one
    version, its bytes put in ``store`` (app.documents.storage.FileStore)."""
    stored = store.put(io.BytesIO(content), len(content) + 1)
    return hang(
        db,
        consultation_id=round_.consultation_id,
        round_id=round_.id,
        place=place,
        described=Described(title, "en", ""),
        checked=Checked(FileKind(kind), f"{title}.{kind}", stored.sha256, stored.size, text),
        uploader_id=uploader.id,
        organisation_id=organisation.id if organisation is not None else None,
        group=group,
    )


# --- tripartite bodies and their meetings ------------------------------------------------

from app.bodies.models import Body, Seat  # noqa: E402
from app.meetings.models import Attendance, Meeting  # noqa: E402
from app.vocabulary import BodyKind, Presence, WithoutQuorum  # noqa: E402


def body(
    db: Session,
    *,
    name: str = "",
    country: str = "Ardenia",
    kind: BodyKind = BodyKind.COUNCIL,
    parent: Body | None = None,
    quorum_overall: int = 1,
    quorum_per_group: int = 1,
    without_quorum: WithoutQuorum = WithoutQuorum.REFUSE,
    weighting: Weighting = Weighting.EQUAL,
    notice_days: int = 5,
) -> Body:
    row = Body(
        name=name or f"Council {next(_ids)}",
        country=country,
        kind=kind,
        parent_id=parent.id if parent else None,
        quorum_overall=quorum_overall,
        quorum_per_group=quorum_per_group,
        without_quorum=without_quorum,
        weighting=weighting,
        notice_days=notice_days,
    )
    db.add(row)
    db.flush()
    return row


def seat(
    db: Session, body_: Body, org: Organisation, holder: User | None, alternate: User | None = None
) -> Seat:
    row = Seat(
        body_id=body_.id,
        organisation_id=org.id,
        holder_id=holder.id if holder else None,
        alternate_id=alternate.id if alternate else None,
    )
    db.add(row)
    db.flush()
    return row


def seated_body(db: Session, **kwargs: object):  # type: ignore[no-untyped-def]
    """A body with one seat per group: (body, {group: org}, {group: holder}, {group: alternate})."""
    body_ = body(db, **kwargs)  # type: ignore[arg-type]
    orgs, holders, alternates, seats = {}, {}, {}, {}
    for group in Group:
        orgs[group] = organisation(db, group)
        holders[group] = member(db, orgs[group])
        alternates[group] = member(db, orgs[group])
        seats[group] = seat(db, body_, orgs[group], holders[group], alternates[group])
    return body_, orgs, holders, alternates, seats


def meeting(
    db: Session,
    body_: Body,
    *,
    title: str = "",
    starts_at: datetime | None = None,
    convened_by: User | None = None,
    issued: bool = True,
) -> Meeting:
    now = utcnow()
    row = Meeting(
        body_id=body_.id,
        title=title or f"Plenary {next(_ids)}",
        starts_at=starts_at or now + timedelta(days=10),
        place="Geneva",
        convened_at=now,
        convened_by_id=convened_by.id if convened_by else None,
        agenda_issued_at=now if issued else None,
    )
    db.add(row)
    db.flush()
    return row


def attend(db: Session, meeting_: Meeting, seat_: Seat, status: Presence, by: User) -> Attendance:
    row = Attendance(meeting_id=meeting_.id, seat_id=seat_.id, status=status, marked_by_id=by.id)
    db.add(row)
    db.flush()
    return row
