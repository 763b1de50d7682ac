"""A form that takes someone's email address answers the same whatever the address: whether it
has an account, holds a platform role or already speaks for another organisation is not the
sender's to learn. The forms are found from the route table (a POST taking an ``email`` or
``..._email`` field); one this table does not know fails the suite, by name.

For each form, the status and the page (the echoed address, tokens, ids and times aside) are
compared for an unknown address, an address with an account, one with a platform role, and one
that speaks for another organisation. The person invited learns what stands in the way when
they take up the link with their password (tests/http/test_organisations.py).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from tests.security.world import build, clients_for, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

ADDRESS = "{address}"
#: The addresses compared: world.people key, or None for an address without an account.
ADDRESSES = {
    "unknown": None,
    "account": "plain",
    "platform role": "observer",
    "speaks for another organisation": "other_rep",
}


@dataclass
class AddressForm:
    role: str
    data: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    why: str = ""


FORMS: dict[str, AddressForm] = {
    "/organisations/{organisation_id}/invitations": AddressForm(
        "focal",
        {"name": "Nia New", "email": ADDRESS, "role": "representative"},
        {"organisation_id": "organisation"},
        why="a focal point mandates a representative",
    ),
    "/admin/people/invitations": AddressForm(
        "admin",
        {"name": "Mo Mod", "email": ADDRESS, "role": "moderator"},
        why="an administrator invites a moderator, an observer or an administrator",
    ),
    "/admin/organisations": AddressForm(
        "admin",
        {
            "name": "Address Privacy Union",
            "group": "workers",
            "country": "Ardenia",
            "focal_point_name": "Fay Focal",
            "focal_point_email": ADDRESS,
        },
        why="an administrator registers an organisation and invites its first focal point",
    ),
    "/login": AddressForm(
        "anonymous",
        {"email": ADDRESS, "password": "not anybody's password"},
        why="a sign-in with a wrong password",
    ),
}


def address_forms(app: Any) -> set[str]:
    """POST routes taking an email address (a field named ``email`` or ``..._email``)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "POST" not in (route.methods or ()):
            continue
        names = inspect.signature(route.endpoint).parameters
        if any(name == "email" or name.endswith("_email") for name in names):
            found.add(str(context.path))
    return found


def test_every_form_taking_an_address_is_in_the_table(client):
    found = address_forms(client.app.fastapi_app)
    assert "/organisations/{organisation_id}/invitations" in found  # the finder works
    assert found == set(FORMS), (
        f"forms missing from FORMS: {sorted(found - set(FORMS))}; "
        f"no longer routes: {sorted(set(FORMS) - found)}"
    )


def _normalised(html: str, addresses: list[str]) -> str:
    """The page with what differs from one request to the next by design put aside: the
    addresses compared (echoed in the form and the confirmation; an administrator's list of
    people shows the accounts among them on every page alike), tokens, new ids, times."""
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    html = re.sub(r"/invitations/[A-Za-z0-9_-]{20,}", "/invitations/TOKEN", html)
    html = re.sub(r'(name="csrftoken"[^>]*value=")[^"]*"', r'\1CSRF"', html)
    html = re.sub(r'(csrftoken":\s*")[^"]*"', r'\1CSRF"', html, flags=re.IGNORECASE)
    html = re.sub(r"/(invitations|organisations)/\d+", r"/\1/ID", html)
    return re.sub(r"\d{1,2}:\d{2}", "HH:MM", html)  # an expiry written as the minute turns


@pytest.mark.parametrize("path", sorted(FORMS))
def test_a_form_taking_an_address_answers_the_same_whatever_the_address(path, make_client, db):
    form = FORMS[path]
    world = build(db)
    client = clients_for(world, make_client, db, (form.role,))[form.role]
    concrete = path
    for name, key in form.params.items():
        concrete = concrete.replace(f"{{{name}}}", str(world.ids[key]))
    addresses = {
        kind: world.people[person].email if person else "nobody-here@test.example"
        for kind, person in ADDRESSES.items()
    }
    answers = {}
    for kind, address in addresses.items():
        data = {k: address if v == ADDRESS else v for k, v in form.data.items()}
        with undone(db):
            saved = dict(client.cookies.items())
            response = client.submit(concrete, data)
            client.cookies.clear()
            for name, value in saved.items():
                client.cookies.set(name, value)
        answers[kind] = (response.status_code, _normalised(response.text, list(addresses.values())))
    first = answers["unknown"]
    for kind, answer in answers.items():
        assert answer[0] == first[0], {k: a[0] for k, a in answers.items()}
        assert answer[1] == first[1], f"{path}: the page differs for an address with {kind}"
    if path != "/login":
        assert first[0] == 201  # the invitation is made, for every address
