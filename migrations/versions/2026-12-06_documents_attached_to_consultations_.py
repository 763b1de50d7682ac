"""Documents attached to consultations, rounds, positions and caucuses, with their versions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:20:49.944670

An attachment is a titled document; each upload is a version, kept when a newer one comes.
The bytes live in the file store (TRIPARTITE_DATA_DIR/files or an S3-compatible bucket),
addressed by their SHA-256; the rows say who may see them (by the place they hang on).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.Enum('consultation', 'round', 'position', 'caucus', name='place', native_enum=False, length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('group_name', sa.Enum('government', 'workers', 'employers', name='group', native_enum=False, length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('folder', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_attachments_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_attachments_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_attachments_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_attachments_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.CheckConstraint("place IN ('consultation', 'round', 'position', 'caucus')", name=op.f('ck_attachments_place')),
    sa.CheckConstraint("group_name IN ('government', 'workers', 'employers')", name=op.f('ck_attachments_group_name')),
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_consultation_id', ['consultation_id'], unique=False)
        batch_op.create_index('ix_attachments_round_id', ['round_id'], unique=False)

    op.create_table('attachment_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_attachment_versions_attachment_id_attachments')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachment_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_versions')),
    sa.UniqueConstraint('attachment_id', 'number', name=op.f('uq_attachment_versions_attachment_id_number'))
    )


def downgrade() -> None:
    op.drop_table('attachment_versions')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_round_id')
        batch_op.drop_index('ix_attachments_consultation_id')

    op.drop_table('attachments')
