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
