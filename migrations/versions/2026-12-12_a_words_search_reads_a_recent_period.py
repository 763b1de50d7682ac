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

# the lexemes as app.search.schema.periods_vector made them when this was written (a migration
# does what it did, whatever that function becomes)
PERIODS = (
    "array_to_tsvector(ARRAY["
    "'~d' || CAST(floor(extract(epoch FROM created_at) / 86400) AS bigint), "
    "'~w' || CAST(floor(extract(epoch FROM created_at) / 604800) AS bigint), "
    "'~m' || to_char(created_at AT TIME ZONE 'UTC', 'YYYYMM'), "
    "'~y' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY')])"
)

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"UPDATE search_entries SET document = document || {PERIODS}"
        )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "UPDATE search_entries SET document = ts_delete(document, "
            "ARRAY(SELECT lexeme FROM unnest(document) WHERE left(lexeme, 1) = '~'))"
        )
