"""What a live update of the round page carries, assembled once for the poll
(``/rounds/{id}/live``) and the stream (``/rounds/{id}/stream``) alike: the changed regions and
the comments posted, moderated or edited since the reader's page was rendered, as out-of-band
swaps (``templates/rounds/_live.html``)."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from jinja2 import meta
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.rules import ROLE_LABELS, Viewer
from app.comments.models import Comment
from app.db import read
from app.rounds import page as round_page
from app.rounds.fragments import CSRF_PLACEHOLDER, PARTIALS, FragmentCache
from app.web import HTMX_FILE, SSE_FILE, templates

REGIONS = ("participation", "columns", "tally", "outcome")


@dataclasses.dataclass(frozen=True)
class Mark:
    """Where a reader's page stands: the round's version it shows, the newest comment id it was
    given, and since when (unix seconds) comments moderated or edited are replaced in it."""

    version: int
    after: int
    moderated: int


def since_of(moderated: float) -> datetime:
    # a second of slack: the page's own clock is read in whole seconds
    return datetime.fromtimestamp(max(moderated - 1, 0), tz=UTC)


def update_context(
    request: Request, db: Session, viewer: Viewer, round_id: int, after: int, moderated: float
) -> dict[str, Any]:
    """The round page's context with what changed since ``after``/``moderated``: the viewer's
    own comments are left out (their page has them already)."""
    context = round_page.build(request, db, viewer, round_id, regions=REGIONS)
    data: round_page.RoundPage = context["page"]
    # a shared update's comments are the same for every audience that is not moderating (they
    # are loaded for no one in particular): loaded once per change
    key = (round_id, data.round.version, after, moderated)
    shared = viewer.user_id == 0 and not viewer.may_moderate
    cached = _COMMENTS.get(key) if shared else None
    if cached is None:
        cached = _changed_comments(db, data.round, viewer, after, moderated)
        if shared:
            _COMMENTS.put(key, cached)
    context["moderated_comments"], context["new_comments"] = cached
    context["after"] = max(after, data.last_comment_id)
    return context


def _changed_comments(
    db: Session, info: round_page.RoundInfo, viewer: Viewer, after: int, moderated: float
) -> tuple[list[round_page.CommentView], list[round_page.CommentView]]:
    since = since_of(moderated)
    # moderated or edited by someone else since the page was rendered: replaced in place
    replaced = round_page.load_comments(
        db,
        info,
        viewer,
        (Comment.moderated_at > since)
        | ((Comment.edited_at > since) & (Comment.author_id != viewer.user_id)),
    )
    new = round_page.load_comments(
        db, info, viewer, (Comment.id > after) & (Comment.author_id != viewer.user_id)
    )
    return replaced, new


_COMMENTS = FragmentCache(max_entries=64)
_AUTHORS_CACHE = FragmentCache(max_entries=64)
_STATEMENTS = FragmentCache(max_entries=64)
#: the parts of an update an audience class shares (``render_update``), rendered one at a time
_SHARED = FragmentCache(max_entries=256)
_SHARING = threading.Lock()


_AUTHORS = (
    select(Comment.author_id)
    .where(
        Comment.round_id == bindparam("round_id"),
        (Comment.id > bindparam("after"))
        | (Comment.moderated_at > bindparam("since"))
        | (Comment.edited_at > bindparam("since")),
    )
    .distinct()
)


def changed_authors(db: Session, round_id: int, after: int, moderated: float) -> frozenset[int]:
    """Who wrote the comments an update since this mark carries, whatever their visibility:
    their own update is theirs alone (their own comments are left out of it, and shown to them
    as only their author sees them)."""
    params = {"round_id": round_id, "after": after, "since": since_of(moderated)}
    return frozenset(read(db, _AUTHORS, params).scalars())


def anyone_like(viewer: Viewer) -> Viewer:
    """The viewer without a person: what every reader with the same roles and mandates sees
    (no comment of theirs, nothing awaiting their own approval)."""
    return dataclasses.replace(viewer, user_id=0, name="", email="")


def audience(viewer: Viewer, language: str, zone: str) -> tuple[Any, ...]:
    """Everything about a reader that changes an update's HTML but their own comments: the
    language and time zone, the platform role, the organisations and groups they speak for; a
    moderator's updates carry forms of their own."""
    return (
        language,
        zone,
        viewer.platform_role,
        viewer.mandates,
        viewer.user_id if viewer.may_moderate else None,
    )


#: Between two out-of-band swaps of a streamed update (``part`` in rounds/_live.html).
PART = "<!--live-part-->"
_ID = re.compile(r'\sid="([^"]+)"')


@dataclasses.dataclass(frozen=True)
class Part:
    """One out-of-band swap of an update, framed as SSE ``data:`` lines once for every stream:
    the element it replaces (``key``), a digest of its HTML, and whether it holds a form (the
    CSRF placeholder each stream replaces with its browser's token)."""

    key: str
    digest: int
    framed: str
    has_form: bool


@dataclasses.dataclass(frozen=True)
class Update:
    """One rendered update: its out-of-band swaps (forms carry the CSRF placeholder, each stream
    puts its browser's token in), where it leaves the page, and who wrote what it carries."""

    parts: tuple[Part, ...]
    mark: Mark
    authors: frozenset[int]

    @property
    def html(self) -> str:
        return "".join(
            "".join(line[6:] + "\n" for line in p.framed.splitlines()) for p in self.parts
        )


def parts_of(html: str) -> tuple[Part, ...]:
    out = []
    for text in html.split(PART):
        if not text.strip():
            continue
        found = _ID.search(text)
        framed = "".join(f"data: {line}\n" for line in text.splitlines())
        out.append(
            Part(
                found.group(1) if found else text,
                hash(text),
                framed,
                CSRF_PLACEHOLDER in text,
            )
        )
    return tuple(out)


def render_update(
    request: Request, db: Session, viewer: Viewer, round_id: int, after: int, moderated: int
) -> Update:
    """The update a stream sends, rendered for ``viewer`` (``anyone_like(reader)`` when it is
    shared) with the CSRF placeholder in its forms, never a browser's own token."""
    request = Request({**request.scope, "csrftoken": _placeholder})
    context = update_context(request, db, viewer, round_id, after, moderated)
    now: datetime = context["now"]
    data: round_page.RoundPage = context["page"]
    info = data.round
    # what is the same for every reader of this change, read once for all of them
    key = (round_id, info.version, after, moderated)
    authors: frozenset[int] | None = _AUTHORS_CACHE.get(key)
    if authors is None:
        authors = changed_authors(db, round_id, after, moderated)
        _AUTHORS_CACHE.put(key, authors)
    statements = _STATEMENTS.get((round_id, info.created_at, info.version))
    if statements is None:
        statements = data.group_statements  # published: the same for everyone
        _STATEMENTS.put((round_id, info.created_at, info.version), statements)
    else:
        data.__dict__["group_statements"] = statements  # the cached property, filled
    template = templates.get_template("rounds/_live.html")
    values = {
        "viewer": viewer,
        "role_labels": ROLE_LABELS,
        "htmx_file": HTMX_FILE,
        "sse_file": SSE_FILE,
        "confirmation": None,
        **context,
        "request": request,
        "csrftoken": CSRF_PLACEHOLDER,
        "streamed": True,
        "part": Markup(PART),
    }
    # What every organisation of an audience class is shown alike (the state, the regions, the
    # new and moderated comments, the published statements) is rendered once for the class:
    # the key holds everything those parts read that differs between readers (their
    # templates read the viewer's id and moderation, whether they may reply and flag, and the
    # regions as rendered for them). The organisation's own parts are rendered for it alone.
    fragments: dict[str, Markup] = context["fragments"]
    shared_key = (
        round_id,
        info.version,
        after,
        moderated,
        i18n.current_language(),
        i18n.current_zone(),
        viewer.user_id,
        viewer.platform_role,
        viewer.may_moderate,
        context["may_reply"],
        context["may_flag"],
        tuple((name, hash(fragments[name])) for name in REGIONS),
    )
    with _SHARING:
        shared: tuple[Part, ...] | None = _SHARED.get(shared_key)
        if shared is None:
            shared = parts_of(template.render({**values, "live_parts": "shared"}))
            _SHARED.put(shared_key, shared)
    own = parts_of(template.render({**values, "live_parts": "own"}))
    return Update(shared + own, Mark(info.version, context["after"], int(now.timestamp())), authors)


_WARMED = threading.Event()
_WARMING = threading.Lock()


def warm_templates() -> None:
    """Compile every template an update uses, once per process, before the first update is
    rendered: dozens of audiences rendering their first comment at once would each compile the
    comment templates (tens of milliseconds apiece) while the readers wait."""
    if _WARMED.is_set():
        return
    with _WARMING:
        if _WARMED.is_set():
            return
        env = templates.env
        pending = ["rounds/_live.html", *PARTIALS.values()]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            env.get_template(name)
            source = env.loader.get_source(env, name)[0] if env.loader else ""
            pending.extend(n for n in meta.find_referenced_templates(env.parse(source)) if n)
        _WARMED.set()


def _placeholder() -> str:
    return CSRF_PLACEHOLDER
