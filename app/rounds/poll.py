"""The live poll of a round that has not changed, answered at the door.

Every open round page asks ``/rounds/{id}/live?version=N`` every few seconds while its stream
is down (or on browsers without one), and almost always nothing has changed. This middleware
answers that case (``204 No Content``) from one indexed read on the event loop
(app/quick_reads.py): the session is live, its person may read the round, and the round's
version is still N. Anything else (a change, no or an ended session, a draft round, a
moderator still to set up two-factor sign-in, a malformed query) goes on to the ordinary
route, which answers as it always has. Nothing is cached: a session revoked a moment ago is
refused on its very next poll.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from app.accounts import rules as account_rules
from app.accounts.credentials import hash_token
from app.accounts.deps import SESSION_COOKIE
from app.db import utcnow
from app.quick_reads import QuickReads
from app.rounds import rules
from app.vocabulary import PlatformRole, RoundStatus

LIVE_POLL = re.compile(r"/rounds/([0-9]{1,12})/live")
_VERSION = re.compile(r"[0-9]{1,12}")


class UnchangedPolls:
    def __init__(self, app: ASGIApp, reads: QuickReads) -> None:
        self.app = app
        self.reads = reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = LIVE_POLL.fullmatch(scope["path"])
            if match and await self._unchanged(scope, int(match[1])):
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)

    async def _unchanged(self, scope: Scope, round_id: int) -> bool:
        version = _query_version(scope)
        token = _cookie(scope, SESSION_COOKIE)
        if version is None or not token:
            return False
        answer = await self.reads.poll(hash_token(token), round_id)
        if answer is None or answer.version != version:
            return False
        try:
            role = PlatformRole(answer.platform_role) if answer.platform_role else None
            status = RoundStatus(answer.status)
        except ValueError:
            return False
        if account_rules.two_factor_required(role) and not answer.two_factor_enabled:
            return False  # the route sends them to set it up
        now = utcnow()
        # a draft is read by moderators alone: the route decides (and answers 404 to others)
        return rules.effective_status(status, answer.opens_at, answer.closes_at, now) not in (
            RoundStatus.DRAFT,
        )


def _query_version(scope: Scope) -> int | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = [value for name, value in parse_qsl(query) if name == "version"]
    if len(values) != 1 or not _VERSION.fullmatch(values[0]):
        return None
    return int(values[0])


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == b"cookie":
            return cookie_parser(value.decode("latin-1")).get(name)
    return None
