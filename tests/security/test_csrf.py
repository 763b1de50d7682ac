"""Every state-changing route refuses a request without its CSRF token, or with a wrong one (in
the form field or in htmx's header, URL-encoded or multipart), and changes nothing; with the
right token, a multipart form gets the answer the URL-encoded one gets.

The routes come from the application's route table (every POST); each is sent by a role the
authorisation table lets through (tests/security/test_authorisation_matrix.py proves that the
same request *with* the token gets through), so the token is the only thing missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.models  # noqa: F401 - every table in the metadata
from app.db import Base
from tests import factories
from tests.conftest import multipart, text_of
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill
from tests.security.world import app_routes, build, clients_for, undone

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
    the htmx header, a made-up one in both, a bearer header instead, and as multipart forms.
    The wrong token (``other``) is a genuine one, of another browser."""
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
        "no token, as multipart": client.post(path, **multipart(data)),
        "another browser's token, as multipart": client.post(
            path, **multipart({**data, "csrftoken": other})
        ),
        "another browser's token in the header, as multipart": client.post(
            path, **multipart(data, **{"x-csrftoken": other, "HX-Request": "true"})
        ),
    }


def sent_by(template: str, world: Any) -> tuple[str, str, dict[str, Any]]:
    """Who sends a request to the route, at which path, with which form: the first role the
    authorisation table lets through."""
    case = TABLE.get(("POST", template))
    if case is None:  # a new route (test_every_route_is_in_the_table names it): still tried
        return "admin", re.sub(r"\{[^}]+\}", "1", template), {}
    sender = next(role for role in SENDERS if case.expected[role] == "ok")
    path = concrete_path(template, case, world)
    return sender, path, {k: fill(v, world) for k, v in case.data.items()}


def test_every_state_changing_route_refuses_a_missing_or_wrong_token(make_client, db, settings):
    world = build(db, settings)
    clients = clients_for(world, make_client, db)
    app = clients["anonymous"].app.fastapi_app
    routes = post_routes(app)
    assert len(routes) >= 40, routes  # the route table was read
    other = make_client().csrf()  # a genuine token, of another browser
    before = snapshot(db)
    refused = []
    forged = []
    for _method, template in routes:
        sender, path, data = sent_by(template, world)
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


@contextmanager
def same_cookies(client: Any) -> Iterator[None]:
    """The browser's cookies as they were before (signing out, or in a new session, changes
    them; the request is undone)."""
    cookies = list(client.cookies.jar)
    try:
        yield
    finally:
        client.cookies.clear()
        for cookie in cookies:
            client.cookies.jar.set_cookie(cookie)


def test_with_its_token_a_multipart_form_is_answered_as_an_url_encoded_one(
    make_client, db, settings
):
    """Every state-changing route, sent its form with the right token as ``multipart/form-data``
    (what a form with a file sends), answers what it answers to the same form URL-encoded:
    never refused for its token (each request is undone: both meet the same world)."""
    world = build(db, settings)
    clients = clients_for(world, make_client, db)
    routes = post_routes(clients["anonymous"].app.fastapi_app)
    differ = []
    for _method, template in routes:
        sender, path, data = sent_by(template, world)
        client = clients[sender]
        form = {"csrftoken": client.csrf(), **data}
        with undone(db), same_cookies(client):
            encoded = client.post(path, data=form)
        with undone(db), same_cookies(client):
            as_multipart = client.post(path, **multipart(form))
        if "security token" in text_of(as_multipart.text) or (
            as_multipart.status_code != encoded.status_code
        ):
            differ.append(
                f"{template} as {sender}: {as_multipart.status_code} as multipart, "
                f"{encoded.status_code} URL-encoded"
            )
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("path", ["/login", "/invitations/accept"])
def test_sign_in_forms_need_the_token_even_without_any_cookie(client, db, settings, path):
    """Login CSRF: a cross-site form would sign the victim in to the attacker's account."""
    world = build(db, settings)
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


def test_the_json_api_still_takes_its_token(make_client, db, settings):
    from tests.security.world import build

    world = build(db, settings)
    db.commit()
    api = make_client()
    response = api.get("/api/v1/rounds", headers={"Authorization": f"Bearer {world.api_token}"})
    assert response.status_code == 200
