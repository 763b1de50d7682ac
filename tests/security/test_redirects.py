"""Open redirects: the address a form says to go to next (``next``) is followed only when it is
a path on this site, and is sent back encoded, whatever header carries it (``Location``, or
``HX-Redirect`` under htmx, which htmx assigns to ``window.location``).

A property test over generated strings checks ``safe_next`` itself: whatever it lets through,
a browser resolves to this site. The routes are then found in the route table by their
``next`` parameter and each is sent hostile values."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from hypothesis import example, given
from hypothesis import strategies as st

from app.web import safe_next
from tests import factories
from tests.security.test_authorisation_matrix import TABLE, concrete_path, fill
from tests.security.world import build, clients_for

SITE = "https://consult.example.org/rounds/7?order=newest"
#: What a browser would make of a path-absolute address: only printable ASCII, no backslash
#: (read as "/" in http(s) addresses), no second "/" right after the first.
ON_SITE = re.compile(r"/(?![/\\])[\x21-\x5b\x5d-\x7e]*")

#: Characters that change how a browser reads an address.
TRICKY = "/\\:@%?#.\t\n\r \x00\x0b\x0c\x7f\u2028\u3002\uff0f\uff3ca-zA-Z0-9"
PREFIXES = ["/", "//", "/\\", "\\", "\\\\", "/\t/", " /", "/%2F", "http:", "https:", "javascript:"]


def followed_to(url: str) -> tuple[str, str]:
    """The scheme and host a browser on SITE goes to."""
    parts = urlsplit(urljoin(SITE, url))
    return parts.scheme, parts.netloc


@given(
    st.one_of(
        st.text(),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from(PREFIXES),
            st.text(alphabet=st.sampled_from(TRICKY)),
        ),
    )
)
@example("/\\evil.example/")
@example("/\\/evil.example")
@example("/\t/evil.example")
@example("/\x00/evil.example")
@example("//evil.example")
@example("https://evil.example/")
@example("/rounds/1?order=newest#comment-2")
@example("/cycle/Côte d'Ivoire/2026")
def test_whatever_safe_next_lets_through_is_a_path_on_this_site(url: str) -> None:
    result = safe_next(url, default="/home")
    if result == "/home":
        return
    assert ON_SITE.fullmatch(result), (url, result)
    assert followed_to(result) == ("https", "consult.example.org"), (url, result)
    result.encode("latin-1")  # a valid header value: no 500 when it is sent


@given(st.text(alphabet=st.sampled_from("abcXYZ019-_.~/?=&#"), max_size=40))
def test_a_plain_path_of_this_site_is_kept_as_it_is(tail: str) -> None:
    url = "/" + tail.lstrip("/")
    assert safe_next(url) == url


def test_the_probes_address_is_refused() -> None:
    assert safe_next("/\\evil.example/") == "/"
    assert safe_next("/\\evil.example/", default="/account") == "/account"


HOSTILE_NEXT = [
    "/\\evil.example/",
    "//evil.example/",
    "/\t/evil.example/",
    "https://evil.example/",
    "/%0d%0aSet-Cookie:x=1",
    "/é\u2028/\r\nX-Injected: 1",
]


def routes_taking_next(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) of the route table with a ``next`` parameter (query or form)."""
    found = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context.original_route, "dependant", None)
        if dependant is None:
            continue
        names = {p.name for p in (*dependant.query_params, *dependant.body_params)}
        if "next" in names:
            found.extend((method, str(context.path)) for method in context.methods - {"HEAD"})
    return sorted(found)


def lands_on_this_site(where: str) -> bool:
    """A path read as this site's by a browser, or an address of the test client's host."""
    if where.startswith("/"):
        return ON_SITE.fullmatch(where) is not None
    return urlsplit(where)[:2] == ("http", "testserver") and "\\" not in where


def destinations(response: Any) -> list[str]:
    return [response.headers[h] for h in ("location", "hx-redirect") if h in response.headers]


@pytest.mark.usefixtures("cheap_passwords")
def test_every_route_taking_next_goes_only_to_this_site(make_client, db, settings):
    world = build(db, settings)
    clients = clients_for(world, make_client, db, ("anonymous", "rep"))
    routes = routes_taking_next(clients["rep"].app.fastapi_app)
    assert {("GET", "/login"), ("POST", "/login"), ("POST", "/language")} <= set(routes), routes
    redirected = set()
    wrong = []
    for method, template in routes:
        case = TABLE[(method, template)]
        path = concrete_path(template, case, world)
        for hostile in HOSTILE_NEXT:
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                # a fresh browser each time: signing in changes the session
                if method == "GET":  # /login while signed in: sent on at once
                    browser = factories.signed_in(make_client, db, world.people["rep"])
                    response = browser.get(path, params={"next": hostile}, headers=headers)
                else:
                    browser = make_client() if template != "/language" else clients["rep"]
                    data = {k: fill(v, world) for k, v in case.data.items()}
                    response = browser.submit(path, {**data, "next": hostile}, headers=headers)
                for where in destinations(response):
                    redirected.add(template)
                    if not lands_on_this_site(where) or "evil.example" in where:
                        wrong.append(f"{method} {template} next={hostile!r}: {where!r}")
    assert not wrong, "\n".join(wrong)
    assert {"/login", "/language"} <= redirected
