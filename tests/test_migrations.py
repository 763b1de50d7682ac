"""Alembic owns the schema: a round trip works and the models agree with the migrations."""

import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import Base, make_engine
from app.migrate import downgrade, upgrade
from app.rounds.models import Round
from app.search import schema as search_schema


def _diff(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        opts = {
            "compare_type": True,
            "include_name": search_schema.include_name,
            "include_object": search_schema.include_object,
        }
        context = MigrationContext.configure(connection, opts=opts)
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return list(diff)


def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    return {name for name in tables if not search_schema.is_engine_table(name)} - {
        "alembic_version"
    }


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


def test_rounds_closed_early_get_back_the_deadline_the_audit_log_recorded(fresh_url):
    """Migration 0010 fills ``deadline_before_close`` of rounds closed early (and not reopened
    since) from the ``before`` of their ``round.closed`` event."""
    upgrade(fresh_url, "0009")
    engine = make_engine(fresh_url, pool_size=1)
    rounds = {1: "closed", 2: "published", 3: "closed", 4: "open"}
    deadline = "2026-12-16T12:00:00+00:00"
    closed = json.dumps({"early": True, "before": {"status": "open", "closes_at": deadline}})
    on_time = json.dumps({"early": False, "before": {"status": "open", "closes_at": deadline}})
    events = [(1, "round.closed", closed), (2, "round.closed", closed)]
    events += [(3, "round.closed", on_time), (4, "round.closed", closed)]
    events += [(4, "round.reopened", "{}")]  # reopened since: no early close stands
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO consultations (id, title, brief, created_at) "
                "VALUES (1, 'C', 'B', CURRENT_TIMESTAMP)"
            )
        )
        for round_id, status in rounds.items():
            connection.execute(
                text(
                    "INSERT INTO rounds (id, consultation_id, number, title, brief, status, "
                    "weighting, sealed, premoderated, version, created_at) VALUES (:id, 1, :id, "
                    "'R', 'B', :status, '1:1:1', false, false, 1, CURRENT_TIMESTAMP)"
                ),
                {"id": round_id, "status": status},
            )
        for round_id, action, details in events:
            connection.execute(
                text(
                    "INSERT INTO audit_events (action, subject_type, subject_id, at, details) "
                    "VALUES (:action, 'round', :id, CURRENT_TIMESTAMP, :details)"
                ),
                {"action": action, "id": round_id, "details": details},
            )
    engine.dispose()
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=1)
    with Session(engine) as session:
        found = {r.id: r.deadline_before_close for r in session.scalars(select(Round))}
    engine.dispose()
    expected = datetime(2026, 12, 16, 12, tzinfo=UTC)
    assert found == {1: expected, 2: expected, 3: None, 4: None}


def test_entries_already_indexed_get_the_lexemes_of_their_periods(fresh_url):
    """Migration 0020 (PostgreSQL) adds to each entry's document the lexemes of its day, week,
    month and year (``schema.period_lexemes``), and its downgrade takes them away, words kept."""
    if not fresh_url.startswith("postgresql"):
        pytest.skip("SQLite's FTS5 tables hold the words alone")
    upgrade(fresh_url, "0019")
    made = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # the last day, month and year of 2025
    engine = make_engine(fresh_url, pool_size=1)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO search_entries (kind, source_id, language, open, body, created_at, "
                "document) VALUES ('comment', 1, 'en', true, 'Portability', :made, "
                "to_tsvector('tripartite_english', 'Portability'))"
            ),
            {"made": made},
        )
    engine.dispose()

    def lexemes() -> set[str]:
        engine = make_engine(fresh_url, pool_size=1)
        with engine.connect() as connection:
            found = connection.execute(text("SELECT lexeme FROM search_entries, unnest(document)"))
            kept = set(found.scalars())
        engine.dispose()
        return kept

    upgrade(fresh_url, "0020")
    assert lexemes() == {"portabl", *search_schema.period_lexemes(made)}
    assert search_schema.period_lexemes(made) == ("~d20453", "~w2921", "~m202512", "~y2025")
    downgrade(fresh_url, "0019")
    assert lexemes() == {"portabl"}
