"""A draft round is the moderators' until it is announced: for anyone else every address under
``/rounds/{round_id}/`` answers as if there were no such round (404; anonymous visitors are
sent to sign in), whatever the query string says, never 200 or 204 (an empty answer to the
live poll would tell that the round exists, and its version).

The routes come from the application's route table; the round is the world's open round, with
its comments, positions, draft text, amendments and caucus, put back to draft: every other id
in the path is a real one of that round, so the round's status is the only reason to refuse.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from app.rounds.models import Round
from app.vocabulary import RoundStatus
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
