"""The app served for real, for tests that need what the shared rolled-back session of
``make_client`` hides: each request on a session and connection of its own (a GET's
autocommit reads on PostgreSQL, a download's own snapshot connection, concurrent requests
in their own transactions).

``served(url)`` runs uvicorn in a thread of the test process on a free port, over the given
(migrated) database: the test builds its data with an ordinary session, committed, and
speaks to the server over HTTP with ``httpx2`` clients (one connection each).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.main import asgi
from tests import factories
from tests.browser.conftest import _free_port
from tests.conftest import page_token
from tests.security.world import World, build

STARTUP_SECONDS = 30.0
#: Each browser's CSRF token, read from a page when the browser is made.
TOKENS: weakref.WeakKeyDictionary[httpx2.Client, str] = weakref.WeakKeyDictionary()


@dataclass
class LiveApp:
    base_url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def browser(self, person: User | None = None, *, timeout: float = 60) -> httpx2.Client:
        """A browser of its own (its own connection), signed in as ``person`` when given, with
        the CSRF token its pages carry (``submit`` sends it)."""
        client = httpx2.Client(base_url=self.base_url, follow_redirects=False, timeout=timeout)
        client.get("/login")
        if person is not None:
            with self.sessions() as db:
                client.cookies.set("tripartite_session", factories.session_cookie(db, person))
                db.commit()
        TOKENS[client] = page_token(client)
        return client

    def same_person(self, client: httpx2.Client) -> httpx2.Client:
        """Another tab of the same signed-in browser: the same cookies, its own connection."""
        tab = httpx2.Client(base_url=self.base_url, follow_redirects=False, timeout=60)
        for name, value in client.cookies.items():
            tab.cookies.set(name, value)
        if client in TOKENS:
            TOKENS[tab] = TOKENS[client]
        return tab


def submit(
    client: httpx2.Client,
    path: str,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> Any:
    """A form post with the CSRF token, as the app's own forms send it (multipart with
    ``files``)."""
    token = TOKENS.get(client) or page_token(client)
    return client.post(path, data={"csrftoken": token, **(data or {})}, files=files)


@contextmanager
def served(url: str, folder: Path, **changes: Any) -> Iterator[LiveApp]:
    """The app behind uvicorn on a free port of 127.0.0.1, over the database at ``url``."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=url,
        data_dir=folder,
        secret_key="live-server-secret",
        password_min_length=12,
        base_url=base_url,
        **changes,
    )
    outer = asgi(settings)
    served_app = outer.fastapi_app  # type: ignore[attr-defined]
    server = uvicorn.Server(
        uvicorn.Config(
            outer,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=2,  # an open live stream never holds the stop
        )
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    engine = make_engine(url, pool_size=4)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.02)
        yield LiveApp(base_url, engine, make_sessionmaker(engine))
    finally:
        # open live streams end at once (tripartite serve does it on SIGTERM)
        served_app.state.live_broker.close_threadsafe()
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


def at_once(count: int, action: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """``action(i)`` in ``count`` threads released together; their results (or exceptions),
    in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = action(index)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    return results


@contextmanager
def served_world(
    url: str, folder: Path, extra: Callable[[Session, World], None] | None = None, **changes: Any
) -> Iterator[tuple[LiveApp, World]]:
    """The security suite's world (tests/security/world.py: every role and object), committed
    to the migrated database at ``url`` (with what ``extra`` adds), and served for real."""
    engine = make_engine(url, pool_size=2)
    try:
        with Session(engine, expire_on_commit=False) as db:
            world = build(db)
            if extra is not None:
                extra(db, world)
            db.commit()
    finally:
        engine.dispose()
    with served(url, folder, **changes) as app:
        yield app, world
