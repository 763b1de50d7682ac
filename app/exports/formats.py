"""The summary and items of a round written as CSV, JSON, XLSX and PDF.

CSV and JSON are generators of byte chunks (streamed over HTTP and to files alike); XLSX and
PDF are written whole (an XLSX is a zip, a PDF needs its page layout), XLSX row by row in
constant memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, select

from app.audit.models import AuditEvent
from app.audit.service import shared
from app.comments.models import Comment
from app.exports.cells import spreadsheet_safe
from app.exports.items import ITEM_COLUMNS, TEXT_COLUMNS, Row, item_rows
from app.summaries.access import Audience
from app.vocabulary import Group, Stance

FORMATS = ("csv", "json", "xlsx", "pdf")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_TEXT_INDEXES = tuple(i for i, name in enumerate(ITEM_COLUMNS) if name in TEXT_COLUMNS)
Progress = Callable[[int], None]


def _safe_row(row: Row) -> list[Any]:
    cells = list(row)
    for i in _TEXT_INDEXES:
        value = cells[i]
        if value and value[0] in "=+-@\t\r":
            cells[i] = spreadsheet_safe(value)
    return cells


def csv_chunks(
    conn: Connection, round_id: int, audience: Audience, progress: Progress | None = None
) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF line ends, quotes doubled), UTF-8 with a byte-order mark so that
    spreadsheet programs read the accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ITEM_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for part in item_rows(conn, round_id, audience):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(_safe_row, part))
        yield buffer.getvalue().encode()
        if progress:
            progress(len(part))


def json_chunks(
    conn: Connection,
    summary: dict[str, Any],
    round_id: int,
    audience: Audience,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The summary object with one more key, ``items``: every position and comment."""
    head = json.dumps(summary, ensure_ascii=False)
    yield (head[:-1] + ', "audience": ' + json.dumps(audience.value) + ', "items": [').encode()
    first = True
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for part in item_rows(conn, round_id, audience):
        body = ",\n".join(dumps(dict(zip(ITEM_COLUMNS, row, strict=True))) for row in part)
        if body:
            yield (("\n" if first else ",\n") + body).encode()
            first = False
        if progress:
            progress(len(part))
    yield b"\n]}\n"


def audit_rows(conn: Connection, round_id: int, audience: Audience) -> Iterator[Row]:
    """The round's lifecycle events; moderators also get the moderation of its comments."""
    from app.accounts.models import User

    subject = (AuditEvent.subject_type == "round") & (AuditEvent.subject_id == round_id)
    if audience is Audience.PUBLIC:
        # the round's own lifecycle only: refused attempts name people and stay with the
        # audit log's readers (moderators, administrators, observers)
        subject = subject & AuditEvent.action.startswith("round.")
    if audience is Audience.MODERATOR:
        subject = subject | (
            (AuditEvent.subject_type == "comment")
            & AuditEvent.subject_id.in_(select(Comment.id).where(Comment.round_id == round_id))
        )
    result = conn.execute(
        select(
            AuditEvent.id,
            AuditEvent.at,
            User.name,
            AuditEvent.action,
            AuditEvent.subject_type,
            AuditEvent.subject_id,
            AuditEvent.details,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(subject, shared())  # what a caucus did stays in it (app.audit.rules)
        .order_by(AuditEvent.id)
    )
    for r in result:
        yield (
            r.id,
            r.at.isoformat(),
            r.name or "system",
            r.action,
            r.subject_type,
            r.subject_id,
            r.details,
        )


def summary_table(summary: dict[str, Any]) -> list[list[Any]]:
    """The summary's figures as rows (the XLSX summary sheet)."""
    rows: list[list[Any]] = [
        ["Round", summary["round"]["title"]],
        ["Consultation", summary["round"].get("consultation", "")],
        ["Status", summary["round"]["status"]],
        ["Weighting (government:employers:workers)", summary["round"]["weighting"]],
        ["Generated at", summary["generated_at"]],
        ["Fingerprint", summary["fingerprint"]],
        [],
        [
            "Group",
            "Weight",
            "Invited",
            "Responded",
            *[s.value for s in Stance],
            "Majority",
            "Comments visible",
            "Comments hidden",
        ],
    ]
    for g in Group:
        data = summary["groups"][g.value]
        rows.append(
            [
                g.value,
                summary["weights"][g.value],
                data["invited"],
                data["responded"],
                *[data["stances"][s.value] for s in Stance],
                data["majority"] or "",
                data["comments"]["visible"],
                data["comments"]["hidden"],
            ]
        )
    rows += [[], ["Stance", "Equal-weight tally (share of the whole)", "Raw count"]]
    for s in Stance:
        rows.append([s.value, summary["tally"][s.value], summary["raw_counts"][s.value]])
    rows.append(["not expressed", summary["not_expressed"], ""])
    convergence = summary["convergence"]
    rows += [
        [],
        [
            "Convergence",
            convergence["kind"],
            convergence["stance"] or "",
            ", ".join(convergence["groups"]),
        ],
        [],
        ["Dissent: organisation", "Group", "Stance", "Group majority"],
        *[
            [d["organisation"], d["group"], d["stance"], d["group_majority"]]
            for d in summary["dissent"]
        ],
        [],
        ["Outcome", summary["outcome"] or ""],
        *[["Reservation", r["group"], r["text"]] for r in summary["reservations"]],
    ]
    return rows


def write_xlsx(
    target: str | Path | IO[bytes],
    conn: Connection,
    summary: dict[str, Any],
    round_id: int,
    audience: Audience,
    progress: Progress | None = None,
) -> None:
    """Sheets: summary, positions, comments, audit. Every cell is written as data (no formula
    parsing) and text is neutralised as in the CSV."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("summary")
    for r, row in enumerate(summary_table(summary)):
        for c, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, spreadsheet_safe(value), bold if c == 0 else None)
    positions = workbook.add_worksheet("positions")
    comments = workbook.add_worksheet("comments")
    rows_in = {positions.name: 0, comments.name: 0}
    for target_sheet in (positions, comments):
        for c, name in enumerate(ITEM_COLUMNS):
            target_sheet.write_string(0, c, name, bold)
        rows_in[target_sheet.name] = 1
    for part in item_rows(conn, round_id, audience):
        for item in part:
            target_sheet = positions if item[0] == "position" else comments
            r = rows_in[target_sheet.name]
            for c, value in enumerate(_safe_row(item)):
                if isinstance(value, int):
                    target_sheet.write_number(r, c, value)
                else:
                    target_sheet.write_string(r, c, value)
            rows_in[target_sheet.name] = r + 1
        if progress:
            progress(len(part))
    audit = workbook.add_worksheet("audit")
    for c, name in enumerate(
        ["id", "at", "actor", "action", "subject_type", "subject_id", "details"]
    ):
        audit.write_string(0, c, name, bold)
    for r, event in enumerate(audit_rows(conn, round_id, audience), start=1):
        for c, value in enumerate(event):
            if isinstance(value, int):
                audit.write_number(r, c, value)
            else:
                audit.write_string(r, c, spreadsheet_safe(value))
    workbook.close()


def item_count(conn: Connection, round_id: int) -> int:
    from sqlalchemy import func

    from app.positions.models import Position

    positions = conn.execute(
        select(func.count()).select_from(Position).where(Position.round_id == round_id)
    ).scalar_one()
    comments = conn.execute(
        select(func.count()).select_from(Comment).where(Comment.round_id == round_id)
    ).scalar_one()
    return int(positions) + int(comments)
