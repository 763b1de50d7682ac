"""Keeping the index current, in the writer's own transaction.

One ``after_flush`` listener on every Session (requests, the command line, the demo, the
tests' factories) sees the rows of ``sources.SPECS`` a flush added, changed (in a watched
column) or deleted, reads them again by Core on the session's connection and writes their
entries (upserted by ``(kind, source_id)``: an entry keeps its id, the saved searches'
watermark). A source row gone, or left with no text, loses its entry. Core bulk writes of
indexed tables bypass the listener: their writers call ``reindex_round`` themselves.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Dialect,
    Integer,
    Table,
    and_,
    bindparam,
    delete,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, UOWTransaction

from app.db import UTCDateTime
from app.markdown import plain_text
from app.rounds.models import Round
from app.search import rules, schema
from app.search.models import SearchEntry
from app.search.sources import KEYS, OPEN_KINDS, ROUND_KINDS, ROUND_STATE, SPECS, TRIGGERS
from app.vocabulary import Group, SearchKind

#: Rows read and written at once.
BATCH = 1000
_COLUMNS = ("kind", "source_id", "language", *KEYS, "open", "body", "created_at")
_UPDATED = [column for column in _COLUMNS if column not in ("kind", "source_id")]
_ENTRY: Table = SearchEntry.__table__  # type: ignore[assignment]


def _tsvector(words: str = ":words") -> str:
    per_language = {
        code: f"to_tsvector('{schema.configuration(code)}', CAST({words} AS text))"
        for code in rules.LANGUAGES
    }
    cases = " ".join(f"WHEN '{code}' THEN {vector}" for code, vector in per_language.items())
    union = " || ".join(per_language.values())
    periods = schema.periods_vector("CAST(:created_at AS timestamptz)")
    return f"(CASE CAST(:language AS varchar) {cases} ELSE {union} END) || {periods}"


@cache
def _upsert(dialect: str, returning: bool = False) -> Any:
    return text(_upsert_sql(dialect, returning)).bindparams(
        bindparam("created_at", type_=UTCDateTime())
    )


@cache
def _upsert_sql(dialect: str, returning: bool = False) -> str:
    columns = ", ".join(_COLUMNS)
    values = ", ".join(f":{column}" for column in _COLUMNS)
    updates = ", ".join(f"{column} = excluded.{column}" for column in _UPDATED)
    if dialect == "postgresql":
        statement = (
            f"INSERT INTO search_entries ({columns}, {schema.DOCUMENT}) "
            f"VALUES ({values}, {_tsvector()}) ON CONFLICT (kind, source_id) DO UPDATE SET "
            f"{updates}, {schema.DOCUMENT} = excluded.{schema.DOCUMENT}"
        )
    else:
        statement = (
            f"INSERT INTO search_entries ({columns}) VALUES ({values}) "
            f"ON CONFLICT (kind, source_id) DO UPDATE SET {updates}"
            + (" RETURNING id" if returning else "")
        )
    return statement


@cache
def _source(kind: SearchKind) -> Any:
    """The kind's source rows as a subquery (built once: the flush listener asks for it on
    every post)."""
    return SPECS[kind].build().subquery()


@cache
def _rows_by_id(kind: SearchKind, dialect: str, one: bool = False) -> Any:
    """The kind's source rows of the ids given as ``ids`` (``one``: the single id given as
    ``id``, a post's: no list to expand into the statement each time); on SQLite with their
    entry's id and partition as they are (``old_id``, ``old_scope``, ``old_open``: the FTS5 row
    to replace), read in the same statement."""
    source = _source(kind)
    if one:
        found = select(source).where(source.c.source_id == bindparam("id", type_=Integer()))
    else:
        found = select(source).where(source.c.source_id.in_(bindparam("ids", expanding=True)))
    if dialect != "sqlite":
        return found
    e = _ENTRY.alias("old")
    return found.add_columns(
        e.c.id.label("old_id"), e.c.scope.label("old_scope"), e.c.open.label("old_open")
    ).outerjoin(e, and_(e.c.kind == kind.value, e.c.source_id == source.c.source_id))


_OLD = "SELECT id, scope, open FROM search_entries WHERE kind = :kind AND source_id = :sid"
#: The entry of a source row not read yet (``_write_one`` reads it).
_UNREAD: Any = object()


@cache
def _stored_time(dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy binds for ``search_entries.created_at`` (its column type's processor)."""
    processor = _ENTRY.c.created_at.type.bind_processor(dialect)
    return processor or (lambda value: value)


def _write_one(connection: Connection, e: dict[str, Any], old: Any = _UNREAD) -> None:
    """SQLite, one entry (a post): its old partition (``old``: its id, scope and open, or None
    for none, when the caller read it with the source row), the upsert, its FTS5 row.

    The statements go to the driver's cursor on the same connection (the same transaction),
    with the values SQLAlchemy would bind: its work per statement was most of what the index
    cost a post (``bench/search.py``). tests/test_search_index.py holds these rows equal to the
    batch path's."""
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        if old is _UNREAD:
            found = cursor.execute(_OLD, {"kind": e["kind"], "sid": e["source_id"]}).fetchone()
            old = _Old(*found) if found is not None else None
        values = {**e, "created_at": _stored_time(connection.dialect)(e["created_at"])}
        (entry_id,) = cursor.execute(_upsert_sql("sqlite", returning=True), values).fetchone()
        if old is not None and old.id is not None:
            cursor.execute(f"DELETE FROM {_fts(old.scope, old.open)} WHERE rowid = ?", (old.id,))
        cursor.execute(
            f"INSERT INTO {_fts(e['scope'], e['open'])} (rowid, terms) VALUES (?, ?)",
            (entry_id, rules.document_terms(e["body"], e["language"])),
        )
    except dbapi.Error as error:  # as SQLAlchemy raises it: a locked database is a 503
        raise DBAPIError.instance(None, None, error, dbapi.Error) from error
    finally:
        cursor.close()


@dataclass(frozen=True)
class _Old:
    id: int | None
    scope: str | None
    open: bool | None


def _fts(scope: Any, open_: Any) -> str:
    return schema.fts_table(schema.partition(scope, bool(open_)))


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Group | SearchKind) else value


def entry(kind: SearchKind, row: Any) -> dict[str, Any] | None:
    """The entry of one source row read by its spec's select (None: nothing to index)."""
    spec = SPECS[kind]
    parts = [
        plain_text(part) if markdown else (part or "")
        for part, markdown in zip(
            (getattr(row, f"t{n}") for n in range(len(spec.markdown))), spec.markdown, strict=True
        )
    ]
    body = rules.indexed_text("\n".join(part.strip() for part in parts if part.strip()))
    if not rules.words(body):
        return None
    values = {key: _value(getattr(row, key)) for key in KEYS}
    language = rules.language_of(row.language)
    return {
        "kind": kind.value,
        "source_id": row.source_id,
        "language": language,
        **values,
        "open": bool(row.open),
        "body": body,
        "created_at": row.created_at,
    }


@cache
def _driver_upsert_sql() -> str:
    """PostgreSQL's upsert with psycopg's own placeholders (``%(name)s``)."""
    sql = _upsert_sql("postgresql")
    assert "%" not in sql, "a literal % would be read as a placeholder"
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


def write(connection: Connection, entries: Sequence[dict[str, Any]]) -> None:
    """Upsert entries, with the engine's own index of each."""
    if not entries:
        return
    if connection.dialect.name == "postgresql":
        params = [{**e, "words": rules.document_words(e["body"])} for e in entries]
        if len(params) == 1:
            # a post: the driver's own SQL, not compiled again, with the values SQLAlchemy
            # would bind (its errors still SQLAlchemy's: a lost server is a 503, not a 500);
            # tests/test_search_index.py holds the rows equal to the batch path's
            params[0]["created_at"] = _stored_time(connection.dialect)(params[0]["created_at"])
            connection.exec_driver_sql(_driver_upsert_sql(), params[0])
            return
        connection.execute(_upsert("postgresql"), params)
        return
    if len(entries) == 1:
        _write_one(connection, entries[0])
        return
    # SQLite, several: the batch's old partitions read at once, the entries upserted and their FTS5
    # rows replaced with executemany (the id is kept by the upsert: the watermark).
    kinds = {e["kind"] for e in entries}
    where = " OR ".join(f"(kind = :k{n} AND source_id IN :s{n})" for n in range(len(kinds)))
    keys: dict[str, Any] = {}
    binds: list[Any] = []
    for n, kind in enumerate(sorted(kinds)):
        keys[f"k{n}"] = kind
        keys[f"s{n}"] = sorted({e["source_id"] for e in entries if e["kind"] == kind})
        binds.append(bindparam(f"s{n}", expanding=True))
    lookup = text(f"SELECT id, kind, source_id, scope, open FROM search_entries WHERE {where}")
    lookup = lookup.bindparams(*binds)
    old = {(row.kind, row.source_id): row for row in connection.execute(lookup, keys)}
    connection.execute(_upsert("sqlite"), list(entries))
    ids = {(row.kind, row.source_id): row.id for row in connection.execute(lookup, keys)}
    gone: dict[str, list[dict[str, int]]] = defaultdict(list)
    for row in old.values():
        gone[_fts(row.scope, row.open)].append({"id": row.id})
    for table, rows in gone.items():
        connection.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), rows)
    added: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        added[_fts(e["scope"], e["open"])].append(
            {
                "id": ids[(e["kind"], e["source_id"])],
                "t": rules.document_terms(e["body"], e["language"]),
            }
        )
    for table, rows in added.items():
        connection.execute(text(f"INSERT INTO {table} (rowid, terms) VALUES (:id, :t)"), rows)


def forget(connection: Connection, kind: SearchKind, source_ids: Iterable[int]) -> None:
    """Remove the entries of these source rows (gone, or with nothing left to index)."""
    ids = sorted(set(source_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        where = (_ENTRY.c.kind == kind.value) & _ENTRY.c.source_id.in_(chunk)
        if connection.dialect.name == "sqlite":
            found = select(_ENTRY.c.id, _ENTRY.c.scope, _ENTRY.c.open).where(where)
            for row in connection.execute(found):
                connection.execute(
                    text(f"DELETE FROM {_fts(row.scope, row.open)} WHERE rowid = :id"),
                    {"id": row.id},
                )
        connection.execute(delete(_ENTRY).where(where))


def refresh(connection: Connection, kind: SearchKind, source_ids: Iterable[int]) -> None:
    """Index these source rows as they are now (entries of rows gone are removed)."""
    ids = sorted(set(source_ids))
    dialect = connection.dialect.name
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        if len(chunk) == 1:
            rows = connection.execute(_rows_by_id(kind, dialect, one=True), {"id": chunk[0]}).all()
        else:
            rows = connection.execute(_rows_by_id(kind, dialect), {"ids": chunk}).all()
        entries = [found for row in rows if (found := entry(kind, row)) is not None]
        if dialect == "sqlite" and len(entries) == 1:  # a post: its old entry came with it
            (row,) = (row for row in rows if row.source_id == entries[0]["source_id"])
            _write_one(connection, entries[0], _Old(row.old_id, row.old_scope, row.old_open))
        else:
            write(connection, entries)
        forget(connection, kind, set(chunk) - {e["source_id"] for e in entries})


def reindex_round(
    db: Session | Connection, round_id: int, kinds: Iterable[SearchKind] | None = None
) -> None:
    """Index the round's texts of these kinds again (every kind hanging on a round by
    default): for writers that bypass the flush listener with a Core delete or update."""
    if isinstance(db, Session):
        db.flush()
        connection = db.connection()
    else:
        connection = db
    for kind in kinds or ROUND_KINDS:
        source = _source(kind)
        rows = connection.execute(select(source).where(source.c.round_id == round_id)).all()
        entries = [found for row in rows if (found := entry(kind, row)) is not None]
        write(connection, entries)
        indexed = connection.scalars(
            select(_ENTRY.c.source_id).where(
                _ENTRY.c.kind == kind.value, _ENTRY.c.round_id == round_id
            )
        ).all()
        forget(connection, kind, set(indexed) - {e["source_id"] for e in entries})


def rebuild(
    connection: Connection,
    kinds: Iterable[SearchKind] | None = None,
    progress: Callable[[SearchKind, int], None] | None = None,
) -> int:
    """Index every source row of these kinds (all by default) again, in batches; entries of
    rows gone are removed. Returns the number of entries written."""
    written = 0
    for kind in kinds or SearchKind:
        source = _source(kind)
        seen: set[int] = set()
        last = 0
        while True:
            rows = connection.execute(
                select(source)
                .where(source.c.source_id > last)
                .order_by(source.c.source_id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            last = rows[-1].source_id
            entries = [found for row in rows if (found := entry(kind, row)) is not None]
            write(connection, entries)
            seen.update(e["source_id"] for e in entries)
            written += len(entries)
            if progress is not None:
                progress(kind, len(rows))
        indexed = connection.scalars(
            select(_ENTRY.c.source_id).where(_ENTRY.c.kind == kind.value)
        ).all()
        forget(connection, kind, set(indexed) - seen)
    return written


def touched(session: Session) -> dict[SearchKind, set[int]]:
    """The source rows (by kind) a flush added, deleted, or changed in a watched column."""
    found: dict[SearchKind, set[int]] = defaultdict(set)
    for row in (*session.new, *session.deleted):
        for kind, trigger in TRIGGERS.get(type(row), ()):
            found[kind].add(trigger.source_id(row))
    for row in session.dirty:
        attributes = inspect(row).attrs
        for kind, trigger in TRIGGERS.get(type(row), ()):
            if trigger.new_only:
                continue
            if any(attributes[name].history.has_changes() for name in trigger.watched):
                found[kind].add(trigger.source_id(row))
    return found


def relanguaged(session: Session) -> set[int]:
    """Rounds whose brief language this flush changed: their paragraphs and amendments
    are in the brief's language."""
    return {
        row.id
        for row in session.dirty
        if isinstance(row, Round) and inspect(row).attrs["brief_language"].history.has_changes()
    }


def restated(session: Session) -> set[int]:
    """Rounds whose state that decides ``open`` (status, sealed) this flush changed."""
    return {
        row.id
        for row in session.dirty
        if isinstance(row, Round)
        and any(inspect(row).attrs[name].history.has_changes() for name in ROUND_STATE)
    }


def reopen_round(connection: Connection, round_id: int) -> None:
    """Write again the round's entries whose ``open`` its new state changes (a round closed
    opens its sealed positions; one reopened closes them again)."""
    for kind in OPEN_KINDS:
        source = _source(kind)
        now: dict[int, bool] = dict(
            connection.execute(
                select(source.c.source_id, source.c.open).where(source.c.round_id == round_id)
            ).all()
        )
        indexed = connection.execute(
            select(_ENTRY.c.source_id, _ENTRY.c.open).where(
                _ENTRY.c.kind == kind.value, _ENTRY.c.round_id == round_id
            )
        ).all()
        changed = [sid for sid, was in indexed if bool(now.get(sid, was)) != bool(was)]
        if changed:
            refresh(connection, kind, changed)


def on_flush(session: Session, _context: UOWTransaction) -> None:
    """Write the index entries of what this flush changed, on the flush's connection."""
    changes = touched(session)
    rounds = relanguaged(session)
    states = restated(session)
    if not changes and not rounds and not states:
        return
    connection = session.connection()
    for kind, source_ids in changes.items():
        if source_ids:
            refresh(connection, kind, source_ids)
    for round_id in sorted(rounds):
        reindex_round(connection, round_id, (SearchKind.PARAGRAPH, SearchKind.AMENDMENT))
    for round_id in sorted(states):
        reopen_round(connection, round_id)


event.listen(Session, "after_flush", on_flush)


def match_condition(dialect: str, query: rules.ParsedQuery) -> tuple[str, dict[str, str]]:
    """PostgreSQL's condition on ``search_entries`` (alias ``e``) for the query, with its
    parameters: the document matches one of the languages' queries."""
    assert dialect == "postgresql"
    parts, params = [], {}
    for code in rules.LANGUAGES:
        if query.kept[code]:
            params[f"q_{code}"] = rules.tsquery_words(query, code)
            parts.append(f"to_tsquery('{schema.configuration(code)}', CAST(:q_{code} AS text))")
    return f"e.{schema.DOCUMENT} @@ ({' || '.join(parts)})", params


def match_ids(
    connection: Connection, query_text: str, scopes: Iterable[Group | None] = (None,)
) -> set[int]:
    """The ids of the entries of these partitions that match ``query_text`` (no visibility:
    the engines' shared matching, for tests and the command line)."""
    query = rules.parse_query(query_text)
    if query.empty:
        return set()
    found: set[int] = set()
    if connection.dialect.name == "postgresql":
        condition, params = match_condition("postgresql", query)
        groups = [scope.value for scope in scopes if scope is not None]
        partition = "(e.scope IS NULL" if None in scopes else "(FALSE"
        partition += " OR e.scope IN :groups)" if groups else ")"
        statement = text(f"SELECT e.id FROM search_entries e WHERE {partition} AND {condition}")
        if groups:
            statement = statement.bindparams(bindparam("groups", expanding=True))
            params["groups"] = groups  # type: ignore[assignment]
        return set(connection.execute(statement, params).scalars())
    expression = rules.fts5_match(query)
    keys = [key for scope in scopes for key in ((schema.OPEN, None) if scope is None else (scope,))]
    for key in keys:
        table = schema.fts_table(key)
        found.update(
            connection.execute(
                text(f"SELECT rowid FROM {table} WHERE {table} MATCH :m"), {"m": expression}
            ).scalars()
        )
    return found
