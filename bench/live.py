"""Live updates over server-sent events: what 1,000 readers with the round open cost.

One ``tripartite serve`` process (SQLite or PostgreSQL) over the demo-scale round of
bench/round_page.py (60 organisations, 2,000 comments); 1,000 readers (sessions inserted
directly, spread over the 60 representatives: 60 audiences) each hold the round's stream open
(``/rounds/1/stream``, asyncio, one connection each). Then:

(a) idle cost: the server process's CPU time over ``--idle`` seconds with every reader
    connected and nobody writing, as a share of one core (/proc/<pid>/stat);
(b) delivery: a representative posts a comment (``--posts`` times); for every reader, the delay
    from the moment the post was sent until an event carrying the comment's text arrives:
    p50 / p99 / max, how many got it, how many did not (lost).

Targets (issue 16): p99 < 1 s, idle < 5% of one core. Only 127.0.0.1 is contacted.

    .venv/bin/python bench/live.py --backend both
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import statistics
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
sys.path.insert(0, str(ROOT / "bench"))

from common import free_port, page_token  # noqa: E402  (bench/common.py)
from round_page import COMMENTS, POSTGRES, seed, sign_in  # noqa: E402  (bench/round_page.py)

from app.accounts.credentials import new_token  # noqa: E402
from app.accounts.models import UserSession  # noqa: E402
from app.db import utcnow  # noqa: E402
from app.migrate import upgrade  # noqa: E402

ROUND_ID = 1
REPRESENTATIVES = 60  # bench/round_page.py: 20 organisations per group


def sessions(url: str, readers: int) -> list[str]:
    """One session per reader, inserted directly: their cookie values."""
    engine = create_engine(url)
    now = utcnow()
    tokens, rows = [], []
    for n in range(readers):
        token, token_hash = new_token()
        tokens.append(token)
        rows.append(
            {
                "token_hash": token_hash,
                "user_id": n % REPRESENTATIVES + 1,
                "csrf_token": uuid.uuid4().hex,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + timedelta(hours=4),
                "two_factor_pending": False,
            }
        )
    with engine.begin() as db:
        db.execute(insert(UserSession), rows)
    engine.dispose()
    return tokens


class Reader:
    """One reader's stream: the arrival time of each event's data, as read."""

    def __init__(self, port: int, token: str, version: int) -> None:
        self.port = port
        self.token = token
        self.version = version
        self.status = 0
        self.events: list[tuple[float, str]] = []
        self.opened = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer = writer
        writer.write(
            (
                f"GET /rounds/{ROUND_ID}/stream?version={self.version}&after={COMMENTS}"
                f"&moderated={int(time.time())} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Accept: text/event-stream\r\nCookie: tripartite_session={self.token}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        self.status = int(head.split()[1])
        self.opened.set()
        buffer = b""
        while True:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                return
            buffer += await reader.readexactly(size)
            await reader.readline()
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                self.events.append((time.monotonic(), event.decode(errors="replace")))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(port: int, tokens: list[str], version: int, pid: int, args: argparse.Namespace):
    readers = [Reader(port, token, version) for token in tokens]
    for i, r in enumerate(readers):
        r.task = asyncio.create_task(r.run())
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # a little apart, as people open a page
    await asyncio.wait_for(asyncio.gather(*(r.opened.wait() for r in readers)), 120)
    refused = sum(1 for r in readers if r.status != 200)
    await asyncio.sleep(3)  # every stream has said where the round stands

    before, started = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(args.idle)
    idle_share = (cpu_seconds(pid) - before) / (time.monotonic() - started)

    base = f"http://127.0.0.1:{port}"
    if os.environ.get("BENCH_PYSPY"):  # a profile of the server while the posts are delivered
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/py-spy"),
                "record",
                "-p",
                str(pid),
                "-d",
                "12",
                "-r",
                "200",
                "-f",
                "raw",
                "-o",
                os.environ["BENCH_PYSPY"],
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(1)
    writer = await asyncio.to_thread(sign_in, base, "rep1@bench.example")
    token = await asyncio.to_thread(page_token, writer, base)
    delays: list[float] = []
    got = lost = 0
    for n in range(args.posts):
        marker = f"live-bench-{uuid.uuid4().hex[:10]}"
        sent = time.monotonic()
        posted = await asyncio.to_thread(
            writer.post,
            f"/rounds/{ROUND_ID}/comments",
            data={
                "body": f"A comment for the readers ({marker}).",
                "idempotency_key": uuid.uuid4().hex,
                "csrftoken": token,
            },
        )
        assert posted.status_code == 303, posted.text[:300]
        deadline = time.monotonic() + args.wait
        pending = list(readers)
        mine: list[float] = []
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            still = []
            for r in pending:
                arrival = next((t for t, data in r.events if marker in data), None)
                if arrival is None:
                    still.append(r)
                else:
                    mine.append(arrival - sent)
            pending = still
        # the writer's own sessions never get their own comment back (their page has it)
        own = [r for r in pending if tokens.index(r.token) % REPRESENTATIVES == 0]
        got += len(readers) - len(pending)
        lost += len(pending) - len(own)
        delays.extend(mine)
        print(
            f"  post {n + 1}: {len(mine)} readers got it, p50 {statistics.median(mine) * 1000:.0f}"
            f" ms, p99 {percentile(mine, 99) * 1000:.0f} ms",
            flush=True,
        )
        await asyncio.sleep(1)
    writer.close()
    for r in readers:
        r.close()
    return refused, idle_share, delays, got, lost


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(backend: str, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tripartite-bench-live-"))
    dbname = f"tripartite_bench_{uuid.uuid4().hex[:8]}"
    admin = None
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
        seed(url)
        tokens = sessions(url, args.readers)
        port = free_port()
        env = {
            **os.environ,
            "TRIPARTITE_DATABASE_URL": url,
            "TRIPARTITE_DATA_DIR": str(folder),
            "TRIPARTITE_SECRET_KEY": "bench",
            "TRIPARTITE_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
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
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        engine = create_engine(url)
        with engine.connect() as c:
            version = c.execute(text("SELECT version FROM rounds WHERE id = 1")).scalar_one()
        engine.dispose()
        refused, idle, delays, got, lost = asyncio.run(
            measure(port, tokens, version, server.pid, args)
        )
        expected = args.posts * args.readers
        print(
            f"{backend:10} {args.readers} readers ({refused} refused) | idle: {idle:.1%} of one "
            f"core over {args.idle} s (target < 5%) | delivery over {args.posts} posts: "
            f"p50 {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {percentile(delays, 99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
            f"(target p99 < 1 s) | {got} of {expected} deliveries "
            f"({expected - got - lost} to the writer's own sessions, not sent by design), "
            f"{lost} lost"
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=20, help="seconds of idle measurement")
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--wait", type=float, default=10.0, help="seconds a post may take")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.readers + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the server inherits it
    print(f"command: {' '.join(sys.argv)} (machine: 2 cores, shared with other sessions)")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args)


if __name__ == "__main__":
    main()
