"""Sign-in, sign-out, the home page, the account page, and accepting an invitation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import text

from app.accounts import service
from app.accounts.deps import SESSION_COOKIE, CurrentViewer, OptionalViewer
from app.accounts.models import User
from app.config import Settings
from app.db import DbSession
from app.errors import DomainError
from app.organisations import service as organisations
from app.rounds import service as rounds
from app.web import render, safe_next, see_other

router = APIRouter()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The caller's address; ``X-Forwarded-For`` counts only from the configured proxy."""
    peer = request.client.host if request.client else "unknown"
    proxy = _settings(request).trusted_proxy
    forwarded = request.headers.get("x-forwarded-for")
    if proxy and peer == proxy and forwarded:
        return forwarded.split(",")[-1].strip()[:64]
    return peer[:64]


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = _settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


@router.get("/healthz", name="health")
def health(db: DbSession) -> Response:
    try:
        db.execute(text("SELECT 1"))
    except Exception:
        return Response("database unreachable\n", status_code=503, media_type="text/plain")
    return Response("ok\n", media_type="text/plain")


@router.get("/", name="home")
def home(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    return render(request, "home.html", {"consultations": rounds.visible_consultations(db, viewer)})


@router.get("/login", name="login")
def login_form(request: Request, viewer: OptionalViewer, next: str = "") -> Response:
    if viewer is not None:
        return see_other(request, safe_next(next))
    return render(request, "accounts/login.html", {"email": "", "next": next, "errors": {}})


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    settings = _settings(request)
    try:
        user = service.authenticate(db, email, password, client_address(request), settings)
    except DomainError as error:
        db.commit()  # the failed attempt counts towards the rate limit
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
    token = service.start_session(db, user, settings, request.headers.get("user-agent", ""))
    db.commit()
    response = see_other(request, safe_next(next))
    _set_session_cookie(request, response, token)
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
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = _settings(request)
    try:
        service.change_password(db, viewer.user_id, current_password, new_password, settings)
    except DomainError as error:
        return render(
            request,
            "accounts/account.html",
            {"errors": {error.field or "new_password": error.message}, "done": False},
            status_code=error.status_code,
        )
    user_id = viewer.user_id
    token = service.start_session(
        db, db.get_one(User, user_id), settings, request.headers.get("user-agent", "")
    )
    db.commit()
    response = render(request, "accounts/account.html", {"errors": {}, "done": True})
    _set_session_cookie(request, response, token)
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
    token: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = _settings(request)
    _invitation, view = organisations.open_invitation(db, token)
    try:
        user = organisations.accept_invitation(
            db, token, name=name, password=password, settings=settings
        )
    except DomainError as error:
        return render(
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
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    session_token = service.start_session(db, user, settings, request.headers.get("user-agent", ""))
    db.commit()
    response = see_other(request, "/")
    _set_session_cookie(request, response, session_token)
    return response
