"""Database restart: PostgreSQL stops and starts again in the middle of the load (issue 6).

    .venv/bin/python bench/db_restart.py [--seconds 40] [--users 100] [--at 15]
                                         [--down 5] [--port 5444] [--recovery-target 10]

Creates a throwaway PostgreSQL cluster of its own (`pg_createcluster <version> benchrestart
--port 5444`, trust authentication on the loopback; never the main cluster), a database in it
with the round, servers and representatives of bench/load.py (two `tripartite serve`
processes, the client alternating), and posts flat out for ``--seconds``. At ``--at`` seconds
the cluster is stopped (`pg_ctlcluster ... stop -m fast`: connections are cut, in-flight
transactions roll back), stays down ``--down`` seconds, and is started again. The application
processes are left alone.

Reported: the gap (stop issued to PostgreSQL accepting connections again), the answers to
requests made during it (expected: 503 "The database cannot be reached..." promptly, never a
500 or a hang), their latency, and the recovery (from PostgreSQL being back to the first
acknowledged post started after it, and to the last 503). Then, with the load stopped, every
unacknowledged post (503 or cut) is sent again with its same idempotency key, and the database
is checked as in bench/crash.py: every acknowledged post present, no key twice, integrity.
The cluster is dropped at the end (`pg_dropcluster --stop`). Servers run with
TRIPARTITE_POSTING_LIMIT=1000000. Exits 1 on a 500, a hang beyond ``--hang`` seconds, no
recovery within ``--recovery-target`` seconds, or a lost write. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    HIGH_POSTING_LIMIT,
    Item,
    Load,
    check_engine,
    create_database,
    duplicate_keys,
    integrity,
    latency_row,
    lost_writes,
    make_servers,
    present,
    resubmit,
    seed,
    statuses,
    stored,
    table,
)

CLUSTER = "benchrestart"
UNREACHABLE = "The database cannot be reached"


def pg(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=float)[-1]


def ready(port: int) -> bool:
    return pg("pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port), check=False).returncode == 0


def create_cluster(ver: str, port: int) -> None:
    if Path(f"/etc/postgresql/{ver}/{CLUSTER}").exists():  # left over by an interrupted run
        pg("pg_dropcluster", "--stop", ver, CLUSTER, check=False)
    pg(
        "pg_createcluster", ver, CLUSTER, "--port", str(port), "--",
        "--auth=trust",
    )  # fmt: skip
    # a bench cluster: durability as in production (fsync on), a little more room
    pg("pg_conftool", ver, CLUSTER, "set", "max_connections", "200")
    pg("pg_ctlcluster", ver, CLUSTER, "start")
    for _ in range(100):
        if ready(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"the bench cluster on port {port} did not start")


def in_window(items: list[Item], start: float, end: float) -> list[Item]:
    """Requests that were under way at some moment of [start, end]."""
    return [i for i in items if i.started <= end and i.finished >= start]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--at", type=float, default=15, help="seconds into the load")
    parser.add_argument("--down", type=float, default=5, help="seconds PostgreSQL stays down")
    parser.add_argument("--port", type=int, default=5444)
    parser.add_argument("--recovery-target", type=float, default=10)
    parser.add_argument("--hang", type=float, default=6, help="longest acceptable answer, s")
    args = parser.parse_args()
    ver = version()
    print(f"\n== PostgreSQL {ver} cluster {CLUSTER} on port {args.port} ==", flush=True)
    create_cluster(ver, args.port)
    admin = f"postgresql+psycopg://postgres@127.0.0.1:{args.port}/postgres"
    db = None
    servers = []
    load = None
    ok = True
    try:
        db = create_database("postgresql", admin_url=admin)
        seed(db.url, args.users)
        servers = make_servers(db, 2, HIGH_POSTING_LIMIT)
        for server in servers:
            server.start()
        pids = [s.process.pid for s in servers if s.process]
        load = Load([s.base for s in servers], args.users)
        load.sign_in_all()
        load.start(args.seconds)
        time.sleep(args.at)
        stop_begin = time.monotonic()
        pg("pg_ctlcluster", ver, CLUSTER, "stop", "-m", "fast")
        stopped = time.monotonic()
        time.sleep(args.down)
        start_begin = time.monotonic()
        pg("pg_ctlcluster", ver, CLUSTER, "start")
        while not ready(args.port) and time.monotonic() - start_begin < 60:
            time.sleep(0.05)
        back = time.monotonic()
        load.join()
        items = load.snapshot()
        t0 = load.started

        gap = in_window(items, stop_begin, back)
        after = [i for i in items if i.started >= back]
        first_ok = min((i.finished for i in after if i.acked), default=None)
        unavailable = [i for i in items if i.status == 503]
        last_503 = max((i.finished for i in unavailable), default=None)
        errors_500 = [
            i for i in items if i.status is not None and i.status >= 500 and i.status != 503
        ]
        wrong_message = [i for i in unavailable if UNREACHABLE not in i.error]
        slowest_gap = max((i.latency for i in gap), default=0.0)
        recovery = (first_ok - back) if first_ok is not None else None
        alive = all(s.process and s.process.poll() is None for s in servers)
        same = [s.process.pid for s in servers if s.process] == pids

        engine = check_engine(db.url)
        try:
            before = stored(engine)
            doubtful = [i for i in items if i.in_doubt]
            already = [i for i in doubtful if present(i, before)]
            resent = resubmit(load, doubtful)
            found = stored(engine)
            resent_bad = [i for i in resent if not (i.acked and present(i, found))]
            for server in servers:
                server.stop()
            lost = lost_writes(engine, items)
            duplicates = duplicate_keys(engine)
            problems = integrity(engine)
        finally:
            engine.dispose()

        messages = Counter(i.error for i in unavailable)
        rows = [
            (
                "set-up",
                f"2 `tripartite serve` processes, {args.users} users posting flat out "
                f"for {args.seconds:g} s; PostgreSQL stopped at {stop_begin - t0:.1f} s",
            ),
            (
                "gap",
                f"{back - stop_begin:.1f} s (stop took {stopped - stop_begin:.1f} s, down "
                f"{args.down:g} s, start until pg_isready {back - start_begin:.1f} s)",
            ),
            (
                "requests in the gap",
                f"{len(gap):,}: "
                + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses(gap).items())),
            ),
            ("latency in the gap", latency_row(gap)),
            (
                "503 answers",
                f"{len(unavailable):,} in all; messages: "
                + "; ".join(f"{v}x “{k}”" for k, v in messages.most_common(3)),
            ),
            ("500 and other 5xx", f"{len(errors_500)}"),
            (
                "recovery",
                (
                    f"first acknowledged post {recovery:.2f} s after PostgreSQL was back"
                    if recovery is not None
                    else "NONE"
                )
                + (
                    f"; last 503 answered at {last_503 - back:+.2f} s (relative to pg_isready)"
                    if last_503
                    else ""
                ),
            ),
            (
                "after recovery",
                f"{len(after):,} requests: "
                + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses(after).items())),
            ),
            (
                "app processes",
                "kept running, not restarted" if alive and same else "DIED or restarted",
            ),
            (
                "whole run",
                f"{len(items):,} requests: "
                + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses(items).items()))
                + f"; {latency_row(items)}",
            ),
            ("unacknowledged", f"{len(doubtful)} (503 or cut); saved all the same: {len(already)}"),
            (
                "resubmitted",
                f"{len(resent)}, same keys: "
                + ", ".join(f"{k}: {v}" for k, v in sorted(statuses(resent).items()))
                + f"; failed {len(resent_bad)}",
            ),
            ("lost writes", f"{len(lost)} of {sum(1 for i in items if i.acked):,} acknowledged"),
            ("duplicate keys", f"{duplicates}"),
            ("integrity", "ok" if not problems else "; ".join(problems)),
            (
                "server logs",
                f"{sum(s.log_count('database unavailable') for s in servers):,} "
                "'database unavailable' warnings, "
                f"{sum(s.log_count('Traceback') for s in servers)} tracebacks",
            ),
        ]
        print(table("PostgreSQL restart under load", rows), flush=True)
        ok = (
            not errors_500
            and not wrong_message
            and slowest_gap <= args.hang
            and recovery is not None
            and recovery <= args.recovery_target
            and alive
            and not (lost or duplicates or problems or resent_bad)
        )
    finally:
        if load is not None:
            load.stop()
            load.join()
            load.close()
        for server in servers:
            server.stop()
        if db is not None:
            try:
                db.drop()
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop the bench database: {exc}", file=sys.stderr)
        pg("pg_dropcluster", "--stop", ver, CLUSTER, check=False)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
