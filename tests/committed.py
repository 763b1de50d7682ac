"""A world committed for real, and browsers on an app whose lifespan runs: for what reads on a
connection of its own (app/quick_reads.py: the door of kept pages, unchanged live polls), which
never sees the rows of a test's rolled-back transaction. Both databases (``fresh_url``).

Test modules take the fixtures (``world``, ``app_settings``, ``browsers``) by importing their
functions (``committed_world``...)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_engine
from app.main import asgi
from app.migrate import upgrade


@pytest.fixture(name="world")
def committed_world(fresh_url: str) -> Iterator[Session]:
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=2)
    with Session(engine, expire_on_commit=False) as db:
        yield db
    engine.dispose()


@pytest.fixture(name="app_settings")
def committed_settings(fresh_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=fresh_url, data_dir=tmp_path, secret_key="test-secret")


class Browser:
    """A TestClient (its lifespan running) and the SQL its app's route sent meanwhile."""

    def __init__(self, settings: Settings, cookie: str) -> None:
        self.app = asgi(settings)
        self.client = TestClient(self.app, follow_redirects=False)
        self.client.__enter__()
        self.client.cookies.set("tripartite_session", cookie)
        self.statements: list[str] = []
        engine = self.app.fastapi_app.state.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args: object) -> None:
        self.statements.append(str(args[2]))

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        self.statements.clear()
        return self.client.get(url, **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture(name="browsers")
def committed_browsers() -> Iterator[list[Browser]]:
    made: list[Browser] = []
    yield made
    for browser in made:
        browser.close()
