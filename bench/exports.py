"""Summary exports (CSV, JSON, XLSX, PDF) and the summary itself, against issue 5's targets.

    .venv/bin/python bench/exports.py [--backend sqlite|postgresql|both]
                                      [--comments 100000] [--positions 300]

For each backend: a fresh database (a SQLite file in a temporary folder, or a throwaway
PostgreSQL database dropped at the end) migrated by Alembic and seeded with bulk Core inserts:
one closed round, N organisations over the three groups, each invited with one representative
and one position (40-80 words), M comments by those representatives (varied lengths, commas,
quotes, newlines, accents, a few starting with "=", "+", "-" or "@", ~2% hidden with a reason,
~5% edited), and an observer. Then one `tripartite serve` process (uvicorn, one worker, so the
server is that very process) and, signed in as the observer:
  1. CSV and JSON downloads, twice each: first body byte (target < 1 s), rows/s over the whole
     download (target >= 100,000) and the server's peak RSS growth (VmHWM, reset through
     /proc/<pid>/clear_refs before each download, minus VmRSS at the start; target < 60 MB);
  2. clients that disconnect mid-stream (~1 MB read, then a TCP reset), more of them than the
     connection pool holds: the server's log must show no error, no connection may be left in
     a transaction, and the next full CSV download must succeed;
  3. the XLSX and PDF downloads, the summary page and the API summary over HTTP;
  4. in this process: round_summary() (target < 1 s) and render_pdf() with every statement
     (target < 10 s).
The observer gets the public audience (hidden comments' text left out). Server CPU seconds are
shown beside wall-clock times: on a busy machine they are the steadier figure. Exits 1 when a
target is missed. Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import free_port  # noqa: E402  (bench/common.py)

from app.accounts.credentials import hash_password  # noqa: E402
from app.db import make_engine, utcnow  # noqa: E402
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
OBSERVER = "observer@bench.example"
POSTGRES = os.environ.get(
    "TRIPARTITE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROUND_ID = 1
BATCH = 5_000
#: Mid-stream disconnects in the disconnect test: more than the server's connection pool holds
#: (threadpool_size 4, pool 4 + overflow 4), so a connection leaked per disconnect shows.
DISCONNECTS = 10
DISCONNECT_AFTER = 1_000_000
TIMEOUT = 180.0
#: A 1-minute load average above this (this script's own work adds about 1.5) means other work
#: shared the CPUs: wall-clock figures then understate the app.
BUSY = (os.cpu_count() or 1) + 0.5
ERROR_LINE = re.compile(r"Traceback|ERROR|CRITICAL|Exception")

TARGET_FIRST_BYTE = 1.0
TARGET_ROWS_PER_SECOND = 100_000
TARGET_GROWTH_MB = 60.0
TARGET_SUMMARY = 1.0
TARGET_PDF = 10.0

WORDS = (
    "the social partners agree that portability of pensions must be guaranteed for migrant "
    "workers however employers note costs, administrative burden and the timeline proposed by "
    "the ministry while unions insist on equal treatment collective bargaining recognition of "
    "qualifications seasonal work recruitment fees ethical recruitment labour inspection "
    "bilateral agreements social security coordination dialogue consultation report article "
    "convention recommendation implementation monitoring régime de sécurité sociale Gewerkschaft "
    "naïve coöperation — “quoted” 2026 €1,200 3.5% (see annex) and/or e.g. i.e."
).split()
FORMULA_PREFIXES = (
    '=HYPERLINK("http://evil.example","x") ',
    "+33 1 23 45 67 89 ",
    "-1+1 ",
    "@SUM ",
)


# --- seeding ---------------------------------------------------------------------------------


def _sentence(rng: random.Random, n: int) -> str:
    words = rng.choices(WORDS, k=max(1, n))
    for _ in range(n // 12):
        i = rng.randrange(len(words))
        words[i] += ","
    sentence = " ".join(words)
    return sentence[:1].upper() + sentence[1:] + "."


def statement_text(rng: random.Random) -> str:
    """40-80 words, in two to four sentences, sometimes with **emphasis**."""
    total, parts = rng.randint(40, 80), []
    while total > 0:
        n = min(total, rng.randint(10, 25))
        parts.append(_sentence(rng, n))
        total -= n
    if rng.random() < 0.3:
        parts[0] = "**" + parts[0] + "**"
    return " ".join(parts)


def comment_text(rng: random.Random) -> str:
    """From a few words to a few paragraphs; quotes, commas, newlines; rarely a formula."""
    r = rng.random()
    n = rng.randint(3, 15) if r < 0.4 else rng.randint(15, 60) if r < 0.85 else rng.randint(60, 250)
    body = _sentence(rng, n)
    if rng.random() < 0.15:
        words = body.split(" ")
        i = rng.randrange(len(words))
        words[i] = f'"{words[i]}"'
        body = " ".join(words)
    if rng.random() < 0.12:
        body += "\n\n" + _sentence(rng, rng.randint(3, 30))
    if rng.random() < 0.01:
        body = rng.choice(FORMULA_PREFIXES) + body
    return body


def org_name(rng: random.Random, group: Group, i: int) -> str:
    kind = {"government": "Ministry", "workers": "Union", "employers": "Federation"}[group.value]
    if i % 7 == 0:
        return f'{kind} "{group.label}" No. {i}, Ardenia'
    if i % 11 == 0:
        return f"{kind} des travailleurs et employées {i}"
    return f"{group.label} {kind.lower()} {i}"


def stance_for(rng: random.Random, group: Group) -> str:
    weights = {
        Group.GOVERNMENT: (6, 2, 1, 1, 0.5),
        Group.WORKERS: (1, 2, 1, 6, 0.5),
        Group.EMPLOYERS: (3, 3, 2, 2, 0.5),
    }[group]
    return rng.choices(list(Stance), weights=weights)[0].value


def seed(url: str, n_positions: int, n_comments: int) -> dict[str, int]:
    """The closed round with its organisations, positions and comments; returns counts."""
    rng = random.Random(5)
    engine = create_engine(url)
    now = utcnow()
    opens, closes = now - timedelta(days=31), now - timedelta(days=1)
    password_hash = hash_password(PASSWORD)
    groups = list(Group)
    hidden = edited = formulas = 0
    with engine.begin() as db:
        db.execute(
            insert(Consultation),
            [{"id": 1, "title": "Labour migration policy", "brief": "", "created_at": opens}],
        )
        db.execute(
            insert(Round),
            [
                {
                    "id": ROUND_ID,
                    "consultation_id": 1,
                    "number": 1,
                    "title": "Pensions portability, first reading",
                    "brief": "A **large** closed round.",
                    "status": "closed",
                    "weighting": "1:1:1",
                    "sealed": False,
                    "premoderated": False,
                    "opens_at": opens,
                    "closes_at": closes,
                    "closed_at": closes,
                    "version": 1,
                    "created_at": opens,
                }
            ],
        )
        orgs, users, mandates, invitations, positions, versions = [], [], [], [], [], []
        for n in range(1, n_positions + 1):
            group = groups[(n - 1) % 3]
            orgs.append(
                {
                    "id": n,
                    "name": org_name(rng, group, n),
                    "group_name": group.value,
                    "country": "Ardenia",
                    "created_at": opens,
                }
            )
            users.append(
                {
                    "id": n,
                    "email": f"rep{n}@bench.example",
                    "name": f"Representative {n}" + (", Esq." if n % 13 == 0 else ""),
                    "password_hash": password_hash,
                    "is_active": True,
                    "created_at": opens,
                }
            )
            mandates.append(
                {
                    "user_id": n,
                    "organisation_id": n,
                    "role": "representative",
                    "starts_at": opens - timedelta(days=1),
                    "created_at": opens,
                }
            )
            invitations.append({"round_id": ROUND_ID, "organisation_id": n, "invited_at": opens})
            statement, stance = statement_text(rng), stance_for(rng, group)
            posted = opens + timedelta(minutes=rng.randint(1, 40_000))
            positions.append(
                {
                    "id": n,
                    "round_id": ROUND_ID,
                    "organisation_id": n,
                    "stance": stance,
                    "statement": statement,
                    "statement_html": render(statement),
                    "version": 1,
                    "created_by_id": n,
                    "last_edited_by_id": n,
                    "created_at": posted,
                    "updated_at": posted,
                }
            )
            versions.append(
                {
                    "position_id": n,
                    "version": 1,
                    "stance": stance,
                    "statement": statement,
                    "author_id": n,
                    "created_at": posted,
                }
            )
        users.append(
            {
                "id": n_positions + 1,
                "email": OBSERVER,
                "name": "Bench observer",
                "password_hash": password_hash,
                "platform_role": "observer",
                "is_active": True,
                "created_at": opens,
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
        # top-level comments have thread_id NULL (app/comments/service.py); replies point at the
        # top-level comment of their thread and share its position
        thread_of: list[int] = [0]
        position_of: list[int | None] = [None]
        step = (closes - opens) / max(1, n_comments)
        batch: list[dict[str, Any]] = []
        for c in range(1, n_comments + 1):
            author = rng.randint(1, n_positions)
            if c == 1 or rng.random() < 0.35:
                parent = thread = None
                position = rng.randint(1, n_positions) if rng.random() < 0.4 else None
                thread_of.append(c)
            else:
                parent = rng.randint(max(1, c - 60), c - 1)
                thread = thread_of[parent]
                position = position_of[parent]
                thread_of.append(thread)
            position_of.append(position)
            body = comment_text(rng)
            formulas += body[0] in "=+-@"
            created = opens + step * c
            row: dict[str, Any] = {
                "id": c,
                "round_id": ROUND_ID,
                "position_id": position,
                "parent_id": parent,
                "thread_id": thread,
                "author_id": author,
                "organisation_id": author,
                "body": body,
                "body_html": "<p>" + escape(body).replace("\n\n", "</p><p>") + "</p>",
                "visibility": "visible",
                "moderation_reason": None,
                "moderated_at": None,
                "locked": False,
                "created_at": created,
                "edited_at": None,
            }
            if rng.random() < 0.02:
                hidden += 1
                row["visibility"] = "hidden"
                row["moderation_reason"] = 'Off-topic, see rule 3 ("stay on the brief").'
                row["moderated_at"] = created + timedelta(hours=2)
            elif rng.random() < 0.05:
                edited += 1
                row["edited_at"] = created + timedelta(minutes=10)
            batch.append(row)
            if len(batch) == BATCH:
                db.execute(insert(Comment), batch)
                batch = []
        if batch:
            db.execute(insert(Comment), batch)
        if url.startswith("postgresql"):
            for table in ("consultations", "rounds", "organisations", "users", "positions"):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            db.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('comments', 'id'), "
                    "(SELECT coalesce(max(id), 1) FROM comments))"
                )
            )
    if url.startswith("postgresql"):  # what autovacuum would have done by the time it closed
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"hidden": hidden, "edited": edited, "formulas": formulas}


def make_token(url: str) -> str:
    from app.api import tokens

    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine) as db:
            _, plain = tokens.create(db, "bench", None)
            db.commit()
    finally:
        engine.dispose()
    return plain


# --- the server process ----------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM... of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Vm"):
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so a download's own peak shows."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(url: str, folder: Path) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "TRIPARTITE_DATABASE_URL": url,
        "TRIPARTITE_DATA_DIR": str(folder),
        "TRIPARTITE_SECRET_KEY": "bench",
        "TRIPARTITE_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
    }
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/tripartite"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", port, log)
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(server.base + "/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer /healthz within 30 s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.process.wait(timeout=20)


def sign_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=TIMEOUT)
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrftoken": client.cookies["csrftoken"]},
    )
    assert response.status_code == 303, response.text
    return client


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Download:
    status: int
    first_byte: float
    seconds: float
    body: bytes
    rss_before_kb: int
    peak_kb: int
    peak_reset: bool
    server_cpu: float  # seconds of CPU the server spent meanwhile (less sensitive to a busy box)

    @property
    def growth_mb(self) -> float:
        return (self.peak_kb - self.rss_before_kb) / 1024


def download(client: httpx.Client, server: Server, path: str) -> Download:
    """One GET, timed to its first body byte and to its end, with the server's peak RSS."""
    peak_reset = reset_peak(server.pid)
    before = proc_status(server.pid)
    rss_before = before["VmRSS"] if peak_reset else before["VmHWM"]
    parts: list[bytes] = []
    first = None
    cpu = cpu_seconds(server.pid)
    start = time.perf_counter()
    with client.stream("GET", path) as response:
        for chunk in response.iter_raw():
            if first is None and chunk:
                first = time.perf_counter() - start
            parts.append(chunk)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds(server.pid) - cpu
    peak = proc_status(server.pid)["VmHWM"]
    return Download(
        response.status_code,
        first or seconds,
        seconds,
        b"".join(parts),
        rss_before,
        peak,
        peak_reset,
        cpu,
    )


@dataclass
class Content:
    rows: int
    unsafe: int  # text cells a spreadsheet would run as a formula
    hidden_text: int  # hidden comments whose text a public export shows


def csv_content(body: bytes) -> Content:
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header = next(reader)
    text_at = [header.index(c) for c in ("organisation", "author", "text", "moderation_reason")]
    vis, body_at = header.index("visibility"), header.index("text")
    rows = unsafe = hidden_text = 0
    for row in reader:
        rows += 1
        unsafe += any(row[i][:1] in ("=", "+", "-", "@") for i in text_at)
        hidden_text += row[vis] != "visible" and bool(row[body_at])
    return Content(rows, unsafe, hidden_text)


def json_content(body: bytes) -> Content:
    items = json.loads(body)["items"]
    hidden_text = sum(1 for i in items if i["visibility"] != "visible" and i["text"])
    return Content(len(items), 0, hidden_text)


def disconnect_midway(server: Server, path: str, cookie: str, limit: int) -> int:
    """Read ``limit`` bytes of a download, then drop the connection with a TCP reset."""
    got = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nCookie: {cookie}\r\n\r\n"
        )
        sock.sendall(request.encode())
        while got < limit:
            data = sock.recv(65536)
            if not data:
                break
            got += len(data)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return got


def timed(action: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


# --- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    backend: str
    lines: list[tuple[str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else "PASS" if ok else "FAIL"
        self.lines.append((measure, value, target, verdict))
        print(f"  {measure:40} {value:26} {target:12} {verdict}", flush=True)

    @property
    def failures(self) -> int:
        return sum(1 for line in self.lines if line[3] == "FAIL")

    def table(self) -> str:
        widths = [max(len(line[i]) for line in [*self.lines, HEADER]) for i in range(4)]
        rule = "-+-".join("-" * w for w in widths)
        out = [" | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)), rule]
        out += [
            " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in self.lines
        ]
        return "\n".join(out)


HEADER = ("measure", "value", "target", "result")


def report_download(
    report: Report, label: str, d: Download, content: Content, expected: int
) -> None:
    rate = content.rows / d.seconds
    report.add(
        f"{label} status, rows",
        f"{d.status}, {content.rows:,}",
        f"= {expected:,}",
        d.status == 200 and content.rows == expected,
    )
    report.add(
        f"{label} first byte",
        f"{d.first_byte:.3f} s",
        f"< {TARGET_FIRST_BYTE:g} s",
        d.first_byte < TARGET_FIRST_BYTE,
    )
    report.add(
        f"{label} throughput",
        f"{rate:,.0f} rows/s ({d.seconds:.2f} s)",
        f">= {TARGET_ROWS_PER_SECOND:,}",
        rate >= TARGET_ROWS_PER_SECOND,
    )
    report.add(
        f"{label} server CPU",
        f"{d.server_cpu:.2f} s = {content.rows / max(d.server_cpu, 0.01):,.0f} rows/CPU-s",
    )
    report.add(
        f"{label} server peak RSS growth",
        f"{d.growth_mb:.1f} MB (of {d.rss_before_kb / 1024:.0f})" + ("" if d.peak_reset else " *"),
        f"< {TARGET_GROWTH_MB:g} MB",
        d.growth_mb < TARGET_GROWTH_MB,
    )
    report.add(
        f"{label} size", f"{len(d.body) / 1e6:.1f} MB, {len(d.body) / d.seconds / 1e6:.1f} MB/s"
    )


# --- one backend -----------------------------------------------------------------------------


def ensure_postgres() -> None:
    def reachable() -> bool:
        try:
            probe = create_engine(POSTGRES)
            with probe.connect():
                pass
            probe.dispose()
        except Exception:  # noqa: BLE001
            return False
        return True

    if reachable():
        return
    versions = sorted(os.listdir("/etc/postgresql"))
    print(f"PostgreSQL is down: starting cluster {versions[-1]}/main", flush=True)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=True
    )
    for _ in range(60):
        if reachable():
            return
        time.sleep(0.5)
    raise SystemExit(f"PostgreSQL is not reachable at {POSTGRES}")


def in_transaction(admin: Engine | None, dbname: str) -> int | None:
    """PostgreSQL sessions of the bench database left idle in a transaction (leaked snapshots)."""
    if admin is None:
        return None
    with admin.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                    "AND state LIKE 'idle in transaction%'"
                ),
                {"db": dbname},
            ).scalar_one()
        )


def run(backend: str, n_positions: int, n_comments: int) -> Report:
    report = Report(backend)
    expected = n_positions + n_comments
    load_before = os.getloadavg()[0]
    print(f"\n== {backend}: {n_comments:,} comments, {n_positions} positions ==", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="tripartite-bench-exports-"))
    dbname = f"tripartite_bench_{uuid.uuid4().hex[:8]}"
    admin: Engine | None = None
    server: Server | None = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        ensure_postgres()
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = make_url(POSTGRES).set(database=dbname).render_as_string(hide_password=False)
    try:
        upgrade(url)
        seconds, counts = timed(lambda: seed(url, n_positions, n_comments))
        report.notes.append(
            f"seeded in {seconds:.1f} s: {counts['hidden']:,} hidden comments, "
            f"{counts['edited']:,} edited, {counts['formulas']:,} starting with = + - @"
        )
        print(f"  {report.notes[-1]}", flush=True)
        token = make_token(url)
        server = start_server(url, folder)
        kids = children(server.pid)
        report.notes.append(
            f"server pid {server.pid}: `tripartite serve`, "
            + (
                "no child process (uvicorn serves in that process)"
                if not kids
                else f"child processes {kids} (RSS is read from the parent only!)"
            )
        )
        client = sign_in(server.base, OBSERVER)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        assert client.get("/healthz").status_code == 200  # warm-up
        report.notes.append(
            f"server RSS after warm-up: {proc_status(server.pid)['VmRSS'] / 1024:.0f} MB"
        )
        base_path = f"/rounds/{ROUND_ID}/summary"

        sizes: dict[str, int] = {}
        for fmt, parse in (("csv", csv_content), ("json", json_content)):
            for attempt in (1, 2):
                d = download(client, server, f"{base_path}.{fmt}")
                sizes[fmt] = len(d.body)
                content = parse(d.body)
                report_download(report, f"{fmt.upper()} #{attempt}", d, content, expected)
                if attempt == 1:
                    report.add(
                        f"{fmt.upper()} hidden text left out",
                        f"{content.hidden_text} shown",
                        "0",
                        content.hidden_text == 0,
                    )
                    if fmt == "csv":
                        report.add(
                            "CSV formulas neutralised",
                            f"{content.unsafe} unsafe cells",
                            "0",
                            content.unsafe == 0,
                        )
                del d, content

        # clients that go away in the middle
        log_offset = len(server.log_text())
        cpu_before = cpu_seconds(server.pid)
        read = []
        for i in range(DISCONNECTS):
            fmt = ("csv", "json")[i % 2]
            limit = min(DISCONNECT_AFTER, sizes[fmt] // 2)
            read.append(disconnect_midway(server, f"{base_path}.{fmt}", cookie, limit))
        time.sleep(1.0)
        cpu_mid = cpu_seconds(server.pid)
        time.sleep(2.0)
        cpu_after = cpu_seconds(server.pid)
        report.notes.append(
            f"{DISCONNECTS} mid-stream disconnects ({min(read) / 1e6:.1f}-{max(read) / 1e6:.1f} MB "
            f"read each); server CPU: {cpu_mid - cpu_before:.2f} s until 1 s after the last, "
            f"{cpu_after - cpu_mid:.2f} s in the 2 s after that"
        )
        print(f"  {report.notes[-1]}", flush=True)
        leaked = in_transaction(admin, dbname)
        if leaked is not None:
            report.add("disconnect: PG sessions idle in txn", str(leaked), "0", leaked == 0)
        d = download(client, server, f"{base_path}.csv")
        content = csv_content(d.body)
        report.add(
            "disconnect: next CSV download",
            f"{d.status}, {content.rows:,} rows, {d.seconds:.2f} s",
            "complete",
            d.status == 200 and content.rows == expected,
        )
        errors = [
            line for line in server.log_text()[log_offset:].splitlines() if ERROR_LINE.search(line)
        ]
        report.add("disconnect: errors in server log", f"{len(errors)} lines", "0", not errors)
        report.notes += [f"server log: {line}" for line in errors[:20]]

        # XLSX, PDF, the summary page and the API over HTTP
        d = download(client, server, f"{base_path}.xlsx")
        ok = d.status == 200 and d.body[:2] == b"PK"
        report.add(
            "XLSX download",
            f"{d.status}, {d.seconds:.2f} s, {len(d.body) / 1e6:.1f} MB",
            "(none)",
            ok,
        )
        report.add(
            "XLSX rows/s, peak RSS growth",
            f"{expected / d.seconds:,.0f}/s, {d.growth_mb:.1f} MB",
            "(none)",
        )
        d = download(client, server, f"{base_path}.pdf")
        report.add(
            "PDF download (HTTP)",
            f"{d.status}, {d.seconds:.2f} s, {len(d.body) / 1e3:.0f} kB",
            f"< {TARGET_PDF:g} s",
            d.status == 200 and d.seconds < TARGET_PDF,
        )
        report.add("PDF peak RSS growth", f"{d.growth_mb:.1f} MB")
        page = [timed(lambda: client.get(base_path)) for _ in range(2)]
        report.add(
            "summary page (HTTP, 2 runs)",
            ", ".join(f"{s:.3f} s" for s, _ in page) + f" [{page[0][1].status_code}]",
            f"< {TARGET_SUMMARY:g} s",
            all(r.status_code == 200 and s < TARGET_SUMMARY for s, r in page),
        )
        api = [
            timed(
                lambda: httpx.get(
                    f"{server.base}/api/v1{base_path}",
                    timeout=TIMEOUT,
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            for _ in range(2)
        ]
        report.add(
            "API summary (HTTP, 2 runs)",
            ", ".join(f"{s:.3f} s" for s, _ in api) + f" [{api[0][1].status_code}]",
            f"< {TARGET_SUMMARY:g} s",
            all(r.status_code == 200 and s < TARGET_SUMMARY for s, r in api),
        )

        # in this process
        summary_runs, statements, pdf_runs = in_process(url)
        report.add(
            "round_summary() in-process (3 runs)",
            ", ".join(f"{s:.3f}" for s in summary_runs) + " s",
            f"< {TARGET_SUMMARY:g} s",
            max(summary_runs) < TARGET_SUMMARY,
        )
        report.add(
            f"render_pdf() {statements} statements (2 runs)",
            ", ".join(f"{s:.2f}" for s in pdf_runs) + " s",
            f"< {TARGET_PDF:g} s",
            max(pdf_runs) < TARGET_PDF,
        )

        errors = [line for line in server.log_text().splitlines() if ERROR_LINE.search(line)]
        report.add("errors in server log (whole run)", f"{len(errors)} lines", "0", not errors)
        seen = set(report.notes)
        report.notes += [f"server log: {x}" for x in errors[:20] if f"server log: {x}" not in seen]
        if not reset_peak(server.pid):
            report.notes.append(
                "* VmHWM could not be reset: growth is measured against the earlier peak"
            )
        load = (load_before, os.getloadavg()[0])
        report.notes.append(
            f"1-minute load average {load[0]:.1f} before, {load[1]:.1f} after, on "
            f"{os.cpu_count()} CPUs"
            + (": the machine was busy, timings are pessimistic" if max(load) > BUSY else "")
        )
        client.close()
    finally:
        if server is not None:
            stop_server(server)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return report


def in_process(url: str) -> tuple[list[float], int, list[float]]:
    """round_summary() three times, then render_pdf() of that summary twice (the first run of
    each includes its cold start: compiled statements, WeasyPrint's import and fonts)."""
    from app.exports.pdf import render_pdf
    from app.summaries.service import load_header, round_summary

    engine = make_engine(url, pool_size=1)
    summary_runs = []
    summary: dict[str, Any] = {}
    try:
        for _ in range(3):
            with Session(engine) as db:
                seconds, summary = timed(lambda db=db: round_summary(db, load_header(db, ROUND_ID)))
            summary_runs.append(seconds)
    finally:
        engine.dispose()
    statements = sum(len(g["statements"]) for g in summary["groups"].values())
    pdf_runs = [timed(lambda: render_pdf(summary))[0] for _ in range(2)]
    return summary_runs, statements, pdf_runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--positions", type=int, default=300)
    args = parser.parse_args()
    if args.positions < 3 or args.comments < 0:
        parser.error("at least 3 positions (one organisation per group) and no negative comments")
    command = shlex.join([".venv/bin/python", "bench/exports.py", *sys.argv[1:]])
    reports = [
        run(backend, args.positions, args.comments)
        for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend])
    ]
    print(f"\n{command}\n{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs")
    for report in reports:
        print(f"\n### {report.backend}: {args.comments:,} comments, {args.positions} positions\n")
        print(report.table())
        for note in report.notes:
            print(f"- {note}")
    failures = sum(r.failures for r in reports)
    print(f"\n{failures} target(s) missed" if failures else "\nevery target met")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
