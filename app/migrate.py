"""Running Alembic from the application (``tripartite db upgrade``, ``make run``, the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, inspect

from app.search.schema import OWN_TEXT_SEARCH
from app.search.schema import drop as drop_search_tables

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


#: The functions of the schema itself (not an extension's): dropped with its tables on reset.
_OWN_FUNCTIONS = """
SELECT p.oid::regprocedure::text FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
"""


def reset(url: str) -> None:
    """Start over (``tripartite demo --reset``): every table of the database dropped with all
    its data (its triggers and, on PostgreSQL, the schema's own functions and text search
    configurations and dictionaries with it), then the
    schema built again by the migrations. The audit log's append-only triggers refuse to
    delete rows one by one; dropping the tables is the one way to empty it."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            if connection.dialect.name == "sqlite":
                # outside a transaction, before the first statement: in force for the drops
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            if connection.dialect.name == "sqlite":
                drop_search_tables(connection)  # the FTS5 tables with their shadow tables
            names = inspect(connection).get_table_names()
            if connection.dialect.name == "postgresql":
                if names:
                    tables = ", ".join(quote(name) for name in names)
                    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {tables} CASCADE")
                for (function,) in connection.exec_driver_sql(_OWN_FUNCTIONS).all():
                    connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
                # configurations first: they use the dictionaries
                for kind, name in connection.exec_driver_sql(OWN_TEXT_SEARCH).all():
                    connection.exec_driver_sql(f"DROP TEXT SEARCH {kind} IF EXISTS {name} CASCADE")
            else:
                for name in names:
                    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)}")
            connection.commit()
    finally:
        engine.dispose()
    upgrade(url, "head")
