"""The whole round page, assembled once and served many times.

A page is kept per (round id, creation time, version, effective status, the viewer as signed
in — their mandates and role included —, language, time zone, discussion order/filter/page, the
minute, and whether they have comments of their own that look different to them). Every write
to a round bumps its ``version`` in the database, in the same transaction, and the key is read
from the database on every request (one indexed query): a write in any process makes the old
entries unreachable, so the cache is right behind any number of processes. The minute in the
key keeps what the clock changes (the time left, a comment's 15 minutes of editing) at most a
minute old.

What differs per response is never kept: the browser's CSRF token and the forms' idempotency
keys are placeholders in the kept page, filled in for each response (a cut list of bytes,
joined); a one-time confirmation is shown on a page rendered for it alone. Moderators and
administrators (their pages carry the moderation controls) get the page rendered each time.

A weak ETag names the kept page *and* the browser's token: ``If-None-Match`` with it is
answered ``304 Not Modified`` while nothing the viewer sees has changed; any write to the
round, another language, time zone, session or minute gives another tag.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import confirmations, i18n
from app.accounts.rules import Viewer
from app.db import one_read, read, utcnow
from app.errors import NotFound
from app.i18n import gettext as _
from app.rounds import fragments, rules
from app.rounds import page as round_page
from app.rounds.models import Round
from app.vocabulary import RoundStatus
from app.web import base_context, drawing_keys, render, templates

TEMPLATE = "rounds/show.html"
#: Kept pages (about 50 kB each: 512 of them are some 25 MB).
CACHE = fragments.FragmentCache(max_entries=512)

#: What decides whether a kept page is still the page: one indexed query.
_STATE = select(
    Round.version,
    Round.status,
    Round.opens_at,
    Round.closes_at,
    Round.created_at,
    round_page.RECENT_OWN,
).where(Round.id == bindparam("round_id"))


@dataclass(frozen=True)
class KeptPage:
    """A rendered page cut at its per-response parts: ``parts[0]``, slot, ``parts[1]``, slot,
    …; each slot is the CSRF placeholder or one of the idempotency keys drawn for it."""

    parts: tuple[bytes, ...]
    slots: tuple[str, ...]
    keys: tuple[str, ...]
    #: drawn anew for every kept page: the ETag changes whenever the page is rendered again
    stamp: str

    @classmethod
    def cut(cls, html: str, keys: list[str]) -> KeptPage:
        wanted = [fragments.CSRF_PLACEHOLDER, *keys]
        pattern = re.compile("|".join(re.escape(k) for k in wanted))
        parts: list[bytes] = []
        slots: list[str] = []
        last = 0
        for found in pattern.finditer(html):
            parts.append(html[last : found.start()].encode())
            slots.append(found.group(0))
            last = found.end()
        parts.append(html[last:].encode())
        return cls(tuple(parts), tuple(slots), tuple(keys), secrets.token_hex(8))

    def body(self, token: str) -> bytes:
        fresh = {fragments.CSRF_PLACEHOLDER: token.encode()}
        for key in self.keys:
            fresh[key] = secrets.token_urlsafe(16).encode()
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out.append(fresh[slot])
            out.append(part)
        return b"".join(out)

    def etag(self, token: str) -> str:
        digest = hashlib.blake2b(f"{self.stamp} {token}".encode(), digest_size=12).hexdigest()
        return f'W/"{digest}"'


def _token(request: Request) -> str:
    csrf = request.scope.get("csrftoken")
    return csrf() if callable(csrf) else ""


HEADERS = {"Vary": "HX-Request, Cookie", "Cache-Control": "private, no-cache"}


def show(
    request: Request,
    db: Session,
    viewer: Viewer,
    round_id: int,
    params: round_page.DiscussionParams,
) -> Response:
    """The round page: from the kept pages when this viewer's page is there, else rendered
    (and kept); ``304`` when the browser holds it already."""
    if viewer.may_moderate or confirmations.shown(request):
        context = round_page.build(request, db, viewer, round_id, params=params)
        return render(request, TEMPLATE, context)
    now = utcnow()
    if not db.in_transaction():
        one_read(db)  # the session lookup committed: this read alone, one round trip
    state = read(
        db,
        _STATE,
        {"round_id": round_id, "user_id": viewer.user_id, "since": now - rules.COMMENT_EDIT_WINDOW},
    ).one_or_none()
    db.commit()  # a page rendered below reads in a transaction of its own
    if state is None:
        raise NotFound(_("There is no such round."))
    status = rules.effective_status(RoundStatus(state.status), state.opens_at, state.closes_at, now)
    if not rules.may_read(viewer, status):
        raise NotFound(_("There is no such round."))
    key = page_key(round_id, state, status, viewer, params)
    kept: KeptPage | None = CACHE.get(key)
    if kept is None:
        kept = _render(request, db, viewer, round_id, params)
        CACHE.put(key, kept)
    status_code, headers, body = answer(kept, _token(request), request.headers.get("if-none-match"))
    if status_code == 304:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


class PageState(Protocol):
    """The round's side of a kept page's key (``_STATE``'s columns)."""

    @property
    def version(self) -> int: ...
    @property
    def status(self) -> RoundStatus: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def recent(self) -> Any: ...


def page_key(
    round_id: int,
    state: PageState,
    status: RoundStatus,
    viewer: Viewer,
    params: round_page.DiscussionParams,
) -> Hashable:
    """Everything that makes the page differ: the same key from the route and from the door in
    front of it (app/rounds/door.py). ``status`` is the effective one, now."""
    return (
        round_id,
        state.created_at,
        state.version,
        status.value,
        RoundStatus(state.status).value,
        viewer,
        i18n.current_language(),
        i18n.current_zone(),
        params,
        bool(state.recent),
        int(time.time() // 60),
    )


def answer(
    kept: KeptPage, token: str, if_none_match: str | None
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of a kept page for this browser: ``304`` (no body) when
    it holds the page already."""
    etag = kept.etag(token)
    headers = {**HEADERS, "ETag": etag}
    if if_none_match and any(t.strip() == etag for t in if_none_match.split(",")):
        return 304, headers, b""
    return 200, headers, kept.body(token)


def _render(
    request: Request,
    db: Session,
    viewer: Viewer,
    round_id: int,
    params: round_page.DiscussionParams,
) -> KeptPage:
    with drawing_keys() as keys:
        context: dict[str, Any] = round_page.build(
            request, db, viewer, round_id, params=params, csrf=fragments.CSRF_PLACEHOLDER
        )
        html = templates.get_template(TEMPLATE).render(
            {
                **base_context(request),
                **context,
                "request": request,
                "csrftoken": fragments.CSRF_PLACEHOLDER,
                "confirmation": None,
            }
        )
    return KeptPage.cut(html, keys)
