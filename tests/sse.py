"""A reader of a round's live stream (server-sent events) for tests: a plain HTTP/1.1
connection read in a thread of its own, its events collected as they come; closing it shuts the
socket (the server sees the browser go)."""

from __future__ import annotations

import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx2


@dataclass
class Event:
    name: str = "message"
    id: str | None = None
    data: str = ""


@dataclass
class Reader:
    """``Reader(client, path)``: the stream at ``path`` read with ``client``'s cookies."""

    client: httpx2.Client
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    events: queue.Queue[Event | BaseException | None] = field(default_factory=queue.Queue)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        base = urlsplit(str(self.client.base_url))
        cookies = "; ".join(f"{k}={v}" for k, v in self.client.cookies.items())
        headers = {
            "Host": base.netloc,
            "Accept": "text/event-stream",
            **({"Cookie": cookies} if cookies else {}),
            **self.headers,
        }
        request = f"GET {self.path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        self._socket = socket.create_connection((base.hostname, base.port or 80), timeout=60)
        self._socket.sendall((request + "\r\n").encode())
        self._file = self._socket.makefile("rb")
        self._closed = threading.Event()
        self._read_head()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read_head(self) -> None:
        status = self._file.readline().decode()
        self.status = int(status.split()[1])
        while True:
            line = self._file.readline().decode().strip()
            if not line:
                break
            name, _, value = line.partition(":")
            self.response_headers[name.strip().lower()] = value.strip()

    def _lines(self):  # type: ignore[no-untyped-def]
        chunked = self.response_headers.get("transfer-encoding") == "chunked"
        pending = b""
        while True:
            if chunked:
                size = int(self._file.readline().strip() or b"0", 16)
                if size == 0:
                    return
                pending += self._file.read(size)
                self._file.readline()
            else:
                data = self._file.read1(65536)
                if not data:
                    return
                pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode()

    def _read(self) -> None:
        try:
            event = Event()
            for line in self._lines():
                if line == "":
                    if event.data or event.id is not None:
                        self.events.put(event)
                    event = Event()
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event.name = value
                    elif name == "id":
                        event.id = value
                    elif name == "data":
                        event.data = f"{event.data}\n{value}" if event.data else value
        except BaseException as error:  # noqa: BLE001 - handed to the test
            if not self._closed.is_set():
                self.events.put(error)
        finally:
            self.events.put(None)

    def next(self, timeout: float = 15) -> Event:
        item = self.events.get(timeout=timeout)
        if isinstance(item, BaseException):
            raise item
        assert item is not None, "the stream ended"
        return item

    def until(self, text: str, timeout: float = 15) -> Event:
        """The first event whose data contains ``text``."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(deadline - time.monotonic(), 0.01))
            if text in event.data:
                return event

    def close(self) -> None:
        self._closed.set()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._thread.join(timeout=10)
        self._file.close()
        self._socket.close()
