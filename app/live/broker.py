"""The process's broker: the last known version of every round someone is watching, and the
streams waiting for it to move.

Sources of change:

- **PostgreSQL**: a trigger on ``rounds`` (migration 0011) calls ``pg_notify('tripartite_round',
  'id:version')`` whenever a round's version moves, so every writer, in every process and the
  command line, announces its change when it commits. One connection per process listens (never
  one per reader); when it drops, the broker reconnects with a growing pause and reads the
  versions of the watched rounds again, so nothing is missed.
- **SQLite**: the app's sessions note the rounds they change (``app.live.changes``) and, at
  commit, ask the broker to read those rounds' versions at once; a watcher reads the versions of
  the watched rounds about every second, so processes sharing one SQLite file still converge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from anyio import to_thread
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.engine import make_url

from app.rounds.models import Round

log = logging.getLogger("tripartite.live")

CHANNEL = "tripartite_round"
#: How often the watcher reads the watched rounds' versions (SQLite; PostgreSQL after a
#: reconnection).
WATCH_SECONDS = 1.0
_VERSIONS = select(Round.id, Round.version).where(Round.id.in_(bindparam("ids", expanding=True)))


class Broker:
    """Per process: versions of watched rounds and the streams waiting for them to change."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.versions: dict[int, int] = {}
        self.watched: Counter[int] = Counter()
        self._changed: dict[int, asyncio.Event] = {}
        self.closed = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[int] = set()
        self._checking: asyncio.Task[None] | None = None
        #: True while PostgreSQL's notifications are being received.
        self.listening = False

    # -- life ----------------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if self.postgres:
            self._tasks.append(asyncio.create_task(self._listen(), name="live-listen"))
        else:
            self._tasks.append(asyncio.create_task(self._watch(), name="live-watch"))

    def close(self) -> None:
        """Ends every open stream (server shutdown) and stops listening."""
        self.closed.set()
        for event in self._changed.values():
            event.set()
        for task in self._tasks:
            task.cancel()

    def close_threadsafe(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.close)

    async def stop(self) -> None:
        self.close()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()

    # -- streams -------------------------------------------------------------------------------
    def watch(self, round_id: int, version: int) -> None:
        self.watched[round_id] += 1
        self.publish(round_id, version)

    def unwatch(self, round_id: int) -> None:
        self.watched[round_id] -= 1
        if self.watched[round_id] <= 0:
            del self.watched[round_id]
            self.versions.pop(round_id, None)
            self._changed.pop(round_id, None)

    def version(self, round_id: int) -> int:
        return self.versions.get(round_id, 0)

    async def wait(self, round_id: int, seen: int, timeout: float) -> None:
        """Returns when the round's version passes ``seen``, on shutdown, or after ``timeout``."""
        if self.version(round_id) > seen or self.closed.is_set():
            return
        event = self._changed.get(round_id)
        if event is None:
            event = self._changed[round_id] = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def publish(self, round_id: int, version: int) -> None:
        """A round's version as read or announced: wakes its streams when it moved on."""
        if version <= self.versions.get(round_id, -1):
            return
        self.versions[round_id] = version
        event = self._changed.pop(round_id, None)
        if event is not None:
            event.set()

    # -- sources -------------------------------------------------------------------------------
    def rounds_committed(self, round_ids: Iterable[int | None]) -> None:
        """From any thread, after a commit that changed these rounds (``None``: some round):
        their versions are read again at once."""
        if self.loop is None or self.closed.is_set():
            return
        ids = set(round_ids)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nothing to tell
            self.loop.call_soon_threadsafe(self._check_soon, ids)

    def _check_soon(self, ids: set[int | None]) -> None:
        wanted: set[int] = (
            set(self.watched)
            if None in ids
            else {i for i in ids if i is not None and i in self.watched}
        )
        if not wanted:
            return
        self._pending |= wanted
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self._check_pending())

    async def _check_pending(self) -> None:
        while self._pending and not self.closed.is_set():
            ids, self._pending = self._pending, set()
            await self.check(ids)

    async def check(self, ids: Iterable[int]) -> None:
        """Reads the versions of these rounds (in a worker thread) and publishes them."""
        wanted = sorted(ids)
        if not wanted:
            return
        try:
            rows = await to_thread.run_sync(self._read_versions, wanted)
        except Exception as error:  # noqa: BLE001 - the next check tries again
            log.warning("live updates: reading round versions failed: %s", error)
            return
        for round_id, version in rows:
            self.publish(round_id, version)

    def _read_versions(self, ids: list[int]) -> list[tuple[int, int]]:
        with self.engine.connect() as connection:
            return [(r.id, r.version) for r in connection.execute(_VERSIONS, {"ids": ids})]

    async def _watch(self) -> None:
        """SQLite: one query a second over the watched rounds (other processes' writes)."""
        while not self.closed.is_set():
            await asyncio.sleep(WATCH_SECONDS)
            if self.watched:
                await self.check(list(self.watched))

    async def _listen(self) -> None:
        """PostgreSQL: one LISTENing connection for the process, reconnected when it drops."""
        import psycopg

        url = make_url(self.engine.url).set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        pause = 0.5
        while not self.closed.is_set():
            try:
                connection = await psycopg.AsyncConnection.connect(
                    conninfo, autocommit=True, connect_timeout=5
                )
            except Exception as error:  # noqa: BLE001 - retried below
                log.warning("live updates: cannot listen (%s); again in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            try:
                async with connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    pause = 0.5
                    # whatever changed while nobody listened
                    await self.check(list(self.watched))
                    async for notice in connection.notifies():
                        self._announced(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - reconnected
                log.warning("live updates: the listening connection dropped (%s)", error)
            finally:
                self.listening = False
            if not self.closed.is_set():
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)

    def _announced(self, payload: str) -> None:
        try:
            round_id, version = (int(part) for part in payload.split(":", 1))
        except ValueError:
            return
        if round_id in self.watched:
            self.publish(round_id, version)


def end_streams_on_signals(broker: Broker) -> Callable[[], None]:
    """Open streams end the moment the server is asked to stop (SIGTERM, SIGINT): uvicorn waits
    for every response to finish before the app's shutdown, and a stream never would. Only
    where signals can be handled (the main thread); returns what puts the handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Any] = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(number)
        if not callable(handler):
            continue
        previous[number] = handler

        def ending(signum: int, frame: Any, handler: Callable[..., Any] = handler) -> None:
            broker.close_threadsafe()
            handler(signum, frame)

        signal.signal(number, ending)

    def restore() -> None:
        for number, handler in previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(number, handler)

    return restore
