"""Real-browser harness: the app served by ``tripartite serve``, driven by Debian chromium.

One server per test run, on a fresh SQLite database with the demo loaded; one browser per run;
a new browser context (cookies, storage) per test. Every test under ``tests/browser`` carries
the ``browser`` marker (``pytest -m "not browser"`` leaves them out). Chromium is launched from
``/usr/bin/chromium``: a missing chromium skips these tests, unless ``CI=true``, where it fails.
On failure each open page is saved as a screenshot in ``test-artifacts/`` and the tail of the
server's log is added to the report.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("TRIPARTITE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
HERE = Path(__file__).parent
STARTUP_SECONDS = 30.0
TIMEOUT_MS = 10_000


# -- markers and failure reports ---------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    if report.failed and HERE in Path(str(item.path)).parents:
        server = getattr(item, "funcargs", {}).get("live_server")
        if isinstance(server, LiveServer):
            report.sections.append(("tripartite serve log (tail)", server.log_tail()))
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


# -- the server --------------------------------------------------------------------------------


@dataclass
class LiveServer:
    base_url: str
    demo: dict[str, Any]
    log_path: Path

    @property
    def password(self) -> str:
        return str(self.demo["password"])

    def account(self, role: str) -> dict[str, Any]:
        """The first demo account with this role."""
        return next(a for a in self.demo["accounts"] if a["role"] == role)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])


def _tripartite() -> list[str]:
    """The ``tripartite`` command of the interpreter running the tests."""
    script = Path(sys.executable).parent / "tripartite"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(folder: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPARTITE_")}
    env.update(
        TRIPARTITE_DATABASE_URL=f"sqlite:///{folder / 'browser.db'}",
        TRIPARTITE_DATA_DIR=str(folder),
        TRIPARTITE_HOST="127.0.0.1",
        TRIPARTITE_PORT=str(port),  # the demo's round URLs are built from these
        TRIPARTITE_BASE_URL=f"http://127.0.0.1:{port}",  # and invitation links from this
        TRIPARTITE_SECRET_KEY="browser-test-secret",
        TRIPARTITE_DEMO_PASSWORD="browser-demo-password",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [*_tripartite(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        pytest.fail(
            f"`tripartite {' '.join(args)}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server's whole process group: TERM, then KILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}: required when CI=true")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``tripartite serve`` on a free port over a fresh, migrated SQLite database with the demo."""
    folder = tmp_path_factory.mktemp("browser-server")
    port = _free_port()
    with _serving(folder, port, _server_env(folder, port)) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_live_server(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory, postgres_server: Any
) -> Iterator[LiveServer]:
    """The same over PostgreSQL (the live journeys run on both databases)."""
    from tests.conftest import _fresh_url

    folder = tmp_path_factory.mktemp("browser-server-postgresql")
    port = _free_port()
    env = _server_env(folder, port)
    env["TRIPARTITE_DATABASE_URL"] = _fresh_url("postgresql", postgres_server, folder)
    with _serving(folder, port, env) as server:
        yield server


@contextmanager
def _serving(folder: Path, port: int, env: dict[str, str]) -> Iterator[LiveServer]:
    _run(["db", "upgrade"], env, folder)
    demo = json.loads(_run(["demo", "--json"], env, folder))

    base_url = f"http://127.0.0.1:{port}"
    log_path = folder / "serve.log"
    server = LiveServer(base_url, demo, log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*_tripartite(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as one
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _healthy(f"{base_url}/healthz"):
                if process.poll() is not None:
                    pytest.fail(
                        f"tripartite serve exited {process.returncode}:\n{server.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"tripartite serve not healthy after {STARTUP_SECONDS:.0f} s:\n"
                        f"{server.log_tail()}"
                    )
                time.sleep(0.1)
            yield server
        finally:
            _stop(process)


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


NewContext = Callable[..., Any]


@pytest.fixture
def new_context(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[NewContext]:
    """Open more browser contexts (another person, JavaScript off...); each is closed after."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("base_url", live_server.base_url)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    if _failed(request):
        _screenshots(request, contexts)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: NewContext) -> Any:
    """A page in a fresh browser context of its own."""
    return new_context().new_page()


def _screenshots(request: pytest.FixtureRequest, contexts: list[Any]) -> None:
    folder = request.config.rootpath / "test-artifacts"
    folder.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
    for c, context in enumerate(contexts):
        for p, open_page in enumerate(context.pages):
            target = folder / f"{stem}-{c}-{p}.png"
            try:
                open_page.screenshot(path=str(target), full_page=True)
            except Exception as error:  # noqa: BLE001 - a report aid must not hide the failure
                sys.stderr.write(f"screenshot {target} failed: {error}\n")
            else:
                sys.stderr.write(f"screenshot saved: {target}\n")
