"""One reader's stream of a round's live updates (``text/event-stream``).

Every event's ``id`` is the round's version: a browser that reconnects sends the last one it got
(``Last-Event-ID``) and is sent at once what it missed. Updates are rendered once per change and
audience (``app.live.page.audience``) and shared by every stream with that audience; a reader
who wrote one of the changed comments gets an update of their own. The rendering runs in a
worker thread, never on the event loop."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field

from anyio import to_thread
from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.rules import Viewer
from app.db import open_session
from app.live import page as live_page
from app.live.broker import Broker
from app.live.page import Mark, Update
from app.rounds.fragments import CSRF_PLACEHOLDER

#: A comment line sent when nothing happened for this long: proxies keep the stream open.
HEARTBEAT_SECONDS = 20.0
#: How long a browser waits before reconnecting a dropped stream (the SSE ``retry`` field).
RETRY_MILLISECONDS = 2000
EVENT = "update"


class Renders:
    """Updates rendered once and shared: one rendering at a time per key (the others wait for
    it), the last few kept for streams that come a little later."""

    def __init__(self, max_entries: int = 256) -> None:
        self._done: OrderedDict[Hashable, Update] = OrderedDict()
        self._running: dict[Hashable, asyncio.Future[Update]] = {}
        self._marks: OrderedDict[tuple[int, int, int], Mark] = OrderedDict()
        self._latest: OrderedDict[tuple[int, int], Mark] = OrderedDict()
        self.max_entries = max_entries
        #: renderings done (bench and tests read it)
        self.count = 0

    async def get(
        self,
        round_id: int,
        key: Hashable,
        render: Callable[[], Update],
        *,
        canonical: bool = True,
    ) -> Update:
        """The update under ``key``, rendered by ``render`` once; ``canonical`` False for a
        rendering whose mark no stream goes on from (a page's regions, see ``events``)."""
        done = self._done.get(key)
        if done is not None:
            return done
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Update] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            update = await to_thread.run_sync(render)
            self.count += 1
            if canonical:
                mark = self._canonical(round_id, update.mark)
                update = Update(update.parts, mark, update.authors)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when none waited
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(update)
        self._done[key] = update
        while len(self._done) > self.max_entries:
            self._done.popitem(last=False)
        return update

    def _canonical(self, round_id: int, mark: Mark) -> Mark:
        """Every stream that reached a version goes on from the same mark (the first rendering's),
        so the streams of one audience keep sharing their updates."""
        key = (round_id, mark.version, mark.after)
        known = self._marks.get(key)
        if known is None:
            self._marks[key] = known = mark
            self._latest[(round_id, mark.version)] = mark
            while len(self._marks) > self.max_entries:
                self._marks.popitem(last=False)
            while len(self._latest) > self.max_entries:
                self._latest.popitem(last=False)
        return known

    def mark_at(self, round_id: int, version: int) -> Mark | None:
        """Where this process's streams left a page at that version (a reconnecting browser
        goes on from there), if it still knows."""
        return self._latest.get((round_id, version))


@dataclass
class Reader:
    """One open stream: who reads, with which browser token, and where their page stands."""

    round_id: int
    viewer: Viewer
    token: str
    audience: tuple[object, ...]
    mark: Mark
    #: the round's version when the stream was opened
    current: int
    #: how long the stream stays open (``Settings.live_stream_seconds``)
    lifetime: float = 300.0
    #: what this stream last sent of each element: a region that did not change since is not
    #: sent again (the columns of 60 positions, when a comment is posted)
    sent: dict[str, int] = field(default_factory=dict)

    def framed(self, update: Update) -> str:
        """The update's data lines this reader does not have yet, with its browser's token."""
        chosen = []
        for part in update.parts:
            if self.sent.get(part.key) == part.digest:
                continue
            self.sent[part.key] = part.digest
            chosen.append(
                part.framed.replace(CSRF_PLACEHOLDER, self.token) if part.has_form else part.framed
            )
        return "".join(chosen) or "data: \n"


def event(name: str, version: int, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {name}\nid: {version}\n{lines}\n"


async def events(
    request: Request,
    broker: Broker,
    renders: Renders,
    sessions: sessionmaker[Session],
    reader: Reader,
) -> AsyncIterator[str]:
    """The stream: the catch-up at once when the round moved on, then one event per change, a
    comment line every ``HEARTBEAT_SECONDS``; ends after its lifetime (the browser reconnects
    with the last id it got), on shutdown, and (through the server) when the browser goes."""
    round_id = reader.round_id
    loop = asyncio.get_running_loop()
    ends = loop.time() + reader.lifetime
    broker.watch(round_id, reader.current)
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        if not reader.sent and broker.version(round_id) == reader.mark.version:
            # the page is current: what it shows of each region is what this audience is
            # shown at this version, so the first update sends only the regions that change
            await _page_regions(request, renders, sessions, reader)
        if broker.version(round_id) <= reader.mark.version:
            yield event("version", reader.mark.version, str(reader.mark.version))
        while not broker.closed.is_set() and loop.time() < ends:
            if broker.version(round_id) > reader.mark.version:
                update = await _update_for(request, renders, sessions, reader, broker)
                mark = update.mark
                if mark.version <= reader.mark.version:  # read before the change: try later
                    mark = Mark(broker.version(round_id), mark.after, mark.moderated)
                reader.mark = mark
                yield f"event: {EVENT}\nid: {mark.version}\n{reader.framed(update)}\n"
                continue
            await broker.wait(
                round_id, reader.mark.version, min(HEARTBEAT_SECONDS, ends - loop.time())
            )
            if broker.version(round_id) <= reader.mark.version and not broker.closed.is_set():
                yield ": keepalive\n\n"
    finally:
        broker.unwatch(round_id)


def at_once(request: Request, db: Session, reader: Reader) -> str:
    """The stream of a client that cannot hold one open (``live_stream_seconds`` 0): where the
    round stands, with the catch-up rendered for this reader alone, then the end."""
    head = f"retry: {RETRY_MILLISECONDS}\n\n"
    if reader.current <= reader.mark.version:
        return head + event("version", reader.mark.version, str(reader.mark.version))
    mark = reader.mark
    update = live_page.render_update(
        request, db, reader.viewer, reader.round_id, mark.after, mark.moderated
    )
    db.commit()
    return head + f"event: {EVENT}\nid: {update.mark.version}\n{reader.framed(update)}\n"


#: after every comment and moderation there is: an update that carries regions only
_NO_COMMENTS = 2**31 - 1


async def _page_regions(
    request: Request, renders: Renders, sessions: sessionmaker[Session], reader: Reader
) -> None:
    """Record the regions of the reader's page as sent: rendered once per audience and version
    (for anyone like the reader, as shared updates are) and no comment in it."""
    viewer = reader.viewer
    version = reader.mark.version
    for_viewer = viewer if viewer.may_moderate else live_page.anyone_like(viewer)

    def run() -> Update:
        live_page.warm_templates()  # the first comment's update waits for no compiling
        db = open_session(sessions, write=False)
        try:
            return live_page.render_update(
                request, db, for_viewer, reader.round_id, _NO_COMMENTS, _NO_COMMENTS
            )
        finally:
            db.close()

    key = ("page", reader.round_id, version, reader.audience)
    regions = await renders.get(reader.round_id, key, run, canonical=False)
    if regions.mark.version == version:  # else the round moved on meanwhile: send it all
        reader.sent.update((part.key, part.digest) for part in regions.parts)


async def _update_for(
    request: Request,
    renders: Renders,
    sessions: sessionmaker[Session],
    reader: Reader,
    broker: Broker,
) -> Update:
    mark = reader.mark
    target = broker.version(reader.round_id)
    base = (reader.round_id, target, mark.after, mark.moderated, reader.audience)
    viewer = reader.viewer

    def rendering(for_viewer: Viewer) -> Callable[[], Update]:
        def run() -> Update:
            live_page.warm_templates()
            db = open_session(sessions, write=False)
            try:
                return live_page.render_update(
                    request, db, for_viewer, reader.round_id, mark.after, mark.moderated
                )
            finally:
                db.close()

        return run

    if not viewer.may_moderate:
        shared = await renders.get(reader.round_id, base, rendering(live_page.anyone_like(viewer)))
        if viewer.user_id not in shared.authors:
            return shared
    return await renders.get(reader.round_id, (*base, viewer.user_id), rendering(viewer))
