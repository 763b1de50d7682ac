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

``--readers N`` is the place for issue 16's 1,000 readers holding the round open over the live
channel: until a stream URL exists (``READERS_STREAM`` below), it only says so and the run
measures the posters alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    HIGH_POSTING_LIMIT,
    Load,
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

#: The live channel readers would hold open (a path with ``{round_id}``), once there is one.
READERS_STREAM: str | None = None


def readers_note(readers: int) -> str | None:
    """What becomes of ``--readers``: nothing yet, said out loud."""
    if readers <= 0:
        return None
    if READERS_STREAM is None:
        return (
            f"--readers {readers}: no live stream URL yet (READERS_STREAM in bench/load.py); "
            "measuring the posters alone"
        )
    return f"--readers {readers}: readers over {READERS_STREAM} are not wired in yet"


def run(
    backend: str, seconds: int, users: int, posting_limit: int, processes: int | None = None
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
        load.start(seconds)
        load.join()
        elapsed = time.monotonic() - load.started
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
        "--readers", type=int, default=0, help="readers on the live channel (not wired in yet)"
    )
    args = parser.parse_args()
    note = readers_note(args.readers)
    if note:
        print(note, flush=True)
    ok = True
    for backend in ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]:
        ok = run(backend, args.seconds, args.users, args.posting_limit, args.processes) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
