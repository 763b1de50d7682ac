"""Rendered regions of the round page, cached per round version.

Every write to a round bumps its ``version`` in the database (in the same transaction), and
every key below starts with (round id, version, effective status): a write in any process makes
the old entries unreachable, so the cache is right behind any number of workers. Entries are
shared only between viewers who would see the same HTML; what differs per viewer is in the key
(a viewer's own fresh comments make their threads their own).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from app import i18n
from app.rounds import page as round_page
from app.rounds import rules
from app.web import templates

PARTIALS = {
    "participation": "rounds/_participation.html",
    "columns": "rounds/_columns.html",
    "tally": "rounds/_tally.html",
    "threads": "comments/_page.html",
    "filters": "comments/_filters.html",
    "outcome": "rounds/_outcome.html",
}


class FragmentCache:
    """A small thread-safe LRU map."""

    def __init__(self, max_entries: int = 2048) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
        if self is CACHE:
            _FACTS.clear()


CACHE = FragmentCache()
CSRF_PLACEHOLDER = "__csrf_token_of_this_response__"
_FACTS: FragmentCache = FragmentCache(max_entries=256)


def round_facts(db: Session, info: round_page.RoundInfo) -> round_page.RoundFacts:
    """Invited organisations and the newest comment id, read once per round version."""
    key = (info.id, info.created_at, info.version)
    facts: round_page.RoundFacts | None = _FACTS.get(key)
    if facts is None:
        facts = round_page.load_round_facts(db, info.id)
        _FACTS.put(key, facts)
    return facts


def keys(page: round_page.RoundPage) -> dict[str, Hashable]:
    info = page.round
    # the reader's language and time zone too: dates and numbers are written in them
    base = (
        info.id,
        info.created_at,
        info.version,
        info.status.value,
        i18n.current_language(),
        i18n.current_zone(),
    )
    hidden = not rules.positions_visible(info.sealed, info.status)
    # sealed: each viewer sees the positions of the organisations they speak for
    member = tuple(sorted(page.own_organisations)) if hidden else None
    # The threads are shared only by viewers who would see the same HTML. Whoever has
    # comments that look different to them (still editable for 15 minutes, hidden or awaiting
    # moderation: their own text shown), whether or not they still hold a mandate, gets
    # threads of their own, refreshed at least every minute; a member who wrote any comment
    # too (no flag is offered on one's own comments).
    loaded = page.loaded
    audience: tuple[int | None, ...] | None = None
    if loaded.recent_own_comments:
        audience = (page.viewer.user_id, int(time.time() // 60))
    elif loaded.own_comments and page.member_of is not None:
        audience = (page.viewer.user_id,)
    # moderators' threads carry their own forms (hide, restore, lock) and hidden texts
    viewer = page.viewer
    moderator = viewer.user_id if viewer.may_moderate else None
    return {
        "participation": (*base, "participation"),
        "tally": (*base, "tally"),
        "columns": (*base, "columns", member, page.speaking is not None, page.params.statements),
        "threads": (
            *base,
            "threads",
            page.params,
            page.may_reply,
            page.member_of is not None,
            moderator,
            audience,
        ),
        "filters": (*base, "filters", page.params),
        "outcome": (*base, "outcome", page.signoff_deadline_passed),
    }


def render(
    request: Request,
    page: round_page.RoundPage,
    context: dict[str, Any],
    names: tuple[str, ...] = tuple(PARTIALS),
    token: str | None = None,
) -> dict[str, Markup]:
    """The named regions: from the cache when possible, else rendered (and kept); their forms
    carry ``token`` (this browser's CSRF token when None)."""
    wanted = keys(page)
    if token is None:
        csrf = request.scope.get("csrftoken")
        token = csrf() if callable(csrf) else ""
    # what else the rendering reads from the request, in every key: the reader's time zone
    # (dates are written in it). Links are paths (never the request's host): nothing else.
    asked = (i18n.current_zone(),)
    out: dict[str, Markup] = {}
    for name in names:
        key = (wanted[name], asked)
        cached = CACHE.get(key)
        if cached is None:
            # forms inside a cached region carry a placeholder, never this viewer's CSRF token
            # (it is per browser): each response gets its own token put in below
            html = templates.get_template(PARTIALS[name]).render(
                {**context, "request": request, "csrftoken": CSRF_PLACEHOLDER}
            )
            cached = (Markup(html), CSRF_PLACEHOLDER in html)
            CACHE.put(key, cached)
        fragment, has_forms = cached
        out[name] = Markup(fragment.replace(CSRF_PLACEHOLDER, token)) if has_forms else fragment
    return out
