"""The documents issue's two figures: an upload's memory, and downloads beside the round page.

    .venv/bin/python bench/documents.py [--backend sqlite|postgresql|both] [--seconds 10]
        [--downloads 20] [--rate 1.0] [--connections 10]

For each backend: a fresh database (bench/common.py seed: round 1 open, 30 invited
organisations with one representative each), a moderator enrolled in two-factor, sessions
made directly in the database (as tests/factories.py session_cookie does), and one
`tripartite serve` process with TRIPARTITE_ATTACHMENT_MAX_BYTES=60000000 (so that a file of
50 * 2**20 bytes fits). Then:

1. Upload memory. A .docx of 50 * 2**20 bytes (python-docx: one paragraph; plus
   word/media/image1.png, random bytes added *stored* with zipfile, so it passes the
   zip-bomb checks: app/documents/checks.py check_upload is run on it first), posted by the
   moderator to /rounds/1/attachments, streamed by httpx from its file. The server's peak
   RSS growth: VmHWM reset through /proc/PID/clear_refs before, read after, and VmRSS sampled
   every 10 ms during the upload; the larger of the two, less VmRSS before. A small upload
   runs first, so that the modules an upload imports are loaded. Target: under 20 MB.
2. Downloads beside the round page. A .docx of 20 * 2**20 bytes attached the same way; wrk
   (1 thread, 10 connections, --latency) on /rounds/1 as a representative: alone, then while
   20 representatives download /attachments/ID over and over, each reading at 1 MB/s (so the
   downloads are long and overlap the whole wrk run: a download that held a database
   connection would starve the page, the pool being small), then alone again. Target: p50
   and p99 with the downloads at most 2x alone (the mean of the runs before and after).
   Also: the server's CPU during each wrk run and for the downloads alone (3 s), the
   documents list (read through the main pool of sessions, which the 20 downloads outnumber)
   20 times in a row alone and beside the downloads, and the downloads' throughput.

MB are 10**6 bytes. Only 127.0.0.1 is contacted; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROUND_ID, Server, create_database, make_servers, seed  # noqa: E402

from app.accounts.credentials import new_token  # noqa: E402
from app.accounts.deps import SESSION_COOKIE  # noqa: E402
from app.db import utcnow  # noqa: E402
from app.models import User, UserSession  # noqa: E402
from app.vocabulary import PlatformRole  # noqa: E402

MB = 1_000_000
MIB = 2**20
UPLOAD_BYTES = 50 * MIB
DOWNLOAD_BYTES = 20 * MIB
MAX_BYTES = 60_000_000
MEMORY_TARGET_MB = 20
SLOWDOWN_TARGET = 2.0
REPRESENTATIVES = 30
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# --- the files -----------------------------------------------------------------------------------


def make_docx(path: Path, size: int) -> Path:
    """A Word document of about ``size`` bytes: one paragraph, and an image member of random
    bytes stored uncompressed (its ratio is 1: no zip bomb), written in 1 MiB pieces."""
    from docx import Document

    document = Document()
    document.add_paragraph("A background paper for the round, with a large picture.")
    document.save(str(path))
    name = "word/media/image1.png"
    # the rest of the size, less the member's local (30 B) and central (46 B) headers
    member = size - path.stat().st_size - 30 - 46 - 2 * len(name)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
        with archive.open(name, "w", force_zip64=False) as out:
            left = member
            while left > 0:
                piece = min(MIB, left)
                out.write(os.urandom(piece))
                left -= piece
    if path.stat().st_size != size:
        raise SystemExit(f"{path.name} is {path.stat().st_size} bytes, not {size}")
    return path


def check_file(path: Path) -> str:
    """What the server's checks make of the file (they raise if they refuse it)."""
    from app.documents.checks import check_upload

    with path.open("rb") as source:
        kind, _name = check_upload(source, path.name)
    return str(getattr(kind, "value", kind))


# --- the people ----------------------------------------------------------------------------------


@dataclass
class People:
    moderator: str
    moderator_csrf: str
    #: Session tokens of representatives 1..n (index 0 is rep1).
    representatives: list[str]


def sign_in_directly(url: str, representatives: int) -> People:
    """A moderator (two-factor enrolled) and sessions for them and the first representatives,
    made in the database: what signing in creates, without the password and the code."""
    engine = create_engine(url)
    now = utcnow()
    tokens: list[tuple[str, str]] = []
    with engine.begin() as db:
        moderator_id = db.execute(
            insert(User)
            .values(
                email="moderator@bench.example",
                name="Bench moderator",
                password_hash="!",
                is_active=True,
                platform_role=PlatformRole.MODERATOR.value,
                totp_secret=TOTP_SECRET,
                totp_enabled_at=now,
                created_at=now,
            )
            .returning(User.id)
        ).scalar_one()
        rep_ids = list(
            db.scalars(
                select(User.id)
                .where(User.email.like("rep%@bench.example"))
                .order_by(User.id)
                .limit(representatives)
            )
        )
        for user_id in [moderator_id, *rep_ids]:
            token, token_hash = new_token()
            csrf = secrets.token_urlsafe(16)
            db.execute(
                insert(UserSession).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=2),
                    two_factor_pending=False,
                )
            )
            tokens.append((token, csrf))
    engine.dispose()
    return People(tokens[0][0], tokens[0][1], [t for t, _ in tokens[1:]])


# --- uploads and the server's memory -------------------------------------------------------------


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {key} in /proc/{pid}/status")


class RssSampler(threading.Thread):
    """VmRSS of ``pid`` every 10 ms until stopped (bounded by ``seconds``): its peak."""

    def __init__(self, pid: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.deadline = time.monotonic() + seconds
        self.stopped = threading.Event()
        self.peak_kb = 0

    def run(self) -> None:
        while not self.stopped.is_set() and time.monotonic() < self.deadline:
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            time.sleep(0.01)


def upload(server: Server, people: People, path: Path, title: str) -> int:
    """Posts ``path`` (streamed from the file) as the moderator; the new attachment's id."""
    with (
        httpx.Client(
            base_url=server.base, timeout=120, cookies={SESSION_COOKIE: people.moderator}
        ) as client,
        path.open("rb") as source,
    ):
        response = client.post(
            f"/rounds/{ROUND_ID}/attachments",
            data={
                "title": title,
                "place": "round",
                "language": "en",
                "folder": "",
                "csrftoken": people.moderator_csrf,
            },
            files={"file": (path.name, source, DOCX)},
        )
    location = response.headers.get("location", "")
    found = re.search(r"#attachment-(\d+)", location)
    if response.status_code != 303 or found is None:
        raise SystemExit(
            f"upload of {path.name} refused: {response.status_code} {location}\n"
            f"{response.text[:2000]}\n{server.log.read_text(errors='replace')[-3000:]}"
        )
    return int(found.group(1))


@dataclass
class Memory:
    before_mb: float
    peak_mb: float
    hwm_mb: float
    seconds: float
    size: int

    @property
    def growth_mb(self) -> float:
        return max(self.peak_mb, self.hwm_mb) - self.before_mb


def upload_memory(server: Server, people: People, path: Path) -> Memory:
    assert server.process is not None
    pid = server.process.pid
    before = status_kb(pid, "VmRSS")
    reset = True
    try:
        # "5" resets the peak RSS (VmHWM) to the current RSS (proc(5), clear_refs)
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        reset = False
    sampler = RssSampler(pid, seconds=300)
    sampler.start()
    started = time.monotonic()
    try:
        upload(server, people, path, "A large background paper")
    finally:
        seconds = time.monotonic() - started
        sampler.stopped.set()
        sampler.join(timeout=5)
    hwm = status_kb(pid, "VmHWM") if reset else 0
    return Memory(
        before * 1024 / MB,
        sampler.peak_kb * 1024 / MB,
        hwm * 1024 / MB,
        seconds,
        path.stat().st_size,
    )


# --- downloads beside the round page -------------------------------------------------------------


@dataclass
class Downloads:
    bytes: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    #: Downloaders that received their first bytes.
    started: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def downloader(
    n: int,
    base: str,
    token: str,
    path: str,
    rate: float,
    stop: threading.Event,
    deadline: float,
    stats: Downloads,
) -> None:
    """Downloads ``path`` over and over, reading ``rate`` bytes a second, until ``stop``."""
    piece = 64 * 1024
    with httpx.Client(base_url=base, timeout=60, cookies={SESSION_COOKIE: token}) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                with client.stream("GET", path) as response:
                    if response.status_code != 200:
                        with stats.lock:
                            stats.errors.append(f"{response.status_code}")
                        time.sleep(0.5)
                        continue
                    started = time.monotonic()
                    got = 0
                    for data in response.iter_raw(piece):
                        got += len(data)
                        with stats.lock:
                            stats.bytes += len(data)
                            stats.started.add(n)
                        if stop.is_set() or time.monotonic() > deadline:
                            break
                        ahead = got / rate - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(min(ahead, 1.0))
                    else:
                        with stats.lock:
                            stats.completed += 1
            except httpx.HTTPError as error:
                with stats.lock:
                    stats.errors.append(repr(error))
                time.sleep(0.5)


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    rate: float
    requests: int
    failed: int
    #: The server process's CPU (user + system) during the run, in % of one core.
    cpu: float


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, token: str, seconds: int, connections: int, pid: int) -> Latency:
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Cookie: {SESSION_COOKIE}={token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - started) * 100

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        if match is None:
            raise SystemExit(f"no {label}% latency in wrk's output:\n{out}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    failed = (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Latency(ms("50"), ms("99"), rate, requests, failed, cpu)


def list_latency(base: str, token: str, requests: int = 20) -> tuple[float, float]:
    """The documents list (a page read through the main pool of the server's sessions, not
    the round page's own door), one request after another: p50 and max, in ms."""
    times = []
    with httpx.Client(base_url=base, timeout=60, cookies={SESSION_COOKIE: token}) as client:
        for _ in range(requests):
            started = time.monotonic()
            response = client.get(f"/rounds/{ROUND_ID}/attachments")
            times.append((time.monotonic() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"the documents list answered {response.status_code}")
    times.sort()
    return times[len(times) // 2], times[-1]


@dataclass
class Beside:
    alone: Latency
    loaded: Latency
    after: Latency
    list_alone: tuple[float, float]
    list_loaded: tuple[float, float]
    #: The server's CPU (% of one core) serving the downloads alone.
    downloads_cpu: float
    downloads: int
    stats: Downloads
    seconds: float

    def slowdown(self, percentile: str) -> float:
        """With the downloads / alone (the mean of the runs before and after them)."""
        alone = (getattr(self.alone, percentile) + getattr(self.after, percentile)) / 2
        return float(getattr(self.loaded, percentile)) / alone

    @property
    def throughput_mb(self) -> float:
        return self.stats.bytes / MB / self.seconds


def downloads_beside_page(
    server: Server,
    people: People,
    attachment_id: int,
    seconds: int,
    downloads: int,
    rate_mb: float,
    connections: int,
) -> Beside:
    assert server.process is not None
    pid = server.process.pid
    page = f"{server.base}/rounds/{ROUND_ID}"
    reader = people.representatives[0]
    with httpx.Client(timeout=30, cookies={SESSION_COOKIE: reader}) as client:
        response = client.get(page)
        if response.status_code != 200:
            raise SystemExit(f"the round page answered {response.status_code}")
        file = client.get(f"{server.base}/attachments/{attachment_id}")
        if file.status_code != 200 or len(file.content) != DOWNLOAD_BYTES:
            raise SystemExit(f"the download answered {file.status_code}, {len(file.content)} B")
    wrk(page, reader, max(3, seconds // 2), connections, pid)  # warm up
    alone = wrk(page, reader, seconds, connections, pid)
    list_alone = list_latency(server.base, reader)

    stop = threading.Event()
    stats = Downloads()
    deadline = time.monotonic() + seconds + 90
    threads = [
        threading.Thread(
            target=downloader,
            args=(
                n,
                server.base,
                people.representatives[1 + n % (len(people.representatives) - 1)],
                f"/attachments/{attachment_id}",
                rate_mb * MB,
                stop,
                deadline,
                stats,
            ),
            daemon=True,
        )
        for n in range(downloads)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        # every download under way (past the socket buffers' first gulp) before wrk starts
        ready_by = time.monotonic() + 30
        while len(stats.started) < downloads and time.monotonic() < ready_by:
            time.sleep(0.05)
        if len(stats.started) < downloads:
            raise SystemExit(
                f"only {len(stats.started)} of {downloads} downloads started: {stats.errors[:5]}"
            )
        # the server's CPU for the downloads alone (past the socket buffers' first gulp)
        time.sleep(1)
        cpu_before, quiet_started = cpu_seconds(pid), time.monotonic()
        time.sleep(3)
        downloads_cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - quiet_started) * 100
        loaded = wrk(page, reader, seconds, connections, pid)
        # more downloads than the pool has connections: a download holding one would show here
        list_loaded = list_latency(server.base, reader)
    finally:
        stop.set()
        elapsed = time.monotonic() - started
        for thread in threads:
            thread.join(timeout=30)
    after = wrk(page, reader, seconds, connections, pid)
    return Beside(
        alone, loaded, after, list_alone, list_loaded, downloads_cpu, downloads, stats, elapsed
    )


# --- a run ---------------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    memory: Memory
    beside: Beside


def run(
    backend: str,
    files: dict[str, Path],
    seconds: int,
    downloads: int,
    rate: float,
    connections: int,
) -> Result:
    db = create_database(backend)
    try:
        seed(db.url, REPRESENTATIVES)
        people = sign_in_directly(db.url, downloads + 1)
        (server,) = make_servers(
            db,
            1,
            posting_limit=20,
            extra_env={"TRIPARTITE_ATTACHMENT_MAX_BYTES": str(MAX_BYTES)},
        )
        server.start()
        try:
            upload(server, people, files["small"], "A short note")  # imports loaded
            memory = upload_memory(server, people, files["upload"])
            attachment_id = upload(server, people, files["download"], "A background paper")
            beside = downloads_beside_page(
                server, people, attachment_id, seconds, downloads, rate, connections
            )
        finally:
            server.stop()
    finally:
        db.drop()
    return Result(backend, memory, beside)


def report(results: list[Result], args: argparse.Namespace, kind: str) -> None:
    print(
        f"\nbench/documents.py --backend {args.backend} --seconds {args.seconds} "
        f"--downloads {args.downloads} --rate {args.rate} --connections {args.connections}"
    )
    print(f"\n1. upload of {UPLOAD_BYTES / MB:.1f} MB (.docx, one tripartite serve process)")
    print(
        f"  {'backend':11} {'RSS before':>10} {'peak RSS':>9} {'VmHWM':>8} {'growth':>8} "
        f"{'target':>7} {'time':>7} {'MB/s':>6}"
    )
    for r in results:
        m = r.memory
        verdict = "ok" if m.growth_mb < MEMORY_TARGET_MB else "MISSED"
        print(
            f"  {r.backend:11} {m.before_mb:8.1f}MB {m.peak_mb:7.1f}MB {m.hwm_mb:6.1f}MB "
            f"{m.growth_mb:6.1f}MB {'<' + str(MEMORY_TARGET_MB):>7} {m.seconds:6.2f}s "
            f"{m.size / MB / m.seconds:6.1f}  {verdict}"
        )
    first = results[0].beside
    print(
        f"\n2. round page (wrk -t1 -c{args.connections} -d{args.seconds}s) alone and beside "
        f"{first.downloads} downloads of {DOWNLOAD_BYTES / MB:.1f} MB, each read at "
        f"{args.rate} MB/s"
    )
    print(
        f"  {'backend':11} {'':8} {'p50':>8} {'p99':>8} {'req/s':>7} {'failed':>6}   "
        f"{'CPU':>5}   {'x p50':>6} {'x p99':>6} {'target':>6}"
    )
    for r in results:
        b = r.beside
        x50 = b.slowdown("p50_ms")
        x99 = b.slowdown("p99_ms")
        rows = (("alone", b.alone), ("loaded", b.loaded), ("after", b.after))
        for label, lat in rows:
            ratios = (
                f"{x50:6.2f} {x99:6.2f} {'<=' + str(SLOWDOWN_TARGET):>6}  "
                + ("ok" if max(x50, x99) <= SLOWDOWN_TARGET else "MISSED")
                if label == "loaded"
                else ""
            )
            print(
                f"  {r.backend:11} {label:8} {lat.p50_ms:6.1f}ms {lat.p99_ms:6.1f}ms "
                f"{lat.rate:7.0f} {lat.failed:6} {lat.cpu:4.0f}%   {ratios}"
            )
        (a50, amax), (l50, lmax) = b.list_alone, b.list_loaded
        print(
            f"  {r.backend:11} documents list (main pool), 20 in a row: alone p50 {a50:.1f} ms, "
            f"max {amax:.1f} ms; with the downloads p50 {l50:.1f} ms, max {lmax:.1f} ms"
        )
        s = b.stats
        print(
            f"  {r.backend:11} downloads: {s.bytes / MB:.0f} MB in {b.seconds:.1f} s = "
            f"{b.throughput_mb:.1f} MB/s ({b.throughput_mb / b.downloads:.2f} MB/s each), "
            f"{s.completed} complete, {len(s.errors)} errors {s.errors[:3]}; the server's "
            f"CPU for the downloads alone: {b.downloads_cpu:.0f}%"
        )
    print(f"\n  the {UPLOAD_BYTES / MB:.1f} MB file passes check_upload as: {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--downloads", type=int, default=20, help="concurrent downloads")
    parser.add_argument("--rate", type=float, default=1.0, help="MB/s each download reads")
    parser.add_argument("--connections", type=int, default=10, help="wrk's connections")
    args = parser.parse_args()
    if args.downloads + 1 > REPRESENTATIVES:
        raise SystemExit(f"at most {REPRESENTATIVES - 1} downloads")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="tripartite-bench-files-") as folder:
        files = {
            "small": make_docx(Path(folder) / "note.docx", 64 * 1024),
            "upload": make_docx(Path(folder) / "large-paper.docx", UPLOAD_BYTES),
            "download": make_docx(Path(folder) / "background-paper.docx", DOWNLOAD_BYTES),
        }
        # refused here rather than by the server
        kinds = {name: check_file(path) for name, path in files.items()}
        for name, path in files.items():
            print(f"{name}: {path.name}, {path.stat().st_size} bytes, {kinds[name]}", flush=True)
        results = [
            run(b, files, args.seconds, args.downloads, args.rate, args.connections)
            for b in backends
        ]
        report(results, args, kinds["upload"])


if __name__ == "__main__":
    main()
