"""A round's change is announced to live streams (PostgreSQL NOTIFY)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:40:00.000000

On PostgreSQL, every change of a round's version notifies the channel ``tripartite_round``
with ``'<round id>:<version>'``, delivered when the writer commits (never for a rollback): each
app process listens on one connection and tells its open streams (app/live/broker.py). The
command line and every process are heard alike. SQLite has no such thing: its processes
read the versions of watched rounds instead.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION tripartite_round_changed() RETURNS trigger AS $$
        BEGIN
            IF NEW.version IS DISTINCT FROM OLD.version THEN
                PERFORM pg_notify('tripartite_round', NEW.id::text || ':' || NEW.version::text);
            END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER rounds_version_notifies AFTER UPDATE OF version ON rounds "
        "FOR EACH ROW EXECUTE FUNCTION tripartite_round_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS rounds_version_notifies ON rounds")
    op.execute("DROP FUNCTION IF EXISTS tripartite_round_changed()")
