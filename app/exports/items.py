"""A round's items (positions, then comments) read as rows for exports: Core queries streamed
in partitions, so memory stays flat however large the round (no ORM objects, no ``.all()``),
read as the driver's own tuples (no result rows built and unpacked again for every item)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.comments.models import Comment
from app.organisations.models import Organisation
from app.positions.models import Position
from app.summaries.access import Audience
from app.vocabulary import Visibility

#: The export contract (CSV header, JSON item keys, XLSX columns): the first ten are the ones
#: scripts rely on; later ones extend, never rename.
ITEM_COLUMNS = (
    "kind",
    "round_id",
    "group",
    "organisation",
    "author",
    "stance",
    "text",
    "created_at",
    "edited_at",
    "visibility",
    "id",
    "parent_id",
    "position_id",
    "moderation_reason",
)
#: Columns holding free text (neutralised against formula injection in spreadsheets).
TEXT_COLUMNS = frozenset({"organisation", "author", "text", "moderation_reason"})
PARTITION = 2_000

Row = tuple[Any, ...]


def _partitions(conn: Connection, statement: Select[*tuple[Any, ...]]) -> Iterator[list[Row]]:
    """The statement's rows, ``PARTITION`` at a time, as the driver returns them: plain tuples,
    without SQLAlchemy's result rows and their conversions (a third of an export's time). On
    PostgreSQL a server-side cursor of the snapshot's transaction (memory stays flat); SQLite
    steps through its own cursor. The statements take integer parameters only (the round)."""
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        cursor = dbapi.cursor(name="tripartite_export")
        cursor.execute(compiled.string, params)
    else:
        cursor = dbapi.cursor()
        cursor.execute(compiled.string, [params[name] for name in compiled.positiontup or ()])
    try:
        yield from _read_ahead(cursor)
    finally:
        cursor.close()


def _read_ahead(cursor: Any) -> Iterator[list[Row]]:
    """The cursor's partitions, fetched by a thread of their own one partition ahead: the
    database works out the next rows (PostgreSQL in its own process, SQLite without the GIL)
    while this one is formatted. The thread is stopped and gone before the cursor is closed,
    however the export ends (finished, failed, or the client gone)."""
    parts: queue.Queue[list[Row] | BaseException] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                part = list(cursor.fetchmany(PARTITION))
                parts.put(part)
                if not part:
                    return
        except BaseException as error:  # noqa: BLE001 (handed to the reader, raised there)
            parts.put(error)

    thread = threading.Thread(target=fetch, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            part = parts.get()
            if isinstance(part, BaseException):
                raise part
            if not part:
                return
            yield part
    finally:
        stop.set()
        while thread.is_alive():  # a fetch waiting for room in the queue gets it
            with contextlib.suppress(queue.Empty):
                parts.get(timeout=0.05)
        thread.join()


def _iso(conn: Connection) -> Any:
    """A timestamp as the export writes it (ISO 8601 in UTC, ``+00:00``) from what the driver
    read, skipping the UTCDateTime conversion: SQLite gives the naive UTC text it stores;
    PostgreSQL an aware datetime in the session's time zone, which export snapshots set to
    UTC."""
    if conn.dialect.name == "sqlite":
        parse = datetime.fromisoformat
        return lambda stored: parse(stored).isoformat() + "+00:00"
    return datetime.isoformat


def position_rows(conn: Connection, round_id: int) -> Iterator[list[Row]]:
    author = aliased(User)
    rows = _partitions(
        conn,
        select(
            Position.id,
            Organisation.group_name,
            Organisation.name,
            author.name.label("author"),
            Position.stance,
            Position.statement,
            Position.created_at,
            Position.updated_at,
            Position.version,
        )
        .join(Organisation, Organisation.id == Position.organisation_id)
        .join(author, author.id == Position.created_by_id)
        .where(Position.round_id == round_id)
        .order_by(Position.id),
    )
    iso = _iso(conn)
    visible = Visibility.VISIBLE.value
    for part in rows:
        yield [
            (
                "position",
                round_id,
                group,
                organisation,
                author_name,
                stance,
                statement,
                iso(created),
                iso(updated) if version > 1 else "",
                visible,
                position_id,
                "",
                "",
                "",
            )
            for (
                position_id,
                group,
                organisation,
                author_name,
                stance,
                statement,
                created,
                updated,
                version,
            ) in part
        ]


def comment_rows(conn: Connection, round_id: int, audience: Audience) -> Iterator[list[Row]]:
    """Comments in posting order. The public leaves out the text (and moderation reason) of
    hidden and pending comments; moderators get them, marked by the visibility column."""
    full = audience is Audience.MODERATOR
    visible = Visibility.VISIBLE.value
    rows = _partitions(
        conn,
        select(
            Comment.id,
            Organisation.group_name,
            Organisation.name,
            User.name.label("author"),
            Comment.body,
            Comment.created_at,
            Comment.edited_at,
            Comment.visibility,
            Comment.parent_id,
            Comment.position_id,
            Comment.moderation_reason,
        )
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .join(User, User.id == Comment.author_id)
        .where(Comment.round_id == round_id)
        .order_by(Comment.id),
    )
    iso = _iso(conn)
    for part in rows:
        yield [
            (
                "comment",
                round_id,
                group,
                organisation,
                author_name,
                "",
                body if full or visibility == visible else "",
                iso(created),
                iso(edited) if edited is not None else "",
                visibility,
                comment_id,
                parent_id or "",
                position_id or "",
                (reason or "") if full else "",
            )
            for (
                comment_id,
                group,
                organisation,
                author_name,
                body,
                created,
                edited,
                visibility,
                parent_id,
                position_id,
                reason,
            ) in part
        ]


def item_rows(conn: Connection, round_id: int, audience: Audience) -> Iterator[list[Row]]:
    yield from position_rows(conn, round_id)
    yield from comment_rows(conn, round_id, audience)
