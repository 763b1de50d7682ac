"""Every action answers: over the application's own route table, every POST of the pages that
succeeds carries a confirmation in words, however its answer travels (issue 14, section 2).

The routes are driven to success with the security suite's world and form data
(tests/security/world.py, tests/security/test_authorisation_matrix.py), each as a role the
authorisation table lets through, once without JavaScript and once under htmx; each request's
writes are undone afterwards. A route added without a confirmation fails here, by name.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.confirmations import COOKIE, unseal
from tests.helpers import HTMX, soup
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill
from tests.security.world import (
    ROLES,
    app_routes,
    build,
    cheap_passwords,  # noqa: F401 (a fixture)
    clients_for,
    undone,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: POST routes that answer with no confirmation, and why. Keep it short.
EXEMPT = {
    "/login": "signing in: the page the person asked for is the answer",
    "/login/two-factor": "the second step of signing in: likewise",
    "/logout": "signing out: the sign-in page is the answer",
    "/language": "the language switcher: the whole page changes language at once",
}


#: The role each route is driven as when the table lets several through.
PREFERRED = ("moderator", "focal", "rep", "admin", "anonymous")

ROLE_ORDER = [r for r in PREFERRED if r in ROLES] + [r for r in ROLES if r not in PREFERRED]


def actions() -> list[tuple[str, str]]:
    """(template, role): each POST of the pages, as the first role that may do it."""
    found = []
    for (method, template), case in TABLE.items():
        if method != "POST" or template.startswith("/api/") or template in EXEMPT:
            continue
        role = next((r for r in ROLE_ORDER if case.expected.get(r) == "ok"), None)
        assert role is not None, f"nobody may {template}?"
        found.append((template, role))
    return found


def test_the_exemptions_name_real_routes(client):
    routes = {path for method, path in app_routes(client.app.fastapi_app) if method == "POST"}
    assert set(EXEMPT) <= routes


def _confirmation(response: Any, secret: bytes, htmx: bool) -> str | None:
    """The confirmation an answer carries: in the cookie a redirect sets, the ``confirmed``
    event under htmx, or (a page answered in place) the page's status region."""
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == COOKIE and rest.split(";")[0]:
            return unseal(secret, rest.split(";")[0])
    if htmx and "HX-Trigger" in response.headers:
        return json.loads(response.headers["HX-Trigger"]).get("confirmed")
    if not htmx and response.headers.get("content-type", "").startswith("text/html"):
        flash = soup(response.text).select_one("#flash")
        return flash.get_text(" ", strip=True) if flash is not None else None
    return None


@pytest.mark.parametrize("htmx", [False, True], ids=["without-js", "htmx"])
def test_every_successful_action_says_what_it_did(htmx, make_client, db, settings):
    world = build(db, settings)  # with its attachments (a new version is one of the actions)
    wanted = actions()
    roles = tuple(sorted({role for _template, role in wanted}))
    clients = clients_for(world, make_client, db, roles)
    secret = settings.resolved_secret_key().encode()
    silent, failed = [], []
    for template, role in wanted:
        case = TABLE[("POST", template)]
        path = concrete_path(template, case, world)
        data = {k: fill(v, world) for k, v in case.data.items()}
        client = clients[role]
        saved = dict(client.cookies.items())
        with undone(db):
            try:
                if template == "/account/two-factor/confirm":
                    response = _confirm_two_factor(client, data, htmx)
                else:
                    files = {"files": case.files} if case.files else {}
                    response = client.submit(path, data, headers=HTMX if htmx else {}, **files)
            finally:
                client.cookies.clear()
                for name, value in saved.items():
                    client.cookies.set(name, value)
        if not 200 <= response.status_code < 400:
            failed.append(f"{template} as {role}: {response.status_code}")
            continue
        said = _confirmation(response, secret, htmx)
        if not said or "%(" in said:
            silent.append(f"{template} as {role}: {response.status_code}, said {said!r}")
    assert not failed, "not driven to success:\n" + "\n".join(failed)
    assert not silent, "succeeded without a confirmation:\n" + "\n".join(silent)


def _confirm_two_factor(client: Any, data: dict[str, Any], htmx: bool) -> Any:
    """Two-factor sign-in turned on: an enrolment begun, then its current code."""
    from app.accounts.two_factor import current_code
    from app.db import utcnow

    client.submit("/account/two-factor/start")
    page = soup(client.get("/account/two-factor").text)
    secret = page.select_one("#totp-secret")
    assert secret is not None, "the set-up page shows its key"
    key = secret.get_text(strip=True)
    code = current_code(str(key).replace(" ", ""), utcnow())
    form = {**data, "code": code}
    return client.submit("/account/two-factor/confirm", form, headers=HTMX if htmx else {})
