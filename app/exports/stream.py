"""Running an export against its own database connection, streamed or whole."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.errors import DomainError
from app.exports import formats
from app.i18n import gettext as _
from app.summaries.access import Audience
from app.summaries.service import load_header, round_summary


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection seeing one consistent state for the whole export."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")  # items read raw timestamps
            yield conn


ConnectionSource = Callable[[], AbstractContextManager[Connection]]


class ExportSlots:
    """At most ``size`` exports at a time in a process, each on a connection of a pool of its
    own: slow downloads never take the connections or threads that pages need. A request
    finding every slot taken is told to come back (503), rather than queued."""

    def __init__(self, size: int) -> None:
        self._free = threading.BoundedSemaphore(size)

    def take(self) -> Callable[[], None]:
        """A slot, or a 503; returns its release (safe to call more than once)."""
        if not self._free.acquire(blocking=False):
            raise DomainError(
                _("Several downloads are being prepared right now. Please try again in a minute."),
                status_code=503,
            )
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                self._free.release()

        return release


def export_connections(request: Request) -> ConnectionSource:
    """Where exports read from: a snapshot connection of their own (tests override this)."""
    engine: Engine = request.app.state.export_engine
    return lambda: snapshot(engine)


ExportConnections = Annotated[ConnectionSource, Depends(export_connections)]


def summary_on(conn: Connection, round_id: int) -> dict[str, Any]:
    with Session(bind=conn) as session:
        return round_summary(session, load_header(session, round_id))


def chunks(
    source: ConnectionSource, fmt: str, round_id: int, audience: Audience, progress: Any = None
) -> Generator[bytes, None, None]:
    """CSV or JSON in byte chunks, read from one snapshot."""
    with source() as conn:
        if fmt == "csv":
            yield from formats.csv_chunks(conn, round_id, audience, progress)
        else:
            summary = summary_on(conn, round_id)
            yield from formats.json_chunks(conn, summary, round_id, audience, progress)


async def in_threadpool(
    make: Callable[[], Generator[bytes, None, None]], on_close: Callable[[], None]
) -> AsyncIterator[bytes]:
    """A blocking generator served from worker threads, one chunk ahead: the next chunk is
    read and written while the one before is being sent (the database, the formatting and
    the client's reading overlap). Closed (its connection returned and its slot freed) even
    when the client goes away in the middle."""
    iterator = make()
    done = object()

    def ahead() -> asyncio.Future[object]:
        return asyncio.ensure_future(run_in_threadpool(next, iterator, done))

    pending: asyncio.Future[object] | None = None
    try:
        pending = ahead()
        while True:
            # shielded: a client going away never interrupts the worker in the middle of a
            # chunk; the generator is closed below once the worker is done with it
            chunk = await asyncio.shield(pending)
            if chunk is done:
                break
            assert isinstance(chunk, bytes)
            pending = ahead()
            yield chunk
    finally:
        # shielded: when the client goes away this task is being cancelled, and the connection
        # must still be returned from a worker thread, never from the event loop
        with anyio.CancelScope(shield=True):
            try:
                if pending is not None:
                    await asyncio.wait([pending])
                    if not pending.cancelled():
                        pending.exception()  # raised above already, or moot once the client left
                await run_in_threadpool(iterator.close)
            finally:
                on_close()


def xlsx_file(
    source: ConnectionSource, round_id: int, audience: Audience, progress: Any = None
) -> str:
    """The XLSX written to a temporary file; the caller removes it."""
    handle, path = tempfile.mkstemp(prefix="tripartite-", suffix=".xlsx")
    os.close(handle)
    try:
        with source() as conn:
            summary = summary_on(conn, round_id)
            formats.write_xlsx(path, conn, summary, round_id, audience, progress)
    except BaseException:
        os.unlink(path)
        raise
    return path


def pdf_bytes(source: ConnectionSource, round_id: int) -> bytes:
    from app.drafts.page import summary_paragraphs
    from app.exports.pdf import render_pdf

    with source() as conn, Session(bind=conn) as session:
        header = load_header(session, round_id)  # its subject is printed, not in the summary
        summary = round_summary(session, header)
        draft = summary_paragraphs(session, round_id)  # app.drafts: amendments and support
    return render_pdf(summary, header.kind, draft=draft)
