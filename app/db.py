"""Database plumbing: the declarative base, engines, one session per request."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVarTuple, overload

from fastapi import Depends, Request
from sqlalchemy import (
    DateTime,
    Engine,
    Enum,
    Executable,
    MetaData,
    Result,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, sessionmaker
from sqlalchemy.sql.selectable import TypedReturnsRows
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Execution option that makes SQLite open the transaction with ``BEGIN IMMEDIATE``.
WRITE_OPTION = "tripartite_write"
#: A connection for one read statement alone (``one_read``): no BEGIN round trip first.
ONE_READ_OPTION = "tripartite_one_read"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_vocabulary(vocabulary: type[StrEnum], length: int) -> Enum:
    """A column of one of the domain's closed vocabularies (app.vocabulary): read as the enum,
    stored as its value in a ``VARCHAR(length)``, exactly the strings written before it was
    typed. The table's named CHECK constraint (created by the migrations) stays the database's
    guard; here an unknown string is refused before it is sent."""
    return Enum(
        vocabulary,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


@event.listens_for(Base, "mapper_configured", propagate=True)
def _vocabulary_attributes_hold_members(mapper: Mapper[Any], class_: type[Any]) -> None:
    """A vocabulary attribute set to a string (``status="open"``) holds the enum member at
    once, as one loaded from the database does: the domain rules compare members by identity.
    An unknown string is refused there and then."""
    for prop in mapper.column_attrs:
        vocabulary = getattr(prop.columns[0].type, "enum_class", None)
        if vocabulary is not None:
            event.listen(getattr(class_, prop.key), "set", _as_member(vocabulary), retval=True)


def _as_member(vocabulary: type[StrEnum]) -> Callable[..., Any]:
    def convert(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
        return vocabulary(value) if isinstance(value, str) else value

    return convert


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine with SQLite made safe for concurrent writers (WAL, real transactions)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _make_sqlite_transactional(engine)
        return engine
    _convert_long_statements_once()
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,  # connections broken by a database restart are replaced
        connect_args={
            "connect_timeout": 5,  # an unreachable server fails fast, never hangs
            # No JIT: its compilation costs seconds on a statement the planner prices high
            # (a search's visibility subplans), for queries that run in milliseconds. No
            # parallel workers: a request's statements are small, and a search's windows are
            # read in turn. (A search plans its candidates statement for its values itself:
            # app.search.service.)
            "options": "-c jit=off -c max_parallel_workers_per_gather=0",
        },
    )


#: The longest statement text, and the most parameters, psycopg keeps converted (its own
#: limits are 4 KB and 50).
LONGEST_KEPT_STATEMENT = 64 * 1024
MOST_KEPT_PARAMETERS = 200


def _convert_long_statements_once() -> None:
    """psycopg turns a statement's ``%(name)s`` placeholders into PostgreSQL's ``$1`` once per
    text, but only for a text up to 4 KB with at most 50 parameters: a search's statements
    (11 and 17 KB, the second with 101 parameters) were split by its regular expression on
    every run, a sixth of a search's Python time. Its limits are module constants read on each
    call (psycopg is pinned by requirements.lock: tests/test_search_service.py holds that the
    search's statements
    are converted once); it keeps 128 texts, the most recently used."""
    from psycopg import _queries

    for name, value in (
        ("MAX_CACHED_STATEMENT_LENGTH", LONGEST_KEPT_STATEMENT),
        ("MAX_CACHED_STATEMENT_PARAMS", MOST_KEPT_PARAMETERS),
    ):
        if getattr(_queries, name, value) < value:
            setattr(_queries, name, value)


def _make_sqlite_transactional(engine: Engine) -> None:
    """SQLAlchemy's documented recipe for pysqlite, with ``BEGIN IMMEDIATE`` for write sessions."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a killed process in WAL mode
        cursor.close()

    # Writers in this process queue on a lock before asking SQLite for its write lock: a thread
    # waiting here wakes the moment the lock is free, where SQLite's own busy handler sleeps in
    # growing steps (the long tail of write latency under load). Other processes still meet
    # at SQLite's lock, with the busy timeout. The lock is handed on once COMMIT or ROLLBACK
    # has run (SQLAlchemy's commit and rollback events come before them: a writer let in there
    # met SQLite's lock still held, and its busy handler's sleeps, on every post under load).
    writer = threading.Lock()
    holder: list[Any] = [None]  # the DBAPI connection holding ``writer``, if any

    def _release(connection: Any) -> None:
        # the pool's proxy (what SQLAlchemy hands the dialect) or the driver's own connection
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if dbapi_connection is not None and holder[0] is dbapi_connection:
            holder[0] = None
            writer.release()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(ONE_READ_OPTION, False):
            return  # one statement: SQLite's autocommit reads it consistently by itself
        immediate = options.get(WRITE_OPTION, False)
        dbapi_connection = connection.connection.dbapi_connection
        if immediate:
            writer.acquire()
            holder[0] = dbapi_connection
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _release(dbapi_connection)
            raise

    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            _release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            _release(dbapi_connection)

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 (this engine's dialect only)
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        # a connection returned without commit or rollback never keeps the writers waiting
        _release(dbapi_connection)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def open_session(factory: sessionmaker[Session], *, write: bool) -> Session:
    """A session; ``write=True`` takes SQLite's write lock when its transaction begins."""
    if write:
        return factory(execution_options={WRITE_OPTION: True})
    bind = factory.kw.get("bind")
    if bind is not None and bind.dialect.name == "postgresql":
        # Reads need no BEGIN/COMMIT round trips: under READ COMMITTED each statement sees the
        # latest committed data either way.
        return factory(execution_options={"isolation_level": "AUTOCOMMIT"})
    return factory()


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; closing it rolls back whatever the route did not commit.

    An async dependency on purpose: its teardown (returning the connection to the pool) runs
    on the event loop and never waits for a worker thread. With a sync one, requests that hold
    a connection wait for a thread while every thread waits for a connection: a deadlock under
    load."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = open_session(factory, write=request.method in WRITE_METHODS)
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


_Columns = TypeVarTuple("_Columns")


def one_read(db: Session) -> None:
    """The next statement on ``db`` is a read standing alone (commit right after it): it runs
    without a BEGIN first (SQLite) or in autocommit (PostgreSQL), one round trip instead of
    three. The session must hold no transaction yet."""
    options: dict[str, Any] = {ONE_READ_OPTION: True}
    if isinstance(db.bind, Engine) and db.bind.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    db.connection(execution_options=options)


@overload
def read(
    db: Session, statement: TypedReturnsRows[*_Columns], params: dict[str, Any] | None = None
) -> Result[*_Columns]: ...


@overload
def read(
    db: Session, statement: Executable, params: dict[str, Any] | None = None
) -> Result[*tuple[Any, ...]]: ...


def read(
    db: Session, statement: Executable, params: dict[str, Any] | None = None
) -> Result[*tuple[Any, ...]]:
    """Core execution of a column select on a hot read path: the same transaction, without the
    ORM layer (measured here: 31 µs instead of 85 µs a query). Hot paths build their statement
    once, at import, with ``bindparam`` placeholders filled by ``params``. The rows are typed as the
    select's columns (``select(Round.id, Round.title)`` gives ``Result[int, str]``)."""
    return db.connection().execute(statement, params or {})
