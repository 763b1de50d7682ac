"""Every action answers: a confirmation reaches the page the person sees next, once."""

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app.confirmations import COOKIE, Confirmations, confirm, seal, shown, unseal
from app.vocabulary import Group
from tests import factories
from tests.factories import signed_in
from tests.helpers import HTMX, soup

SECRET = "a secret of this site"


def test_a_sealed_confirmation_opens_only_with_its_secret():
    value = seal(SECRET.encode(), "Ronda 2 cerrada — «ahora»")
    assert unseal(SECRET.encode(), value) == "Ronda 2 cerrada — «ahora»"
    assert unseal(b"another site", value) is None
    payload, _, signature = value.partition(".")
    forged = seal(b"another site", "You won a prize").partition(".")[0]
    assert unseal(SECRET.encode(), f"{forged}.{signature}") is None
    assert unseal(SECRET.encode(), "no-dot-here") is None
    assert unseal(SECRET.encode(), f"{payload}x.{signature}") is None


def _site() -> TestClient:
    async def act(request: Request) -> Response:
        confirm(request, "Round 2 closed.")
        if request.headers.get("HX-Request") == "true":
            triggers = request.query_params.get("triggers")
            headers = {"HX-Trigger": triggers} if triggers else {}
            return HTMLResponse("<p>swapped</p>", headers=headers)
        return RedirectResponse("/page", status_code=303)

    async def page(request: Request) -> Response:
        return HTMLResponse(f"<p id=flash>{shown(request) or ''}</p>")

    app = Starlette(routes=[Route("/act", act, methods=["POST"]), Route("/page", page)])
    return TestClient(Confirmations(app, SECRET))


def test_after_a_redirect_the_next_page_shows_the_confirmation_once():
    client = _site()
    answer = client.post("/act", follow_redirects=False)
    assert answer.status_code == 303
    assert COOKIE in answer.headers["set-cookie"]
    first = client.get("/page")
    assert "Round 2 closed." in first.text
    second = client.get("/page")
    assert "Round 2 closed." not in second.text


def test_under_htmx_the_confirmation_is_the_confirmed_event_beside_other_events():
    client = _site()
    answer = client.post("/act", headers=HTMX)
    assert json.loads(answer.headers["HX-Trigger"]) == {"confirmed": "Round 2 closed."}
    assert COOKIE not in answer.headers.get("set-cookie", "")
    answer = client.post("/act?triggers=tally-changed", headers=HTMX)
    assert json.loads(answer.headers["HX-Trigger"]) == {
        "tally-changed": None,
        "confirmed": "Round 2 closed.",
    }


def test_a_forged_confirmation_cookie_says_nothing():
    client = _site()
    client.cookies.set(COOKIE, seal(b"someone else", "Your account is suspended"))
    assert "suspended" not in client.get("/page").text


def test_a_position_posted_without_javascript_is_confirmed_on_the_round_page(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    answer = workers.submit(
        f"/rounds/{round_.id}/positions",
        {"stance": "support", "statement": "", "base_version": "0", "idempotency_key": ""},
    )
    assert answer.status_code == 303
    flash = soup(workers.get(f"/rounds/{round_.id}").text).select_one("#flash")
    assert flash is not None and "position is saved" in flash.text
    flash = soup(workers.get(f"/rounds/{round_.id}").text).select_one("#flash")
    assert flash is not None and "position is saved" not in flash.text


def test_names_in_a_confirmation_keep_their_direction_and_are_escaped():
    from app.confirmations import isolate
    from app.web import confirmation_html

    text = f"The account of {isolate('<b>ليلى</b>')} is active again."
    assert str(confirmation_html(text)) == (
        "The account of <bdi>&lt;b&gt;ليلى&lt;/b&gt;</bdi> is active again."
    )
    # a stray isolate typed into a name neither opens nor closes anything
    assert str(confirmation_html(isolate("a\u2069b") + " \u2068x")) == "<bdi>ab</bdi> x"
