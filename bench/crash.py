"""Crash: kill -9 the app processes in the middle of the closing-day load (issue 6).

    .venv/bin/python bench/crash.py [--backend sqlite|postgresql|both] [--cycles 5]
                                    [--users 100] [--run-seconds 6]

For each backend: the database, round, servers (two `tripartite serve` processes on PostgreSQL,
one on SQLite) and representatives of bench/load.py, posting flat out. Then, ``--cycles``
times: after ``--run-seconds`` (± 30%) of load, SIGKILL to every server process (their whole
process groups: no shutdown handler runs), then, with the servers dead, the database is read
directly: every post acknowledged so far (303) must be there with its text, and the database
must pass the integrity checks (SQLite: PRAGMA integrity_check and foreign_key_check;
PostgreSQL: every foreign key, unique, primary key and check constraint re-checked by a query,
amcheck on every B-tree index; both: no duplicate idempotency key, positions consistent with
their versions). The servers are restarted and the load goes on (the representatives' sessions
and CSRF cookies survive: sessions are in the database, the key is shared).

A request that could not connect (the servers are down) was never sent: the representative
sends the same post again, as a browser's retry would. A request cut by the kill, or answered
with a 5xx, is *unacknowledged*: it may or may not have been saved. After the last cycle the
load stops and every unacknowledged post is sent again with its same idempotency key and data;
each must now be acknowledged and present, and no key may appear twice.

Servers run with TRIPARTITE_POSTING_LIMIT=1000000 (a capacity run, not the per-account limit).
Exits 1 on a lost write, a duplicate, an integrity problem or a failed resubmission. Only
127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import random
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
    lost_writes,
    make_servers,
    present,
    resubmit,
    seed,
    statuses,
    stored,
    table,
)


def run(backend: str, cycles: int, users: int, run_seconds: float) -> bool:
    processes = 2 if backend == "postgresql" else 1
    print(f"\n== {backend}: {users} users, {processes} process(es), {cycles} kills ==", flush=True)
    db = create_database(backend)
    servers = make_servers(db, processes, HIGH_POSTING_LIMIT)
    rng = random.Random(6)
    load = None
    engine = check_engine(db.url)
    ok = True
    try:
        seed(db.url, users)
        for server in servers:
            server.start()
        load = Load([s.base for s in servers], users)
        load.sign_in_all()
        load.start(cycles * (run_seconds * 1.3 + 30) + 60)  # bounded; stopped below
        rows: list[tuple[str, str]] = []
        doubtful_before = 0
        for cycle in range(1, cycles + 1):
            time.sleep(run_seconds * rng.uniform(0.7, 1.3))
            for server in servers:
                server.kill9()
            time.sleep(0.5)  # requests cut by the kill fail in the client
            items = load.snapshot()
            acked = [i for i in items if i.acked]
            doubtful = sum(1 for i in items if i.in_doubt)
            lost = lost_writes(engine, items)
            problems = integrity(engine)
            engine.dispose()
            started = time.monotonic()
            for server in servers:
                server.start(wait=False)
            ready = max(server.wait_ready() for server in servers)
            restart = time.monotonic() - started
            ok = ok and not lost and not problems
            rows.append(
                (
                    f"kill {cycle}",
                    f"{len(acked):>6,} acknowledged so far, {len(lost)} lost | "
                    f"{doubtful - doubtful_before:>3} cut by this kill | integrity "
                    f"{'ok' if not problems else '; '.join(problems)} | back in {restart:.1f} s "
                    f"(slowest /healthz {ready:.1f} s)",
                )
            )
            print(rows[-1][1], flush=True)
            doubtful_before = doubtful
        time.sleep(2)  # the load goes on against the restarted servers
        load.stop()
        load.join()
        items = load.snapshot()
        before = stored(engine)
        doubtful_items = [i for i in items if i.in_doubt]
        already = [i for i in doubtful_items if present(i, before)]
        resent = resubmit(load, doubtful_items)
        for server in servers:
            server.stop()
        after = stored(engine)
        resent_ok = [i for i in resent if i.acked and present(i, after)]
        resent_bad = [i for i in resent if not (i.acked and present(i, after))]
        lost = lost_writes(engine, items)
        duplicates = duplicate_keys(engine)
        problems = integrity(engine)
        comment_rows, version_rows = count_rows(engine)
        acked = [i for i in items if i.acked]
        ok = ok and not (resent_bad or lost or duplicates or problems)
        rows += [
            (
                "requests",
                f"{len(items):,} answered or cut; {load.refused:,} connections refused "
                "while the servers were down (sent again, not counted)",
            ),
            ("answers", ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses(items).items()))),
            ("acknowledged", f"{len(acked):,}, lost {len(lost)}"),
            (
                "unacknowledged",
                f"{len(doubtful_items)} (cut by a kill or 5xx); "
                f"{len(already)} of them had been saved all the same, "
                f"{len(doubtful_items) - len(already)} had not",
            ),
            (
                "resubmitted",
                f"{len(resent)}, same keys: "
                + ", ".join(f"{k}: {v}" for k, v in sorted(statuses(resent).items()))
                + f"; present afterwards {len(resent_ok)}, failed {len(resent_bad)}",
            ),
            ("duplicate keys", f"{duplicates} (each key at most once)"),
            ("rows stored", f"{comment_rows:,} comments, {version_rows:,} position versions"),
            ("final integrity", "ok" if not problems else "; ".join(problems)),
            (
                "server log",
                f"{sum(s.log_count('Traceback') for s in servers)} tracebacks, "
                f"{sum(s.log_count(' 500 ') for s in servers)} lines with 500",
            ),
        ]
        for i in resent_bad[:5]:
            rows.append(("  failed", f"{i.kind} {i.key}: {i.status} {i.error}"))
        print(table(f"Crash (kill -9 x{cycles}), {backend}", rows), flush=True)
        return ok
    finally:
        if load is not None:
            load.stop()
            load.join()
            load.close()
        for server in servers:
            server.stop()
        engine.dispose()
        db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--run-seconds", type=float, default=6.0)
    args = parser.parse_args()
    ok = True
    for backend in ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]:
        ok = run(backend, args.cycles, args.users, args.run_seconds) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
