"""Every action answers: the one way a route says what its action did.

A route calls ``confirm(request, _("Round 2 closed."))`` before it answers. The sentence
then reaches the person however the answer travels:

- a redirect (Post/Redirect/Get, or htmx's ``HX-Redirect``): it rides in a short-lived signed
  cookie and is shown at the top of the next page, once;
- an htmx swap: it goes in the ``HX-Trigger`` header as the ``confirmed`` event, which app.js
  writes into the page's status region (read out by screen readers);
- a page rendered in place: the page shows it (``base_context`` reads it from the request).

The cookie is signed with the site's secret so no other site can make the page say
something; templates escape it like any other text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from starlette.datastructures import MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The cookie carrying a confirmation across a redirect.
COOKIE = "confirmation"
#: Where a route leaves its confirmation for the middleware (and the page).
_OUTGOING = "tripartite.confirmation"
#: Where the middleware leaves the confirmation a redirect brought.
_INCOMING = "tripartite.confirmed"
#: The htmx event app.js listens for.
EVENT = "confirmed"
#: Long enough for the redirect to be followed, short enough not to greet a later visit.
MAX_AGE = 120


#: First-strong isolate and pop directional isolate: a name in a confirmation keeps its own
#: direction (an Arabic name in an English sentence), as ``<bdi>`` does on a page.
FSI, PDI = "\u2068", "\u2069"


def isolate(name: object) -> str:
    """A name (a person's, an organisation's, a title) to put in a confirmation: isolated from
    the sentence around it. Pages show it in ``<bdi>``; app.js's text keeps the isolates."""
    text = str(name).replace(FSI, "").replace(PDI, "")
    return f"{FSI}{text}{PDI}"


def confirm(request: Request, message: str) -> None:
    """Say what the action did; shown once, however the answer travels."""
    request.scope[_OUTGOING] = message


def shown(request: Request) -> str | None:
    """The confirmation this page shows: of the action answered here, or brought by a redirect."""
    scope = request.scope
    return scope.get(_OUTGOING) or scope.get(_INCOMING)


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, b"tripartite confirmation " + payload.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def seal(secret: bytes, message: str) -> str:
    """The cookie value: the message (base64 of its JSON) and its signature."""
    payload = base64.urlsafe_b64encode(json.dumps(message).encode()).decode().rstrip("=")
    return f"{payload}.{_signature(secret, payload)}"


def unseal(secret: bytes, value: str) -> str | None:
    """The message of a cookie this site signed; None for anything else."""
    payload, dot, signature = value.rpartition(".")
    if not dot or not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    try:
        message = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    return message if isinstance(message, str) else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Confirmations:
    """Carries each route's confirmation to where the person will see it (see the module)."""

    def __init__(self, app: ASGIApp, secret: str, *, secure: bool = False) -> None:
        self.app = app
        self.secret = secret.encode()
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = cookie_parser(_header(scope, b"cookie") or "")
        brought = cookies.get(COOKIE)
        if brought:
            scope[_INCOMING] = unseal(self.secret, brought)
        htmx = _header(scope, b"hx-request") == "true"

        async def carried(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._carry(scope, message, htmx=htmx, brought=bool(brought))
            await send(message)

        await self.app(scope, receive, carried)

    def _carry(self, scope: Scope, message: Message, *, htmx: bool, brought: bool) -> None:
        headers = MutableHeaders(scope=message)
        status = message["status"]
        outgoing = scope.get(_OUTGOING)
        redirected = 300 <= status < 400 or "hx-redirect" in headers
        secure = "; Secure" if self.secure or scope.get("scheme") == "https" else ""
        if outgoing and redirected:
            value = seal(self.secret, outgoing)
            headers.append(
                "set-cookie",
                f"{COOKIE}={value}; Max-Age={MAX_AGE}; HttpOnly; Path=/; SameSite=Lax{secure}",
            )
            return
        if outgoing and htmx:
            events = {}
            if "hx-trigger" in headers:
                try:
                    events = json.loads(headers["hx-trigger"])
                except ValueError:
                    events = {name.strip(): None for name in headers["hx-trigger"].split(",")}
            events[EVENT] = outgoing
            headers["hx-trigger"] = json.dumps(events)  # ASCII: non-Latin text as \u escapes
        is_page = headers.get("content-type", "").startswith("text/html") and not htmx
        if brought and is_page and not redirected:
            # shown on this page: not again on the next
            headers.append("set-cookie", f"{COOKIE}=; Max-Age=0; HttpOnly; Path=/; SameSite=Lax")
