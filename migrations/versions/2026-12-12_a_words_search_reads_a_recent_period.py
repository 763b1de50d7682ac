"""A word's search reads a recent period

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-12 09:00:00.000000

PostgreSQL: every entry's document holds the lexemes of its day, week, month and year besides
its words (``app.search.schema.period_lexemes``), so that a word's search asks the GIN index
for the word and a recent period and reads that period's matches alone. The entries written from
now on get them from the upsert (``app.search.index``); this adds them to those already there,
rewriting every entry once (docs/deploy.md: a ``VACUUM (FULL, ANALYZE) search_entries`` at a
quiet time afterwards gives back the room of the old rows).
SQLite: nothing (its FTS5 tables are read in the entries' order, newest first).
"""

from collections.abc import Sequence

from alembic import op

from app.search import schema

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"UPDATE search_entries SET {schema.DOCUMENT} = "
            f"{schema.DOCUMENT} || {schema.periods_vector('created_at')}"
        )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"UPDATE search_entries SET {schema.DOCUMENT} = ts_delete({schema.DOCUMENT}, "
            f"ARRAY(SELECT lexeme FROM unnest({schema.DOCUMENT}) WHERE left(lexeme, 1) = '~'))"
        )
