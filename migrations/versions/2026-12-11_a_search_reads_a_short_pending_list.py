"""A search reads a short pending list

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-11 09:00:00.000000

PostgreSQL: the search's GIN indexes keep a pending list of 64 kB at most instead of 4 MB
(``app.search.schema.PENDING_LIST``): every search reads the whole list of each index it
reads, and until a vacuum the list only grows. SQLite: nothing (FTS5 merges its own segments).
"""

from collections.abc import Sequence

from alembic import op

from app.search import schema

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for name in schema.gin_indexes():
            connection.exec_driver_sql(f"ALTER INDEX {name} SET ({schema.PENDING_LIST})")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for name in schema.gin_indexes():
            connection.exec_driver_sql(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")
