"""Every state-changing route refuses a request without its CSRF token, or with a wrong one (in
the form field or in htmx's header), and changes nothing.

The routes come from the application's route table (every POST); each is sent by a role the
authorisation table lets through (tests/security/test_authorisation_matrix.py proves that the
same request *with* the token gets through), so the token is the only thing missing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.models  # noqa: F401 - every table in the metadata
from app.db import Base
from tests import factories
from tests.conftest import text_of
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill
from tests.security.world import app_routes, build, clients_for

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: Who sends each forged request: the first role the table lets through.
SENDERS = ("admin", "moderator", "focal", "rep", "observer", "other_rep", "anonymous")


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the world is small)."""
    db.expire_all()
    return {
        table.name: sorted(
            (tuple(str(v) for v in row) for row in db.execute(select(table)).all()),
        )
        for table in Base.metadata.sorted_tables
    }


def changed(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def post_routes(app: Any) -> list[tuple[str, str]]:
    return [key for key in app_routes(app) if key[0] != "GET"]


def forged_requests(client: Any, path: str, data: dict[str, Any], other: str) -> dict[str, Any]:
    """The ways a forged request comes: no token, a wrong token in the form, a wrong token in
    the htmx header, a made-up one in both, a bearer header instead. The wrong token
    (``other``) is a genuine one, of another browser."""
    assert other != client.csrf()
    return {
        "no token": client.post(path, data=data),
        "another browser's token in the form": client.post(path, data={**data, "csrftoken": other}),
        "another browser's token in the header": client.post(
            path,
            data=data,
            headers={"x-csrftoken": other, "HX-Request": "true"},
        ),
        "a token that is not signed": client.post(
            path, data={**data, "csrftoken": "forged"}, headers={"x-csrftoken": "forged"}
        ),
        # asgi-csrf lets anything with a bearer header through unchecked: only the JSON API
        # authenticates by token, so elsewhere the header changes nothing
        "a made-up bearer header instead of a token": client.post(
            path, data=data, headers={"Authorization": "Bearer anything"}
        ),
        "a made-up bearer header under htmx": client.post(
            path, data=data, headers={"Authorization": "Bearer x", "HX-Request": "true"}
        ),
    }


def test_every_state_changing_route_refuses_a_missing_or_wrong_token(make_client, db):
    world = build(db)
    clients = clients_for(world, make_client, db)
    app = clients["anonymous"].app.fastapi_app
    routes = post_routes(app)
    assert len(routes) >= 40, routes  # the route table was read
    other = make_client().csrf()  # a genuine token, of another browser
    before = snapshot(db)
    refused = []
    forged = []
    for method, template in routes:
        case = TABLE.get((method, template))
        if case is None:  # a new route (test_every_route_is_in_the_table names it): still tried
            sender, data = "admin", {}
            path = re.sub(r"\{[^}]+\}", "1", template)
        else:
            sender = next(role for role in SENDERS if case.expected[role] == "ok")
            path = concrete_path(template, case, world)
            data = {k: fill(v, world) for k, v in case.data.items()}
        forged.append((template, sender, path, data))
        for how, response in forged_requests(clients[sender], path, data, other).items():
            if response.status_code != 403 or "security token" not in text_of(response.text):
                refused.append(f"{template} as {sender}, {how}: {response.status_code}")
    assert not refused, "\n".join(refused)
    if changed(before, snapshot(db)):
        # something got through: send them again one by one, to say which
        culprits = []
        for template, sender, path, data in forged:
            start = snapshot(db)
            forged_requests(clients[sender], path, data, other)
            if changed(start, snapshot(db)):
                culprits.append(f"{template} as {sender}: {changed(start, snapshot(db))}")
        pytest.fail("forged requests changed the database:\n" + "\n".join(culprits))


@pytest.mark.parametrize("path", ["/login", "/invitations/accept"])
def test_sign_in_forms_need_the_token_even_without_any_cookie(client, db, path):
    """Login CSRF: a cross-site form would sign the victim in to the attacker's account."""
    world = build(db)
    db.commit()
    before = snapshot(db)
    data = {
        "/login": {"email": world.people["plain"].email, "password": factories.PASSWORD},
        "/invitations/accept": {
            "token": world.invitation_token,
            "name": "Mallory",
            "password": "a long enough passphrase",
        },
    }[path]
    assert not client.cookies
    response = client.post(path, data=data)
    assert response.status_code == 403
    assert "tripartite_session" not in response.headers.get("set-cookie", "")
    assert not changed(before, snapshot(db))


def test_a_form_posted_as_plain_text_or_json_is_refused(make_client, db):
    """Cross-site forms may also be sent as text/plain; fetch() as JSON: neither carries a
    checked token, so both are refused when the browser has cookies."""
    browser = factories.signed_in(make_client, db, factories.user(db))
    for content_type in ("text/plain", "application/json"):
        response = browser.post(
            "/logout", content=b'{"csrftoken": "x"}', headers={"content-type": content_type}
        )
        assert response.status_code == 403, content_type
    assert browser.get("/").status_code == 200  # still signed in


def test_a_bearer_header_does_not_stand_in_for_the_token(make_client, db):
    """The probe's case: a signed-in browser's form post with ``Authorization: Bearer x`` and
    no CSRF token got through (asgi-csrf's default)."""
    browser = factories.signed_in(make_client, db, factories.user(db))
    response = browser.post("/logout", headers={"Authorization": "Bearer x"})
    assert response.status_code == 403
    assert browser.get("/").status_code == 200  # still signed in


def test_the_json_api_still_takes_its_token(make_client, db):
    from tests.security.world import build

    world = build(db)
    db.commit()
    api = make_client()
    response = api.get("/api/v1/rounds", headers={"Authorization": f"Bearer {world.api_token}"})
    assert response.status_code == 200
