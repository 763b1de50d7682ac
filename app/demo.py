"""A realistic demo: a labour-migration consultation in a fictional country, three groups of
unequal sizes (2 ministries, 4 unions, 3 employers' organisations) so that equal weight matters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.accounts.credentials import hash_password
from app.accounts.models import User
from app.audit.service import record
from app.db import utcnow
from app.organisations.models import Mandate, Organisation
from app.rounds.models import Consultation, Round, RoundInvitation
from app.vocabulary import Group, MandateRole, PlatformRole

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


def database_is_empty(db: Session) -> bool:
    return not db.scalar(select(exists().where(User.id.is_not(None))))


def load(db: Session, password: str) -> None:
    """Fill an empty database with the demo (the caller commits)."""
    password_hash = hash_password(password)  # one hash, shared by every demo account
    people: dict[str, User] = {}
    for name, email, role in PLATFORM_PEOPLE:
        people[email] = User(
            email=email, name=name, password_hash=password_hash, platform_role=role.value
        )
    db.add_all(people.values())
    organisations = []
    for demo in ORGANISATIONS:
        organisation = Organisation(name=demo.name, group_name=demo.group.value, country=COUNTRY)
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
                    role=mandate_role.value,
                    starts_at=utcnow(),
                )
            )
    db.flush()
    consultation = Consultation(
        title="National labour migration policy 2027",
        brief=BRIEF,
        country=COUNTRY,
        created_by_id=people["moderator@tripartite.example"].id,
    )
    db.add(consultation)
    db.flush()
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
            }
        )
    rounds: list[dict[str, Any]] = []
    for round_ in db.scalars(select(Round).order_by(Round.id)).all():
        invited = db.execute(
            select(Organisation.name, Organisation.group_name)
            .join(RoundInvitation, RoundInvitation.organisation_id == Organisation.id)
            .where(RoundInvitation.round_id == round_.id)
            .order_by(Organisation.name)
        ).all()
        rounds.append(
            {
                "id": round_.id,
                "title": round_.title,
                "status": round_.status,
                "url": f"{base_url}/rounds/{round_.id}",
                "organisations": [{"name": o.name, "group": o.group_name} for o in invited],
            }
        )
    return {"password": password, "accounts": accounts, "rounds": rounds}
