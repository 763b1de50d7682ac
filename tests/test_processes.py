"""Several app processes on one database (what `tripartite serve --workers N` and a load
balancer give): a comment posted through one process reaches a page served by another through
the live updates, because their state lives in the database, not in a process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from tests.browser.conftest import _free_port, _healthy, _stop, _tripartite
from tests.conftest import page_token
from tests.sse import Reader


def _env(url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPARTITE_")}
    env.update(
        TRIPARTITE_DATABASE_URL=url,
        TRIPARTITE_DATA_DIR=str(folder),
        TRIPARTITE_SECRET_KEY="two-processes-secret",  # shared: CSRF tokens work on both
        TRIPARTITE_DEMO_PASSWORD="two-processes-password",
        PYTHONUNBUFFERED="1",
    )
    return env


def _cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*_tripartite(), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _sign_in(base: str, email: str, password: str) -> httpx2.Client:
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=10)
    client.get("/login")
    signed = client.post(
        "/login",
        data={"email": email, "password": password, "csrftoken": client.cookies["csrftoken"]},
    )
    assert signed.status_code == 303, signed.text
    return client


@dataclass
class TwoProcesses:
    """Two `tripartite serve` processes on one database holding the demo."""

    password: str
    round_path: str  # the demo's open round
    bases: list[str]
    clients: list[httpx2.Client] = field(default_factory=list)

    def sign_in(self, process: int, email: str) -> httpx2.Client:
        client = _sign_in(self.bases[process], email, self.password)
        self.clients.append(client)
        return client

    def comment(self, writer: httpx2.Client, body: str) -> None:
        form = writer.get(self.round_path).text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
        posted = writer.post(
            f"{self.round_path}/comments",
            data={"body": body, "idempotency_key": key, "csrftoken": page_token(writer)},
        )
        assert posted.status_code == 303, posted.text


@contextmanager
def two_processes(url: str, folder: Path) -> Iterator[TwoProcesses]:
    env = _env(url, folder)
    _cli(["db", "upgrade"], env)
    demo = json.loads(_cli(["demo", "--json"], env))
    open_round = next(r for r in demo["rounds"] if r["status"] == "open")
    processes, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            processes.append(
                subprocess.Popen(
                    [*_tripartite(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while not all(_healthy(f"{b}/healthz") for b in bases):
            assert time.monotonic() < deadline, "the two servers did not start"
            time.sleep(0.1)
        both = TwoProcesses(demo["password"], f"/rounds/{open_round['id']}", bases)
        try:
            yield both
        finally:
            for client in both.clients:
                client.close()
    finally:
        for process in processes:
            _stop(process)


def test_a_comment_posted_in_one_process_appears_live_in_another(fresh_url, tmp_path):
    with two_processes(fresh_url, tmp_path) as both:
        reader = both.sign_in(1, "rep@aef.example")
        page = reader.get(both.round_path).text
        poll = re.search(r'hx-get="([^"]+/live\?[^"]+)"', page).group(1).replace("&amp;", "&")
        assert reader.get(poll).status_code == 204  # nothing new yet

        both.comment(both.sign_in(0, "rep@atuc.example"), "Posted through process A")

        update = reader.get(poll)  # served by process B
        assert update.status_code == 200
        assert "Posted through process A" in update.text


def test_a_comment_posted_in_one_process_reaches_a_stream_open_on_another(fresh_url, tmp_path):
    """The live stream across processes: on PostgreSQL the database's NOTIFY tells every
    process; on SQLite each process's watcher reads the versions of the rounds it streams."""
    with two_processes(fresh_url, tmp_path) as both:
        reader = both.sign_in(1, "rep@aef.example")
        page = reader.get(both.round_path).text
        channel = re.search(r'sse-connect="([^"]+)"', page).group(1).replace("&amp;", "&")
        assert 'hx-ext="sse"' in page and "/stream?" in channel
        stream = Reader(reader, channel)  # on process B
        try:
            assert stream.status == 200
            opened = stream.next()
            assert opened.id is not None

            both.comment(both.sign_in(0, "rep@atuc.example"), "Streamed across processes")

            update = stream.until("Streamed across processes")
            assert update.name == "update" and int(update.id or 0) > int(opened.id)
        finally:
            stream.close()


def test_a_write_through_one_process_renews_the_page_another_process_keeps(fresh_url, tmp_path):
    """Each process keeps whole round pages in its own memory, keyed by the round's version in
    the database: a comment posted through process A is on the page process B serves next, and
    B answers the ETag it gave before the write with the new page, not 304."""
    with two_processes(fresh_url, tmp_path) as both:
        reader = both.sign_in(1, "rep@aef.example")
        reader.get(both.round_path)  # the sign-in's confirmation, shown once
        kept = reader.get(both.round_path)
        etag = kept.headers["etag"]
        assert reader.get(both.round_path, headers={"If-None-Match": etag}).status_code == 304

        both.comment(both.sign_in(0, "rep@atuc.example"), "Kept pages renewed across processes")

        renewed = reader.get(both.round_path, headers={"If-None-Match": etag})  # process B
        assert renewed.status_code == 200
        assert "Kept pages renewed across processes" in renewed.text
        assert renewed.headers["etag"] != etag
