"""A round closed early keeps its deadline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 14:30:00.000000
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _deadlines_from_the_audit_log() -> dict[int, datetime]:
    """For each round still closed (or published) after an early close, the deadline it had:
    the ``before`` of its last ``round.closed`` event, when that close was early and no reopening
    followed it."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT subject_id, action, details FROM audit_events "
            "WHERE subject_type = 'round' AND action IN ('round.closed', 'round.reopened') "
            "ORDER BY id"
        )
    )
    found: dict[int, datetime] = {}
    for subject_id, action, details in rows:
        if subject_id is None:
            continue
        found.pop(subject_id, None)
        if action != "round.closed":
            continue
        try:
            data = json.loads(details or "{}")
            deadline = (data.get("before") or {}).get("closes_at")
            if data.get("early") and deadline:
                when = datetime.fromisoformat(deadline)
                found[subject_id] = when if when.tzinfo else when.replace(tzinfo=UTC)
        except (ValueError, TypeError, AttributeError):
            continue
    return found


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_before_close', app.db.UTCDateTime(timezone=True), nullable=True))
    rounds = sa.table(
        'rounds',
        sa.column('id', sa.Integer()),
        sa.column('status', sa.String()),
        sa.column('deadline_before_close', app.db.UTCDateTime(timezone=True)),
    )
    for round_id, deadline in _deadlines_from_the_audit_log().items():
        op.execute(
            rounds.update()
            .where(rounds.c.id == round_id, rounds.c.status.in_(('closed', 'published')))
            .values(deadline_before_close=deadline)
        )


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('deadline_before_close')
