"""Host header poisoning: nothing the site sends, and nothing it keeps (a page region cached for
everybody, an email, an invitation link), is built from the host a request names.

Two lines of defence, each tested over the route table:

* a request naming a host the site does not answer to (``TRIPARTITE_BASE_URL``'s, or one of
  ``TRIPARTITE_ALLOWED_HOSTS``) is refused with a 400 before anything reads it;
* a host the site *does* answer to (an alias, as a proxy may send) still never appears in a
  page, a header, a redirect or anything stored: links are paths, and links for outside the
  site are built from ``TRIPARTITE_BASE_URL``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.config import Settings
from app.db import utcnow
from app.middleware import host_name
from app.notifications import service as notifications
from app.notifications.models import OutboxEmail
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill
from tests.security.test_csrf import snapshot
from tests.security.world import ROLES, app_routes, build, clients_for, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

HOSTILE = "evil.example"
#: A second name the site is configured to answer to (TRIPARTITE_ALLOWED_HOSTS).
ALIAS = "alias.example"

#: Answered whatever the host: a load balancer checks each process at its own address.
ANY_HOST = {"/healthz"}

#: Who sends each request of the route table: the first role the table lets through.
SENDERS = ("admin", "moderator", "focal", "rep", "observer", "other_rep", "anonymous", "token")


def naming(host: str, htmx: bool = False) -> dict[str, str]:
    """Headers of a request naming ``host``, the ways a proxy or a client may say it."""
    headers = {"host": host, "x-forwarded-host": host, "forwarded": f"host={host}"}
    if htmx:
        headers["HX-Request"] = "true"
    return headers


def mentions(response: Any, host: str) -> list[str]:
    """Where ``host`` appears in an answer: its headers or its body."""
    found = [f"header {k}: {v}" for k, v in response.headers.items() if host in v.lower()]
    if host.encode() in response.content.lower():
        at = response.content.lower().index(host.encode())
        found.append(f"body: …{response.content[max(0, at - 80) : at + 40]!r}…")
    return found


def sender(case: Any) -> str | None:
    """The first role the table lets send the request (none: a request only a role outside
    ``SENDERS`` may send, such as a group's own release of its group-only row)."""
    return next((role for role in SENDERS if case.expected[role] in ("ok", "login")), None)


# --- the trusted host names, as configured ------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("consult.example.org", "consult.example.org"),
        ("Consult.Example.ORG.:443", "consult.example.org"),
        ("[::1]:8000", "::1"),
        ("127.0.0.1:8000", "127.0.0.1"),
        ("evil.example@consult.example.org", None),
        ("consult.example.org/evil", None),
        ("consult.example.org evil.example", None),
        ("", None),
    ],
)
def test_the_host_a_header_names(header, name):
    assert host_name(header) == name


def test_the_site_answers_to_its_own_address_and_the_names_listed():
    settings = Settings(base_url="https://consult.example.org", allowed_hosts="www.example.org")
    assert settings.trusted_hosts() == {"consult.example.org", "www.example.org"}
    # the default, for `make run`: every name of this machine, and the test client's
    local = Settings().trusted_hosts()
    assert {"127.0.0.1", "localhost", "::1", "testserver"} <= local
    assert HOSTILE not in local


def test_make_run_is_served_at_localhost_and_127_0_0_1(make_client):
    client = make_client()
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "testserver"):
        assert client.get("/login", headers={"host": host}).status_code == 200, host


@pytest.fixture
def make_site(settings: Settings, db: Any) -> Iterator[Callable[..., Any]]:
    """A browser on an app whose own address (``TRIPARTITE_BASE_URL``) is ``site``, and whose
    other settings are ``changes``; it talks to that address."""
    from contextlib import nullcontext

    from app.db import get_session
    from app.exports.stream import export_connections
    from app.main import asgi
    from tests.conftest import Browser

    browsers: list[Any] = []

    def make(site: str, **changes: Any) -> Any:
        app = asgi(settings.model_copy(update={"base_url": site, **changes}))
        overrides = app.fastapi_app.dependency_overrides  # type: ignore[attr-defined]
        overrides[get_session] = lambda: db
        overrides[export_connections] = lambda: lambda: nullcontext(db.connection())
        browser = Browser(app, base_url=site, follow_redirects=False)
        browser.__enter__()
        browsers.append(browser)
        return browser

    yield make
    for browser in browsers:
        browser.__exit__(None, None, None)


def test_a_production_site_refuses_other_names_but_not_its_health_check(make_site):
    client = make_site("https://consult.example.org")
    assert client.get("/login").status_code == 200
    for host in ("127.0.0.1:8001", "localhost", HOSTILE, "consult.example.org.evil.example"):
        refused = client.get("/login", headers={"host": host})
        assert refused.status_code == 400, host
        assert "not served at the address" in refused.text
    assert client.get("/healthz", headers={"host": "10.0.0.12:8001"}).status_code == 200


# --- (a) every page of the route table ------------------------------------------------------


def test_every_route_refuses_a_host_it_does_not_answer_to(make_client, db, settings):
    """Default settings: a hostile ``Host`` gets a 400 on every route, by every role (but the
    health check), and its name is nowhere in the answer."""
    world = build(db, settings)
    clients = clients_for(world, make_client, db)
    routes = app_routes(clients["admin"].app.fastapi_app)
    assert len(routes) >= 80, routes
    wrong = []
    for method, template in routes:
        case = TABLE[(method, template)]
        path = concrete_path(template, case, world)
        data = {k: fill(v, world) for k, v in case.data.items()}
        roles = ROLES if method == "GET" else tuple(r for r in (sender(case),) if r)
        for role in roles:
            client = clients[role]
            with undone(db):
                if method == "GET":
                    response = client.get(path, headers=naming(HOSTILE))
                else:
                    form = {"csrftoken": client.csrf(), **data}
                    response = client.post(path, data=form, headers=naming(HOSTILE))
            refused = response.status_code == 400 or path in ANY_HOST
            if not refused or mentions(response, HOSTILE):
                wrong.append(f"{method} {path} as {role}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_no_page_carries_the_host_it_was_asked_for(make_client_with, db, settings):
    """A host the site answers to (an alias) is accepted, and still appears in no page of the
    route table, for any role: links are paths on the site."""
    world = build(db, settings)
    db.commit()
    make = lambda: make_client_with(allowed_hosts=ALIAS)  # noqa: E731
    clients = clients_for(world, make, db)
    wrong = []
    served = 0
    for method, template in app_routes(clients["admin"].app.fastapi_app):
        if method != "GET":
            continue
        path = concrete_path(template, TABLE[(method, template)], world)
        for role, client in clients.items():
            for htmx in (False, True):
                with undone(db):
                    response = client.get(path, headers=naming(ALIAS, htmx))
                served += response.status_code == 200
                if response.status_code == 400 or mentions(response, ALIAS):
                    found = mentions(response, ALIAS)
                    wrong.append(f"GET {path} as {role}: {response.status_code} {found[:2]}")
    assert served > 200
    assert not wrong, "\n".join(wrong)


# --- (b) redirects, emails, invitation links ------------------------------------------------


def test_no_redirect_email_or_invitation_link_carries_the_host_it_was_asked_for(
    make_client_with, db, settings
):
    """Every route of the table, sent by a role that gets through, naming the alias (plain and
    under htmx): no ``Location``/``HX-Redirect``, no answer, nothing written to the database
    (invitations, notifications, emails queued from them) mentions it."""
    world = build(db, settings)
    db.commit()
    make = lambda: make_client_with(allowed_hosts=ALIAS)  # noqa: E731
    clients = clients_for(world, make, db)
    routes = app_routes(clients["admin"].app.fastapi_app)
    settings = clients["admin"].app.fastapi_app.state.settings
    wrong = []
    redirects = 0
    for method, template in routes:
        case = TABLE[(method, template)]
        path = concrete_path(template, case, world)
        data = {k: fill(v, world) for k, v in case.data.items()}
        role = sender(case)
        if role is None:
            continue
        client = clients[role]
        for htmx in (False, True):
            with undone(db):
                saved = dict(client.cookies.items())
                if method == "GET":
                    response = client.get(path, headers=naming(ALIAS, htmx))
                else:
                    form = {"csrftoken": client.csrf(), **data}
                    response = client.post(path, data=form, headers=naming(ALIAS, htmx))
                client.cookies.clear()
                for name, value in saved.items():
                    client.cookies.set(name, value)
                redirects += "location" in response.headers or "hx-redirect" in response.headers
                found = mentions(response, ALIAS)
                if method != "GET":
                    # what the post wrote, and the emails the mail process would make of it
                    notifications.queue_emails(db, settings, utcnow() + timedelta(days=2))
                    stored = snapshot(db)
                    found += [
                        f"table {table}" for table, rows in stored.items() if ALIAS in str(rows)
                    ]
            if found:
                wrong.append(f"{method} {path} as {role} (htmx: {htmx}): {found[:3]}")
    assert redirects > 40
    assert not wrong, "\n".join(wrong)


def test_an_invitation_link_is_built_from_the_configured_address(make_site, db, settings):
    from tests import factories

    world = build(db, settings)
    db.commit()
    admin = make_site("https://consult.example.org", allowed_hosts=ALIAS)
    admin.csrf()
    admin.cookies.set("tripartite_session", factories.session_cookie(db, world.people["admin"]))
    db.commit()
    response = admin.submit(
        "/admin/people/invitations",
        {"name": "Mo Mod", "email": "mo@matrix.example", "role": "moderator"},
        headers={"host": ALIAS},
    )
    assert response.status_code == 201, response.text
    link = re.search(r'value="([^"]*/invitations/[^"]+)"', response.text)
    assert link and link.group(1).startswith("https://consult.example.org/invitations/")
    db.expire_all()
    assert ALIAS not in str([e.body for e in db.scalars(select(OutboxEmail))])


# --- (c) regions of the round page cached for everybody -------------------------------------


def _volatile(html: str) -> str:
    """What differs between two renderings for the same person anyway: the poll's timestamp,
    fresh idempotency keys."""
    html = re.sub(r"moderated=\d+", "moderated=", html)
    return re.sub(r'name="(idempotency_key|key)" value="[^"]*"', r'name="\1" value=""', html)


@pytest.mark.parametrize("round_key", ["round", "closed", "signed"])
def test_a_cached_region_is_the_same_whoever_asked_first(make_client_with, db, settings, round_key):
    """The round page's regions are cached and shared between viewers: a first request with
    another host, time zone, language or htmx changes nothing for the next viewer."""
    from app.rounds.fragments import CACHE
    from tests import factories

    world = build(db, settings)
    db.commit()
    path = f"/rounds/{world.ids[round_key]}"
    viewer = make_client_with(allowed_hosts=ALIAS)
    viewer.cookies.set("tripartite_session", factories.session_cookie(db, world.people["rep"]))
    colleague = world.people["colleague"]  # same organisation, same role: same regions
    db.commit()

    def other_browser(**cookies: str) -> Any:
        browser = make_client_with(allowed_hosts=ALIAS)
        browser.cookies.set("tripartite_session", factories.session_cookie(db, colleague))
        for name, value in cookies.items():
            browser.cookies.set(name, value)
        db.commit()
        return browser

    CACHE.clear()
    expected = _volatile(viewer.get(path).text)
    firsts = {
        "another host": (other_browser(), naming(ALIAS)),
        "a hostile host": (other_browser(), naming(HOSTILE)),
        "another time zone": (other_browser(tripartite_tz="Asia/Tokyo"), {}),
        "another language": (other_browser(), {"accept-language": "fr"}),
        "htmx": (other_browser(), {"HX-Request": "true"}),
    }
    changed = []
    for how, (browser, headers) in firsts.items():
        CACHE.clear()
        browser.get(path, headers=headers)
        browser.get(path + "/live?version=0&after=0&moderated=0", headers=headers)
        got = viewer.get(path)
        assert got.status_code == 200
        if ALIAS in got.text or HOSTILE in got.text or _volatile(got.text) != expected:
            changed.append(how)
    assert not changed, f"the next viewer's page changed after a first request with {changed}"
