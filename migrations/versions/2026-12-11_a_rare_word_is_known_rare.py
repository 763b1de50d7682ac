"""A rare word is known to be rare

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-11 09:00:00.000000

PostgreSQL: ANALYZE keeps the frequency of the 10,000 commonest words of the search index
(``app.search.schema.word_statistics``), so that the planner reads a rare word from its GIN
bitmap instead of walking an age window entry by entry; the table is analysed again. SQLite:
nothing (FTS5 has no planner to inform).
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
        connection.exec_driver_sql(schema.word_statistics())
        connection.exec_driver_sql("ANALYZE search_entries")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"ALTER TABLE search_entries ALTER COLUMN {schema.DOCUMENT} SET STATISTICS -1"
        )
