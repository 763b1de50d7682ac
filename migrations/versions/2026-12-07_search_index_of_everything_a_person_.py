"""Search index of everything a person may see, in English, French and Spanish

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00.000000

One entry per indexed text (a consultation, a round, a comment, a caucus post, minutes …)
with the keys that never change for its source row; who may see it is decided on the live
rows at query time. Beside it, the engine's own index: on PostgreSQL the ``unaccent``
extension, a text search configuration per language, a tsvector column and partial GIN
indexes (general, and one per group's caucus); on SQLite FTS5 tables, one per partition.
The index is then built from the rows already there. A later migration that changes an
indexed column rebuilds the index of its kind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.search import index, schema

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "'consultation', 'round', 'brief', 'paragraph', 'amendment', 'position', 'comment', "
    "'caucus_post', 'statement', 'outcome', 'reservation', 'attachment', 'meeting_document', "
    "'minutes', 'minutes_item', 'minutes_comment', 'decision', 'divergent', 'action', "
    "'action_note'"
)
GROUPS = "'government', 'workers', 'employers'"


def upgrade() -> None:
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('consultation', 'round', 'brief', 'paragraph', 'amendment', 'position', 'comment', 'caucus_post', 'statement', 'outcome', 'reservation', 'attachment', 'meeting_document', 'minutes', 'minutes_item', 'minutes_comment', 'decision', 'divergent', 'action', 'action_note', name='searchkind', native_enum=False, length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('government', 'workers', 'employers', name='group', native_enum=False, length=20), nullable=True),
    sa.Column('language', sa.String(length=3), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('group_name', sa.Enum('government', 'workers', 'employers', name='group', native_enum=False, length=20), nullable=True),
    sa.Column('open', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f('ck_search_entries_kind')),
    sa.CheckConstraint(f"scope IN ({GROUPS})", name=op.f('ck_search_entries_scope')),
    sa.CheckConstraint(f"group_name IN ({GROUPS})", name=op.f('ck_search_entries_group_name')),
    sa.CheckConstraint("language IN ('en', 'fr', 'es', 'mul')", name=op.f('ck_search_entries_language')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entries')),
    sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_search_entries_kind_source_id'))
    )
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.create_index('ix_search_entries_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_search_entries_meeting_id', ['meeting_id'], unique=False)
        batch_op.create_index('ix_search_entries_round_id', ['round_id'], unique=False)

    connection = op.get_bind()
    schema.create(connection)
    index.rebuild(connection)


def downgrade() -> None:
    schema.drop(op.get_bind())
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entries_round_id')
        batch_op.drop_index('ix_search_entries_meeting_id')
        batch_op.drop_index('ix_search_entries_created_at')

    op.drop_table('search_entries')
