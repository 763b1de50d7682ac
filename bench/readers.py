"""Readers holding a round open over its live stream, in a process of their own (bench/load.py
--readers N starts it beside the posters, so their asyncio loop does not share the posters'
threads).

    .venv/bin/python bench/readers.py SPEC.json OUT.json

SPEC holds ``ports`` (the servers, taken in turn), ``round_id``, ``version`` (the round's
version as the readers' pages have it), ``tokens`` (one session cookie
per reader), ``probes`` (how many readers note when each post arrived) and ``seconds`` (how
long to stay connected). Every reader opens ``/rounds/{id}/stream`` over a raw HTTP/1.1
connection (one each, as browsers do) and reads events until the time is up; a probe notes,
for every idempotency key it sees in an event (``(r{n}-{seq}-{hex})``, bench/common.py), the
moment (time.monotonic, the same clock as the posters') it first arrived. OUT gets the counts
and the probes' arrivals.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import sys
import time
from typing import Any

KEY = re.compile(rb"\((r\d+-\d+-[0-9a-f]{10})\)")


class Reader:
    def __init__(self, port: int, round_id: int, mark: str, token: str, probe: bool) -> None:
        self.port, self.round_id, self.token, self.probe = port, round_id, token, probe
        self.mark = mark  # where the reader's page stands (as the page's sse-connect says)
        self.status = 0
        self.events = 0
        self.bytes = 0
        self.arrivals: dict[str, float] = {}
        self.error = ""

    async def run(self, until: float) -> None:
        try:
            await asyncio.wait_for(self._read(), timeout=max(until - time.monotonic(), 0.1))
        except TimeoutError:
            pass
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.error = exc.__class__.__name__

    async def _read(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                (
                    f"GET /rounds/{self.round_id}/stream?{self.mark} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{self.port}\r\nAccept: text/event-stream\r\n"
                    f"Cookie: tripartite_session={self.token}\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            self.status = int(head.split()[1])
            chunked = b"chunked" in head.lower()
            buffer = b""
            while True:
                if chunked:
                    size = int((await reader.readline()).strip() or b"0", 16)
                    if size == 0:
                        return
                    data = await reader.readexactly(size)
                    await reader.readline()
                else:
                    data = await reader.read(65536)
                    if not data:
                        return
                self.bytes += len(data)
                buffer += data
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    if event.startswith(b":"):
                        continue  # a keepalive comment
                    self.events += 1
                    if self.probe:
                        now = time.monotonic()
                        for key in KEY.findall(event):
                            self.arrivals.setdefault(key.decode(), now)
        finally:
            writer.close()


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    until = time.monotonic() + spec["seconds"]
    ports = spec["ports"]
    mark = f"version={spec['version']}&after=0&moderated={int(time.time())}"
    readers = [
        Reader(ports[n % len(ports)], spec["round_id"], mark, token, n < spec["probes"])
        for n, token in enumerate(spec["tokens"])
    ]
    tasks = []
    for n, reader in enumerate(readers):
        tasks.append(asyncio.create_task(reader.run(until)))
        if n % 50 == 49:
            await asyncio.sleep(0.02)  # a little apart, as people open a page
    await asyncio.gather(*tasks)
    return {
        "readers": len(readers),
        "connected": sum(1 for r in readers if r.status == 200),
        "errors": sorted({r.error for r in readers if r.error}),
        "events": sum(r.events for r in readers),
        "bytes": sum(r.bytes for r in readers),
        "probes": [r.arrivals for r in readers if r.probe],
    }


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with open(sys.argv[1]) as given:
        spec = json.load(given)
    result = asyncio.run(main(spec))
    with open(sys.argv[2], "w") as out:
        json.dump(result, out)
