"""The export's hand-written CSV lines are byte for byte what the csv module writes for the
same neutralised cells (the contract outside scripts parse)."""

from __future__ import annotations

import csv
import io
import itertools

from app.exports.formats import _safe_row, csv_lines

TEXTS = [
    "",
    "plain",
    "a, comma",
    'a "quote"',
    "two\nlines",
    "carriage\rreturn",
    "crlf\r\nend",
    "=1+1",
    "+33 1 23",
    "-minus, then comma",
    "@mention",
    "\ttab first",
    "\rreturn first",
    "'already quoted",
    "accents é ñ ü — ‘curly’ «guillemets»",
    " leading space and trailing ",
    '"',
    ",",
    '="HYPERLINK(""x"")"',
]


def _rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for i, (text, reason) in enumerate(itertools.product(TEXTS, TEXTS[:6])):
        rows.append(
            (
                "comment" if i % 2 else "position",
                7,
                "workers",
                TEXTS[i % len(TEXTS)],
                TEXTS[(i * 3) % len(TEXTS)],
                "support" if i % 2 == 0 else "",
                text,
                "2026-11-05T17:28:17.238246+00:00",
                "" if i % 3 else "2026-11-05T17:38:17+00:00",
                "visible",
                i + 1,
                "" if i % 4 else i,
                "" if i % 5 else 3,
                reason,
            )
        )
    return rows


def test_csv_lines_match_the_csv_module() -> None:
    rows = _rows()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(map(_safe_row, rows))
    assert csv_lines(rows) == buffer.getvalue()
    assert csv_lines([]) == ""


def test_csv_lines_read_back_as_the_neutralised_cells() -> None:
    rows = _rows()
    read = list(csv.reader(io.StringIO(csv_lines(rows), newline="")))
    assert read == [[str(cell) for cell in _safe_row(row)] for row in rows]
