"""The summary and items of a round written as CSV, JSON, XLSX and PDF.

CSV and JSON are generators of byte chunks (streamed over HTTP and to files alike); XLSX and
PDF are written whole (an XLSX is a zip, a PDF needs its page layout), XLSX row by row in
constant memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, select

from app import markdown
from app.audit.models import AuditEvent
from app.audit.service import shared
from app.comments.models import Comment
from app.exports.cells import FORMULA_STARTS, spreadsheet_safe
from app.exports.items import ITEM_COLUMNS, TEXT_COLUMNS, Row, item_rows
from app.i18n import N_, Labels
from app.i18n import gettext as _
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


#: What makes a CSV field quoted (csv's QUOTE_MINIMAL with "," and CRLF line ends).
_NEEDS_QUOTES = re.compile(r'[,"\r\n]').search


def csv_text(value: str) -> str:
    """A free-text CSV field as ``csv.writer`` writes it after ``spreadsheet_safe``: a leading
    apostrophe before a formula start, then quoted (quotes doubled) if it holds a comma, a
    quote or a line end."""
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if _NEEDS_QUOTES(value):
        return '"' + value.replace('"', '""') + '"'
    return value


class _Names(dict[str, str]):
    """Organisation and author names as CSV fields, each worked out once per export."""

    def __missing__(self, name: str) -> str:
        field = self[name] = csv_text(name)
        return field


def csv_lines(part: list[Row], names: dict[str, str] | None = None) -> str:
    """Item rows as CSV lines, byte for byte what ``csv.writer`` writes for ``_safe_row``s, in
    one pass of string formatting (4x faster than the csv module on long texts). Only the free
    text columns can hold a comma, a quote or a line end: codes, numbers and times never do."""
    q, n = csv_text, _Names() if names is None else names
    return "".join(
        [
            f"{kind},{round_id},{group},{n[organisation]},{n[author]},{stance},{q(text)},"
            f"{created},{edited},{visibility},{item_id},{parent},{position},"
            f"{q(reason) if reason else ''}\r\n"
            for (
                kind,
                round_id,
                group,
                organisation,
                author,
                stance,
                text,
                created,
                edited,
                visibility,
                item_id,
                parent,
                position,
                reason,
            ) in part
        ]
    )


def csv_chunks(
    conn: Connection, round_id: int, audience: Audience, progress: Progress | None = None
) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF line ends, quotes doubled), UTF-8 with a byte-order mark so that
    spreadsheet programs read the accents right. One chunk per partition of rows."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(ITEM_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    names = _Names()
    for part in item_rows(conn, round_id, audience):
        yield csv_lines(part, names).encode()
        if progress:
            progress(len(part))


def json_chunks(
    conn: Connection,
    summary: dict[str, Any],
    round_id: int,
    audience: Audience,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The summary object with one more key, ``items``: every position and comment, one item
    per line (as before: scripts may read the items line by line), each encoded by orjson."""
    head = json.dumps(summary, ensure_ascii=False)
    yield (head[:-1] + ', "audience": ' + json.dumps(audience.value) + ', "items": [').encode()
    first = True
    dumps, columns = orjson.dumps, ITEM_COLUMNS
    for part in item_rows(conn, round_id, audience):
        if part:
            body = b",\n".join([dumps(dict(zip(columns, row, strict=True))) for row in part])
            yield (b"\n" if first else b",\n") + body
            first = False
        if progress:
            progress(len(part))
    yield b"\n]}\n"


def audit_rows(conn: Connection, round_id: int, audience: Audience) -> Iterator[Row]:
    """The round's lifecycle events; moderators also get the moderation of its comments:
    (id, at, actor, action, subject_type, subject_id, details as recorded)."""
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
        yield (r.id, r.at, r.name, r.action, r.subject_type, r.subject_id, r.details)


#: A comment's visibility in words.
VISIBILITY_TEXT = Labels(
    {"visible": N_("visible"), "hidden": N_("hidden"), "pending": N_("awaiting approval")}
)


class Percent(float):
    """A share of the whole (0..1), shown as a percentage."""


class Code(str):
    """A code of the export's vocabulary, written as it is (never translated)."""


def _words(labels: Any, value: str | None) -> str:
    return labels[value] if value in labels else (value or "")


def summary_table(summary: dict[str, Any]) -> list[list[Any]]:
    """The summary's figures as rows (the XLSX summary sheet): labelled in the reader's
    language, each code in a column of its own (the last), shares as percentages and the
    time as a date."""
    from app.summaries.view import CONVERGENCE_LABELS, STANCE_TEXT, STATUS_TEXT

    stance = STANCE_TEXT
    status = summary["round"]["status"]
    generated = datetime.fromisoformat(summary["generated_at"])
    rows: list[list[Any]] = [
        [_("Round"), summary["round"]["title"]],
        [_("Consultation"), summary["round"].get("consultation", "")],
        [_("Status"), _words(STATUS_TEXT, status), Code(status)],
        [
            _("Weighting (government:employers:workers)"),
            Code(summary["round"]["weighting"]),
        ],
        [_("Generated at"), generated],
        [_("Fingerprint"), Code(summary["fingerprint"])],
        [],
        [
            _("Group"),
            _("Weight"),
            _("Invited"),
            _("Responded"),
            *[stance[s.value] for s in Stance],
            _("Majority"),
            _("Comments visible"),
            _("Comments hidden"),
            _("Group code"),
            _("Majority code"),
        ],
    ]
    for g in Group:
        data = summary["groups"][g.value]
        rows.append(
            [
                g.label,
                Percent(summary["weights"][g.value]),
                data["invited"],
                data["responded"],
                *[data["stances"][s.value] for s in Stance],
                _words(stance, data["majority"]),
                data["comments"]["visible"],
                data["comments"]["hidden"],
                Code(g.value),
                Code(data["majority"] or ""),
            ]
        )
    rows += [
        [],
        [
            _("Stance"),
            _("Equal-weight tally (share of the whole)"),
            _("Raw count"),
            _("Stance code"),
        ],
    ]
    for s in Stance:
        rows.append(
            [
                stance[s.value],
                Percent(summary["tally"][s.value]),
                summary["raw_counts"][s.value],
                Code(s.value),
            ]
        )
    rows.append(
        [stance["not_expressed"], Percent(summary["not_expressed"]), "", Code("not_expressed")]
    )
    convergence = summary["convergence"]
    rows += [
        [],
        [
            _("Convergence"),
            CONVERGENCE_LABELS[convergence["kind"]],
            _words(stance, convergence["stance"]),
            ", ".join(Group(g).label for g in convergence["groups"]),
            Code(convergence["kind"]),
            Code(convergence["stance"] or ""),
        ],
        [],
        [_("Dissent: organisation"), _("Group"), _("Stance"), _("Group majority")],
        *[
            [
                d["organisation"],
                Group(d["group"]).label,
                _words(stance, d["stance"]),
                _words(stance, d["group_majority"]),
                Code(d["group"]),
                Code(d["stance"]),
                Code(d["group_majority"] or ""),
            ]
            for d in summary["dissent"]
        ],
        [],
        [_("Outcome"), markdown.plain_text(summary["outcome"])],
        *[
            [_("Reservation"), Group(r["group"]).label, r["text"], Code(r["group"])]
            for r in summary["reservations"]
        ],
    ]
    return rows


#: Readable cell formats: a time to the minute (written in UTC, as the column says), a share
#: with one decimal.
DATE_FORMAT = "dd mmm yyyy hh:mm"
PERCENT_FORMAT = "0.0%"
#: The item columns written as dates, and those given a column of words after the contract's.
_TIME_INDEXES = tuple(ITEM_COLUMNS.index(name) for name in ("created_at", "edited_at"))
_GROUP, _STANCE, _VISIBILITY = (ITEM_COLUMNS.index(n) for n in ("group", "stance", "visibility"))


def _utc(value: datetime) -> datetime:
    """A time for a spreadsheet cell (which has no time zone): in UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _item_words() -> list[str]:
    return [
        _("Group (in words)"),
        _("Stance (in words)"),
        _("Visibility (in words)"),
        _("Time zone"),
    ]


def _words_of(item: Row) -> list[str]:
    from app.rounds.rules import STANCE_LABELS

    group, stance, visibility = item[_GROUP], item[_STANCE], item[_VISIBILITY]
    return [
        Group(group).label if group in set(Group) else str(group or ""),
        STANCE_LABELS[Stance(stance)] if stance in set(Stance) else "",
        _words(VISIBILITY_TEXT, visibility),
        "UTC",
    ]


def _audit_columns() -> list[str]:
    """The columns of old (the codes, where scripts find them), then the event in words."""
    return [
        "id",
        "at",
        "actor",
        "action",
        "subject_type",
        "subject_id",
        _("What happened"),
        _("Changes and details"),
    ]


def told_audit_rows(conn: Connection, round_id: int, audience: Audience) -> list[list[Any]]:
    """The audit sheet written like the audit log: the sentence, what changed and what else
    was recorded in words, then the codes. Names loaded once for every event."""
    from app.accounts.models import User
    from app.audit import rules
    from app.organisations.models import Organisation
    from app.rounds.models import Round

    rows = list(audit_rows(conn, round_id, audience))
    events = [
        rules.Event(action, actor, subject_type, subject_id, at, _json_object(details))
        for _id, at, actor, action, subject_type, subject_id, details in rows
    ]
    users, organisations, rounds = rules.wanted(events)

    def named(query: Any, ids: set[int]) -> dict[int, str]:
        return {row[0]: row[1] for row in conn.execute(query)} if ids else {}

    names = rules.Names(
        users=named(select(User.id, User.name).where(User.id.in_(users)), users),
        organisations=named(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisations)),
            organisations,
        ),
        rounds=named(select(Round.id, Round.title).where(Round.id.in_(rounds)), rounds),
    )
    written: list[list[Any]] = []
    for row, event in zip(rows, events, strict=True):
        told = rules.tell(event, names)
        pair = _("%(label)s: %(value)s")
        details = [
            pair % {"label": c.label, "value": f"{c.before} → {c.after}"} for c in told.changes
        ]
        details += [pair % {"label": f.label, "value": f.value} for f in told.facts]
        written.append(
            [
                row[0],
                event.at,
                event.actor or _("the system"),
                Code(event.action),
                Code(event.subject_type),
                event.subject_id if event.subject_id is not None else "",
                told.sentence,
                "\n".join(details),
            ]
        )
    return written


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_xlsx(
    target: str | Path | IO[bytes],
    conn: Connection,
    summary: dict[str, Any],
    round_id: int,
    audience: Audience,
    progress: Progress | None = None,
) -> None:
    """Sheets: summary, positions, comments, audit. Every cell is written as data (no formula
    parsing) and text is neutralised as in the CSV; numbers are numbers (shares with a
    percentage format), times are dates; labels are in the reader's language, codes in
    columns of their own."""
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
    when = workbook.add_format({"num_format": DATE_FORMAT})
    share = workbook.add_format({"num_format": PERCENT_FORMAT})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})

    def cell(sheet: Any, r: int, c: int, value: Any, text_format: Any = None) -> None:
        if isinstance(value, bool):
            sheet.write_string(r, c, _("yes") if value else _("no"), text_format)
        elif isinstance(value, Percent):
            sheet.write_number(r, c, float(value), share)
        elif isinstance(value, int | float):
            sheet.write_number(r, c, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(r, c, _utc(value), when)
        else:
            sheet.write_string(r, c, spreadsheet_safe(value), text_format)

    sheet = workbook.add_worksheet("summary")
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 22)
    for r, row in enumerate(summary_table(summary)):
        for c, value in enumerate(row):
            cell(sheet, r, c, value, bold if c == 0 else None)
    positions = workbook.add_worksheet("positions")
    comments = workbook.add_worksheet("comments")
    rows_in = {positions.name: 0, comments.name: 0}
    extra = _item_words()
    for target_sheet in (positions, comments):
        for c, name in enumerate([*ITEM_COLUMNS, *extra]):
            target_sheet.write_string(0, c, name, bold)
        for c in _TIME_INDEXES:
            target_sheet.set_column(c, c, 18)
        rows_in[target_sheet.name] = 1
    for part in item_rows(conn, round_id, audience):
        for item in part:
            target_sheet = positions if item[0] == "position" else comments
            r = rows_in[target_sheet.name]
            values = _safe_row(item)
            for c in _TIME_INDEXES:
                if values[c]:
                    values[c] = datetime.fromisoformat(values[c])
            for c, value in enumerate([*values, *_words_of(item)]):
                if isinstance(value, int) or isinstance(value, datetime):
                    cell(target_sheet, r, c, value)
                else:
                    target_sheet.write_string(r, c, value)
            rows_in[target_sheet.name] = r + 1
        if progress:
            progress(len(part))
    audit = workbook.add_worksheet("audit")
    audit.set_column(1, 1, 18)
    audit.set_column(6, 7, 60)
    for c, name in enumerate(_audit_columns()):
        audit.write_string(0, c, name, bold)
    for r, event in enumerate(told_audit_rows(conn, round_id, audience), start=1):
        for c, value in enumerate(event):
            cell(audit, r, c, value, wrapped if c in (6, 7) else None)
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
