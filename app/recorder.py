"""What is written whatever becomes of the request that caused it.

A failed sign-in (or a wrong current password, or a wrong second factor) counts towards the
sign-in limits although the request that made it is refused and its own work rolled back; an
API token's last use is noted by a read-only request. Services put such writes into the
request's ``Recorder`` instead of the request's transaction; they are written once the route
is done, in a transaction of their own that nothing the route did (committed, rolled back or
left open) can undo, and before the answer is sent (the next attempt already counts them).

The request's own transaction is ended first (rolled back: what closing the session would do
with anything the route left uncommitted): SQLite lets one writer in at a time, and the
request's transaction may be holding that place.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Executable
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.db import Base, DbSession

log = logging.getLogger("tripartite")


class Recorder:
    """The writes a request makes that its refusal must not undo."""

    def __init__(self) -> None:
        self._writes: list[Callable[[Session], Any]] = []

    def add(self, row: Base) -> None:
        """A new row (a sign-in attempt)."""
        self._writes.append(lambda db: db.add(row))

    def execute(self, statement: Executable) -> None:
        """An update (a token's last use)."""
        self._writes.append(lambda db: db.execute(statement))

    @property
    def pending(self) -> bool:
        return bool(self._writes)

    def write(self, db: Session) -> None:
        """Everything recorded, in ``db``'s current transaction (the caller commits)."""
        writes, self._writes = self._writes, []
        for write in writes:
            write(db)


async def request_recorder(db: DbSession) -> AsyncIterator[Recorder]:
    """The request's recorder; what it holds is committed when the route is done, whatever
    the route did (its exit runs before the answer is sent: the dependency's scope is the
    route's, see ``Recording``). Async: a request that records nothing takes no worker
    thread for it; the writes, when there are any, are made in one."""
    recorder = Recorder()
    try:
        yield recorder
    finally:
        if recorder.pending:
            await run_in_threadpool(_write, db, recorder)


def _write(db: Session, recorder: Recorder) -> None:
    try:
        db.rollback()  # the route's own work is over (committed, or not to be)
        recorder.write(db)
        db.commit()
    except SQLAlchemyError:
        db.rollback()
        log.exception("could not record what a request had to keep")


#: A route's (or a dependency's) recorder: one per request, written when the route is done.
Recording = Annotated[Recorder, Depends(request_recorder, scope="function")]
