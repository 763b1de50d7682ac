"""The application factory: ``create_app(settings)`` reads nothing at import time."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote, urlsplit

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import models  # noqa: F401 (every table known to the mapper, whatever a page imports)
from app.accounts import routes as account_routes
from app.accounts.deps import SignInRequired, TwoFactorEnrolmentRequired
from app.api import routes as api_routes
from app.api import token_routes
from app.audit import routes as audit_routes
from app.bodies import routes as body_routes
from app.caucus import routes as caucus_routes
from app.comments import routes as comment_routes
from app.config import Settings
from app.confirmations import Confirmations
from app.csrf import BrowserTokens, FormExpired
from app.csrf import check as csrf_check
from app.cycle import routes as cycle_routes
from app.db import make_engine, make_sessionmaker
from app.decisions import routes as decision_routes
from app.documents import routes as document_routes
from app.drafts import routes as draft_routes
from app.errors import DomainError
from app.exports import routes as paper_routes
from app.exports.stream import ExportSlots
from app.i18n import N_, Labels, LanguageMiddleware
from app.i18n import gettext as _
from app.live.broker import Broker, end_streams_on_signals
from app.live.changes import tell_at_commit
from app.live.stream import Renders
from app.meetings import routes as meeting_routes
from app.middleware import (
    BodyLimitMiddleware,
    FormBodyMiddleware,
    IdRangeMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
from app.minutes import routes as minutes_routes
from app.moderation import routes as moderation_routes
from app.notifications import routes as notification_routes
from app.officers import routes as officer_routes
from app.organisations import routes as organisation_routes
from app.positions import routes as position_routes
from app.quick_reads import HealthCheck, QuickReads
from app.rounds import brief_routes
from app.rounds import routes as round_routes
from app.rounds.door import KeptPages
from app.rounds.poll import UnchangedPolls
from app.rounds.visibility import hide_unreadable_round
from app.search import routes as search_routes
from app.search import saved_routes as saved_search_routes
from app.summaries import routes as summary_routes
from app.web import STATIC_DIR, is_htmx, safe_next, templates

log = logging.getLogger("tripartite")


#: The routers of the pages (each request checked for its CSRF token), in the order they match.
PAGE_ROUTERS = (
    account_routes.router,
    organisation_routes.router,
    round_routes.router,
    brief_routes.router,
    draft_routes.router,
    caucus_routes.router,
    officer_routes.router,
    cycle_routes.router,
    position_routes.router,
    comment_routes.router,
    moderation_routes.router,
    audit_routes.router,
    notification_routes.router,
    summary_routes.router,
    document_routes.router,
    paper_routes.router,
    token_routes.router,
    body_routes.router,
    meeting_routes.router,
    decision_routes.router,
    minutes_routes.router,
    search_routes.router,
    saved_search_routes.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url(), pool_size=settings.threadpool_size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.threadpool_size
        broker: Broker = app.state.live_broker
        await broker.start()
        restore = end_streams_on_signals(broker)
        try:
            yield
        finally:
            restore()
            await broker.stop()
            await app.state.quick_reads.close()
        engine.dispose()
        app.state.export_engine.dispose()

    app = FastAPI(
        title="Tripartite",
        version="1",
        description="The read-only API for agencies: consultations, rounds, positions, "
        "comments and equal-weight summaries. Authenticate with `Authorization: Bearer "
        "<token>`; an administrator creates tokens. Errors are JSON: "
        '`{"error": {"status", "title", "message"}}`.',
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # the health check and unchanged live polls, read on the event loop (app/quick_reads.py)
    app.state.quick_reads = QuickReads(settings.resolved_database_url())
    # downloads read on connections of their own, a few at a time (app/exports/stream.py)
    app.state.export_engine = make_engine(
        settings.resolved_database_url(), pool_size=settings.export_concurrency
    )
    app.state.export_slots = ExportSlots(settings.export_concurrency)
    # live updates (app/live): which rounds changed, told to the open streams
    app.state.live_broker = Broker(engine)
    app.state.live_renders = Renders()
    if engine.dialect.name == "sqlite":  # PostgreSQL's own trigger notifies at commit
        tell_at_commit(app.state.sessionmaker, app.state.live_broker)
    if settings.trusted_proxy:
        # from the configured proxy alone, X-Forwarded-For and -Proto give the client's address
        # (request.client, which sign-in limits count) and https (redirects stay on it)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The pages are HTML for people; the OpenAPI schema documents the JSON API alone. Every
    # unsafe request to them carries its page's CSRF token (app/csrf.py), checked first; the
    # JSON API (read-only, authenticated by bearer token) is not checked.
    for router in PAGE_ROUTERS:
        # a round the viewer may not read (a draft) is a 404 at every address under it
        names_a_round = any("{round_id}" in getattr(r, "path", "") for r in router.routes)
        guard = [Depends(hide_unreadable_round)] if names_a_round else []
        app.include_router(
            router, include_in_schema=False, dependencies=[Depends(csrf_check), *guard]
        )
    # for load balancers: no session looked up, no CSRF token (answered on the event loop)
    app.include_router(account_routes.health_router, include_in_schema=False)
    app.include_router(api_routes.router)
    app.include_router(api_routes.schema_router)
    if settings.bench_endpoints:
        _add_bench_endpoints(app)
    _add_error_handlers(app)
    return app


def _add_bench_endpoints(app: FastAPI) -> None:
    """The ceiling the round page is measured against: the same app and middleware, returning a
    pre-rendered HTML string of the requested size (bench/round_page.py)."""
    pages: dict[int, bytes] = {}

    @app.get("/bench/ceiling", include_in_schema=False)
    def ceiling(size: int = 100_000) -> Response:
        size = max(0, min(size, 5_000_000))
        if size not in pages:
            pages[size] = (b"<!doctype html><title>ceiling</title>" + b"x" * size)[:size]
        return Response(pages[size], media_type="text/html")


#: The addresses that take a file: their bodies may be as large as an attachment.
UPLOAD_PATHS = re.compile(
    r"/rounds/\d+/(attachments|draft/import)|/attachments/\d+/versions|/meetings/\d+/documents|/actions/\d+/notes"
)
#: Room for the form's other fields beside the file.
UPLOAD_FIELDS_BYTES = 64_000


def asgi(settings: Settings | None = None) -> ASGIApp:
    """The app wrapped in its protective middleware: what servers and tests run."""
    settings = settings or Settings()
    app = create_app(settings)
    # each browser's CSRF token for the pages it is shown (the check is csrf.check, above)
    secret = settings.resolved_secret_key()
    # a kept round page answered from memory after one read (app/rounds/door.py)
    door = KeptPages(app, app.state.quick_reads)
    tokens = BrowserTokens(door, secret, secure=settings.cookie_secure)
    # what each action did, carried to the page the person sees next (app/confirmations.py)
    confirmed = Confirmations(tokens, secret, secure=settings.cookie_secure)
    readable = FormBodyMiddleware(confirmed)  # forms that are not UTF-8: 400
    # a live poll of a round that has not changed: 204 at once (app/rounds/poll.py)
    polled = HealthCheck(UnchangedPolls(readable, app.state.quick_reads), app.state.quick_reads)
    limited = BodyLimitMiddleware(
        IdRangeMiddleware(polled),
        settings.max_body_bytes,
        # a file (and the few fields beside it) may be as large as the attachment limit
        uploads=UPLOAD_PATHS,
        upload_max_bytes=settings.attachment_max_bytes + UPLOAD_FIELDS_BYTES,
    )
    # only the site's own host names get in (links are relative or built from base_url)
    hosted = TrustedHostMiddleware(limited, settings.trusted_hosts(), exempt={"/healthz"})
    # outermost: the answers of the limits above (413, 404 for impossible ids) get them too
    headed = SecurityHeadersMiddleware(hosted, hsts=settings.cookie_secure)
    outer = LanguageMiddleware(headed)  # every answer, error pages included, in its language
    outer.fastapi_app = app  # type: ignore[attr-defined]
    return outer


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"error": {"status": status, "title": title, "message": message}},
            status_code=status,
            headers=headers,
        )
    context = {"title": title, "message": message, "back": _came_from(request)}
    name = "errors/_message.html" if is_htmx(request) else "errors/error.html"
    response = templates.TemplateResponse(
        request, name, context, status_code=status, headers=headers
    )
    if is_htmx(request):
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _came_from(request: Request) -> str | None:
    """The page of this site a refused form was sent from (its Referer), to go back to: an
    error page is never a dead end. Only a path of this site; nothing for a plain visit."""
    if request.method in ("GET", "HEAD"):
        return None
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path or referer.netloc != request.url.netloc:
        return None
    back = safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), "")
    return back or None


TITLES = Labels(
    {
        400: N_("Bad request"),
        401: N_("Authentication required"),
        403: N_("Not allowed"),
        404: N_("Not found"),
        405: N_("Not allowed"),
        409: N_("Conflict"),
        410: N_("No longer available"),
        413: N_("Too large"),
        422: N_("Please check what you sent"),
        429: N_("Too many attempts"),
        503: N_("Busy"),
    }
)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _exc: SignInRequired) -> Response:
        if _wants_json(request):
            return error_response(request, 401, _("Sign in required"), _("Sign in first."))
        target = "/login?next=" + quote(
            request.url.path + ("?" + request.url.query if request.url.query else ""), safe=""
        )
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(TwoFactorEnrolmentRequired)
    async def enrol(request: Request, _exc: TwoFactorEnrolmentRequired) -> Response:
        target = "/account/two-factor"
        if is_htmx(request):
            # a background poll (notifications, live updates) gets nothing; an action taken
            # on a page is sent to the set-up
            headers = {} if request.method == "GET" else {"HX-Redirect": target}
            return Response(status_code=204, headers=headers)
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(FormExpired)
    async def form_expired(request: Request, _exc: FormExpired) -> Response:
        return error_response(
            request,
            403,
            _("This form has expired"),
            _(
                "This form could not be accepted because its security token is missing or out "
                "of date. Go back, reload the page and send it again."
            ),
        )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return error_response(
            request,
            exc.status_code,
            TITLES.get(exc.status_code, _("Error")),
            exc.message,
            exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {
            404: _("There is nothing at this address."),
            405: _("This address does not accept that kind of request."),
        }.get(exc.status_code, str(exc.detail))
        return error_response(
            request,
            exc.status_code,
            TITLES.get(exc.status_code, _("Error")),
            message,
            dict(exc.headers or {}),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = sorted(
            {f"{e['loc'][-1]}: {e.get('msg', 'not valid')}" for e in exc.errors() if e.get("loc")}
        )
        if problems:
            message = _(
                "Some of what you sent is missing or not in the expected form (%(problems)s)."
            ) % {"problems": "; ".join(problems)}
        else:
            message = _("Some of what you sent is missing or not in the expected form.")
        return error_response(request, 422, TITLES[422], message)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        # the database restarting, unreachable, or (SQLite) locked past the busy timeout: the
        # request's transaction is gone, so nothing was saved; say so and let the client retry
        log.warning(
            "database unavailable on %s %s: %s", request.method, request.url.path, exc.__class__
        )
        return error_response(
            request,
            503,
            TITLES[503],
            _(
                "The database cannot be reached at the moment, so nothing was saved. Please try "
                "again in a minute."
            ),
            {"Retry-After": "10"},
        )

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def busy(request: Request, _exc: Exception) -> Response:
        # every database connection in use: say so, promptly, instead of failing
        log.warning("database connections exhausted on %s %s", request.method, request.url.path)
        return error_response(
            request,
            503,
            TITLES[503],
            _(
                "The service is very busy right now and nothing was saved. Please try again in a "
                "moment."
            ),
            {"Retry-After": "5"},
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, _exc: Exception) -> Response:
        # an id too large for the database's integers names nothing that exists
        return error_response(request, 404, TITLES[404], _("There is nothing at this address."))

    @app.exception_handler(IntegrityError)
    async def clash(request: Request, exc: IntegrityError) -> Response:
        # a unique constraint met by a request racing another (two tabs, two browsers) that
        # no service foresaw: the loser is told, nothing of it was saved
        if not is_unique_violation(exc):
            return await unexpected(request, exc)
        log.warning("unique constraint met on %s %s", request.method, request.url.path)
        return error_response(
            request,
            409,
            TITLES[409],
            _(
                "The same change was just made by someone else, or in another of your tabs, "
                "so yours was not saved. Reload the page to see where things stand."
            ),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            request,
            500,
            _("Something went wrong"),
            _(
                "Something went wrong on our side and nothing was saved. "
                "Please try again; if it happens again, tell the moderators."
            ),
        )


def is_unique_violation(error: IntegrityError) -> bool:
    """A duplicate refused by a unique constraint (not a missing reference or a failed check)."""
    if getattr(error.orig, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return True
    return "UNIQUE constraint failed" in str(error.orig)  # SQLite


def app_from_env() -> ASGIApp:
    """Factory for ``uvicorn --factory`` (each worker process builds its own app)."""
    served = asgi(Settings())
    freeze_startup_objects()
    return served


def freeze_startup_objects() -> None:
    """Keep what starting made (modules, mappers, routes, the app) out of the garbage
    collector's full passes: they live as long as the process, and a full pass walked them
    all, ~90 ms at once in a busy worker (bench/search.py: one search of each of eight
    searchers took 700 ms on two cores, the slowest 1 %). A served process only
    (``app_from_env``): a process that builds apps again and again, as the tests do, would
    keep their cycles for good."""
    gc.collect()
    gc.freeze()
