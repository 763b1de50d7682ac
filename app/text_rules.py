"""Rules for what people type on one line (titles, names, countries) and for the dates they
give. Pure: text and datetimes in, cleaned values or refusals out.

A single-line field never holds a line break (it may end up in an email's header), a control
character (PostgreSQL refuses NUL; the others are invisible) or a bidirectional formatting
character (U+202E "right-to-left override" turns the rest of a sentence around, so a name could
reverse the attribution of what is shown next to it). They are refused, with the field named,
rather than silently dropped: the person sees what was wrong. ``one_line`` is the other half:
for what must fit on one line whatever is already stored (an email's subject), it cleans and
never refuses.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from app.errors import DomainError
from app.i18n import gettext as _

#: Line and paragraph separators: CR, LF, VT, FF, the information separators Python splits
#: lines on, NEL, and Unicode's LINE and PARAGRAPH SEPARATOR.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: Bidirectional formatting characters: marks (LRM, RLM, ALM), embeddings and overrides
#: (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")
#: C0 controls (NUL included; TAB aside: it is whitespace, folded into a space), DEL, the C1
#: controls, and the bidirectional formatting characters.
_CONTROL = re.compile(f"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f{BIDI_CONTROLS}]")
#: The earliest and latest dates a form accepts (a deadline, an opening, a mandate's expiry).
EARLIEST_YEAR = 2000
LATEST_YEARS_AHEAD = 10


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a line break, a control or a bidirectional formatting character."""
    return bool(_LINE_BREAK.search(text) or _CONTROL.search(text))


def clean_line(text: str, field: str) -> str:
    """One line of text as it is kept: NFC, runs of spaces (and tabs) as one space, trimmed.
    Refuses line breaks, control characters (NUL included) and bidirectional formatting
    characters. Emptiness and length are the caller's to check."""
    text = unicodedata.normalize("NFC", text)
    if _LINE_BREAK.search(text):
        raise DomainError(
            _("Write this on one line: line breaks are not allowed here."), field=field
        )
    if _CONTROL.search(text):
        raise DomainError(
            _(
                "This contains invisible control characters (such as text-direction marks); "
                "remove them and try again."
            ),
            field=field,
        )
    return " ".join(text.split())


def one_line(text: str) -> str:
    """``text`` made safe for one line, whatever it holds: line breaks become spaces, control
    and bidirectional formatting characters are dropped, spaces are folded. Never refuses (for
    what is already stored, e.g. an email's subject)."""
    text = _CONTROL.sub("", _LINE_BREAK.sub(" ", text))
    return " ".join(text.split())


def latest_date(now: datetime) -> datetime:
    """The latest date a form accepts: ten years from ``now`` (29 February: the 28th)."""
    year = now.year + LATEST_YEARS_AHEAD
    try:
        return now.replace(year=year)
    except ValueError:
        return now.replace(year=year, day=28)


def check_plausible_date(value: datetime, now: datetime, field: str) -> datetime:
    """A date a person gave (a deadline, an opening time, a mandate's expiry), refused when it
    is absurd: before 2000, or more than ten years ahead."""
    earliest = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
    when = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if when < earliest or when > latest_date(now):
        raise DomainError(
            _("Give a date between the year %(earliest)s and ten years from now.")
            % {"earliest": EARLIEST_YEAR},
            field=field,
        )
    return value


def parse_deadline(value: str, field: str, now: datetime) -> datetime | None:
    """A ``datetime-local`` form value, read as UTC (None when empty); an absurd one (before
    2000, more than ten years after ``now``) is refused beside its field."""
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            parsed = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return check_plausible_date(parsed, now, field)
    raise DomainError(_("Give a date and time, like 2027-03-31T17:00."), field=field)


def small_id(text: str) -> int | None:
    """A row id as a form or a query string sends it: ASCII digits (``str.isdigit`` is true
    for "²", which ``int`` refuses), short enough for the database's integer; None otherwise."""
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 9:
        return int(cleaned)
    return None


#: Controls a text of several lines may not hold (NUL included: PostgreSQL refuses it); line
#: breaks and tabs are its own.
_BLOCK_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_block(text: str, field: str) -> str:
    """A text of several lines as it is kept: line endings as ``\\n``, NFC, trimmed. Refuses
    control characters (NUL included) beside ``field``."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if _BLOCK_CONTROL.search(text):
        raise DomainError(
            _(
                "This contains invisible control characters (such as text-direction marks); "
                "remove them and try again."
            ),
            field=field,
        )
    return text
