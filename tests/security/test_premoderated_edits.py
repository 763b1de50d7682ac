"""In a pre-moderated round, no text is public before a moderator has approved it: edits
included.

Two checks, both driven by the application's route table:

- every POST route (with the form data the authorisation matrix sends, tests/security/
  test_authorisation_matrix.py) is sent by the round's participants while their own comment is
  approved; afterwards every comment whose text changed, or that is new, awaits approval (or is
  hidden): whatever path changes a comment's text, it cannot make it public;
- for each state of the author's comment — approved, restored after being hidden, still
  pending — the author edits it; then every GET page, fragment, download and API answer
  that this suite can fill in is read as everyone but the author and the moderators, with and
  without htmx: the new text is nowhere. The author and the moderators see it (the author is
  told it awaits approval; the moderation queue shows it as edited), and once a moderator
  approves it, everyone does. A moderator's approval is of the text they read: an edit after
  their page was built is refused.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.comments.models import Comment
from app.db import utcnow
from app.rounds.models import Round
from app.vocabulary import Visibility
from tests import factories
from tests.conftest import text_of
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill, request
from tests.security.test_caucus_isolation import readable
from tests.security.world import World, app_routes, build, clients_for, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: Everyone who must not read a comment before it is approved: all but its author (``rep``)
#: and the moderators (the author's own organisation's focal point included).
OTHERS = ("anonymous", "other_rep", "focal", "observer", "token", "government_rep")
POSTERS = ("rep", "focal", "government_rep")
STATES = ("approved", "restored", "pending")


def premoderated(db: Session, world: World) -> None:
    db.execute(update(Round).where(Round.id == world.ids["round"]).values(premoderated=True))
    db.commit()


def texts(db: Session, round_id: int) -> dict[int, tuple[str, str]]:
    db.expire_all()
    rows = db.execute(
        select(Comment.id, Comment.body, Comment.visibility).where(Comment.round_id == round_id)
    )
    return {r.id: (r.body, r.visibility) for r in rows}


def test_no_write_makes_a_comments_new_text_public_in_a_premoderated_round(
    make_client, db, settings
):
    world = build(db, settings)
    premoderated(db, world)
    clients = clients_for(world, make_client, db, ("rep", "focal"))
    clients["government_rep"] = factories.signed_in(make_client, db, world.people["government_rep"])
    routes = set(app_routes(clients["rep"].app.fastapi_app))
    round_id = world.ids["round"]
    before = texts(db, round_id)
    assert before[world.ids["own_comment"]][1] == Visibility.VISIBLE.value  # approved
    public = []
    changed_any = set()
    for (method, template), case in TABLE.items():
        if method != "POST" or (method, template) not in routes:
            continue
        path = concrete_path(template, case, world)
        data = {k: fill(v, world) for k, v in case.data.items()}
        for name in POSTERS:
            with undone(db):
                response = request(clients[name], method, path, data)
                assert response.status_code < 500, (template, name, response.status_code)
                after = texts(db, round_id)
                for comment_id, (body, visibility) in after.items():
                    old = before.get(comment_id)
                    if old is not None and old[0] == body:
                        continue
                    changed_any.add(template)
                    if visibility == Visibility.VISIBLE.value:
                        public.append(f"{template} as {name}: comment {comment_id} is public")
    assert not public, "\n".join(public)
    # the paths that change a comment's text were indeed taken
    assert {
        "/rounds/{round_id}/comments",
        "/rounds/{round_id}/comments/{comment_id}/replies",
        "/rounds/{round_id}/comments/{comment_id}/edit",
    } <= changed_any


def outputs(world: World, app: Any) -> list[str]:
    """Every GET address this suite can fill in, about the round and the author's comment."""
    r = world.ids["round"]
    since = int(utcnow().timestamp()) - 3600
    urls = [
        f"/rounds/{r}?order=balanced",
        f"/rounds/{r}/live?version=0",
        f"/rounds/{r}/live?version=0&after=0&moderated={since}",
        f"/rounds/{r}/comments?page=1",
        "/audit?format=csv",
        f"/api/v1/rounds/{r}/comments",
    ]
    params = {
        "round_id": str(r),
        "comment_id": str(world.ids["own_comment"]),
        "consultation_id": str(world.ids["consultation"]),
        "position_id": str(world.ids["position"]),
        "organisation_id": str(world.ids["organisation"]),
        "paragraph_id": str(world.ids["paragraph"]),
        "amendment_id": str(world.ids["amendment"]),
        "group": "workers",
        "country": "Ardenia",
        "year": str(utcnow().year),
    }
    for method, template in app_routes(app):
        if method != "GET" or template == "/static":
            continue
        for fmt in ("csv", "json", "xlsx", "pdf") if "{fmt}" in template else ("",):
            path = template.replace("{fmt}", fmt)
            for name, value in params.items():
                path = path.replace(f"{{{name}}}", value)
            if "{" not in path and path not in urls:
                urls.append(path)
    return urls


def seen_in_form(html: str, comment_id: int, action: str) -> str:
    """The ``seen`` fingerprint a moderator's form carries for this comment and action."""
    match = re.search(
        rf'action="[^"]*/comments/{comment_id}/{action}"[^>]*>.*?name="seen" value="([0-9a-f]+)"',
        html,
        re.S,
    )
    assert match, f"no {action} form for comment {comment_id}"
    return match.group(1)


def into_state(world: World, mod: Any, db: Session, state: str) -> None:
    """The author's comment, posted in the pre-moderated round, brought to ``state`` through
    the moderator's forms."""
    comment_id = world.ids["own_comment"]
    db.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(visibility=Visibility.PENDING.value, created_at=utcnow())
    )
    db.commit()
    if state == "pending":
        return
    base = f"/rounds/{world.ids['round']}/comments/{comment_id}"
    assert mod.submit(f"{base}/approve").status_code == 303
    if state == "restored":
        hidden = mod.submit(f"{base}/hide", {"reason_code": "off_topic", "note": ""})
        assert hidden.status_code == 303
        assert mod.submit(f"{base}/restore").status_code == 303
    db.expire_all()
    assert db.get(Comment, comment_id).visibility == Visibility.VISIBLE.value


@pytest.mark.parametrize("state", STATES)
def test_an_edit_is_seen_by_no_one_but_its_author_and_moderators_before_approval(
    make_client, db, state
):
    world = build(db)
    premoderated(db, world)
    clients = clients_for(world, make_client, db, (*OTHERS[:-1], "rep", "moderator"))
    clients["government_rep"] = factories.signed_in(make_client, db, world.people["government_rep"])
    author, mod = clients["rep"], clients["moderator"]
    into_state(world, mod, db, state)
    round_url = f"/rounds/{world.ids['round']}"
    comment_id = world.ids["own_comment"]
    mark = f"zq{uuid.uuid4().hex[:12]}edit"
    edited = author.submit(f"{round_url}/comments/{comment_id}/edit", {"body": f"Now: {mark}"})
    assert edited.status_code == 303, edited.text
    # no one else, anywhere
    urls = outputs(world, author.app.fastapi_app)
    leaks = []
    for role in OTHERS:
        for url in urls:
            fragment = url.startswith("/rounds/") and "summary." not in url
            for headers in ({}, {"HX-Request": "true"}) if fragment else ({},):
                response = clients[role].get(url, headers=headers)
                assert response.status_code < 500, (role, url, response.status_code)
                if mark in readable(response):
                    leaks.append(f"{url} {headers or ''} as {role}")
    assert not leaks, "\n".join(leaks)
    db.expire_all()
    assert db.get(Comment, comment_id).visibility == Visibility.PENDING.value
    # the author reads it, and is told it awaits approval; the moderators read it, marked
    mine = text_of(author.get(round_url).text)
    assert mark in mine
    assert "Your edit awaits a moderator's approval" in mine
    queue = mod.get("/moderation").text
    assert mark in queue
    item = re.search(rf"<li[^>]*>(?:(?!</li>).)*{mark}(?:(?!</li>).)*</li>", queue, re.S)
    assert item is not None and "(edited)" in text_of(item.group(0))
    assert "Awaiting approval" in text_of(item.group(0))
    # a moderator approves the text they read, not one edited since
    seen = seen_in_form(mod.get(round_url).text, comment_id, "approve")
    again = author.submit(f"{round_url}/comments/{comment_id}/edit", {"body": f"Later: {mark}"})
    assert again.status_code == 303
    stale = mod.submit(f"{round_url}/comments/{comment_id}/approve", {"seen": seen})
    assert stale.status_code == 409
    assert "edited since you opened this page" in text_of(stale.text)
    db.expire_all()
    assert db.get(Comment, comment_id).visibility == Visibility.PENDING.value
    seen = seen_in_form(mod.get(round_url).text, comment_id, "approve")
    assert (
        mod.submit(f"{round_url}/comments/{comment_id}/approve", {"seen": seen}).status_code == 303
    )
    assert f"Later: {mark}" in text_of(clients["other_rep"].get(round_url).text)
