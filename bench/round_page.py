"""Round page throughput and comment-posting latency, measured in one run against one server.

    .venv/bin/python bench/round_page.py [--backend sqlite|postgresql|both] [--seconds 10]

For each backend: a fresh database with a demo-scale round (3 groups x 20 organisations, 60
positions, 2,000 comments), one `tripartite serve` process, then
  0. the round page's size (target < 60 kB) and its query count, first (cold caches) and
     again (warm: target <= 3), counted on the app run in this process on the same database;
  1. wrk, 32 connections: the round page vs. /bench/ceiling, a pre-rendered HTML string of the
     same size served by the same app (the ceiling; target >= 50%), and vs. a bare FastAPI app
     returning the same bytes on the same uvicorn settings (bench/bare_app.py);
  2. wrk, 32 connections posting comments as 32 representatives of different organisations:
     p50/p99 latency and errors (target p99 < 100 ms, 0 errors).
--no-posting leaves step 2 out.
Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import free_port, page_token, sign_in  # noqa: E402  (bench/common.py)

from app.accounts.credentials import hash_password  # noqa: E402
from app.db import utcnow  # noqa: E402
from app.markdown import render  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import (  # noqa: E402
    Comment,
    Consultation,
    Mandate,
    Organisation,
    Position,
    PositionVersion,
    Round,
    RoundInvitation,
    User,
)
from app.vocabulary import Group, Stance  # noqa: E402

PASSWORD = "bench-password-2026"
POSTGRES = os.environ.get(
    "TRIPARTITE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ORGS_PER_GROUP = 20
COMMENTS = 2_000
POSTERS = 32


def seed(url: str) -> int:
    """The demo-scale round; returns its id."""
    engine = create_engine(url)
    now = utcnow()
    password_hash = hash_password(PASSWORD)
    stances = list(Stance)
    with engine.begin() as db:
        db.execute(
            insert(Consultation),
            [{"id": 1, "title": "Bench consultation", "brief": "", "created_at": now}],
        )
        db.execute(
            insert(Round),
            [
                {
                    "id": 1,
                    "consultation_id": 1,
                    "number": 1,
                    "title": "Bench round",
                    "brief": "A **demo-scale** round.",
                    "status": "open",
                    "weighting": "1:1:1",
                    "sealed": False,
                    "premoderated": False,
                    "opens_at": now - timedelta(days=1),
                    "closes_at": now + timedelta(days=10),
                    "version": 1,
                    "created_at": now,
                }
            ],
        )
        orgs, users, mandates, invitations, positions, versions = [], [], [], [], [], []
        n = 0
        for group in Group:
            for i in range(ORGS_PER_GROUP):
                n += 1
                orgs.append(
                    {
                        "id": n,
                        "name": f"{group.label} organisation {i + 1}",
                        "group_name": group.value,
                        "country": "Ardenia",
                        "created_at": now,
                    }
                )
                users.append(
                    {
                        "id": n,
                        "email": f"rep{n}@bench.example",
                        "name": f"Representative {n}",
                        "password_hash": password_hash,
                        "is_active": True,
                        "created_at": now,
                    }
                )
                mandates.append(
                    {
                        "user_id": n,
                        "organisation_id": n,
                        "role": "representative",
                        "starts_at": now - timedelta(days=2),
                        "created_at": now,
                    }
                )
                invitations.append({"round_id": 1, "organisation_id": n, "invited_at": now})
                statement = f"Organisation {n} explains its position in **two** sentences. " * 3
                stance = stances[n % len(stances)].value
                positions.append(
                    {
                        "id": n,
                        "round_id": 1,
                        "organisation_id": n,
                        "stance": stance,
                        "statement": statement,
                        "statement_html": render(statement),
                        "version": 1,
                        "created_by_id": n,
                        "last_edited_by_id": n,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                versions.append(
                    {
                        "position_id": n,
                        "version": 1,
                        "stance": stance,
                        "statement": statement,
                        "author_id": n,
                        "created_at": now,
                    }
                )
        for table, rows in (
            (Organisation, orgs),
            (User, users),
            (Mandate, mandates),
            (RoundInvitation, invitations),
            (Position, positions),
            (PositionVersion, versions),
        ):
            db.execute(insert(table), rows)
        comments = []
        for c in range(1, COMMENTS + 1):
            author = (c * 7) % n + 1
            parent = None if c % 3 == 1 else c - 1
            thread = None if parent is None else (comments[parent - 1]["thread_id"] or parent)
            body = f"Comment {c}: a point about portability of *pensions*."
            comments.append(
                {
                    "id": c,
                    "round_id": 1,
                    "parent_id": parent,
                    "thread_id": thread,
                    "author_id": author,
                    "organisation_id": author,
                    "body": body,
                    "body_html": render(body),
                    "visibility": "visible",
                    "locked": False,
                    "created_at": now - timedelta(days=1),
                }
            )
        db.execute(insert(Comment), comments)
        if url.startswith("postgresql"):
            for table in (
                "consultations",
                "rounds",
                "organisations",
                "users",
                "positions",
                "comments",
            ):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    engine.dispose()
    return 1


def wrk(url: str, cookie: str, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} error responses on {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


POSTING_LUA = """
identities = {%s}
counter = 0
made = 0
setup = function(thread)
  made = made + 1
  thread:set("tid", made)
end
request = function()
  counter = counter + 1
  local who = identities[(counter %% #identities) + 1]
  local body = "body=A+comment+posted+under+load.&csrftoken=" .. who[2]
      .. "&idempotency_key=" .. string.format("k%%02d%%09d", tid, counter)
  return wrk.format("POST", "/rounds/1/comments", {
    ["Cookie"] = who[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
"""


def posting(base: str, seconds: int) -> tuple[float, float, int, int]:
    """wrk, 32 connections posting comments as 32 representatives (each of another
    organisation) in turn: p50 and p99 latency in ms, errors, requests."""
    identities = []
    for i in range(POSTERS):
        client = sign_in(base, f"rep{i + 1}@bench.example")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        identities.append(f'{{"{cookie}", "{page_token(client)}"}}')
        client.close()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(POSTING_LUA % ", ".join(identities))
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{POSTERS}", f"-d{seconds}s", "--latency", "-s", script.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    failed = (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return ms("50"), ms("99"), failed, requests


def query_counts(url: str, folder: Path, round_id: int) -> tuple[int, int]:
    """The round page's queries as rep1 sees it: the first request (cold caches), then again
    (warm), counted on the engine of the app run here, in this process."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from app.config import Settings
    from app.main import asgi

    settings = Settings(
        database_url=url, data_dir=folder, secret_key="bench", login_max_failures_per_address=1000
    )
    app = asgi(settings)
    engine = app.fastapi_app.state.engine  # type: ignore[attr-defined]
    # reads on the event loop (app/quick_reads.py: the kept page's door) count too
    reads = app.fastapi_app.state.quick_reads  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        client.get("/login")
        signed = client.post(
            "/login",
            data={
                "email": "rep1@bench.example",
                "password": PASSWORD,
                "csrftoken": client.cookies["csrftoken"],
            },
        )
        assert signed.status_code == 303, signed.text
        counts = []
        event.listen(engine, "before_cursor_execute", count)
        try:
            for _ in range(2):
                statements.clear()
                before = reads.queries
                assert client.get(f"/rounds/{round_id}").status_code == 200
                counts.append(len(statements) + reads.queries - before)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return counts[0], counts[1]


def bare(size: int, seconds: int) -> float:
    """req/s of bench/bare_app.py returning ``size`` bytes."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench/bare_app.py"), str(port)],
        env={**os.environ, "BARE_SIZE": str(size)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        return wrk(base + "/", "none=1", seconds)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def run(backend: str, seconds: int, posting_too: bool = True) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tripartite-bench-"))
    dbname = f"tripartite_bench_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = POSTGRES.rsplit("/", 1)[0] + f"/{dbname}"
    server = None
    try:
        upgrade(url)
        round_id = seed(url)
        cold, warm = query_counts(url, folder, round_id)
        port = free_port()
        env = {
            **os.environ,
            "TRIPARTITE_DATABASE_URL": url,
            "TRIPARTITE_DATA_DIR": str(folder),
            "TRIPARTITE_SECRET_KEY": "bench",
            "TRIPARTITE_BENCH_ENDPOINTS": "true",
            "TRIPARTITE_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
            # 32 representatives posting flat out measure the write path, not the rate limit
            "TRIPARTITE_POSTING_LIMIT": "1000000",
        }
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/tripartite"), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = sign_in(base, "rep1@bench.example")
        page = client.get(f"/rounds/{round_id}")
        assert page.status_code == 200
        size = len(page.content)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        wrk(f"{base}/rounds/{round_id}", cookie, 2)  # warm up
        ceiling = wrk(f"{base}/bench/ceiling?size={size}", cookie, seconds)
        round_page = wrk(f"{base}/rounds/{round_id}", cookie, seconds)
        bare_rate = bare(size, seconds)
        print(
            f"{backend:10} page {size / 1000:.1f} kB (target < 60) | queries {cold} cold, "
            f"{warm} warm (target <= 3) | round page {round_page:7.1f} req/s | "
            f"ceiling {ceiling:7.1f} req/s | ratio {round_page / ceiling:6.1%} (target >= 50%) | "
            f"bare FastAPI {bare_rate:7.1f} req/s | ratio {round_page / bare_rate:6.1%}",
            flush=True,
        )
        if posting_too:
            p50, p99, errors, posts = posting(base, seconds)
            print(
                f"{backend:10} posting x{POSTERS}: p50 {p50:.0f} ms, p99 {p99:.0f} ms "
                f"(target < 100), {errors} errors of {posts}",
                flush=True,
            )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        if backend == "postgresql":
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--no-posting", action="store_true", help="measure the round page alone (no posting)"
    )
    args = parser.parse_args()
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        run(backend, args.seconds, posting_too=not args.no_posting)


if __name__ == "__main__":
    main()
