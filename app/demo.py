"""A realistic demo: a labour-migration consultation in a fictional country, three groups of
unequal sizes (2 ministries, 4 unions, 3 employers' organisations) so that equal weight matters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app import markdown
from app.accounts.credentials import hash_password
from app.accounts.models import User
from app.accounts.rules import two_factor_required
from app.accounts.two_factor import DEMO_SECRET
from app.audit.service import record
from app.bodies.demo import add_demo_bodies, describe_bodies
from app.caucus.demo import add_demo_caucus
from app.comments.models import Comment
from app.db import utcnow
from app.documents.demo import add_demo_documents
from app.documents.storage import FileStore
from app.drafts.demo import add_demo_draft
from app.organisations.models import Mandate, Organisation
from app.positions.models import Position, PositionVersion
from app.rounds.models import Consultation, GroupSignoff, Round, RoundBrief, RoundInvitation
from app.rounds.queries import invited_organisations
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus, Stance

COUNTRY = "Republic of Ardenia"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    group: Group
    slug: str
    focal_point: str
    representative: str


ORGANISATIONS = [
    DemoOrganisation(
        "Ministry of Labour and Social Protection",
        Group.GOVERNMENT,
        "labour",
        "Amina Haddad",
        "Jonas Weber",
    ),
    DemoOrganisation(
        "Ministry of Interior, Directorate of Migration",
        Group.GOVERNMENT,
        "interior",
        "Carlos Mendes",
        "Ruth Okafor",
    ),
    DemoOrganisation(
        "Ardenia Trade Union Confederation", Group.WORKERS, "atuc", "Grace Mwangi", "Tomás Ruiz"
    ),
    DemoOrganisation(
        "National Union of Domestic Workers", Group.WORKERS, "nudw", "Leila Nasser", "Priya Raman"
    ),
    DemoOrganisation(
        "Construction and Allied Workers' Union",
        Group.WORKERS,
        "cawu",
        "Samuel Osei",
        "Ivana Petrović",
    ),
    DemoOrganisation(
        "Migrant Workers' Solidarity Union", Group.WORKERS, "mwsu", "Nguyen Thi Lan", "Omar Farouk"
    ),
    DemoOrganisation(
        "Ardenia Employers' Federation", Group.EMPLOYERS, "aef", "Henrik Larsen", "Sofia Greco"
    ),
    DemoOrganisation(
        "Chamber of Commerce and Industry of Ardenia",
        Group.EMPLOYERS,
        "ccia",
        "Mei Chen",
        "David Cohen",
    ),
    DemoOrganisation(
        "Association of Agricultural Producers",
        Group.EMPLOYERS,
        "aap",
        "Fatou Diallo",
        "Pieter de Vries",
    ),
]

PLATFORM_PEOPLE = [
    ("Elena Rossi", "moderator@tripartite.example", PlatformRole.MODERATOR),
    ("Kwame Asante", "observer@agency.example", PlatformRole.OBSERVER),
    ("Admin Tripartite", "admin@tripartite.example", PlatformRole.ADMIN),
]

BRIEF = """The Government of Ardenia is preparing its **National Labour Migration Policy 2027**.
It consults the representative organisations of workers and of employers, as ILO Convention
No. 144 requires, on fair recruitment, the portability of social security, and the
protection of migrant domestic and agricultural workers."""


#: The demo's moderator: present in every database the demo filled.
DEMO_MODERATOR = "moderator@tripartite.example"


def database_is_empty(db: Session) -> bool:
    return not db.scalar(select(exists().where(User.id.is_not(None))))


def holds_the_demo(db: Session) -> bool:
    """Whether this database was filled by ``tripartite demo`` (its moderator's account is
    there): the only kind of database ``demo --reset`` may empty."""
    return bool(db.scalar(select(exists().where(User.email == DEMO_MODERATOR))))


def load(db: Session, password: str, store: FileStore | None = None) -> None:
    """Fill an empty database with the demo (the caller commits); with a file store, its
    documents too (their bytes are put in the store)."""
    password_hash = hash_password(password)  # one hash, shared by every demo account
    people: dict[str, User] = {}
    for name, email, role in PLATFORM_PEOPLE:
        people[email] = User(
            email=email, name=name, password_hash=password_hash, platform_role=role
        )
        if two_factor_required(role):
            # moderators and administrators sign in with a second factor: the demo's share a
            # published secret (`tripartite demo-code` prints the current code)
            people[email].totp_secret = DEMO_SECRET
            people[email].totp_enabled_at = utcnow()
    db.add_all(people.values())
    organisations = []
    for demo in ORGANISATIONS:
        organisation = Organisation(name=demo.name, group_name=demo.group, country=COUNTRY)
        organisations.append(organisation)
        db.add(organisation)
        for person, mandate_role, local in (
            (demo.focal_point, MandateRole.FOCAL_POINT, "focal"),
            (demo.representative, MandateRole.REPRESENTATIVE, "rep"),
        ):
            user = User(
                email=f"{local}@{demo.slug}.example", name=person, password_hash=password_hash
            )
            db.add(user)
            db.add(
                Mandate(
                    user=user,
                    organisation=organisation,
                    role=mandate_role,
                    starts_at=utcnow(),
                )
            )
    db.flush()
    moderator = people["moderator@tripartite.example"]
    consultation = Consultation(
        title="National labour migration policy 2027",
        brief=BRIEF,
        country=COUNTRY,
        created_by_id=moderator.id,
    )
    db.add(consultation)
    db.flush()
    members = {
        m.organisation_id: m.user_id
        for m in db.scalars(select(Mandate).where(Mandate.role == "representative"))
    }
    _demo_round(db, consultation, moderator, organisations, members, CLOSED_ROUND)
    open_round = _demo_round(db, consultation, moderator, organisations, members, OPEN_ROUND)
    add_demo_draft(db, open_round.id, moderator.id)  # app.drafts: a draft text to amend
    add_demo_caucus(db, open_round.id)  # app.caucus: officers, the workers' caucus
    if store is not None:  # app.documents: a background study, a position paper
        atuc = next(
            o for d, o in zip(ORGANISATIONS, organisations, strict=True) if d.slug == "atuc"
        )
        add_demo_documents(
            db,
            store,
            round_id=open_round.id,
            consultation_id=consultation.id,
            moderator_id=moderator.id,
            organisation_id=atuc.id,
            representative_id=members[atuc.id],
        )
    add_demo_bodies(  # app.bodies: a national council, its task team, meetings and decisions
        db,
        moderator_id=moderator.id,
        password_hash=password_hash,
        slugs={o.id: d.slug for d, o in zip(ORGANISATIONS, organisations, strict=True)},
        country=COUNTRY,
    )
    record(db, None, "demo.loaded", "consultation", consultation.id)


def describe(db: Session, password: str, base_url: str) -> dict[str, Any]:
    """The ``tripartite demo --json`` contract, read back from the database."""
    accounts: list[dict[str, Any]] = []
    users = db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)).all()
    mandates = db.execute(
        select(Mandate.user_id, Mandate.role, Organisation.name, Organisation.group_name)
        .join(Organisation, Organisation.id == Mandate.organisation_id)
        .where(Mandate.revoked_at.is_(None))
    ).all()
    by_user = {m.user_id: m for m in mandates}
    for user in users:
        mandate = by_user.get(user.id)
        accounts.append(
            {
                "email": user.email,
                "name": user.name,
                "role": user.platform_role or (mandate.role if mandate else "representative"),
                "organisation": mandate.name if mandate and not user.platform_role else None,
                "group": mandate.group_name if mandate and not user.platform_role else None,
                "totp_secret": user.totp_secret if user.totp_secret == DEMO_SECRET else None,
            }
        )
    rounds: list[dict[str, Any]] = []
    responded: dict[int, set[int]] = {}
    for p in db.execute(select(Position.round_id, Position.organisation_id)):
        responded.setdefault(p.round_id, set()).add(p.organisation_id)
    for round_ in db.scalars(select(Round).order_by(Round.id)).all():
        invited = db.execute(invited_organisations(round_.id)).all()
        posted = responded.get(round_.id, set())
        rounds.append(
            {
                "id": round_.id,
                "title": round_.title,
                "status": round_.status,
                "url": f"{base_url}/rounds/{round_.id}",
                "organisations": [
                    {"name": o.name, "group": o.group_name, "responded": o.id in posted}
                    for o in invited
                ],
            }
        )
    return {
        "password": password,
        "accounts": accounts,
        "rounds": rounds,
        "bodies": describe_bodies(db, base_url),
    }


@dataclass(frozen=True)
class DemoRound:
    title: str
    brief: str
    status: RoundStatus
    outcome: str | None
    #: organisation slug -> (stance, statement)
    positions: dict[str, tuple[Stance, str]]
    #: (slug of the author's organisation, index of the parent comment or None, body)
    comments: list[tuple[str, int | None, str]]
    #: the brief in other languages (language -> markdown)
    briefs: dict[str, str] = field(default_factory=dict)


CLOSED_ROUND = DemoRound(
    title="Fair recruitment: banning recruitment fees charged to workers",
    brief="""Should the policy **ban all recruitment fees and related costs charged to migrant
workers**, in line with the ILO General principles and operational guidelines for fair
recruitment? Say what your organisation supports, and on what conditions.""",
    status=RoundStatus.PUBLISHED,
    outcome="""The three groups agree that workers must not pay recruitment fees. Employers ask
for a transition period of 12 months for small agencies; the workers' group records its
reservation on any transition period.""",
    positions={
        "labour": (Stance.SUPPORT, "The Ministry supports a full ban, enforced through licensing."),
        "interior": (
            Stance.SUPPORT_WITH_RESERVATIONS,
            "Support, provided inspections are funded in the 2027 budget.",
        ),
        "atuc": (Stance.SUPPORT, "Fees push workers into debt bondage. Ban them, now."),
        "nudw": (Stance.SUPPORT, "Domestic workers pay the highest fees: a ban is overdue."),
        "cawu": (Stance.SUPPORT, "We support the ban and joint liability of user enterprises."),
        "aef": (
            Stance.SUPPORT_WITH_RESERVATIONS,
            "We support the principle but need a 12-month transition for small agencies.",
        ),
        "ccia": (Stance.SUPPORT, "A level playing field helps compliant employers."),
        "aap": (Stance.OPPOSE, "Seasonal recruitment costs would fall on small farms alone."),
    },
    comments=[
        ("aap", None, "Who pays the visa costs for seasonal workers under the ban?"),
        ("atuc", 0, "The employer, as the ILO guidelines say: *related costs* include visas."),
        ("labour", 1, "The draft follows the guidelines: visa costs are related costs."),
        ("nudw", None, "Please include domestic workers' agencies explicitly in the scope."),
    ],
)

OPEN_ROUND = DemoRound(
    title="Social security portability for migrant workers",
    brief="""The Government proposes to negotiate **bilateral social security agreements** with
the five main countries of origin, so that pension rights follow the worker.

1. Do you support the proposal?
2. Which benefits should come first: pensions, health care, or employment injury?""",
    status=RoundStatus.OPEN,
    outcome=None,
    briefs={
        "fr": """Le Gouvernement propose de négocier des **accords bilatéraux de sécurité
sociale** avec les cinq principaux pays d'origine, afin que les droits à pension suivent le
travailleur.

1. Soutenez-vous la proposition ?
2. Quelles prestations en premier : pensions, soins de santé ou accidents du travail ?""",
    },
    positions={
        "labour": (Stance.SUPPORT, "Agreements with the five main countries by 2028."),
        "atuc": (Stance.SUPPORT, "Pensions first, then employment injury benefits."),
        "mwsu": (
            Stance.SUPPORT_WITH_RESERVATIONS,
            "Support, but undocumented workers must not be left out.",
        ),
        "aef": (Stance.NEUTRAL, "We need the cost estimates before taking a position."),
        "ccia": (
            Stance.OPPOSE,
            "Contribution rates must not rise: we oppose the draft as it stands.",
        ),
    },
    comments=[
        ("aef", None, "Can the Ministry share the actuarial estimates before the deadline?"),
        ("labour", 0, "Yes: the estimates will be attached to the brief this week."),
        ("aef", 1, "Thank you; we will revise our position then."),
        ("mwsu", None, "Health care coverage matters most for seasonal workers."),
        (
            "interior",
            None,
            "Data exchange between social security institutions needs a legal basis.",
        ),
        ("cawu", 4, "Data protection safeguards must be in the agreements themselves."),
    ],
)


def _demo_round(
    db: Session,
    consultation: Consultation,
    moderator: User,
    organisations: list[Organisation],
    members: dict[int, int],
    demo: DemoRound,
) -> Round:
    now = utcnow()
    closed = demo.status is not RoundStatus.OPEN
    opens = now - timedelta(days=30 if closed else 3)
    closes = now - timedelta(days=10) if closed else now + timedelta(days=14)
    round_ = Round(
        consultation_id=consultation.id,
        number=1 if closed else 2,
        title=demo.title,
        brief=demo.brief,
        status=demo.status,
        opens_at=opens,
        closes_at=closes,
        closed_at=closes if closed else None,
        published_at=closes + timedelta(days=2) if closed else None,
        outcome=demo.outcome,
        created_by_id=moderator.id,
        created_at=opens,
    )
    db.add(round_)
    db.flush()
    db.add_all(
        RoundBrief(round_id=round_.id, language=language, brief=text, updated_by_id=moderator.id)
        for language, text in demo.briefs.items()
    )
    by_slug = {d.slug: o for d, o in zip(ORGANISATIONS, organisations, strict=True)}
    db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o.id) for o in organisations)
    for index, (slug, (stance, statement)) in enumerate(demo.positions.items()):
        org = by_slug[slug]
        author = members[org.id]
        at = opens + timedelta(hours=5 * (index + 1))
        position = Position(
            round_id=round_.id,
            organisation_id=org.id,
            stance=stance,
            statement=statement,
            statement_html=markdown.render(statement),
            created_by_id=author,
            last_edited_by_id=author,
            created_at=at,
            updated_at=at,
            language="en",
        )
        db.add(position)
        db.flush()
        db.add(
            PositionVersion(
                position_id=position.id,
                version=1,
                stance=stance,
                statement=statement,
                author_id=author,
                created_at=at,
            )
        )
    posted: list[Comment] = []
    for index, (slug, parent, body) in enumerate(demo.comments):
        org = by_slug[slug]
        parent_comment = posted[parent] if parent is not None else None
        comment = Comment(
            round_id=round_.id,
            author_id=members[org.id],
            organisation_id=org.id,
            parent_id=parent_comment.id if parent_comment else None,
            thread_id=(parent_comment.thread_id or parent_comment.id) if parent_comment else None,
            body=body,
            body_html=markdown.render(body),
            language="en",
            created_at=opens + timedelta(hours=7 * (index + 1)),
        )
        db.add(comment)
        db.flush()
        posted.append(comment)
    record(db, moderator.id, "round.opened", "round", round_.id)
    if closed:
        record(db, moderator.id, "round.closed", "round", round_.id)
        _demo_signoff(db, round_, organisations, moderator)
        record(db, moderator.id, "round.published", "round", round_.id)
    return round_


def _demo_signoff(
    db: Session, round_: Round, organisations: list[Organisation], moderator: User
) -> None:
    """The published round's record is tripartite: two groups confirm, the workers' group
    files the reservation the outcome mentions."""
    focal = {
        m.organisation_id: m.user_id
        for m in db.scalars(select(Mandate).where(Mandate.role == MandateRole.FOCAL_POINT))
    }
    round_.signoff_deadline = (round_.closed_at or utcnow()) + timedelta(days=1)
    record(db, moderator.id, "round.signoff_requested", "round", round_.id)
    for group in Group:
        org = next(o for o in organisations if o.group_name == group)
        reservation = (
            "The workers' group does not accept any transition period: fees must end on day one."
            if group is Group.WORKERS
            else None
        )
        db.add(
            GroupSignoff(
                round_id=round_.id,
                group_name=group,
                spokesperson_id=focal[org.id],
                organisation_id=org.id,
                status="reservation" if reservation else "confirmed",
                reservation=reservation,
                requested_at=round_.closed_at or utcnow(),
                decided_at=round_.signoff_deadline,
            )
        )
        record(
            db,
            focal[org.id],
            "signoff.reservation" if reservation else "signoff.confirmed",
            "round",
            round_.id,
            group=group.value,
            reservation=reservation,
        )
