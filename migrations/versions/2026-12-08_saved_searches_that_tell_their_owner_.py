"""Saved searches that tell their owner of new matches

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00.000000

A person keeps a search under a name (its canonical query string, once per person); the
mail worker counts what they may now find above the search's watermark, tells them in a
notification, and moves the watermark.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('last_entry_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notified_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_searches_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
    sa.UniqueConstraint('user_id', 'query', name=op.f('uq_saved_searches_user_id_query'))
    )


def downgrade() -> None:
    op.drop_table('saved_searches')
