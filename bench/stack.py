"""The stack around the route: what a request costs before the page's own work.

    .venv/bin/python bench/stack.py [--backend sqlite|postgresql|both] [--seconds 8]

For each backend: a fresh database with a small open round (bench/common.py seed: 30
organisations, one representative each), one `tripartite serve` process, and wrk (1 thread,
32 connections) on 127.0.0.1 against
  - /healthz (the database answers);
  - an unchanged live poll, /rounds/1/live?version=N, as a signed-in representative;
  - /static/style.css (a static file through the same middleware);
  - a bare FastAPI app returning "ok" on the same uvicorn settings (bench/bare_app.py): the
    machine's ceiling for a tiny answer, run in the same moment.
Targets (issue 16): /healthz and the unchanged poll >= 2,000 req/s in one process; each is
also reported as a ratio of the bare app. Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402  (bench/common.py)
    ROUND_ID,
    create_database,
    free_port,
    make_servers,
    seed,
    sign_in,
)


def wrk(url: str, seconds: int, cookie: str = "") -> tuple[float, str]:
    command = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit(f"wrk saw error responses on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    return rate, p99.group(1) if p99 else "?"


def bare_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/python"),
            str(Path(__file__).resolve().parent / "bare_app.py"),
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/ok", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("the bare app did not start")


def run(backend: str, seconds: int) -> list[tuple[str, float, str]]:
    db = create_database(backend)
    rows: list[tuple[str, float, str]] = []
    try:
        seed(db.url, 30)
        (server,) = make_servers(db, 1, posting_limit=20)
        server.start()
        bare, bare_base = bare_server()
        try:
            reader = sign_in(server.base, "rep1@bench.example")
            page = reader.get(f"/rounds/{ROUND_ID}").text
            poll = re.search(r'hx-get="([^"]+/live\?[^"]+)"', page)
            if poll is None:
                raise SystemExit("no live poll on the round page")
            poll_url = server.base + poll.group(1).replace("&amp;", "&")
            assert reader.get(poll_url).status_code == 204, "the poll is not unchanged"
            cookie = "; ".join(f"{k}={v}" for k, v in reader.cookies.items())
            rows.append(("bare FastAPI app, 'ok'", *wrk(bare_base + "/ok", seconds)))
            rows.append(("/healthz", *wrk(server.base + "/healthz", seconds)))
            rows.append(("unchanged live poll (204)", *wrk(poll_url, seconds, cookie)))
            rows.append(("/static/style.css", *wrk(server.base + "/static/style.css", seconds)))
        finally:
            bare.terminate()
            bare.wait(timeout=20)
            server.stop()
    finally:
        db.drop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"bench/stack.py --backend {args.backend} --seconds {args.seconds}")
    for backend in backends:
        rows = run(backend, args.seconds)
        bare = rows[0][1]
        print(f"\n{backend}: one process, wrk -t1 -c32 -d{args.seconds}s")
        print(f"  {'':32} {'req/s':>8} {'p99':>9} {'of bare':>8} {'target':>8}")
        for name, rate, p99 in rows:
            target = "2,000" if name.startswith(("/healthz", "unchanged")) else ""
            print(f"  {name:32} {rate:8.0f} {p99:>9} {rate / bare:8.2f} {target:>8}")


if __name__ == "__main__":
    main()
