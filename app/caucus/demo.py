"""The demo's open round gets its officers and a few words in the workers' caucus: a message
from each of two unions and a draft statement one of them endorses (nothing published, so the
round page shows only the officers and, to the workers, the way into their caucus)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import markdown
from app.accounts.models import User
from app.caucus.models import CaucusPost, GroupStatement, GroupStatementEndorsement
from app.db import utcnow
from app.organisations.models import Mandate
from app.rounds.models import RoundOfficer
from app.vocabulary import Group

MESSAGES = [
    (
        "focal@atuc.example",
        "Shall we speak with one voice on **portability**? I can draft a joint statement.",
    ),
    ("rep@nudw.example", "Yes, and it must name domestic workers explicitly."),
]
STATEMENT = (
    "The workers' group asks that every bilateral agreement guarantee the **full "
    "portability** of pension rights, domestic and seasonal workers included, from the first "
    "day of work."
)


def add_demo_caucus(db: Session, round_id: int) -> None:
    people = {
        u.email: u
        for u in db.scalars(
            select(User).where(User.email.like("focal@%") | User.email.like("rep@%"))
        )
    }
    organisation_of = {m.user_id: m.organisation_id for m in db.scalars(select(Mandate))}

    def person(email: str) -> User:
        return people[email]

    officers = [
        ("chair", person("focal@labour.example")),
        ("vice_chair_employers", person("focal@aef.example")),
        ("vice_chair_workers", person("focal@atuc.example")),
    ]
    db.add_all(
        RoundOfficer(
            round_id=round_id,
            role=role,
            user_id=user.id,
            name=user.name,
            organisation_id=organisation_of[user.id],
        )
        for role, user in officers
    )
    now = utcnow()
    for n, (email, body) in enumerate(MESSAGES):
        author = person(email)
        db.add(
            CaucusPost(
                round_id=round_id,
                group_name=Group.WORKERS,
                author_id=author.id,
                organisation_id=organisation_of[author.id],
                body=body,
                body_html=markdown.render(body),
                created_at=now - timedelta(hours=5 - n),
            )
        )
    drafter = person("focal@atuc.example")
    statement = GroupStatement(
        round_id=round_id,
        group_name=Group.WORKERS,
        text=STATEMENT,
        text_html=markdown.render(STATEMENT),
        created_by_id=drafter.id,
        created_at=now - timedelta(hours=2),
        updated_at=now - timedelta(hours=2),
    )
    db.add(statement)
    db.flush()
    db.add(
        GroupStatementEndorsement(
            statement_id=statement.id,
            organisation_id=organisation_of[drafter.id],
            endorsed_by_id=drafter.id,
        )
    )
