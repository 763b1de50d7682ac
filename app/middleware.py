"""ASGI middleware: request body cap, form bodies in UTF-8, id range, host names, headers."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Collection
from html import escape
from typing import TYPE_CHECKING, Any

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.config import normal_host
from app.i18n import gettext as _

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = logging.getLogger("tripartite")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answer 413 to any request whose body is larger than ``max_bytes``; an upload (a POST to
    a path matching ``uploads``) may carry up to ``upload_max_bytes``. Counted as it arrives:
    a 2 GB upload is cut off at the limit, never read whole."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        uploads: re.Pattern[str] | None = None,
        upload_max_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads
        self.upload_max_bytes = upload_max_bytes

    def _limit(self, scope: Scope) -> tuple[int, bool]:
        if (
            self.uploads is not None
            and scope["method"] == "POST"
            and self.uploads.fullmatch(scope["path"])
        ):
            return self.upload_max_bytes, True
        return self.max_bytes, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, upload = self._limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._too_large(send, max_bytes, upload)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(send, max_bytes, upload)

    async def _too_large(self, send: Send, max_bytes: int, upload: bool) -> None:
        if upload:
            message = _(
                "The file is too large: the limit is %(size)s MB. Nothing was stored; "
                "go back and choose a smaller file."
            ) % {"size": f"{max_bytes / 1_000_000:.0f}"}
        else:
            message = _(
                "What you sent is too large (the limit is %(size)d kB). Shorten it and try again."
            ) % {"size": max_bytes // 1000}
        await _refuse(send, 413, _("Too large"), message)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class FormBodyMiddleware:
    """Refuse (400) a form whose text is not UTF-8: a URL-encoded body, or a text field of a
    ``multipart/form-data`` one (a file's bytes are its own). Either is read whole before the
    app sees it (BodyLimitMiddleware, outside, caps it: 413), then handed on as it came."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        kind = content_type.split(b";", 1)[0].strip().lower()
        if kind not in (b"application/x-www-form-urlencoded", b"multipart/form-data"):
            await self.app(scope, receive, send)
            return
        if kind == b"multipart/form-data":
            await self._multipart(scope, receive, send, content_type)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if not _is_utf8(body):
            await _not_utf8(send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _multipart(
        self, scope: Scope, receive: Receive, send: Send, content_type: bytes
    ) -> None:
        """A multipart body (it may carry a 50 MB file) is read into a spooled file (memory up
        to 1 MB, then disk) while its text fields are checked, then handed on in chunks."""
        fields = _TextFields.for_body(content_type)
        with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spool:
            ending: Message | None = None
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    ending = message
                    break
                chunk = message.get("body", b"")
                spool.write(chunk)
                if fields is not None:
                    fields.write(chunk)
                if not message.get("more_body", False):
                    break
            if fields is not None and not fields.finish():
                await _not_utf8(send)
                return
            spool.seek(0)
            done = False

            async def replay() -> Message:
                nonlocal done
                if done:
                    return ending if ending is not None else await receive()
                chunk = spool.read(1 << 16)
                if len(chunk) < 1 << 16:
                    done = True
                return {"type": "http.request", "body": chunk, "more_body": not done}

            await self.app(scope, replay, send)


async def _not_utf8(send: Send) -> None:
    await _refuse(send, 400, _("Bad request"), _("What you sent could not be read (not UTF-8)."))


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _TextFields:
    """Reads a multipart body: whether every part without a file name is UTF-8."""

    def __init__(self) -> None:
        self.utf8 = True
        self._parser: MultipartParser | None = None
        self._header = b""
        self._value = b""
        self._file = False
        self._data = bytearray()

    @classmethod
    def for_body(cls, content_type: bytes) -> _TextFields | None:
        """A reader of a body of this type, fed as it arrives; none without a boundary (the
        app's form parser answers 400 for such a body)."""
        boundary = parse_options_header(content_type)[1].get(b"boundary")
        if not boundary:
            return None
        fields = cls()
        try:
            fields._parser = MultipartParser(boundary, fields.callbacks())
        except (FormParserError, ValueError):
            return None
        return fields

    def write(self, chunk: bytes) -> None:
        if self._parser is None:
            return
        try:
            self._parser.write(chunk)
        except (FormParserError, ValueError):
            self._parser = None  # unreadable: the app's form parser answers 400

    def finish(self) -> bool:
        """Whether every text field was UTF-8 (a body that cannot be read passes)."""
        if self._parser is not None:
            try:
                self._parser.finalize()
            except (FormParserError, ValueError):
                return True
        return self.utf8 or self._parser is None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._file = False
        self._data = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.strip().lower() == b"content-disposition":
            self._file = b"filename" in parse_options_header(self._value)[1]
        self._header = self._value = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._file:
            self._data += data[start:end]

    def _part_end(self) -> None:
        if not self._file and not _is_utf8(bytes(self._data)):
            self.utf8 = False


async def _refuse(send: Send, status: int, title: str, message: str) -> None:
    body = (
        f'<!doctype html><html lang="{i18n.current_language()}"><title>{escape(title)}</title>'
        f"<p>{escape(message)}</p></html>"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in present]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if b"cache-control" not in present and content_type.startswith(b"text/html"):
                    # pages are personal (who is signed in, their organisation's drafts): never
                    # kept by shared caches or shown again from the browser's history cache
                    headers.append((b"cache-control", b"private, no-store"))
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


#: Ids are 32-bit integers in the database (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1


class IdRangeMiddleware:
    """Answer 404 for a path naming an id no row can have, before any query runs (PostgreSQL
    would refuse the number; SQLite's driver cannot even bind it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(
            digits.isascii() and digits.isdigit() and (len(digits) > 10 or int(digits) > MAX_ID)
            for digits in (part.removeprefix("-") for part in scope["path"].split("/"))
        ):
            if scope["path"].startswith("/api/"):
                body = (
                    b'{"error":{"status":404,"title":"Not found",'
                    b'"message":"There is nothing at this address."}}'
                )
                content_type = b"application/json"
            else:
                body = (
                    b"<!doctype html><title>Not found</title>"
                    b"<p>There is nothing at this address.</p>"
                )
                content_type = b"text/html; charset=utf-8"
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", content_type)],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


#: ``name``, ``name:port``, ``[v6]`` or ``[v6]:port``: what a ``Host`` header may hold.
_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[^\[\]:@/\\\s]+)(?::[0-9]*)?")


def host_name(header: str) -> str | None:
    """The host a ``Host`` header names (port dropped, compared form), or None if it is not a
    host at all."""
    match = _HOST.fullmatch(header.strip())
    return normal_host(match["name"]) if match else None


class TrustedHostMiddleware:
    """Refuse (400) a request naming a host the site does not answer to, before anything reads
    it: nothing the app builds may then carry a name an outsider chose (a poisoned link in a
    page cached for everybody, a redirect elsewhere). ``/healthz`` answers whatever the name (a
    load balancer checks a process at its own address). A request without ``Host`` (HTTP/1.0)
    is served: the app never builds links from the server's address either."""

    def __init__(self, app: ASGIApp, hosts: Collection[str], exempt: Collection[str] = ()) -> None:
        self.app = app
        self.hosts = frozenset(hosts)
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        named = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"host"]
        unknown = [v for v in named if host_name(v) not in self.hosts]
        if not unknown:
            await self.app(scope, receive, send)
            return
        log.warning(
            "refused a request for host %r (the site answers to %s: TRIPARTITE_BASE_URL, "
            "TRIPARTITE_ALLOWED_HOSTS)",
            unknown[0][:100],
            ", ".join(sorted(self.hosts)),
        )
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _refuse(
            send,
            400,
            _("Bad request"),
            _("This site is not served at the address this request was sent to."),
        )
