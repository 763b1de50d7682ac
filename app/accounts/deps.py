"""Who is asking: the session cookie resolved once per request, and role guards for routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.rules import Viewer
from app.accounts.service import SignedIn, viewer_for_token
from app.db import DbSession, one_read
from app.errors import Forbidden
from app.i18n import gettext as _

SESSION_COOKIE = "tripartite_session"


class SignInRequired(Exception):
    """Raised for anonymous requests to pages that need an account: answered by a redirect."""


class TwoFactorEnrolmentRequired(Exception):
    """A moderator or administrator without a second factor: answered by a redirect to the
    set-up page, whatever page they asked for."""


#: The pages someone who must set up two-factor sign-in may still open.
ENROLMENT_PATHS = frozenset(
    {"/account/two-factor", "/account/two-factor/start", "/account/two-factor/confirm"}
)


async def current_signed_in(request: Request, db: DbSession) -> SignedIn | None:
    """The person behind the session cookie, looked up once per request. Without a cookie
    nothing is read (no worker thread either); with one, the lookup runs in a worker thread."""
    token = request.cookies.get(SESSION_COOKIE)
    signed = await run_in_threadpool(_look_up, db, token) if token else None
    request.state.viewer = signed.viewer if signed else None
    return signed


def _look_up(db: Session, token: str) -> SignedIn | None:
    # one statement standing alone: no BEGIN, SELECT, COMMIT round trips on PostgreSQL, and on
    # SQLite no write lock taken for it on a POST (the route's writes get a transaction of
    # their own below, which takes it). A session bound to a connection already (the tests')
    # keeps its transaction.
    if isinstance(db.bind, Engine):
        one_read(db)
    signed = viewer_for_token(db, token)
    # End this read transaction now: the route runs in another worker thread, and a connection
    # held while waiting for one would starve the pool under load.
    db.commit()
    return signed


# The guards below are async on purpose: FastAPI runs a plain ``def`` dependency in a worker
# thread, and a hop to a thread costs more than these checks (bench/stack.py).


async def optional_viewer(
    signed: Annotated[SignedIn | None, Depends(current_signed_in)],
) -> Viewer | None:
    return signed.viewer if signed else None


async def require_viewer(
    request: Request, signed: Annotated[SignedIn | None, Depends(current_signed_in)]
) -> Viewer:
    if signed is None:
        raise SignInRequired
    if signed.must_enrol and request.url.path not in ENROLMENT_PATHS:
        raise TwoFactorEnrolmentRequired
    return signed.viewer


async def require_admin(viewer: Annotated[Viewer, Depends(require_viewer)]) -> Viewer:
    if not viewer.is_admin:
        raise Forbidden(_("This page is for administrators."))
    return viewer


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]
CurrentViewer = Annotated[Viewer, Depends(require_viewer)]
AdminViewer = Annotated[Viewer, Depends(require_admin)]
