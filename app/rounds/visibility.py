"""A round someone may not read (a draft, for anyone but moderators and administrators) does
not exist for them: every address under ``/rounds/{round_id}/`` answers 404, before the route
runs, whatever else it would have said (a 403 "for moderators only", a 204 "nothing new")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.deps import current_signed_in
from app.accounts.rules import Viewer
from app.accounts.service import SignedIn
from app.db import DbSession, read, utcnow
from app.errors import NotFound
from app.i18n import gettext as _
from app.rounds import rules
from app.rounds.models import Round
from app.vocabulary import RoundStatus

#: Routes that load the round and refuse an unreadable one themselves, on the hot path (the
#: round page and its live poll): not read twice. tests/security/test_draft_rounds.py checks
#: every route under ``/rounds/{round_id}/``, these included.
CHECKED_BY_THE_ROUTE = frozenset({"rounds.show", "rounds.live"})

_STATUS = select(Round.status, Round.opens_at, Round.closes_at).where(
    Round.id == bindparam("round_id")
)


async def hide_unreadable_round(
    request: Request,
    db: DbSession,
    signed: Annotated[SignedIn | None, Depends(current_signed_in)],
) -> None:
    """A dependency of every router with routes under ``/rounds/{round_id}``: a 404 for a
    round the viewer may not read. Not signed in (or to be enrolled in two-factor sign-in):
    left to the route, which sends them to sign in (or to the set-up) first. Asynchronous, so
    that where nothing is to be read (the hot routes that check for themselves, moderators) it
    costs no hop to a worker thread; the read itself runs in one."""
    raw = request.path_params.get("round_id")
    if raw is None or signed is None or signed.must_enrol:
        return
    viewer = signed.viewer
    route = request.scope.get("route")
    if viewer.is_moderator or viewer.is_admin or getattr(route, "name", "") in CHECKED_BY_THE_ROUTE:
        return
    try:
        round_id = int(raw)
    except ValueError:
        return  # not an id: the route's own validation answers
    await run_in_threadpool(_refuse_unreadable, db, viewer, round_id)


def _refuse_unreadable(db: Session, viewer: Viewer, round_id: int) -> None:
    if isinstance(db.bind, Engine) and db.bind.dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})  # one round trip
    row = read(db, _STATUS, {"round_id": round_id}).one_or_none()
    db.commit()  # as current_signed_in: no connection held while the route waits for a thread
    if row is None:
        return  # the route says there is no such round, in its own words
    status = rules.effective_status(RoundStatus(row.status), row.opens_at, row.closes_at, utcnow())
    if not rules.may_read(viewer, status):
        raise NotFound(_("There is no such round."))
