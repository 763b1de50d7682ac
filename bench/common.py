"""Shared by bench/load.py, bench/crash.py and bench/db_restart.py: a closing-day round seeded
with bulk Core inserts, throwaway databases, `tripartite serve` processes, the simulated
representatives (one thread each, posting positions and comments over HTTP on 127.0.0.1), and
the checks run on the database afterwards (every acknowledged item present, no duplicate
idempotency key, integrity).

Every request loop is bounded in time and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import html
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.accounts.credentials import hash_password  # noqa: E402
from app.db import utcnow  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import (  # noqa: E402
    Consultation,
    Mandate,
    Organisation,
    Round,
    RoundInvitation,
    User,
)
from app.vocabulary import Group  # noqa: E402

PASSWORD = "bench-password-2026"
POSTGRES = os.environ.get(
    "TRIPARTITE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROUND_ID = 1
#: Comments an account may post in two minutes, in the servers of capacity runs (the default,
#: 20, would turn most of a flat-out closing-day load into 429s: see --posting-limit).
HIGH_POSTING_LIMIT = 1_000_000
#: Share of the actions that post or revise the organisation's position (the rest comment).
POSITION_SHARE = 0.2
#: Share of the comments that reply to the user's own previous acknowledged comment.
REPLY_SHARE = 0.25
STANCES = ["support", "support_with_reservations", "neutral", "oppose", "abstain"]
CLIENT_TIMEOUT = 30.0
#: Item.error of a request that could not even connect (nothing sent; retried as it is).
REFUSED = "ConnectError"


# --- databases ---------------------------------------------------------------------------------


@dataclass
class Database:
    backend: str
    url: str
    folder: Path
    admin_url: str | None = None
    name: str | None = None

    def drop(self) -> None:
        if self.admin_url and self.name:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)


def create_database(backend: str, admin_url: str = POSTGRES) -> Database:
    """An empty database of the backend's kind, migrated by Alembic (a SQLite file in a
    temporary folder, or a throwaway PostgreSQL database on the server of ``admin_url``)."""
    folder = Path(tempfile.mkdtemp(prefix="tripartite-bench-"))
    if backend == "sqlite":
        db = Database(backend, f"sqlite:///{folder / 'bench.db'}", folder)
    else:
        name = f"tripartite_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        db = Database(backend, url, folder, admin_url, name)
    upgrade(db.url)
    return db


def seed(url: str, users: int) -> None:
    """One open round (closing in two hours) of a consultation, ``users`` invited organisations
    spread over the three groups, each with one representative (``rep{n}@bench.example``, user
    and organisation id n) and no position yet."""
    engine = create_engine(url)
    now = utcnow()
    password_hash = hash_password(PASSWORD)
    groups = list(Group)
    with engine.begin() as db:
        db.execute(
            insert(Consultation),
            [{"id": 1, "title": "Closing-day consultation", "brief": "", "created_at": now}],
        )
        db.execute(
            insert(Round),
            [
                {
                    "id": ROUND_ID,
                    "consultation_id": 1,
                    "number": 1,
                    "title": "Closing-day round",
                    "brief": "The last hours before the deadline.",
                    "status": "open",
                    "weighting": "1:1:1",
                    "sealed": False,
                    "premoderated": False,
                    "opens_at": now - timedelta(days=7),
                    "closes_at": now + timedelta(hours=2),
                    "version": 1,
                    "created_at": now,
                }
            ],
        )
        orgs, people, mandates, invitations = [], [], [], []
        for n in range(1, users + 1):
            group = groups[(n - 1) % len(groups)]
            orgs.append(
                {
                    "id": n,
                    "name": f"{group.label} organisation {n}",
                    "group_name": group.value,
                    "country": "Ardenia",
                    "created_at": now,
                }
            )
            people.append(
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
                    "starts_at": now - timedelta(days=30),
                    "created_at": now,
                }
            )
            invitations.append({"round_id": ROUND_ID, "organisation_id": n, "invited_at": now})
        for table, rows in (
            (Organisation, orgs),
            (User, people),
            (Mandate, mandates),
            (RoundInvitation, invitations),
        ):
            db.execute(insert(table), rows)
        if url.startswith("postgresql"):
            for table in ("consultations", "rounds", "organisations", "users", "mandates"):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    engine.dispose()


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One `tripartite serve` process (one uvicorn worker: the process is the server), in a
    process group of its own so that it can be killed with everything it started."""

    url: str
    folder: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / f"server-{self.port}.log"

    def start(self, wait: bool = True) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n--- start {self.starts} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [str(ROOT / ".venv/bin/tripartite"), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, seconds: float = 30) -> float:
        """Seconds until /healthz answered 200."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"server on {self.port} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"server on {self.port} not ready within {seconds} s")

    def kill9(self) -> None:
        """SIGKILL to the whole process group: no shutdown handler runs."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)

    def log_count(self, needle: str) -> int:
        return self.log.read_text(errors="replace").count(needle) if self.log.exists() else 0


def make_servers(
    db: Database, processes: int, posting_limit: int, extra_env: dict[str, str] | None = None
) -> list[Server]:
    env = {
        **os.environ,
        "TRIPARTITE_DATABASE_URL": db.url,
        "TRIPARTITE_DATA_DIR": str(db.folder),
        # one key for every process: CSRF tokens and cookies are good on all of them
        "TRIPARTITE_SECRET_KEY": "bench-shared-secret",
        "TRIPARTITE_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
        "TRIPARTITE_POSTING_LIMIT": str(posting_limit),
        **(extra_env or {}),
    }
    return [Server(db.url, db.folder, free_port(), env) for _ in range(processes)]


# --- the simulated representatives ------------------------------------------------------------


@dataclass
class Item:
    """One post: what was sent, and what became of it."""

    kind: str  # "position" | "comment" | "reply"
    user: int
    key: str
    text: str
    stance: str = ""
    base_version: int = 0
    parent_id: int | None = None
    #: 303 (or 2xx) means acknowledged: the item must be in the database.
    status: int | None = None
    error: str = ""
    started: float = 0.0
    finished: float = 0.0
    server: int = 0

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 400

    @property
    def in_doubt(self) -> bool:
        """No answer, or a 5xx: the write may or may not have happened."""
        return self.status is None or self.status >= 500

    @property
    def latency(self) -> float:
        return self.finished - self.started


_COMMENT_ID = re.compile(r"#comment-(\d+)")
_CSRF_TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def sign_in(base: str, email: str) -> httpx.Client:
    """A client signed in as ``email`` (the bench password) on the server at ``base``."""
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrftoken": client.cookies["csrftoken"]},
    )
    assert response.status_code == 303, response.text
    return client


def page_token(client: httpx.Client, base: str = "") -> str:
    """The CSRF token of the pages a signed-in client is shown (its session's own)."""
    page = client.get(base + "/", follow_redirects=True)
    found = _CSRF_TOKEN.search(page.text)
    if found is None:
        raise SystemExit(f"no CSRF token on {base}/ ({page.status_code})")
    return found.group(1)


_BASE_VERSION = re.compile(r'name="base_version" value="(\d+)"')


class Representative:
    def __init__(self, n: int, bases: list[str], seed_value: int) -> None:
        self.n = n
        self.bases = bases
        self.rng = random.Random(seed_value * 1000 + n)
        self.client = httpx.Client(timeout=CLIENT_TIMEOUT, follow_redirects=False)
        #: The position's version as this client knows it; None once a position post of its
        #: own is in doubt (it then only comments, so the doubtful post stays resubmittable).
        self.version: int | None = 0
        self.last_comment: int | None = None
        self.seq = 0
        #: The CSRF token of this client's session (read once signed in).
        self.csrf = ""

    @property
    def email(self) -> str:
        return f"rep{self.n}@bench.example"

    def sign_in(self) -> None:
        base = self.bases[self.n % len(self.bases)]
        for attempt in range(5):
            try:
                self.client.get(base + "/login")
                response = self.client.post(
                    base + "/login",
                    data={
                        "email": self.email,
                        "password": PASSWORD,
                        "csrftoken": self.client.cookies["csrftoken"],
                    },
                )
                if response.status_code == 303:
                    self.csrf = page_token(self.client, base)
                    return
                error = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = repr(exc)
            time.sleep(0.5 * (attempt + 1))
        raise SystemExit(f"{self.email} could not sign in: {error}")

    def next_item(self) -> Item:
        self.seq += 1
        key = f"r{self.n}-{self.seq}-{uuid.uuid4().hex[:10]}"
        if self.version is not None and self.rng.random() < POSITION_SHARE:
            stance = self.rng.choice(STANCES)
            statement = (
                f"Organisation {self.n}, revision {self.seq}: portability of pensions must "
                f"follow the worker ({key})."
            )
            return Item("position", self.n, key, statement, stance, self.version)
        body = f"Comment {self.seq} by representative {self.n} on the closing day ({key})."
        if self.last_comment is not None and self.rng.random() < REPLY_SHARE:
            return Item("reply", self.n, key, body, parent_id=self.last_comment)
        return Item("comment", self.n, key, body)

    def send(self, item: Item, server: int) -> Item:
        base = self.bases[server % len(self.bases)]
        csrf = self.csrf
        if item.kind == "position":
            path = f"/rounds/{ROUND_ID}/positions"
            data = {
                "stance": item.stance,
                "statement": item.text,
                "base_version": str(item.base_version),
                "idempotency_key": item.key,
                "csrftoken": csrf,
            }
        elif item.kind == "reply":
            path = f"/rounds/{ROUND_ID}/comments/{item.parent_id}/replies"
            data = {"body": item.text, "idempotency_key": item.key, "csrftoken": csrf}
        else:
            path = f"/rounds/{ROUND_ID}/comments"
            data = {"body": item.text, "idempotency_key": item.key, "csrftoken": csrf}
        item.server = server % len(self.bases)
        item.status, item.error = None, ""
        item.started = time.monotonic()
        try:
            response = self.client.post(base + path, data=data)
            item.status = response.status_code
            body = response.text if response.status_code >= 400 else ""
            location = response.headers.get("location", "")
        except httpx.ConnectError:
            # nothing was sent (the server is down): the caller tries the same post again
            item.finished = time.monotonic()
            item.error = REFUSED
            return item
        except httpx.HTTPError as exc:
            item.status, body, location = None, "", ""
            item.error = exc.__class__.__name__
        item.finished = time.monotonic()
        if item.status is not None and item.status >= 400:
            item.error = _message(body)
        self._learn(item, body, location)
        return item

    def _learn(self, item: Item, body: str, location: str) -> None:
        if item.kind == "position":
            if item.acked:
                self.version = item.base_version + 1
            elif item.in_doubt:
                self.version = None
            elif item.status == 409:  # told it is stale: take the version the form offers
                found = _BASE_VERSION.search(body)
                self.version = int(found.group(1)) if found else None
        elif item.acked:
            found = _COMMENT_ID.search(location)
            if found:
                self.last_comment = int(found.group(1))


def _message(body: str) -> str:
    """The refusal's message, as a person reads it (error page, or the error beside a field)."""
    for pattern in (
        r'role="alert">\s*<h2>[^<]*</h2>\s*<p>([^<]+)</p>',
        r'class="error"[^>]*>([^<]+)<',
    ):
        found = re.search(pattern, body)
        if found:
            return html.unescape(" ".join(found.group(1).split()))[:160]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())[:160]


@dataclass
class Load:
    """``users`` representatives, one thread each, posting flat out (no think time) in turn
    to every server in ``bases`` until ``stop()`` or ``seconds`` have passed."""

    bases: list[str]
    users: int
    seed_value: int = 1
    items: list[Item] = field(default_factory=list)
    reps: list[Representative] = field(default_factory=list)
    started: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    #: Connections refused (server down): the post was not sent, and is sent again.
    refused: int = 0

    def sign_in_all(self) -> None:
        self.reps = [
            Representative(n, self.bases, self.seed_value) for n in range(1, self.users + 1)
        ]
        threads = [threading.Thread(target=rep.sign_in) for rep in self.reps]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def start(self, seconds: float) -> None:
        self.started = time.monotonic()
        deadline = self.started + seconds
        self._threads = [
            threading.Thread(target=self._loop, args=(rep, deadline), daemon=True)
            for rep in self.reps
        ]
        for t in self._threads:
            t.start()

    def _loop(self, rep: Representative, deadline: float) -> None:
        turn = rep.n
        pending: Item | None = None
        while time.monotonic() < deadline and not self._stop.is_set():
            item = rep.send(pending or rep.next_item(), turn)
            turn += 1
            if item.error == REFUSED:
                # like a person whose browser cannot connect: the same form, sent again
                pending = item
                with self._lock:
                    self.refused += 1
                time.sleep(0.2)
                continue
            pending = None
            with self._lock:
                self.items.append(item)
            if item.status is None or item.status >= 500:
                time.sleep(0.1)  # the server is failing: do not spin

    def stop(self) -> None:
        self._stop.set()

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=CLIENT_TIMEOUT + 10)

    def close(self) -> None:
        for rep in self.reps:
            rep.client.close()

    def snapshot(self) -> list[Item]:
        with self._lock:
            return list(self.items)


# --- figures -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def latency_row(items: list[Item]) -> str:
    ms = [i.latency * 1000 for i in items if i.status is not None]
    if not ms:
        return "n/a"
    return (
        f"p50 {percentile(ms, 50):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
        f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms, mean {statistics.fmean(ms):.0f} ms"
    )


def statuses(items: list[Item]) -> Counter[str]:
    return Counter(
        str(i.status) if i.status is not None else f"no answer ({i.error})" for i in items
    )


def table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    lines = [f"\n{title}", "-" * len(title)]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


# --- checks on the database --------------------------------------------------------------------


@dataclass
class Stored:
    comments: dict[tuple[int, str], list[str]]
    versions: dict[tuple[int, str], list[tuple[str, str]]]


def stored(engine: Engine) -> Stored:
    comments: dict[tuple[int, str], list[str]] = {}
    versions: dict[tuple[int, str], list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        for author, key, body in conn.execute(
            text(
                "SELECT author_id, idempotency_key, body FROM comments "
                "WHERE idempotency_key IS NOT NULL"
            )
        ):
            comments.setdefault((author, key), []).append(body)
        for author, key, statement, stance in conn.execute(
            text(
                "SELECT author_id, idempotency_key, statement, stance FROM position_versions "
                "WHERE idempotency_key IS NOT NULL"
            )
        ):
            versions.setdefault((author, key), []).append((statement, stance))
    return Stored(comments, versions)


def present(item: Item, found: Stored) -> bool:
    if item.kind == "position":
        return (item.text, item.stance) in found.versions.get((item.user, item.key), [])
    return item.text in found.comments.get((item.user, item.key), [])


def lost_writes(engine: Engine, items: list[Item]) -> list[Item]:
    """Acknowledged items missing from the database (or stored with another text)."""
    found = stored(engine)
    return [i for i in items if i.acked and not present(i, found)]


def duplicate_keys(engine: Engine) -> int:
    found = stored(engine)
    return sum(len(v) - 1 for v in found.comments.values() if len(v) > 1) + sum(
        len(v) - 1 for v in found.versions.values() if len(v) > 1
    )


def integrity(engine: Engine) -> list[str]:
    """Problems found (empty: the database is sound)."""
    problems: list[str] = []
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.append(f"integrity_check: {result[:5]}")
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk:
                problems.append(f"foreign_key_check: {len(fk)} rows, e.g. {fk[:3]}")
        else:
            problems += _postgres_constraints(conn)
        problems += _invariants(conn)
    return problems


def _postgres_constraints(conn: Any) -> list[str]:
    """Every foreign key, unique key, primary key and check constraint re-checked by a query
    (not trusted from the catalogue), and every B-tree index verified by amcheck."""
    problems: list[str] = []
    constraints = conn.execute(
        text(
            "SELECT c.conname, c.contype, t.relname, r.relname, "
            "  ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
            "        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n "
            "        ORDER BY k.o), "
            "  ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) "
            "        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n "
            "        ORDER BY k.o), "
            "  pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace ns ON ns.oid = t.relnamespace "
            "LEFT JOIN pg_class r ON r.oid = c.confrelid "
            "WHERE ns.nspname = 'public' AND c.contype IN ('f', 'u', 'p', 'c')"
        )
    ).all()
    for name, kind, table_, ref, cols, refcols, definition in constraints:
        if kind == "f":
            match = " AND ".join(f"p.{b} = c.{a}" for a, b in zip(cols, refcols, strict=True))
            not_null = " AND ".join(f"c.{a} IS NOT NULL" for a in cols)
            sql = (
                f"SELECT count(*) FROM {table_} c WHERE {not_null} "
                f"AND NOT EXISTS (SELECT 1 FROM {ref} p WHERE {match})"
            )
        elif kind in ("u", "p"):
            group = ", ".join(cols)
            not_null = " AND ".join(f"{a} IS NOT NULL" for a in cols)
            sql = (
                f"SELECT count(*) FROM (SELECT {group} FROM {table_} WHERE {not_null} "
                f"GROUP BY {group} HAVING count(*) > 1) d"
            )
        else:
            expression = definition.removeprefix("CHECK ")
            if expression.endswith(" NOT VALID"):
                expression = expression.removesuffix(" NOT VALID")
            sql = f"SELECT count(*) FROM {table_} WHERE NOT {expression}"
        bad = conn.execute(text(sql)).scalar_one()
        if bad:
            problems.append(f"{table_}.{name}: {bad} violating rows")
    problems += [
        f"constraint {n} on {t} is NOT VALID"
        for n, t in conn.execute(
            text(
                "SELECT conname, conrelid::regclass::text FROM pg_constraint "
                "WHERE NOT convalidated AND connamespace = 'public'::regnamespace"
            )
        )
    ]
    try:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        indexes = (
            conn.execute(
                text(
                    "SELECT i.indexrelid::regclass::text FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                    "WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace"
                )
            )
            .scalars()
            .all()
        )
        for index in indexes:
            conn.execute(text("SELECT bt_index_check(CAST(:i AS regclass), true)"), {"i": index})
        conn.commit()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"amcheck: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    return problems


def _invariants(conn: Any) -> list[str]:
    """The application's own invariants: each position's version is its number of versions,
    numbered 1..n, its current text is its latest version's; a reply's thread is in its round."""
    checks = {
        "positions whose version is not their count of versions": (
            "SELECT count(*) FROM positions p WHERE p.version <> "
            "(SELECT count(*) FROM position_versions v WHERE v.position_id = p.id) "
            "OR p.version <> (SELECT max(version) FROM position_versions v "
            "WHERE v.position_id = p.id)"
        ),
        "positions whose text is not their latest version's": (
            "SELECT count(*) FROM positions p JOIN position_versions v "
            "ON v.position_id = p.id AND v.version = p.version "
            "WHERE v.statement <> p.statement OR v.stance <> p.stance"
        ),
        "replies in another round than their parent": (
            "SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id "
            "WHERE p.round_id <> c.round_id"
        ),
        "duplicate idempotency keys (comments)": (
            "SELECT count(*) FROM (SELECT author_id, idempotency_key FROM comments "
            "WHERE idempotency_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d"
        ),
        "duplicate idempotency keys (position versions)": (
            "SELECT count(*) FROM (SELECT author_id, idempotency_key FROM position_versions "
            "WHERE idempotency_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d"
        ),
    }
    problems = []
    for label, sql in checks.items():
        bad = conn.execute(text(sql)).scalar_one()
        if bad:
            problems.append(f"{label}: {bad}")
    return problems


def count_rows(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        comments = conn.execute(text("SELECT count(*) FROM comments")).scalar_one()
        versions = conn.execute(text("SELECT count(*) FROM position_versions")).scalar_one()
    return int(comments), int(versions)


def check_engine(url: str) -> Engine:
    """An engine for the checks (NullPool-like: one connection at a time)."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_pre_ping=True)


def resubmit(load: Load, items: list[Item], rounds: int = 3) -> list[Item]:
    """Send every item again, same key and same data, as its representative (each
    representative's items in their original order, representatives in parallel); an item
    that gets no answer or a 5xx is tried again, up to ``rounds`` times. Returns the items with
    the answer of their last resubmission."""
    reps = {rep.n: rep for rep in load.reps}
    again = [
        Item(i.kind, i.user, i.key, i.text, i.stance, i.base_version, i.parent_id) for i in items
    ]
    by_user: dict[int, list[Item]] = {}
    for item in again:
        by_user.setdefault(item.user, []).append(item)

    def work(user: int, queue: list[Item]) -> None:
        rep = reps[user]
        for item in queue:
            for attempt in range(rounds):
                rep.send(item, user + attempt)
                if item.status is not None and item.status < 500:
                    break
                time.sleep(0.5)

    threads = [threading.Thread(target=work, args=(u, q)) for u, q in by_user.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return again
