"""Languages of the interface: English, French and Spanish (the ILO's working languages).

The language of a request is, in order: the one the person chose (a cookie set by the
language switcher, and kept on their account), else the best match of the browser's
``Accept-Language``, else English. Messages come from Babel catalogues in ``app/locale``
(``make translations`` extracts, updates and compiles them; the build compiles them, and a
catalogue not yet compiled is read from its ``.po``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT = "en"
COOKIE = "tripartite_lang"
#: The viewer's time zone (an IANA name) for dates and times; UTC unless they chose one.
ZONE_COOKIE = "tripartite_tz"
DEFAULT_ZONE = "UTC"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)
_zone: ContextVar[str] = ContextVar("time_zone", default=DEFAULT_ZONE)


@cache
def time_zones() -> tuple[str, ...]:
    """The time zones a person can choose: UTC and every IANA area/city name."""
    named = {
        z
        for z in available_timezones()
        if "/" in z and z.split("/")[0] in _AREAS and not z.startswith("Etc/")
    }
    return (DEFAULT_ZONE, *sorted(named))


_AREAS = {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian"}
_AREAS |= {"Pacific"}


def is_time_zone(name: str | None) -> bool:
    return name in time_zones()


def current_zone() -> str:
    return _zone.get()


def use_zone(name: str | None) -> None:
    """Write the rest of this request's times in ``name`` (UTC when it is not a zone)."""
    _zone.set(name if name and is_time_zone(name) else DEFAULT_ZONE)


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The language to answer in. Pure."""
    if chosen in LANGUAGES:
        return chosen
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else DEFAULT


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT:
        return NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled = folder / "messages.mo"
    source = folder / "messages.po"
    if compiled.exists() and (
        not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        return Translations.load(str(LOCALE_DIR), [language])
    if not source.exists():
        return NullTranslations()
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current_language() -> str:
    return _current.get()


def text_language(chosen: str | None) -> str:
    """The language a posted text is recorded in: the one its author chose, else the language
    of the page they wrote it on."""
    return chosen if chosen in LANGUAGES else _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


class Labels(Mapping[Any, str]):
    """A fixed mapping of labels (written in English, marked with ``N_``) that answers each
    lookup in the current language, so module-level tables can be translated per request."""

    def __init__(self, labels: Mapping[Any, str]) -> None:
        self._labels = dict(labels)

    def __getitem__(self, key: Any) -> str:
        return gettext(self._labels[key])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def english(self, key: Any) -> str:
        return str(self._labels[key])


def format_datetime(value: datetime, with_time: bool = True) -> str:
    """A timestamp in the reader's language and time zone, always saying which zone (deadlines
    are read across time zones): "28 Nov 2026, 09:30 UTC", "28 nov. 2026, 10:30 UTC+01:00".

    Never raises, whatever the date: at the ends of the calendar (31 December 9999 read east of
    UTC is in year 10000) the time is written in UTC instead, and if even that cannot be
    written, in ISO 8601."""
    when = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    local = _in_zone(when, ZoneInfo(_zone.get()))
    language = _current.get()
    try:
        if not with_time:
            return babel_dates.format_date(local, "dd MMM y", locale=language)
        # the time is converted already: babel only writes it (no zone in the pattern)
        text = babel_dates.format_datetime(local, "dd MMM y, HH:mm", locale=language)
    except (OverflowError, ValueError, ArithmeticError, LookupError, TypeError):
        return local.isoformat(timespec="minutes") if with_time else local.date().isoformat()
    return f"{text} {zone_label(local)}"


def _in_zone(when: datetime, zone: ZoneInfo) -> datetime:
    """``when`` in ``zone``; in UTC when that would leave the calendar (years 1 to 9999); as it
    is when even that would."""
    for target in (zone, UTC):
        try:
            return when.astimezone(target)
        except (OverflowError, ValueError):
            continue
    return when


def zone_label(when: datetime) -> str:
    """ "UTC", or the offset from it ("UTC+05:30", "UTC-03:00") of an aware time."""
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def format_percent(share: float) -> str:
    """A share of the whole (0..1) as a percentage with one decimal, in the reader's language."""
    return babel_numbers.format_percent(share, "#,##0.0%", locale=_current.get())


@contextmanager
def speaking(language: str | None, zone: str | None = None) -> Iterator[None]:
    """Write what is built inside in ``language`` and ``zone`` (a notification or an email for
    someone other than the person making the request), then go back."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    zone_token = _zone.set(zone if zone and is_time_zone(zone) else DEFAULT_ZONE)
    try:
        yield
    finally:
        _current.reset(token)
        _zone.reset(zone_token)


def use(language: str) -> None:
    """Answer the rest of this request (or command) in ``language``."""
    _current.set(language if language in LANGUAGES else DEFAULT)


class LanguageMiddleware:
    """Sets the request's language before anything renders."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.lower(): v for k, v in scope.get("headers", [])}
            chosen = _cookie(headers.get(b"cookie", b"").decode("latin-1"), COOKIE)
            accept = headers.get(b"accept-language", b"").decode("latin-1")
            zone = _cookie(headers.get(b"cookie", b"").decode("latin-1"), ZONE_COOKIE)
            token = _current.set(negotiate(chosen, accept))
            zone_token = _zone.set(zone if zone and is_time_zone(zone) else DEFAULT_ZONE)
            try:
                await self.app(scope, receive, send)
            finally:
                _current.reset(token)
                _zone.reset(zone_token)
            return
        await self.app(scope, receive, send)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')  # a value with "/" (a time zone) is sent quoted
    return None
