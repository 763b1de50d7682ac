"""The kept round page, served at the door.

The round page (``GET /rounds/{id}``) is kept whole in memory (app/rounds/page_cache.py). On
the ordinary route a kept page still costs a hop to a worker thread for the session lookup, a
second for the route, and two checkouts of a pooled connection (each pinged first on
PostgreSQL). This middleware, just in front of the app (inside the language, token and
confirmation middleware, so the page is written as the route would write it), asks the one
question a kept page needs in one indexed read on the event loop (app/quick_reads.py): the
live session with its person and active mandates, and the round's version, status and the
viewer's recent comments. From those it builds the same key as the route
(``page_cache.page_key``): if the page is kept, it is answered from memory with this
browser's token and fresh form keys (or ``304``), exactly as the route answers it.

Anything else goes on to the ordinary route, which answers as it always has: no kept page, no
or an ended session, a moderator (their pages are rendered each time), someone to be enrolled
in two-factor sign-in, a round they may not read, a confirmation to show, a query string the
route's validation would judge. The door never keeps anything itself and caches nothing about
the session: a session revoked or a mandate ended a moment ago is seen on the very next
request.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl

from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from app import confirmations
from app.accounts.credentials import hash_token
from app.accounts.deps import SESSION_COOKIE
from app.accounts.service import signed_in_from
from app.db import utcnow
from app.quick_reads import QuickReads
from app.rounds import page as round_page
from app.rounds import page_cache, rules

log = logging.getLogger("tripartite")

ROUND_PAGE = re.compile(r"/rounds/([0-9]{1,9})")
_PAGE_NUMBER = re.compile(r"[0-9]{1,5}")
#: The route's query parameters, with the longest value it takes (None: any length).
_PARAMETERS: dict[str, int | None] = {
    "order": None,
    "group": None,
    "organisation": 20,
    "page": None,
    "replies": 10,
    "statements": 10,
}


class KeptPages:
    def __init__(self, app: ASGIApp, reads: QuickReads) -> None:
        self.app = app
        self.reads = reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = ROUND_PAGE.fullmatch(scope["path"])
            if match and await self._kept(scope, int(match[1]), send):
                return
        await self.app(scope, receive, send)

    async def _kept(self, scope: Scope, round_id: int, send: Send) -> bool:
        """Whether the kept page was sent (False: nothing was, the route answers)."""
        if confirmations.shown(Request(scope)):
            return False  # shown once, on a page rendered for it
        params = _params(scope)
        token = _cookie(scope, SESSION_COOKIE)
        if params is None or not token:
            return False
        now = utcnow()
        try:
            rows = await self.reads.page(hash_token(token), round_id, now)
        except Exception as error:  # unreachable, restarting, pool busy: the route answers
            log.warning("kept round page: the door's read failed (%s); the route answers", error)
            return False
        signed = signed_in_from(rows, now)
        if signed is None or signed.must_enrol or signed.viewer.may_moderate:
            return False
        state = rows[0]
        status = rules.effective_status(state.status, state.opens_at, state.closes_at, now)
        if not rules.may_read(signed.viewer, status):
            return False  # the route says there is no such round
        key = page_cache.page_key(round_id, state, status, signed.viewer, params)
        kept: page_cache.KeptPage | None = page_cache.CACHE.get(key)
        if kept is None:
            return False  # the route renders it, and keeps it
        status_code, headers, body = page_cache.answer(
            kept, signed.csrf_token, _header(scope, b"if-none-match")
        )
        raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        if status_code == 200:
            raw[:0] = [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", b"text/html; charset=utf-8"),
            ]
        await send({"type": "http.response.start", "status": status_code, "headers": raw})
        await send({"type": "http.response.body", "body": body})
        return True


def _params(scope: Scope) -> round_page.DiscussionParams | None:
    """The discussion's choices as the route reads them, or None where its validation would
    judge (a repeated or too long parameter, a page that is not a number from 1 to 10,000)."""
    query = scope.get("query_string", b"").decode("latin-1")
    values: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in _PARAMETERS:
            continue  # the route ignores it too
        longest = _PARAMETERS[name]
        if name in values or (longest is not None and len(value) > longest):
            return None
        values[name] = value
    page = values.pop("page", "1")
    if not _PAGE_NUMBER.fullmatch(page) or not 1 <= int(page) <= 10_000:
        return None
    return round_page.discussion_params(page=int(page), **values)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == b"cookie":
            return cookie_parser(value.decode("latin-1")).get(name)
    return None
