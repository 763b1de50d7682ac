"""The htmx protocol and template rendering in a few functions (one tree serves JS and no-JS)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.datastructures import URL, URLPath

from app import confirmations, i18n, markdown
from app.accounts.rules import ROLE_LABELS
from app.caucus.rules import CAUCUS_TITLES, STATEMENT_TITLES
from app.caucus.rules import publish_refusal as statement_publish_refusal
from app.cycle import subjects
from app.errors import DomainError
from app.moderation.rules import (
    GROUP_IN_SENTENCE,
    HIDE_REASONS,
    dismiss_flags_refusal,
    group_list,
    seen_fingerprint,
    shown_reason,
)
from app.officers.rules import ROLE_LABELS as OFFICER_LABELS
from app.rounds.rules import ROUND_STATUS_LABELS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
HTMX_FILE = "vendor/htmx-2.0.11.min.js"
#: htmx's extension for server-sent events (the round page's live updates), loaded after htmx
SSE_FILE = "vendor/htmx-ext-sse-2.2.4.js"


def base_context(request: Request) -> dict[str, Any]:
    csrf = request.scope.get("csrftoken")
    return {
        "viewer": getattr(request.state, "viewer", None),
        "csrftoken": csrf() if callable(csrf) else "",
        "role_labels": ROLE_LABELS,
        "htmx_file": HTMX_FILE,
        "sse_file": SSE_FILE,
        "confirmation": confirmations.shown(request),
    }


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[base_context])
templates.env.autoescape = True  # every template, whatever its name
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
templates.env.globals["current_language"] = i18n.current_language
templates.env.globals["languages"] = i18n.LANGUAGES
templates.env.globals["current_zone"] = i18n.current_zone
templates.env.globals["time_zones"] = i18n.time_zones
templates.env.auto_reload = False  # no stat() per include: restart to see template changes


def datetime_format(value: datetime | date | str | None, fmt: str = "") -> str:
    """Dates in the reader's language; ``fmt`` "%d %b %Y" (any date-only format) drops the
    time. An ISO 8601 text (a summary's ``generated_at``) is read as the time it says. Never
    raises (see ``i18n.format_datetime``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    return i18n.format_datetime(value, with_time="%H" in fmt or not fmt)


def time_left(deadline: datetime | None, now: datetime) -> str:
    """“3 days 4 hours”, “2 hours 5 minutes”, “4 minutes”: how long until the deadline."""
    if deadline is None:
        return ""
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return i18n.gettext("no time")
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = max(1, rest // 60) if not (days or hours) else rest // 60
    units = {
        "day": lambda n: i18n.ngettext("%(num)d day", "%(num)d days", n) % {"num": n},
        "hour": lambda n: i18n.ngettext("%(num)d hour", "%(num)d hours", n) % {"num": n},
        "minute": lambda n: i18n.ngettext("%(num)d minute", "%(num)d minutes", n) % {"num": n},
    }
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    words = [units[unit](n) for n, unit in parts if n]
    return " ".join(words) or i18n.gettext("less than a minute")


def isolated(value: object) -> Markup:
    """A name (a person's, an organisation's) isolated from the text around it, in ``<bdi>``:
    its direction (an Arabic or Hebrew name in an English sentence, or a right-to-left override
    stored before names were checked) never turns the words next to it around. Escaped."""
    return Markup("<bdi>%s</bdi>") % ("" if value is None else value)


_FSI, _PDI = confirmations.FSI, confirmations.PDI
_ISOLATED = re.compile(f"{_FSI}([^{_FSI}{_PDI}]*){_PDI}")


def confirmation_html(text: str) -> Markup:
    """A confirmation, escaped, its isolated names (``confirmations.isolate``) in ``<bdi>``."""
    escaped = _ISOLATED.sub(r"<bdi>\1</bdi>", str(escape(text)))
    return Markup(escaped.replace(_FSI, "").replace(_PDI, ""))


def trusted_html(value: str | None) -> Markup:
    """HTML that was sanitised when it was written (``*_html`` columns) — never raw input."""
    return Markup(value or "")


def markdown_filter(value: str | None) -> Markup:
    return Markup(markdown.render(value or ""))


_URL_PATHS: dict[tuple[str, tuple[tuple[str, Any], ...]], URLPath] = {}
#: The router that names the paths: the first app's of this process. Every app ``create_app``
#: builds names the same routes with the same paths (the same routers, included without a
#: prefix; tests/test_web.py holds two apps' equal), and FastAPI analyses an included router's
#: routes on its first ``url_path_for`` (their dependencies, signatures and models: ~0.1 s), so
#: it is done once a process rather than once an app (tests build an app for every browser).
_NAMING: list[Any] = []


def _url_path(router: Any, name: str, params: tuple[tuple[str, Any], ...]) -> URLPath:
    key = (name, params)
    path = _URL_PATHS.get(key)
    if path is None:
        if not _NAMING:
            _NAMING.append(router)
        if len(_URL_PATHS) > 20_000:
            _URL_PATHS.clear()
        path = _URL_PATHS[key] = cast(URLPath, _NAMING[0].url_path_for(name, **dict(params)))
    return path


def url_path(request: Request, name: str, /, **path_params: Any) -> str:
    """The path of a named route (memoised)."""
    return str(_url_path(request.app.router, name, tuple(sorted(path_params.items()))))


@pass_context
def cached_url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """The address of a named route, as a path on this site: never built from the request's
    ``Host`` (a page, or a region of it cached for everybody, must not link to wherever one
    request said the site was). The route lookup is memoised (Starlette's walks every route:
    ~0.15 ms a call, measured, and a page makes dozens)."""
    request: Request = context["request"]
    return URL(str(_url_path(request.app.router, name, tuple(sorted(path_params.items())))))


_DRAWN: ContextVar[list[str] | None] = ContextVar("tripartite_keys_drawn", default=None)


def new_key() -> str:
    """A form's idempotency key: a double click or a retry never posts twice."""
    key = secrets.token_urlsafe(16)
    drawn = _DRAWN.get()
    if drawn is not None:
        drawn.append(key)
    return key


@contextmanager
def drawing_keys() -> Iterator[list[str]]:
    """The idempotency keys drawn meanwhile (a kept page gets fresh ones in their place for
    each response: app/rounds/page_cache.py)."""
    drawn: list[str] = []
    reset = _DRAWN.set(drawn)
    try:
        yield drawn
    finally:
        _DRAWN.reset(reset)


_FIRST_TAG = re.compile(r"<[A-Za-z][\w-]*")


def out_of_band(fragment: str) -> Markup:
    """A region marked for an htmx out-of-band swap: the attribute goes on its root element
    (the first tag, which carries the id htmx swaps by). The one way regions are swapped out
    of band, rendered now or taken from the fragment cache."""
    html = str(fragment)
    found = _FIRST_TAG.search(html)
    if found is None:
        return Markup(html)
    return Markup(html[: found.end()] + ' hx-swap-oob="true"' + html[found.end() :])


def file_size(size: int) -> str:
    """A file's size as a reader says it: 840 kB, 12.5 MB (decimal units, in their language)."""
    from babel.numbers import format_decimal

    if size < 1_000_000:
        return f"{format_decimal(max(1, round(size / 1000)), locale=i18n.current_language())} kB"
    amount = format_decimal(size / 1_000_000, format="#,##0.#", locale=i18n.current_language())
    return f"{amount} MB"


def path_segment(value: object) -> str:
    """A value as one segment of a path (a country's name may hold a space or a slash)."""
    return quote(str(value), safe="")


# The template environment, configured here and nowhere else: labels (the vocabulary in the
# reader's language) and formatting filters. Nothing here reads the database: what a page
# shows is assembled before rendering (app/rounds/page.py for the round page).
templates.env.globals.update(
    url_for=cached_url_for,
    new_key=new_key,
    round_status_labels=ROUND_STATUS_LABELS,
    officer_labels=OFFICER_LABELS,
    hide_reasons=HIDE_REASONS,
    moderation_reason=shown_reason,
    seen_fingerprint=seen_fingerprint,
    dismiss_flags_refusal=dismiss_flags_refusal,
    statement_publish_refusal=statement_publish_refusal,
    group_in_sentence=GROUP_IN_SENTENCE,
    group_list=group_list,
    caucus_titles=CAUCUS_TITLES,
    statement_titles=STATEMENT_TITLES,
    **subjects.template_globals(),  # a round's subject (cycle/_subject.html)
)
templates.env.filters.update(
    datetime=datetime_format,
    time_left=time_left,
    markup=trusted_html,
    markdown=markdown_filter,
    plain_text=markdown.plain_text,
    bdi=isolated,
    confirmation=confirmation_html,
    oob=out_of_band,
    path_segment=path_segment,
    file_size=file_size,
)


def is_htmx(request: Request) -> bool:
    headers = request.headers
    return headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in headers


def render(
    request: Request,
    partial: str,
    context: dict[str, Any] | None = None,
    *,
    page: str | None = None,
    status_code: int = 200,
) -> Response:
    """The full ``page`` for plain requests, the ``partial`` alone for htmx."""
    name = page if (page and not is_htmx(request)) else partial
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


def refusal(
    request: Request,
    db: Session,
    error: DomainError,
    answer: Callable[[], Response],
    *,
    target: str | None = None,
) -> Response:
    """A refused action as its answer: the one way routes answer a refusal.

    "There is no such thing" (404) and "not for you" (403) go to the central error page.
    Anything else is about what was typed or the state of things: the transaction is rolled
    back (nothing of the refused action stays; what must outlive a refusal, such as a failed
    sign-in, is written on a connection of its own), ``answer`` then builds the page or the
    form again, filled in with the error beside its field, and it is sent with the refusal's
    status and headers (Retry-After); under htmx it replaces the form it came from
    (``target``, a CSS selector)."""
    if error.status_code in (403, 404):
        raise error
    db.rollback()
    response = answer()
    response.status_code = error.status_code
    if target is not None and is_htmx(request):
        response.headers["HX-Retarget"] = target
        response.headers["HX-Reswap"] = "outerHTML"
    response.headers.update(error.headers or {})
    return response


def see_other(request: Request, url: str) -> Response:
    """Post/Redirect/Get without JavaScript; a full-page ``HX-Redirect`` under htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


#: Characters that make a path mean something else to a browser: controls (stripped or read as
#: separators), and the backslash (a slash in http(s) addresses: ``/\evil.example``).
_NOT_IN_A_PATH = re.compile(r"[\x00-\x1f\x7f\\]")
#: What stays as it is in a followed address; anything else (spaces, non-ASCII, quotes) is
#: percent-encoded.
_PATH_SAFE = "/?#[]@!$&'()*+,;=:%-._~"


def safe_next(url: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in (no open redirects): a single ``/``
    then anything but ``/``, no backslash, no control character; returned percent-encoded, so
    it is printable ASCII whatever header carries it (``Location``, ``HX-Redirect``)."""
    if (
        not url
        or not url.startswith("/")
        or url.startswith("//")
        or _NOT_IN_A_PATH.search(url) is not None
    ):
        return default
    return quote(url, safe=_PATH_SAFE)


def absolute_url(settings: Any, path: str) -> str:
    """A link for outside the site (an email, an invitation to pass on): the configured
    ``TRIPARTITE_BASE_URL`` and a path, never the request's host."""
    return f"{settings.site_url()}/{path.lstrip('/')}"
