"""The demo's draft text: the open round's principles for the bilateral social security
agreements, four numbered paragraphs organisations can comment on and amend. The round's brief
is kept as it is (its words and its French version)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.service import record
from app.drafts.models import DraftParagraph

PARAGRAPHS = (
    "Each agreement covers old-age, invalidity and survivors' pensions and employment injury "
    "benefits, with **equality of treatment** between migrant workers and nationals.",
    "Periods of insurance completed in either country are added together to open the right to "
    "a pension; each country pays the share that matches the periods completed under its law.",
    "Pensions are paid in full to beneficiaries who return to their country of origin, without "
    "reduction or suspension because they live abroad.",
    "The social security institutions exchange the data needed to apply the agreement, with "
    "the safeguards for personal data that each agreement sets out.",
)


def add_demo_draft(db: Session, round_id: int, moderator_id: int) -> None:
    """Give the demo's open round its draft text (the caller commits)."""
    db.add_all(
        DraftParagraph(round_id=round_id, number=n, text=text)
        for n, text in enumerate(PARAGRAPHS, start=1)
    )
    record(db, moderator_id, "draft.imported", "round", round_id, paragraphs=len(PARAGRAPHS))
