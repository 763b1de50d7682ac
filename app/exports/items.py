"""A round's items (positions, then comments) read as rows for exports: Core queries streamed
in partitions, so memory stays flat however large the round (no ORM objects, no ``.all()``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, DateTime, String, select, type_coerce
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
#: Server-side cursors on PostgreSQL, fetched a partition at a time (per statement: the
#: connection's own options stay as they were).
STREAM = {"stream_results": True, "max_row_buffer": PARTITION}

Row = tuple[Any, ...]


def _utc_suffix(conn: Connection) -> str:
    """What completes a timestamp read raw (without the UTCDateTime conversion, the costliest
    step per row): SQLite stores naive UTC; PostgreSQL answers in the session's time zone,
    which export snapshots set to UTC."""
    return "+00:00" if conn.dialect.name == "sqlite" else ""


def _raw(column: Any) -> Any:
    return type_coerce(column, DateTime())


def _stored(column: Any) -> Any:
    """A vocabulary column (group, stance, visibility) as the string stored, which the export
    writes as it is, without its conversion to the enum on every row."""
    return type_coerce(column, String())


def position_rows(conn: Connection, round_id: int) -> Iterator[list[Row]]:
    author = aliased(User)
    result = conn.execute(
        select(
            Position.id,
            _stored(Organisation.group_name),
            Organisation.name,
            author.name.label("author"),
            _stored(Position.stance),
            Position.statement,
            _raw(Position.created_at),
            _raw(Position.updated_at),
            Position.version,
        )
        .join(Organisation, Organisation.id == Position.organisation_id)
        .join(author, author.id == Position.created_by_id)
        .where(Position.round_id == round_id)
        .order_by(Position.id),
        execution_options=STREAM,
    )
    tz = _utc_suffix(conn)
    visible = Visibility.VISIBLE.value
    for part in result.partitions(PARTITION):
        yield [
            (
                "position",
                round_id,
                group,
                organisation,
                author_name,
                stance,
                statement,
                created.isoformat() + tz,
                updated.isoformat() + tz if version > 1 else "",
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
    result = conn.execute(
        select(
            Comment.id,
            _stored(Organisation.group_name),
            Organisation.name,
            User.name.label("author"),
            Comment.body,
            _raw(Comment.created_at),
            _raw(Comment.edited_at),
            _stored(Comment.visibility),
            Comment.parent_id,
            Comment.position_id,
            Comment.moderation_reason,
        )
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .join(User, User.id == Comment.author_id)
        .where(Comment.round_id == round_id)
        .order_by(Comment.id),
        execution_options=STREAM,
    )
    tz = _utc_suffix(conn)
    for part in result.partitions(PARTITION):
        yield [
            (
                "comment",
                round_id,
                group,
                organisation,
                author_name,
                "",
                body if full or visibility == visible else "",
                created.isoformat() + tz,
                edited.isoformat() + tz if edited is not None else "",
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
