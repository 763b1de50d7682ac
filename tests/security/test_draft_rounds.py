"""A draft round is the moderators' until it is announced: for anyone else every address under
``/rounds/{round_id}/`` answers as if there were no such round (404; anonymous visitors are
sent to sign in), whatever the query string says, never 200 or 204 (an empty answer to the
live poll would tell that the round exists, and its version). Nor does the search find
anything of it for them: its title, brief, draft text, amendment, positions, comments and
files (and its caucus's texts, for anyone) answer as a miss does; the moderators find the
round's own texts.

The routes come from the application's route table; the round is the world's open round, with
its comments, positions, draft text, amendments and caucus, put back to draft: every other id
in the path is a real one of that round, so the round's status is the only reason to refuse.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from app.caucus.models import CaucusPost, GroupStatement
from app.comments.models import Comment
from app.documents.models import Attachment
from app.drafts.models import Amendment, DraftParagraph
from app.positions.models import Position
from app.rounds.models import Consultation, Round
from app.vocabulary import RoundStatus
from tests.helpers import soup
from tests.security import searching
from tests.security.test_authorisation_matrix import (
    DEFAULT_PARAMS,
    IN_CAUCUS,
    TABLE,
    Case,
    fill,
    outcome,
    request,
)
from tests.security.world import app_routes, build, clients_for, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: Everyone but the moderators and administrators (an API token opens no page: sign in).
OUTSIDERS = ("anonymous", "rep", "other_rep", "focal", "observer", "token")
#: What they may be told: there is no such round, or (not signed in) to sign in first.
HIDDEN = {"404", "login"}


def queries(version: int) -> list[str]:
    """Query strings a probe tries: none, the live poll's with the round's real version, with
    other versions, and odd ones."""
    return [
        "",
        f"?version={version}",
        f"?version={version}&after=0&moderated=0",
        "?version=1",
        "?version=0&after=999999",
        f"?version={version + 1}",
        "?order=newest&group=workers&page=1",
        "?version=-1&unknown=1",
    ]


def draft_path(template: str, world: Any, round_id: int) -> str:
    """The template with this round and the open round's own objects (the fixed ``{group}``
    of its caucus, ``csv`` for a format)."""
    case = TABLE.get(("GET", template)) or TABLE.get(("POST", template)) or Case({})
    params = {**DEFAULT_PARAMS, **IN_CAUCUS, **{k: v for k, v in case.params.items()}}
    params.pop("round_id", None)
    path = template.replace("{round_id}", str(round_id)).replace("{fmt}", "csv")
    for name, key in params.items():
        if key == "closed_position":
            key = "position"
        path = path.replace(f"{{{name}}}", str(world.ids[key]))
    assert "{" not in path, f"no value for a parameter of {template}"
    return path


def test_every_address_of_a_draft_round_is_hidden_from_non_moderators(make_client, db, settings):
    world = build(db, settings)
    round_id = world.ids["round"]
    db.execute(update(Round).where(Round.id == round_id).values(status=RoundStatus.DRAFT.value))
    version = db.get_one(Round, round_id).version
    clients = clients_for(world, make_client, db, (*OUTSIDERS, "moderator"))
    routes = [
        (method, template)
        for method, template in app_routes(clients["rep"].app.fastapi_app)
        if template.startswith("/rounds/{round_id}")
    ]
    assert len(routes) >= 30, routes  # the route table was read
    shown = []
    for method, template in routes:
        path = draft_path(template, world, round_id)
        case = TABLE.get((method, template)) or Case({})
        data = {k: fill(v, world) for k, v in case.data.items()}
        for query in queries(version):
            for role in OUTSIDERS:
                with undone(db):
                    got = outcome(request(clients[role], method, path + query, data))
                if got not in HIDDEN:
                    shown.append(f"{method} {path}{query} as {role}: {got}")
    assert not shown, "a draft round shown to non-moderators:\n" + "\n".join(shown)
    # the moderators still have it: its page, and a poll that says nothing changed
    assert clients["moderator"].get(f"/rounds/{round_id}").status_code == 200
    poll = clients["moderator"].get(f"/rounds/{round_id}/live?version={version}")
    assert poll.status_code == 204


def test_the_live_poll_of_a_draft_round_is_a_404_whatever_the_version(make_client, db, settings):
    """The probe's case: ``/rounds/R/live?version=1`` answered 204 for a draft round whose page
    is a 404."""
    world = build(db, settings)
    clients = clients_for(world, make_client, db, ("rep",))
    draft = world.ids["draft"]
    assert clients["rep"].get(f"/rounds/{draft}").status_code == 404
    version = db.get_one(Round, draft).version
    for asked in {0, 1, version, version + 1}:
        assert clients["rep"].get(f"/rounds/{draft}/live?version={asked}").status_code == 404


def test_a_draft_round_s_texts_are_found_by_the_moderators_alone(make_client, db, settings):
    """The world's open round, every text of it carrying a marker, is put back to draft: the
    searches for each marker (plain, newest first, misspelt; plain and under htmx) answer
    everyone else as a miss does, its consultation's title too (it has no other round); the
    moderators find the round's texts, and nobody its caucus's (a draft round has no caucus)."""
    world = build(db, settings)
    round_id = world.ids["round"]
    markers = {what: f"zd{uuid.uuid4().hex[:12]}{what}" for what in TEXTS + CAUCUS}
    round_ = db.get_one(Round, round_id)
    round_.title = f"Round {markers['title']}"
    round_.brief = f"Brief {markers['brief']}"
    db.get_one(Consultation, round_.consultation_id).title = f"About {markers['consultation']}"
    db.get_one(DraftParagraph, world.ids["paragraph"]).text = f"Article {markers['paragraph']}"
    db.get_one(Amendment, world.ids["amendment"]).text = f"Instead {markers['amendment']}"
    db.get_one(Position, world.ids["position"]).statement = f"We hold {markers['position']}"
    db.get_one(Comment, world.ids["comment"]).body = f"We say {markers['comment']}"
    db.get_one(Attachment, world.ids["attachment"]).title = f"Study {markers['attachment']}"
    post = db.scalars(select(CaucusPost).where(CaucusPost.round_id == round_id)).one()
    post.body = f"Between us {markers['caucus']}"
    db.get_one(GroupStatement, world.ids["statement"]).text = f"Ours {markers['statement']}"
    db.commit()
    clients = clients_for(world, make_client, db, (*OUTSIDERS, "moderator", "admin"))
    # open, they are there to be found: the workers' representative finds every one
    for what, value in markers.items():
        assert finds(clients["rep"], value), what
    db.execute(update(Round).where(Round.id == round_id).values(status=RoundStatus.DRAFT.value))
    db.commit()
    shown = []
    misses: dict[tuple[int, str, str], str] = {}
    for role in OUTSIDERS:
        for what, value in markers.items():
            for url in searching.addresses(value):
                for headers in searching.VARIANTS:
                    probe = searching.probe(clients[role], url, headers, misses)
                    leaked = [w for w, m in markers.items() if m in probe.text]
                    if leaked or not probe.like_a_miss or probe.shows:
                        shown.append(f"{what} on {url} {headers or ''} as {role}: {leaked}")
    assert not shown, "a draft round found by non-moderators:\n" + "\n".join(shown)
    for role in ("moderator", "admin"):
        for what, value in markers.items():
            assert finds(clients[role], value) is (what in TEXTS), (role, what)


#: The round's own texts (the moderators find them in a draft round), and its caucus's.
TEXTS = (
    "title",
    "brief",
    "consultation",
    "paragraph",
    "amendment",
    "position",
    "comment",
    "attachment",
)
CAUCUS = ("caucus", "statement")


def finds(client: Any, value: str) -> bool:
    response = client.get(f"/search?q={value}")
    assert response.status_code == 200, response.status_code
    found = soup(response.text).select(searching.RESULT)
    return any(value in result.get_text() for result in found)
