"""A round's threads alone in an index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-12 10:00:00.000000

A partial index of a round's threads (comments neither replies nor under a paragraph) in order,
with their visibility and author: PostgreSQL counts how many threads come before a search
result's (its page) from a third of the round's comments, not from every one of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOTS = "parent_id IS NULL AND paragraph_id IS NULL"


def upgrade() -> None:
    op.create_index(
        'ix_comments_thread_roots',
        'comments',
        ['round_id', 'id', 'visibility', 'author_id'],
        unique=False,
        postgresql_where=sa.text(ROOTS),
        sqlite_where=sa.text(ROOTS),
    )


def downgrade() -> None:
    op.drop_index('ix_comments_thread_roots', table_name='comments')
