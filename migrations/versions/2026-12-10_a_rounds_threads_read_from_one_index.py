"""A round's threads read from one index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 09:00:00.000000

A round's comments in order, with their parent, paragraph, visibility and author: a search
result's thread page (how many threads the round shows before it) is read from this index
alone, not from the comments' rows. It replaces ix_comments_round_id_id (its first two
columns), so a post writes no more index entries than before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_comments_round_id_id', table_name='comments')
    op.create_index(
        'ix_comments_threads',
        'comments',
        ['round_id', 'id', 'parent_id', 'paragraph_id', 'visibility', 'author_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_comments_threads', table_name='comments')
    op.create_index('ix_comments_round_id_id', 'comments', ['round_id', 'id'], unique=False)
