"""comments indexed by author and time (posting limit)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 00:35:47.704447
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_author_id'))
        batch_op.create_index('ix_comments_author_id_created_at', ['author_id', 'created_at'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_author_id_created_at')
        batch_op.create_index(batch_op.f('ix_comments_author_id'), ['author_id'], unique=False)

    
