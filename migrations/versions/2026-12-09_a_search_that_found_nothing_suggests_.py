"""A search that found nothing suggests a word anyone may find

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 09:00:00.000000

The "did you mean" vocabulary: the words of what a signed-in person with no role and no
mandate may find, with their frequencies, filled from the index as it stands (then by
``tripartite search reindex --words``).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from app.search import suggest

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('search_words',
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words'))
    )
    suggest.rebuild_words(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    op.drop_table('search_words')
