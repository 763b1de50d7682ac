"""The selects several packages make about a round: its header (the round with its
consultation's title and the status that holds now) and the organisations it invites.

Pure selects and the header built from one of their rows; the callers run them (``db.read``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, select

from app.accounts.models import User
from app.organisations.models import Mandate, Organisation
from app.rounds.models import Consultation, Round, RoundInvitation
from app.rounds.rules import effective_status
from app.vocabulary import Group, RoundStatus, Weighting

_Columns = TypeVarTuple("_Columns")


@dataclass(frozen=True)
class RoundHeader:
    """What the pages, the summaries and the exports say of a round before its content."""

    id: int
    number: int
    title: str
    consultation_id: int
    consultation_title: str
    #: The status that holds now: a scheduled round opens on time and a round past its
    #: deadline is closed, whether or not any background job has run.
    status: RoundStatus
    weighting: Weighting
    sealed: bool
    opens_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    outcome: str | None
    #: "general" or a subject of C144 art. 5(1): shown on the page and the PDF, never in the
    #: summary's data (its JSON and fingerprint are a contract)
    kind: str


def round_headers(*more: Any) -> Select[*tuple[Any, ...]]:
    """The header's columns (then ``more``) of each round, with its consultation's title."""
    return select(
        Round.id,
        Round.number,
        Round.title,
        Round.consultation_id,
        Consultation.title.label("consultation_title"),
        Round.status,
        Round.weighting,
        Round.sealed,
        Round.opens_at,
        Round.closes_at,
        Round.closed_at,
        Round.published_at,
        Round.outcome,
        Round.kind,
        *more,
    ).join(Consultation, Consultation.id == Round.consultation_id)


def header_of(row: Any, now: datetime) -> RoundHeader:
    """The header read from a row of ``round_headers()``, its status as it holds at ``now``."""
    return RoundHeader(
        row.id,
        row.number,
        row.title,
        row.consultation_id,
        row.consultation_title,
        effective_status(row.status, row.opens_at, row.closes_at, now),
        row.weighting,
        row.sealed,
        row.opens_at,
        row.closes_at,
        row.closed_at,
        row.published_at,
        row.outcome,
        row.kind,
    )


def invited_only(query: Select[*_Columns], round_id: Any) -> Select[*_Columns]:
    """``query``, which reads organisations, kept to those the round invites."""
    return query.join(RoundInvitation, RoundInvitation.organisation_id == Organisation.id).where(
        RoundInvitation.round_id == round_id
    )


def invited_organisations(round_id: Any) -> Select[int, str, Group]:
    """The round's invited organisations (id, name, group), by name."""
    return invited_only(
        select(Organisation.id, Organisation.name, Organisation.group_name), round_id
    ).order_by(Organisation.name)


def invited_mandates(round_id: Any) -> Select[int, datetime, datetime | None, datetime | None]:
    """The unrevoked mandates of active people from the organisations the round invites: the
    holder and what tells whether the mandate is in force (accounts.rules.mandate_is_active)."""
    return (
        select(Mandate.user_id, Mandate.starts_at, Mandate.expires_at, Mandate.revoked_at)
        .join(RoundInvitation, RoundInvitation.organisation_id == Mandate.organisation_id)
        .join(User, User.id == Mandate.user_id)
        .where(
            RoundInvitation.round_id == round_id,
            Mandate.revoked_at.is_(None),
            User.is_active.is_(True),
        )
    )
