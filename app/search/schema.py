"""The engine's own search objects, beside ``search_entries`` and outside the metadata.

PostgreSQL: the ``unaccent`` extension, one text search configuration per language
(``tripartite_english`` …: Snowball stems, no stopwords: the query drops them), the
``search_entries.document`` tsvector and one partial GIN index per partition (general, and
each group's caucus). SQLite: one FTS5 table per partition (``search_fts``,
``search_fts_<group>``), rowid = the entry's id, holding PyStemmer's stems.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from app.search.rules import LANGUAGES, SNOWBALL
from app.vocabulary import Group

#: The partitions: None (general) and each group's.
PARTITIONS: tuple[Group | None, ...] = (None, *Group)
FTS_PREFIX = "search_fts"
GIN_PREFIX = "ix_search_entries_document_"
DOCUMENT = "document"


def configuration(language: str) -> str:
    """The PostgreSQL text search configuration of a language (one of rules.LANGUAGES)."""
    return f"tripartite_{SNOWBALL[language]}"


def fts_table(scope: Group | str | None) -> str:
    """SQLite's FTS5 table of a partition."""
    return FTS_PREFIX if scope is None else f"{FTS_PREFIX}_{Group(scope).value}"


def _postgres_create() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS unaccent"]
    for language in LANGUAGES:
        name = SNOWBALL[language]
        config = configuration(language)
        statements += [
            f"CREATE TEXT SEARCH DICTIONARY {config}_stem (TEMPLATE = snowball, Language = {name})",
            f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = pg_catalog.{name})",
            f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR asciiword, word, "
            f"hword_part, hword_asciipart WITH unaccent, {config}_stem",
            f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR numword, "
            "hword_numpart, int, uint WITH unaccent, simple",
            f"ALTER TEXT SEARCH CONFIGURATION {config} DROP MAPPING IF EXISTS FOR asciihword, "
            "hword, numhword, email, url, host, file, url_path, version, float, sfloat",
        ]
    statements.append(f"ALTER TABLE search_entries ADD COLUMN {DOCUMENT} tsvector")
    for scope in PARTITIONS:
        where = "scope IS NULL" if scope is None else f"scope = '{scope.value}'"
        suffix = "general" if scope is None else scope.value
        statements.append(
            f"CREATE INDEX {GIN_PREFIX}{suffix} ON search_entries "
            f"USING gin ({DOCUMENT}) WHERE {where}"
        )
    return statements


def _postgres_drop() -> list[str]:
    statements = []
    for language in LANGUAGES:
        config = configuration(language)
        statements += [
            f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {config}",
            f"DROP TEXT SEARCH DICTIONARY IF EXISTS {config}_stem",
        ]
    return statements


def create(connection: Connection) -> None:
    """Create the engine's objects (after the ``search_entries`` table)."""
    if connection.dialect.name == "postgresql":
        for statement in _postgres_create():
            connection.exec_driver_sql(statement)
        return
    for scope in PARTITIONS:
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts_table(scope)} USING fts5(terms, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )


def drop(connection: Connection) -> None:
    """Drop the engine's objects (the column and indexes go with ``search_entries``)."""
    if connection.dialect.name == "postgresql":
        for statement in _postgres_drop():
            connection.exec_driver_sql(statement)
        return
    for scope in PARTITIONS:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {fts_table(scope)}")


def is_engine_table(name: str | None) -> bool:
    """SQLite's FTS5 tables and their shadow tables (``search_fts_data`` …)."""
    return bool(name) and str(name).startswith(FTS_PREFIX)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter: the engine's own tables are not the metadata's to compare."""
    return not (type_ == "table" and is_engine_table(name))


def include_object(
    object_: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: the tsvector column and its GIN indexes are the engine's."""
    if type_ == "table":
        return not is_engine_table(name)
    if type_ == "column" and name == DOCUMENT:
        return str(getattr(object_.table, "name", "")) != "search_entries"
    if type_ == "index" and name and name.startswith(GIN_PREFIX):
        return False
    return True


#: The schema's own text search objects (dropped on reset, as its own functions).
OWN_TEXT_SEARCH = """
SELECT 'CONFIGURATION', c.oid::regconfig::text FROM pg_ts_config c
JOIN pg_namespace n ON n.oid = c.cfgnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'DICTIONARY', d.oid::regdictionary::text FROM pg_ts_dict d
JOIN pg_namespace n ON n.oid = d.dictnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = d.oid AND e.deptype = 'e')
"""
