"""A hidden or pending comment's text reaches its author and the moderators, no one else.

Two classes of hole are closed here, each by a test over the whole class rather than the case
an outside probe found:

* **every address that can show a comment**: every route of the application whose path names a
  comment, and every page and fragment of its round, is requested (GET plain and under htmx;
  POST with an empty and with a filled-in form, so refusal pages are seen too) as every kind of
  person, for hidden and pending comments, replies and parents, each with a unique marker. Only
  the author and the moderators ever receive a marker. The templates that can print a comment's
  text are found by reading the templates folder, and each of them must have been rendered
  during the sweep, so a new template showing comments cannot escape it. The search for each
  secret text (plain, as comments only, newest first, misspelt; plain and under htmx) is among
  those addresses: its author and the moderators find it in a result, and everyone else gets a
  miss's answer (no result, snippet, count, facet or suggestion).
* **every cached region of the round page**: a viewer is served exactly what would have been
  rendered for them alone, whoever asked first, for viewers who see differently (the author, a
  representative whose mandate was revoked after posting, another member, another group, an
  observer, a moderator, anonymous visitors where the round page allows them, readers in other
  time zones) and comments in every state.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.db import utcnow
from app.organisations.models import Mandate
from app.rounds import fragments
from app.vocabulary import Group, PlatformRole, Visibility
from app.web import templates
from tests import factories
from tests.security import searching
from tests.security.world import CHEAP_HASH, app_routes, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

#: Who may read a hidden or pending comment's text: its author and the moderators.
READERS = {"author", "moderator", "admin"}
#: Everyone else; "former" wrote comments of their own, then lost the mandate.
OTHERS = ("anonymous", "colleague", "other_group", "observer", "former", "token")


def marker(kind: str) -> str:
    return f"zq{uuid.uuid4().hex[:10]}{kind}"


@dataclass
class Discussion:
    round_id: int
    position_id: int
    visible_id: int
    #: comment id -> (its marker, who wrote it: "author" or "former")
    secret: dict[int, tuple[str, str]]
    clients: dict[str, Any]


def build(db: Session, make_client: Any) -> Discussion:
    orgs = {g: factories.organisation(db, g) for g in Group}
    workers, government = orgs[Group.WORKERS], orgs[Group.GOVERNMENT]
    people = {
        "author": factories.member(db, workers),
        "colleague": factories.member(db, workers),
        "former": factories.member(db, workers),
        "other_group": factories.member(db, government),
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
        "admin": factories.user(db, platform_role=PlatformRole.ADMIN),
    }
    for person in people.values():
        person.password_hash = CHEAP_HASH
    round_ = factories.consultation_round(db, orgs.values(), title="Visibility round")
    position = factories.position(db, round_, government, people["other_group"])
    visible = factories.comment(db, round_, people["other_group"], government, "Open words.")
    secret: dict[int, tuple[str, str]] = {}

    def write(who: str, state: Visibility, parent: Any = None) -> Any:
        text = marker(f"{who}{state.value}")
        row = factories.comment(db, round_, people[who], workers, text, parent=parent)
        row.visibility = state.value
        if state is Visibility.HIDDEN:
            row.moderated_by_id = people["moderator"].id
            row.moderated_at = utcnow()
            row.moderation_reason = "Off topic"
        secret[row.id] = (text, who)
        return row

    for who in ("author", "former"):
        for state in (Visibility.HIDDEN, Visibility.PENDING):
            root = write(who, state)
            write(who, state, parent=visible)  # a reply in someone else's thread
            # a visible reply under a secret parent: its form quotes the parent
            factories.comment(db, round_, people["colleague"], workers, "Reply.", parent=root)
    # older than the 15 minutes of editing: nothing marks the author's threads as their own
    # but the comments' state
    for row_id in secret:
        db.get_one(type(visible), row_id).created_at = utcnow() - timedelta(hours=2)
    mandate = db.query(Mandate).filter_by(user_id=people["former"].id).one()
    mandate.revoked_at = utcnow()
    db.flush()
    clients = {"anonymous": make_client()}
    for role, person in people.items():
        clients[role] = factories.signed_in(make_client, db, person)
    from app.api import tokens

    _row, plain = tokens.create(db, "Visibility", None)
    clients["token"] = make_client()
    clients["token"].headers["Authorization"] = f"Bearer {plain}"
    db.commit()
    return Discussion(round_.id, position.id, visible.id, secret, clients)


def may_read(role: str, writer: str) -> bool:
    return role in READERS - {"author"} or role == writer


def addresses(app: Any, world: Discussion, comment_id: int) -> list[tuple[str, str]]:
    """Every (method, path) naming a comment, every GET page of its round, and the search
    for the comment's text (its results, snippets, counts and facets)."""
    fill = {
        "round_id": str(world.round_id),
        "comment_id": str(comment_id),
        "position_id": str(world.position_id),
    }
    found = []
    for method, template in app_routes(app):
        names = set(re.findall(r"{(\w+)}", template))
        if not names or not names <= set(fill):
            continue
        if "comment_id" not in names and (method != "GET" or names != {"round_id"}):
            continue
        if template.startswith("/api/") and "comment_id" not in names:
            if not template.endswith("/comments"):
                continue
        path = template
        for name in names:
            path = path.replace(f"{{{name}}}", fill[name])
        found.append((method, path))
        if method == "GET" and template == "/rounds/{round_id}":
            found.append((method, f"{path}?replies=all&statements=all"))  # unfolded
        if method == "GET" and template == "/rounds/{round_id}/comments":
            found.append((method, f"{path}?thread={comment_id}"))  # one thread, in place
            found.append((method, f"{path}?replies=all"))
    text = world.secret[comment_id][0] if comment_id in world.secret else ""
    found += [("GET", url) for url in searching.addresses(text, ("comment",)) if text]
    return found


def comment_templates() -> set[str]:
    """The templates that print a comment's text (caucus messages are not comments: the caucus
    isolation suite covers them)."""
    return {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "body_html" in path.read_text() and path.parent.name != "caucus"
    }


def test_hidden_and_pending_text_reaches_only_its_author_and_the_moderators(
    make_client: Any, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build(db, make_client)
    app = world.clients["anonymous"].app.fastapi_app
    rendered: set[str] = set()
    original = templates.env.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        rendered.add(str(name))
        return original(name, *args, **kwargs)

    monkeypatch.setattr(templates.env, "get_template", recording)
    leaks: list[str] = []
    seen = 0
    # each address once, with the secrets it may show: a page of the round may show any of
    # them (it is asked for once, not once per comment); an address naming a comment, its own
    per_comment = {c: addresses(app, world, c) for c in world.secret}
    common = set.intersection(*(set(found) for found in per_comment.values()))
    asked: dict[tuple[str, str], list[int]] = {address: list(world.secret) for address in common}
    for comment_id, found in per_comment.items():
        for address in found:
            if address not in common:
                asked[address] = [comment_id]
    assert len(common) > 3 and len(asked) > len(common)  # pages of the round, and of comments
    misses: dict[tuple[int, str, str], str] = {}
    searched = 0
    for (method, path), secrets in asked.items():
        for role, client in world.clients.items():
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                if searching.asked(path) is not None:
                    # a search prints the words it was asked: the text is shown when printed
                    # more often than that, and an answer to those who may not read it is a
                    # miss's (no result, snippet, count or facet)
                    found = searching.probe(client, path, searching.VARIANTS[htmx], misses)
                    text, writer = world.secret[secrets[0]]
                    readable = may_read(role, writer)
                    seen += found.shows
                    searched += found.shows and text in path
                    if (found.shows or not found.like_a_miss) and not readable:
                        leaks.append(f"{method} {path} as {role} (htmx={htmx})")
                    if readable and text in path and not found.shows:
                        leaks.append(f"{method} {path} not found by {role} (htmx={htmx})")
                    continue
                forms = ({}, {"body": "A reply.", "reason": "Off topic."})
                with undone(db):
                    if method == "GET":
                        answers = [client.get(path, headers=headers)]
                    else:
                        answers = [client.submit(path, f, headers=headers) for f in forms]
                for response in answers:
                    assert response.status_code < 500, (method, path, role, response.text)
                    for comment_id in secrets:
                        text, writer = world.secret[comment_id]
                        if text in response.text:
                            seen += 1
                            if not may_read(role, writer):
                                leaks.append(f"{method} {path} as {role} (htmx={htmx})")
    assert not leaks, "hidden or pending text shown to:\n" + "\n".join(sorted(set(leaks)))
    assert seen, "the sweep never showed a secret text even to its readers"
    assert searched, "the search never found a secret text even for its readers"
    unseen = comment_templates() - rendered
    assert not unseen, f"templates showing comments that the sweep never rendered: {unseen}"


def test_the_reply_refusal_does_not_quote_a_hidden_parent(make_client: Any, db: Session) -> None:
    """The probe's own cases: the flag form and the reply form of a hidden comment, and the
    refused reply, as an observer and another member."""
    world = build(db, make_client)
    hidden = next(
        i for i, (t, w) in world.secret.items() if w == "author" and "hidden" in t.split("zq")[1]
    )
    text = world.secret[hidden][0]
    base = f"/rounds/{world.round_id}/comments/{hidden}"
    observer, colleague = world.clients["observer"], world.clients["colleague"]
    assert text not in observer.get(f"{base}/flag").text
    assert text not in colleague.get(f"{base}/flag").text
    reply = colleague.get(f"{base}/reply")
    assert reply.status_code == 200 and text not in reply.text
    assert "Hidden by a moderator" in reply.text
    refused = colleague.submit(f"{base}/replies", {"body": ""})
    assert refused.status_code == 422 and text not in refused.text
    forbidden = observer.submit(f"{base}/replies", {"body": "Hi"})
    assert forbidden.status_code == 403 and text not in forbidden.text
    assert text in world.clients["author"].get(f"{base}/reply").text
    assert text in world.clients["moderator"].get(f"{base}/flag").text


# -- the cached regions -----------------------------------------------------------------------

VIEWERS = ("anonymous", "author", "former", "colleague", "other_group", "observer", "moderator")
_VOLATILE = re.compile(
    r'(name="(?:csrftoken|idempotency_key)" value=")[^"]*"|(moderated=)\d+|csrftoken=[^"&]*'
)


def regions(client: Any, round_id: int, zone: str) -> str:
    """The round page (its cached regions and the rest) as this viewer receives it, with the
    values that differ on every response (CSRF tokens, idempotency keys) blanked."""
    client.cookies.set("tripartite_tz", zone)
    response = client.get(f"/rounds/{round_id}")
    assert response.status_code in (200, 303), response.text
    return _VOLATILE.sub(lambda m: m.group(1) or m.group(2) or "", response.text)


def fresh(client: Any, round_id: int, zone: str) -> str:
    fragments.CACHE.clear()
    return regions(client, round_id, zone)


@pytest.mark.parametrize("change", ["none", "hide_visible", "restore_one", "approve_one"])
def test_every_cached_region_is_what_its_viewer_alone_would_get(
    make_client: Any, db: Session, change: str
) -> None:
    world = build(db, make_client)
    if change != "none":
        from app.comments.models import Comment

        target = world.visible_id if change == "hide_visible" else next(iter(world.secret))
        row = db.get_one(Comment, target)
        row.visibility = (
            Visibility.HIDDEN.value if change == "hide_visible" else Visibility.VISIBLE.value
        )
        if change == "approve_one":
            row = db.get_one(Comment, list(world.secret)[1])
            row.visibility = Visibility.VISIBLE.value
        db.commit()
    zones = {viewer: "UTC" for viewer in VIEWERS}
    zones["observer"] = "Asia/Kolkata"  # times in the threads are written in the reader's zone
    expected = {v: fresh(world.clients[v], world.round_id, zones[v]) for v in VIEWERS}

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.permutations(VIEWERS))
    def served_in_any_order(order: list[str]) -> None:
        fragments.CACHE.clear()
        for viewer in order:
            got = regions(world.clients[viewer], world.round_id, zones[viewer])
            assert got == expected[viewer], f"{viewer} after {order[: order.index(viewer)]}"

    served_in_any_order()
    # the probe's order: a former representative first, then everyone else
    for first in ("former", "author"):
        fragments.CACHE.clear()
        regions(world.clients[first], world.round_id, zones[first])
        for viewer in VIEWERS:
            got = regions(world.clients[viewer], world.round_id, zones[viewer])
            assert got == expected[viewer], f"{viewer} after {first}"
