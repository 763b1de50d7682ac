"""A person without a role reads only the closed entries that may be theirs

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 10:00:00.000000

PostgreSQL: the general entries not open get two more indexes, so that a search by a person
without a role no longer reads the hidden and pending comments of others (and the comments of
draft rounds) only to drop them: a GIN index of the kinds other than comments, and their own
comments by author (``app.search.schema.closed_indexes``). SQLite: nothing (its FTS5 tables
return row ids, checked through the primary key).
"""

from collections.abc import Sequence

from alembic import op

from app.search import schema

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in schema.closed_indexes():
            connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for part in (schema.CLOSED_OTHER, f"{schema.CLOSED_COMMENT}_author"):
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {schema.GIN_PREFIX}{part}")
