"""Sign-in, sign-out, the home page, the account page, and accepting an invitation."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import update

from app import csrf, i18n
from app.accounts import rules, service, two_factor
from app.accounts.deps import SESSION_COOKIE, CurrentViewer, OptionalViewer
from app.accounts.models import User
from app.config import Settings
from app.confirmations import confirm, isolate
from app.db import DbSession, utcnow
from app.errors import DomainError
from app.i18n import gettext as _
from app.organisations import service as organisations
from app.recorder import Recording
from app.rounds import service as rounds
from app.todo import page as todo
from app.web import render, safe_next, see_other, url_path

router = APIRouter()
#: The health check alone: no session, no CSRF token (app/main.py includes it bare).
health_router = APIRouter()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The caller's address, as stored with sign-in attempts: ``request.client``, which the
    configured proxy's ``X-Forwarded-For`` names (uvicorn's ProxyHeadersMiddleware, app/main.py)."""
    return (request.client.host if request.client else "unknown")[:64]


def _remember_preferences(response: Response, user: User) -> None:
    """The account's language and time zone follow the person to any browser they sign in on."""
    if user.language in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, user.language, max_age=YEAR, samesite="lax", httponly=True, path="/"
        )
    if user.time_zone and i18n.is_time_zone(user.time_zone):
        response.set_cookie(
            i18n.ZONE_COOKIE, user.time_zone, max_age=YEAR, samesite="lax", httponly=True, path="/"
        )
    else:
        response.delete_cookie(i18n.ZONE_COOKIE, path="/")


YEAR = 365 * 86400


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = _settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure or request.url.scheme == "https",
        path="/",
    )


@health_router.get("/healthz", name="health")
async def health(request: Request) -> Response:
    """For load balancers and monitors: the database answers (read on the event loop, with no
    worker thread: app/quick_reads.py)."""
    if not await request.app.state.quick_reads.database_answers():
        return Response("database unreachable\n", status_code=503, media_type="text/plain")
    return Response("ok\n", media_type="text/plain")


@router.get("/", name="home")
def home(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    return render(
        request,
        "home.html",
        {
            "todo": todo.items(db, viewer),
            "now": utcnow(),
            "consultations": rounds.visible_consultations(db, viewer),
        },
    )


@router.get("/login", name="login")
def login_form(request: Request, viewer: OptionalViewer, next: str = "") -> Response:
    if viewer is not None:
        return see_other(request, safe_next(next))
    return render(request, "accounts/login.html", {"email": "", "next": next, "errors": {}})


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    recorder: Recording,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    settings = _settings(request)
    try:
        user = service.authenticate(
            db, email, password, client_address(request), settings, recorder
        )
    except DomainError as error:
        db.rollback()  # the failed attempt is kept all the same (the recorder's)
        headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else {}
        response = render(
            request,
            "accounts/login.html",
            {"email": email, "next": next, "errors": {"password": error.message}},
            status_code=error.status_code if error.status_code == 429 else 401,
        )
        response.headers.update(headers)
        return response
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    pending = user.totp_enabled_at is not None
    started = service.start_session(
        db, user, settings, request.headers.get("user-agent", ""), two_factor_pending=pending
    )
    db.commit()
    if pending:
        target = url_path(request, "login.two_factor")
        response = see_other(request, target + (f"?next={quote(next)}" if next else ""))
    else:
        response = see_other(request, safe_next(next))
    _set_session_cookie(request, response, started.cookie)
    _remember_preferences(response, user)
    return response


@router.get("/login/two-factor", name="login.two_factor")
def two_factor_form(request: Request, db: DbSession, next: str = "") -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or two_factor.pending_user(db, token) is None:
        return see_other(request, url_path(request, "login"))
    return render(request, "accounts/two_factor.html", {"next": next, "errors": {}})


@router.post("/login/two-factor")
def two_factor_sign_in(
    request: Request,
    db: DbSession,
    recorder: Recording,
    code: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    settings = _settings(request)
    token = request.cookies.get(SESSION_COOKIE)
    user = two_factor.pending_user(db, token) if token else None
    if user is None or token is None:
        return see_other(request, url_path(request, "login"))
    try:
        two_factor.verify_second_factor(db, user, code, client_address(request), settings, recorder)
    except DomainError as error:
        db.rollback()  # the failed attempt is kept all the same (the recorder's)
        response = render(
            request,
            "accounts/two_factor.html",
            {"next": next, "errors": {"code": error.message}},
            status_code=error.status_code if error.status_code == 429 else 401,
        )
        response.headers.update(error.headers or {})
        return response
    service.end_session(db, token)  # a new token once both factors are in
    full = service.start_session(db, user, settings, request.headers.get("user-agent", ""))
    db.commit()
    response = see_other(request, safe_next(next))
    _set_session_cookie(request, response, full.cookie)
    _remember_preferences(response, user)
    return response


@router.get("/account/two-factor", name="account.two_factor")
def two_factor_page(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    user = two_factor.user_or_404(db, viewer.user_id)
    return _two_factor_page(request, db, user)


def _two_factor_page(
    request: Request,
    db: DbSession,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    recovery_codes: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    enabled = user.totp_enabled_at is not None
    secret = user.totp_secret if not enabled else None
    uri = two_factor.provisioning_uri(secret, user.email) if secret else None
    context: dict[str, object] = {
        "enabled": enabled,
        "required": rules.two_factor_required(rules.platform_role_of(user.platform_role)),
        "secret": secret,
        "qr": two_factor.qr_svg(uri) if uri else None,
        "remaining": two_factor.remaining_recovery_codes(db, user.id) if enabled else 0,
        "recovery_codes": recovery_codes,
        "errors": errors or {},
    }
    response = render(request, "accounts/two_factor_setup.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # a key or recovery codes may be on it
    return response


def _password_refused(
    request: Request, db: DbSession, user: User, field: str, error: DomainError
) -> Response:
    """The two-factor page again with the refusal beside ``field``; nothing is changed (a
    wrong password is kept all the same by the recorder: it counts towards the sign-in
    limits)."""
    db.rollback()
    response = _two_factor_page(
        request, db, user, errors={field: error.message}, status_code=error.status_code
    )
    response.headers.update(error.headers or {})
    return response


@router.post("/account/two-factor/start", name="account.two_factor.start")
def two_factor_start(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    user = two_factor.user_or_404(db, viewer.user_id)
    two_factor.begin_enrolment(db, user)
    db.commit()
    confirm(
        request,
        _("Two-factor set-up started: scan the code with your app, then enter the code it shows."),
    )
    return see_other(request, url_path(request, "account.two_factor"))


@router.post("/account/two-factor/confirm", name="account.two_factor.confirm")
def two_factor_confirm(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    recorder: Recording,
    code: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    user = two_factor.user_or_404(db, viewer.user_id)
    try:
        codes = two_factor.confirm_enrolment(
            db, user, code, password, _settings(request), client_address(request), recorder
        )
    except DomainError as error:
        return _password_refused(request, db, user, error.field or "code", error)
    # sessions opened with the password alone end here; this browser gets a new one
    service.revoke_all_sessions(db, user.id)
    started = service.start_session(
        db, user, _settings(request), request.headers.get("user-agent", "")
    )
    db.commit()
    # answered with the page (not a redirect): the recovery codes are shown this once; its
    # forms carry the new session's token
    csrf.session_renewed(request, started.csrf_token)
    confirm(request, _("Two-factor sign-in is on. Keep your recovery codes somewhere safe."))
    response = _two_factor_page(request, db, user, recovery_codes=codes)
    _set_session_cookie(request, response, started.cookie)
    return response


@router.post("/account/two-factor/recovery-codes", name="account.two_factor.recovery")
def two_factor_new_codes(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    recorder: Recording,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    user = two_factor.user_or_404(db, viewer.user_id)
    try:
        if user.totp_enabled_at is None:
            raise DomainError(_("Two-factor sign-in is not on."), field="recovery_password")
        service.reverify_password(
            db,
            user,
            password,
            _settings(request),
            client_address(request),
            "recovery_password",
            recorder,
        )
    except DomainError as error:
        return _password_refused(request, db, user, "recovery_password", error)
    codes = two_factor.new_recovery_codes(db, user.id)
    db.commit()
    confirm(request, _("New recovery codes are made; the old ones no longer work."))
    return _two_factor_page(request, db, user, recovery_codes=codes)


@router.post("/account/two-factor/off", name="account.two_factor.off")
def two_factor_off(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    recorder: Recording,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    user = two_factor.user_or_404(db, viewer.user_id)
    try:
        two_factor.turn_off(
            db, user, password, _settings(request), client_address(request), recorder
        )
    except DomainError as error:
        return _password_refused(request, db, user, "password", error)
    db.commit()
    confirm(request, _("Two-factor sign-in is off."))
    return see_other(request, url_path(request, "account.two_factor"))


@router.post("/language", name="language")
def choose_language(
    request: Request,
    db: DbSession,
    viewer: OptionalViewer,
    language: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The language switcher: remembered in a cookie, and on the account when signed in."""
    if language not in i18n.LANGUAGES:
        raise DomainError(_("Choose English, Français or Español."), field="language")
    if viewer is not None:
        db.execute(update(User).where(User.id == viewer.user_id).values(language=language))
        db.commit()
    response = see_other(request, safe_next(next))
    response.set_cookie(
        i18n.COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True, path="/"
    )
    return response


@router.post("/account/time-zone", name="account.time_zone")
def choose_time_zone(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Times are shown in the zone the person chose (UTC until they choose)."""
    if not i18n.is_time_zone(time_zone):
        return render(
            request,
            "accounts/account.html",
            {
                "errors": {"time_zone": _("Choose a time zone from the list.")},
                "done": False,
                "chosen_zone": time_zone,
            },
            status_code=422,
        )
    db.execute(update(User).where(User.id == viewer.user_id).values(time_zone=time_zone))
    db.commit()
    confirm(request, _("Times are now shown in %(zone)s.") % {"zone": time_zone})
    response = see_other(request, url_path(request, "account") + "#time-zone")
    response.set_cookie(
        i18n.ZONE_COOKIE, time_zone, max_age=YEAR, samesite="lax", httponly=True, path="/"
    )
    return response


@router.post("/logout", name="logout")
def logout(request: Request, db: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, token)
        db.commit()
    response = see_other(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", name="account")
def account(request: Request, viewer: CurrentViewer) -> Response:
    return render(request, "accounts/account.html", {"errors": {}, "done": False})


@router.post("/account/password", name="account.password")
def change_password(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    recorder: Recording,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = _settings(request)
    try:
        service.change_password(
            db,
            viewer.user_id,
            current_password,
            new_password,
            settings,
            recorder,
            client_address(request),
        )
    except DomainError as error:
        db.rollback()  # a wrong current password is kept all the same (the recorder's)
        response = render(
            request,
            "accounts/account.html",
            {"errors": {error.field or "new_password": error.message}, "done": False},
            status_code=error.status_code,
        )
        response.headers.update(error.headers or {})  # Retry-After, once the limit is met
        return response
    user_id = viewer.user_id
    started = service.start_session(
        db, db.get_one(User, user_id), settings, request.headers.get("user-agent", "")
    )
    db.commit()
    csrf.session_renewed(request, started.csrf_token)  # the page's forms carry the new token
    confirm(
        request,
        _("Your password has been changed. Every other sign-in of your account has been ended."),
    )
    response = render(request, "accounts/account.html", {"errors": {}, "done": True})
    _set_session_cookie(request, response, started.cookie)
    return response


@router.get("/invitations/{token}", name="invitations.show")
def show_invitation(request: Request, db: DbSession, token: str) -> Response:
    _invitation, view = organisations.open_invitation(db, token)
    return render(
        request,
        "accounts/accept.html",
        {"invitation": view, "token": token, "name": view.name, "errors": {}},
    )


@router.post("/invitations/accept", name="invitations.accept")
def accept_invitation(
    request: Request,
    db: DbSession,
    recorder: Recording,
    token: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = _settings(request)
    _invitation, view = organisations.open_invitation(db, token)
    try:
        user = organisations.accept_invitation(
            db,
            token,
            name=name,
            password=password,
            settings=settings,
            recorder=recorder,
            address=client_address(request),
        )
    except DomainError as error:
        if error.status_code == 410:
            raise  # taken up in another browser a moment ago: the link's own page says so
        db.rollback()  # a wrong password is kept all the same (the recorder's)
        response = render(
            request,
            "accounts/accept.html",
            {
                "invitation": view,
                "token": token,
                "name": name,
                "errors": {error.field or "password": error.message},
            },
            status_code=error.status_code,
        )
        response.headers.update(error.headers or {})  # Retry-After, once the limit is met
        return response
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    pending = user.totp_enabled_at is not None  # an existing account with a second factor
    started = service.start_session(
        db, user, settings, request.headers.get("user-agent", ""), two_factor_pending=pending
    )
    db.commit()
    confirm(request, _("Welcome, %(name)s: your account is ready.") % {"name": isolate(user.name)})
    response = see_other(request, "/login/two-factor" if pending else "/")
    _set_session_cookie(request, response, started.cookie)
    return response
