"""Closing-day load: 100 representatives post positions and comments at once (issue 6).

    .venv/bin/python bench/load.py [--backend sqlite|postgresql|both] [--seconds 60]
                                   [--users 100] [--posting-limit 1000000] [--readers 0]
                                   [--processes N]

For each backend: a fresh database (a SQLite file, or a throwaway PostgreSQL database on
TRIPARTITE_TEST_POSTGRES_URL's server, dropped at the end) with one open round inviting
``--users`` organisations over the three groups, one representative each. Then `tripartite
serve` processes (two on PostgreSQL, on two ports, the client alternating between them; one on
SQLite) and one thread per representative, signed in over HTTP (CSRF cookie), posting flat
out with no think time for ``--seconds``: 20% of the actions post or revise the organisation's
position (stance + statement, with its base version), the rest comment on the round (a quarter
of them replying to the representative's previous comment); every post carries an idempotency
key. Afterwards, with the servers stopped, the database is read directly: every acknowledged
post (303) must be there with its text, no key twice, and the database must pass the integrity
checks of bench/common.py.

Reported: requests, throughput, latency percentiles (measured in the client, which shares the
machine's cores with the servers), answers by status, lost writes. Exits 1 on any 5xx, lost
write, duplicate or integrity problem.

The servers run with TRIPARTITE_POSTING_LIMIT=--posting-limit (default 1,000,000: a capacity
run measures the write path, not the per-account limit of 20 comments in two minutes; give
--posting-limit 20 to see the default limit's 429s). Only 127.0.0.1 is contacted.

``--readers N`` (issue 16: 1,000): N people holding the round open over its live stream
(``/rounds/1/stream``) during the load, from a process of their own (bench/readers.py), as 20
observers; 50 of them note when each acknowledged comment reaches them. Reported: how many held
the stream, events and bytes sent, and the delivery delay from a post's acknowledgement to its
arrival at the probes (p50/p99/max, and how many never arrived).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    HIGH_POSTING_LIMIT,
    PASSWORD,
    ROUND_ID,
    Database,
    Item,
    Load,
    Server,
    check_engine,
    count_rows,
    create_database,
    duplicate_keys,
    integrity,
    latency_row,
    lost_writes,
    make_servers,
    seed,
    statuses,
    table,
)

from app.accounts.credentials import hash_password, new_token  # noqa: E402
from app.accounts.models import User, UserSession  # noqa: E402
from app.db import utcnow  # noqa: E402

#: Readers that note when each post reaches them (the others only count their events).
PROBES = 50
#: Seconds a probe may wait after the load for the last posts to arrive.
GRACE = 5.0


def reader_sessions(url: str, readers: int) -> tuple[list[str], int]:
    """``readers`` sessions of 20 observers (people who read every round and never post),
    inserted directly, and the round's version now: what the readers' pages would have."""
    engine = create_engine(url)
    now = utcnow()
    with engine.begin() as db:
        first = db.execute(text("SELECT coalesce(max(id), 0) + 1 FROM users")).scalar_one()
        password_hash = hash_password(PASSWORD)
        db.execute(
            insert(User),
            [
                {
                    "id": first + n,
                    "email": f"reader{n}@bench.example",
                    "name": f"Reader {n}",
                    "password_hash": password_hash,
                    "platform_role": "observer",
                }
                for n in range(20)
            ],
        )
        tokens, rows = [], []
        for n in range(readers):
            token, token_hash = new_token()
            tokens.append(token)
            rows.append(
                {
                    "token_hash": token_hash,
                    "user_id": first + n % 20,
                    "csrf_token": uuid.uuid4().hex,
                    "created_at": now,
                    "last_seen_at": now,
                    "expires_at": now + timedelta(hours=4),
                    "two_factor_pending": False,
                }
            )
        db.execute(insert(UserSession), rows)
        version = db.execute(
            text("SELECT version FROM rounds WHERE id = :id"), {"id": ROUND_ID}
        ).scalar_one()
    engine.dispose()
    return tokens, int(version)


def start_readers(
    db: Database, servers: list[Server], readers: int, seconds: float
) -> tuple[subprocess.Popen[bytes], Path]:
    tokens, version = reader_sessions(db.url, readers)
    spec = db.folder / "readers.json"
    out = db.folder / "readers-out.json"
    spec.write_text(
        json.dumps(
            {
                "ports": [s.port for s in servers],
                "round_id": ROUND_ID,
                "version": version,
                "tokens": tokens,
                "probes": min(PROBES, readers),
                "seconds": seconds,
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parent / "readers.py"), str(spec), str(out)]
    )
    return process, out


def delivery_rows(items: list[Item], out: Path) -> list[tuple[str, str]]:
    """What the readers saw: how many held the stream, and how long each acknowledged comment
    took to reach each probe (from its acknowledgement), with those that never did."""
    result = json.loads(out.read_text())
    posted = {i.key: i.finished for i in items if i.acked and i.kind in ("comment", "reply")}
    delays: list[float] = []
    missed = 0
    for arrivals in result["probes"]:
        for key, acked_at in posted.items():
            arrived = arrivals.get(key)
            if arrived is None:
                missed += 1
            else:
                delays.append(max(arrived - acked_at, 0.0) * 1000)
    delays.sort()
    pairs = len(posted) * len(result["probes"])

    def at(p: float) -> str:
        return f"{delays[min(int(p * len(delays)), len(delays) - 1)]:,.0f}" if delays else "-"

    return [
        (
            "readers",
            f"{result['connected']:,} of {result['readers']:,} held the stream open; "
            f"{result['events']:,} events, {result['bytes'] / 1e6:,.1f} MB"
            + (f"; errors: {', '.join(result['errors'])}" if result["errors"] else ""),
        ),
        (
            "delivery to probes",
            f"p50 {at(0.5)} ms, p99 {at(0.99)} ms, max {at(1.0)} ms after the acknowledgement "
            f"({len(delays):,} of {pairs:,} comment x probe pairs; {missed:,} never arrived)",
        ),
    ]


def run(
    backend: str,
    seconds: int,
    users: int,
    posting_limit: int,
    processes: int | None = None,
    readers: int = 0,
) -> bool:
    processes = processes or (2 if backend == "postgresql" else 1)
    print(f"\n== {backend}: {users} users, {processes} process(es), {seconds} s ==", flush=True)
    db = create_database(backend)
    servers = make_servers(db, processes, posting_limit)
    load = None
    try:
        seed(db.url, users)
        for server in servers:
            server.start()
        load = Load([s.base for s in servers], users)
        load.sign_in_all()
        if readers:
            watching, out = start_readers(db, servers, readers, seconds + 15 + GRACE)
            time.sleep(10)  # every reader connected and told where the round stands
        load.start(seconds)
        load.join()
        elapsed = time.monotonic() - load.started
        if readers:
            watching.wait(timeout=60)
        for server in servers:
            server.stop()
        items = load.snapshot()
        engine = check_engine(db.url)
        try:
            lost = lost_writes(engine, items)
            duplicates = duplicate_keys(engine)
            problems = integrity(engine)
            comment_rows, version_rows = count_rows(engine)
        finally:
            engine.dispose()
        acked = [i for i in items if i.acked]
        server_errors = [i for i in items if i.status is not None and i.status >= 500]
        no_answer = [i for i in items if i.status is None]
        by_status = statuses(items)
        client_4xx = {k: v for k, v in by_status.items() if k.startswith("4")}
        kinds = {
            kind: [i for i in items if i.kind == kind] for kind in ("position", "comment", "reply")
        }
        rows = [
            (
                "backend",
                f"{backend}, {processes} `tripartite serve` process(es), "
                f"{os.environ.get('TRIPARTITE_THREADPOOL_SIZE', '4')} threads each",
            ),
            ("users", f"{users} representatives of {users} organisations, no think time"),
            ("posting limit", f"TRIPARTITE_POSTING_LIMIT={posting_limit}"),
            ("duration", f"{elapsed:.1f} s"),
            ("requests", f"{len(items):,} ({len(items) / elapsed:,.1f} req/s)"),
            (
                "acknowledged (303)",
                f"{len(acked):,} ({len(acked) / elapsed:,.1f} posts/s): "
                + ", ".join(f"{k} {sum(1 for i in v if i.acked):,}" for k, v in kinds.items()),
            ),
            ("latency, all", latency_row(items)),
        ]
        if readers:
            rows += delivery_rows(items, out)
        rows += [(f"latency, {k}", latency_row(v)) for k, v in kinds.items()]
        rows += [
            ("answers by status", ", ".join(f"{k}: {v:,}" for k, v in sorted(by_status.items()))),
            (
                "4xx by status",
                ", ".join(f"{k}: {v:,}" for k, v in sorted(client_4xx.items())) or "none",
            ),
            ("5xx", f"{len(server_errors)}"),
            ("no answer", f"{len(no_answer)}"),
            ("lost writes", f"{len(lost)} of {len(acked):,} acknowledged"),
            ("duplicate keys", f"{duplicates}"),
            ("rows stored", f"{comment_rows:,} comments, {version_rows:,} position versions"),
            ("integrity", "ok" if not problems else "; ".join(problems)),
        ]
        if client_4xx:
            samples = {}
            for i in items:
                if i.status is not None and 400 <= i.status < 500:
                    samples.setdefault(i.status, i.error)
            rows += [(f"  e.g. {s}", m) for s, m in sorted(samples.items())]
        for i in lost[:5]:
            rows.append(("  lost", f"{i.kind} {i.key} by {i.user}"))
        print(table(f"Closing-day load, {backend}", rows), flush=True)
        return not (server_errors or lost or duplicates or problems or no_answer)
    finally:
        if load is not None:
            load.stop()
            load.close()
        for server in servers:
            server.stop()
        db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--posting-limit", type=int, default=HIGH_POSTING_LIMIT)
    parser.add_argument(
        "--processes", type=int, default=None, help="servers (default 2 on PostgreSQL, 1 on SQLite)"
    )
    parser.add_argument(
        "--readers",
        type=int,
        default=0,
        help="readers holding the round open over its live stream (bench/readers.py)",
    )
    args = parser.parse_args()
    ok = True
    for backend in ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]:
        ok = (
            run(
                backend,
                args.seconds,
                args.users,
                args.posting_limit,
                args.processes,
                args.readers,
            )
            and ok
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
