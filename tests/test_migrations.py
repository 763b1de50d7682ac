"""Alembic owns the schema: a round trip works and the models agree with the migrations."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from app.db import Base, make_engine
from app.migrate import downgrade, upgrade


def _diff(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return list(diff)


def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    return tables - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(fresh_url):
    upgrade(fresh_url)
    assert _tables(fresh_url) == set(Base.metadata.tables)
    downgrade(fresh_url, "base")
    assert _tables(fresh_url) == set()
    upgrade(fresh_url)
    assert _tables(fresh_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(fresh_url):
    upgrade(fresh_url)
    assert _diff(fresh_url) == []


def test_the_audit_log_is_append_only(fresh_url):
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=1)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (action, subject_type, subject_id, at, details) "
                "VALUES ('round.closed', 'round', 1, CURRENT_TIMESTAMP, '{}')"
            )
        )
    for statement in (
        "UPDATE audit_events SET action = 'round.opened'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT action FROM audit_events")).scalar_one()
            == "round.closed"
        )
    engine.dispose()


def test_the_database_enforces_one_of_three_groups(fresh_url):
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=1)
    with pytest.raises(DBAPIError):
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (name, group_name, country, created_at) "
                    "VALUES ('Students', 'students', 'X', CURRENT_TIMESTAMP)"
                )
            )
    engine.dispose()
