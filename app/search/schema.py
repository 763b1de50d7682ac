"""The engine's own search objects, beside ``search_entries`` and outside the metadata.

PostgreSQL: the ``unaccent`` extension, one text search configuration per language
(``tripartite_english`` …: Snowball stems, no stopwords: the query drops them), the
``search_entries.document`` tsvector and one partial GIN index per partition. SQLite: one FTS5
table per partition, rowid = the entry's id, holding PyStemmer's stems. The partitions: the
general entries every signed-in person may find (``open``: ``search_fts_open``), the other
general entries (``search_fts``), and each group's caucus (``search_fts_<group>``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from app.search.rules import LANGUAGES, SNOWBALL
from app.vocabulary import Group

#: The partitions: OPEN (general, open), None (general, not open) and each group's.
OPEN = "open"
PARTITIONS: tuple[Group | str | None, ...] = (OPEN, None, *Group)
FTS_PREFIX = "search_fts"
GIN_PREFIX = "ix_search_entries_document_"
#: A GIN index's pending list at its smallest (64 kB, some sixty entries; PostgreSQL's default
#: is 4 MB): a new entry goes to the list, and every search reads the whole list of each index
#: it reads, once per age window. 930 entries posted since the last vacuum made a search 20 %
#: slower; a post that fills the list moves it into the index (migration 0019).
PENDING_LIST = "gin_pending_list_limit = 64"


def gin_indexes() -> list[str]:
    """The names of the search's GIN indexes."""
    return [f"{GIN_PREFIX}{_suffix(key)}" for key in PARTITIONS] + [f"{GIN_PREFIX}{CLOSED_OTHER}"]


DOCUMENT = "document"

# -- periods -----------------------------------------------------------------------------------
#
# PostgreSQL: besides its words, an entry's document holds four lexemes of when it was made
# (``created_at`` in UTC): its day and its week ("~d", "~w" and the number of whole days or
# weeks since 1970-01-01), its month ("~m202612") and its year ("~y2026"). No word's lexeme
# begins with "~" (a word is letters and digits, rules.WORD), so no query of words finds them.
# A search asks the GIN index for its words *and* a recent period (app.search.service), and
# reads only the matches of that period: a word found 15,000 times, 600 of them this
# fortnight, is 600 rows read, where walking the newest entries until 201 matches are found
# read 14,000 (migration 0020).

#: A day's and a week's seconds (both counted from 1970-01-01, a Thursday, in UTC).
DAY = 24 * 3600
WEEK = 7 * DAY


def period_number(moment: datetime, seconds: int) -> int:
    """The number of whole days (``DAY``) or weeks (``WEEK``) from 1970-01-01 to ``moment``."""
    return int(moment.timestamp() // seconds)


def period_start(number: int, seconds: int) -> datetime:
    return datetime.fromtimestamp(number * seconds, UTC)


def day_lexeme(number: int) -> str:
    return f"~d{number}"


def week_lexeme(number: int) -> str:
    return f"~w{number}"


def month_lexeme(year: int, month: int) -> str:
    return f"~m{year:04d}{month:02d}"


def year_lexeme(year: int) -> str:
    return f"~y{year:04d}"


def period_lexemes(moment: datetime) -> tuple[str, str, str, str]:
    """The lexemes of the periods of an entry made at ``moment`` (day, week, month, year)."""
    utc = moment.astimezone(UTC)
    return (
        day_lexeme(period_number(utc, DAY)),
        week_lexeme(period_number(utc, WEEK)),
        month_lexeme(utc.year, utc.month),
        year_lexeme(utc.year),
    )


def periods_vector(created_at: str) -> str:
    """PostgreSQL's tsvector of the periods of the timestamp expression ``created_at`` (the SQL
    of ``period_lexemes``)."""
    return (
        "array_to_tsvector(ARRAY["
        f"'~d' || CAST(floor(extract(epoch FROM {created_at}) / {DAY}) AS bigint), "
        f"'~w' || CAST(floor(extract(epoch FROM {created_at}) / {WEEK}) AS bigint), "
        f"'~m' || to_char({created_at} AT TIME ZONE 'UTC', 'YYYYMM'), "
        f"'~y' || to_char({created_at} AT TIME ZONE 'UTC', 'YYYY')])"
    )


def any_of(lexemes: tuple[str, ...] | list[str]) -> str:
    """The text of a tsquery that matches a document holding one of ``lexemes``."""
    return " | ".join(f"'{lexeme}'" for lexeme in lexemes)


def configuration(language: str) -> str:
    """The PostgreSQL text search configuration of a language (one of rules.LANGUAGES)."""
    return f"tripartite_{SNOWBALL[language]}"


def partition(scope: Group | str | None, open_: bool | None) -> Group | str | None:
    """The partition of an entry: its group's, else open or not."""
    if scope is not None:
        return Group(scope)
    return OPEN if open_ else None


def fts_table(key: Group | str | None) -> str:
    """SQLite's FTS5 table of a partition."""
    if key is None:
        return FTS_PREFIX
    if key == OPEN:
        return f"{FTS_PREFIX}_{OPEN}"
    return f"{FTS_PREFIX}_{Group(key).value}"


def partition_condition(key: Group | str | None, alias: str = "") -> str:
    """PostgreSQL's condition of a partition on ``search_entries``."""
    e = f"{alias}." if alias else ""
    if key is None:
        return f"{e}scope IS NULL AND NOT {e}open"
    if key == OPEN:
        return f"{e}scope IS NULL AND {e}open"
    return f"{e}scope = '{Group(key).value}'"


def _suffix(key: Group | str | None) -> str:
    return "general" if key is None else (OPEN if key == OPEN else Group(key).value)


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
    for key in PARTITIONS:
        statements.append(
            f"CREATE INDEX {GIN_PREFIX}{_suffix(key)} ON search_entries "
            f"USING gin ({DOCUMENT}) WITH ({PENDING_LIST}) WHERE {partition_condition(key)}"
        )
    return statements + closed_indexes()


#: The general entries not open, as a person without a role reads them (``closed_condition``):
#: the kinds other than comments, by the words; their own comments, by their author.
CLOSED_OTHER = "closed_other"
CLOSED_COMMENT = "closed_comment"


def closed_condition(part: str, alias: str = "") -> str:
    """PostgreSQL's condition of one part of the general entries not open (the predicate of
    its partial index, written as the index has it so that the planner takes the index)."""
    e = f"{alias}." if alias else ""
    operator = "<>" if part == CLOSED_OTHER else "="
    return f"{partition_condition(None, alias)} AND {e}kind {operator} 'comment'"


def closed_indexes() -> list[str]:
    """The indexes of the parts of the general entries not open (migration 0018): the hidden
    and pending comments of others, and drafts' comments, are most of them, and a person
    without a role never finds one."""
    return [
        f"CREATE INDEX IF NOT EXISTS {GIN_PREFIX}{CLOSED_OTHER} ON search_entries "
        f"USING gin ({DOCUMENT}) WITH ({PENDING_LIST}) WHERE {closed_condition(CLOSED_OTHER)}",
        f"CREATE INDEX IF NOT EXISTS {GIN_PREFIX}{CLOSED_COMMENT}_author ON search_entries "
        f"(author_id) WHERE {closed_condition(CLOSED_COMMENT)}",
    ]


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
    for key in PARTITIONS:
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts_table(key)} USING fts5(terms, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )


def drop(connection: Connection) -> None:
    """Drop the engine's objects (the column and indexes go with ``search_entries``)."""
    if connection.dialect.name == "postgresql":
        for statement in _postgres_drop():
            connection.exec_driver_sql(statement)
        return
    for key in PARTITIONS:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {fts_table(key)}")


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
