"""Fixtures: every database test runs on SQLite and on PostgreSQL, on schemas built by Alembic."""

from __future__ import annotations

import os
import re
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import get_session, make_engine
from app.exports.stream import export_connections
from app.main import asgi
from app.migrate import upgrade


def _analyse_each_route_once() -> None:
    """Tests build an app for every browser (``make_client``), and FastAPI analyses an app's
    routes (signatures, dependencies, body models) on the first request that walks them: about
    0.3 s an app, most of the suite's time. An endpoint's analysis is the same in every app (the
    same functions, the same dependencies), so a test process makes it once. Production runs one
    app a process and is not touched. Fails at import if FastAPI no longer has the function."""
    from fastapi import routing

    analyse = routing._build_dependant_with_parameterless_dependencies
    done: dict[tuple[Any, ...], Any] = {}

    def once(*, path: str, call: Any, dependencies: Any) -> Any:
        key = (path, call, tuple((d.dependency, d.use_cache, d.scope) for d in dependencies))
        found = done.get(key)
        if found is None:
            found = done[key] = analyse(path=path, call=call, dependencies=dependencies)
        return found

    body_field = routing._get_body_field
    fields: dict[tuple[int, str, bool], tuple[Any, Any]] = {}

    def body_once(*, body_params: Any, name: str, embed_body_fields: bool) -> Any:
        # the same analysis gives the same list of body parameters (kept, so its id stays its)
        key = (id(body_params), name, embed_body_fields)
        found = fields.get(key)
        if found is None:
            field = body_field(
                body_params=body_params, name=name, embed_body_fields=embed_body_fields
            )
            found = fields[key] = (body_params, field)
        return found[1]

    routing._build_dependant_with_parameterless_dependencies = once
    routing._get_body_field = body_once

    # With dependency overrides (``make_client`` overrides the database session), FastAPI
    # analyses every dependency of the route again on each request (``solve_dependencies``
    # calls ``get_dependant``): the same analysis, kept here. The overrides are new functions
    # for each browser, so only the latest few hundred analyses are kept.
    from fastapi.dependencies import utils

    dependant_of = utils.get_dependant
    dependants: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def dependant_once(
        *,
        path: str,
        call: Any,
        name: str | None = None,
        own_oauth_scopes: list[str] | None = None,
        parent_oauth_scopes: list[str] | None = None,
        use_cache: bool = True,
        scope: Any = None,
        concurrency: Any = None,
    ) -> Any:
        key = (
            path,
            call,
            name,
            tuple(own_oauth_scopes or ()),
            tuple(parent_oauth_scopes or ()),
            use_cache,
            scope,
            concurrency,
        )
        found = dependants.get(key)
        if found is not None:
            dependants.move_to_end(key)
        else:
            found = dependants[key] = dependant_of(
                path=path,
                call=call,
                name=name,
                own_oauth_scopes=own_oauth_scopes,
                parent_oauth_scopes=parent_oauth_scopes,
                use_cache=use_cache,
                scope=scope,
                concurrency=concurrency,
            )
            if len(dependants) > 512:
                dependants.popitem(last=False)
        return found

    utils.get_dependant = dependant_once


_analyse_each_route_once()


POSTGRES_URL = os.environ.get(
    "TRIPARTITE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


@dataclass
class PostgresServer:
    url: str
    created: list[str]

    def new_database(self) -> str:
        name = f"tripartite_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    try:
        probe = create_engine(POSTGRES_URL)
        with probe.connect():
            pass
        probe.dispose()
    except Exception as error:  # noqa: BLE001
        if IN_CI:
            pytest.fail(
                f"PostgreSQL is required under CI but not reachable at {POSTGRES_URL}: {error}"
            )
        yield None
        return
    server = PostgresServer(POSTGRES_URL, [])
    yield server
    server.drop_all()


def _fresh_url(backend: str, postgres: PostgresServer | None, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'test-{uuid.uuid4().hex[:8]}.db'}"
    if postgres is None:
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} "
            "(set TRIPARTITE_TEST_POSTGRES_URL; required when CI=true)"
        )
    return postgres.new_database()


@pytest.fixture(autouse=True)
def empty_fragment_cache() -> None:
    """Each test starts with no cached round regions nor kept round pages (ids repeat across
    rolled-back tests)."""
    from app.rounds import page_cache
    from app.rounds.fragments import CACHE

    CACHE.clear()
    page_cache.CACHE.clear()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_url(
    backend: str, postgres_server: PostgresServer | None, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """One database per backend per run, built by ``alembic upgrade head``."""
    url = _fresh_url(backend, postgres_server, tmp_path_factory.mktemp(backend))
    upgrade(url)
    return url


@pytest.fixture
def fresh_url(backend: str, postgres_server: PostgresServer | None, tmp_path: Path) -> str:
    """An empty database of its own, for migration and command-line tests."""
    return _fresh_url(backend, postgres_server, tmp_path)


@pytest.fixture(scope="session")
def engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(migrated_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=migrated_url,
        data_dir=tmp_path,
        secret_key="test-secret",
        password_min_length=12,
        # the test client reads a whole answer: a live stream says where the round stands
        # and ends (streams are tested served for real, tests/test_live_stream.py)
        live_stream_seconds=0,
    )


#: The CSRF token a page's forms carry.
TOKEN_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


def page_token(client) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the pages this browser is shown (the signed-in session's own, or,
    signed out, the one of the browser's ``csrftoken`` cookie), read from a page as a browser
    has it: the sign-in page, or wherever it sends a signed-in browser."""
    page = client.get("/login", follow_redirects=True)
    found = TOKEN_FIELD.search(page.text)
    assert found, f"no CSRF token on {page.url}: {page.status_code}"
    return found.group(1)


def _cookie_jar(client) -> tuple[tuple[str, str, str], ...]:  # type: ignore[no-untyped-def]
    return tuple(sorted((c.name, c.value or "", c.domain) for c in client.cookies.jar))


def multipart(data: dict[str, object], **headers: str) -> dict[str, object]:
    """``data`` sent as ``multipart/form-data`` (the keyword arguments of a post): a form with
    a file field is sent so. Lists are repeated fields; an empty form is an empty body."""
    boundary = "tripartite-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, values in data.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    return {"content": body, "headers": {"content-type": content_type, **headers}}


class Browser(TestClient):
    """A TestClient that sends the CSRF token like the app's own forms do."""

    _csrf: tuple[tuple[tuple[str, str, str], ...], str] | None = None

    def csrf(self) -> str:
        """The token of this browser's pages, read again whenever its cookies changed (signing
        in, out, or a session set by a test: each session has a token of its own)."""
        if self._csrf is None or self._csrf[0] != _cookie_jar(self):
            token = page_token(self)
            self._csrf = (_cookie_jar(self), token)
        return self._csrf[1]

    def submit(self, url: str, data: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        form = {"csrftoken": self.csrf(), **(data or {})}
        return self.post(url, data=form, **kwargs)  # type: ignore[arg-type]

    def sign_in(self, email: str, password: str):  # type: ignore[no-untyped-def]
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        if "/login/two-factor" in response.headers["location"]:
            response = self.second_factor()
        return response

    def second_factor(self, secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"):  # type: ignore[no-untyped-def]
        """The code of the factories' shared TOTP key (this step's, or the next one's when
        this step's was used already: each code is accepted once)."""
        from datetime import timedelta

        from app.accounts.two_factor import current_code
        from app.db import utcnow

        for ahead in (0, 1):
            code = current_code(secret, utcnow() + timedelta(seconds=30 * ahead))
            response = self.submit("/login/two-factor", {"code": code})
            if response.status_code == 303:
                return response
        raise AssertionError(f"second factor refused: {response.text}")


@pytest.fixture
def make_client(settings: Settings, db: Session) -> Iterator[object]:
    clients: list[Browser] = []

    def make() -> Browser:
        app = asgi(settings)
        overrides = app.fastapi_app.dependency_overrides  # type: ignore[attr-defined]
        overrides[get_session] = lambda: db
        overrides[export_connections] = lambda: lambda: nullcontext(db.connection())
        client = Browser(app, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> Browser:  # type: ignore[no-untyped-def]
    return make_client()  # type: ignore[no-any-return]


def text_of(html: str) -> str:
    """The visible text of a page, whitespace folded (for asserting what a person reads)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for isolated in soup.find_all("bdi"):  # a name inside its sentence: no space around it
        isolated.unwrap()
    soup.smooth()
    return re.sub(r"\s+", " ", soup.get_text(" ")).strip()
