"""A representative whose organisation has not answered the open round starts from the home
page's to-do list: the round with its time left, one click to the position form. At 1280x900
and at 375 px; screenshots of each step in ``test-artifacts/``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import round_url, sign_in
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
#: The demo's representative whose organisation has not answered the open round (no other
#: browser journey posts its position).
OWES = "rep@interior.example"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_home_page_leads_to_the_position_the_organisation_owes(
    live_server, new_context, size
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    demo_round = next(r for r in live_server.demo["rounds"] if r["status"] == "open")
    organisation = next(a for a in live_server.demo["accounts"] if a["email"] == OWES)[
        "organisation"
    ]
    assert not next(o for o in demo_round["organisations"] if o["name"] == organisation)[
        "responded"
    ]
    page = new_context(viewport=SIZES[size], bypass_csp=True).new_page()  # to inject axe-core
    sign_in(page, OWES, live_server.password)
    page.goto("/")

    todo = page.get_by_role("region", name=re.compile("to-do list"))
    item = todo.locator(".todo-item", has_text=demo_round["title"])
    expect(item).to_contain_text(f"{organisation} has not posted its position")
    expect(item).to_contain_text(re.compile(r"1[34] days( \d+ hours?)? left"))
    button = item.get_by_role("link", name="Post your position")
    expect(button).to_be_visible()
    # the to-do item is in the first screen, above who the person is and the consultations
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= SIZES[size]["height"], box
    found = axe_violations(page)
    assert not found, "home page:\n" + "\n".join(found)
    page.screenshot(path=str(ARTIFACTS / f"home-todo-{size}.png"), full_page=True)

    button.click()
    expect(page).to_have_url(
        re.compile(re.escape(round_url(live_server, "open")) + "#your-position$")
    )
    form = page.locator("#your-position")
    expect(form).to_be_visible()
    expect(form).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / f"home-todo-{size}-round.png"))


def test_an_observer_starts_from_the_newly_published_summary(live_server, new_context) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    published = next(r for r in live_server.demo["rounds"] if r["status"] == "published")
    page = new_context(viewport=SIZES["desktop"], bypass_csp=True).new_page()
    sign_in(page, "observer@agency.example", live_server.password)
    page.goto("/")
    item = page.locator("#todo .todo-item", has_text=published["title"])
    expect(item).to_contain_text("was published")
    found = axe_violations(page)
    assert not found, "observer's home page:\n" + "\n".join(found)
    page.screenshot(path=str(ARTIFACTS / "home-todo-observer.png"), full_page=True)
    item.get_by_role("link", name="Read the summary").click()
    expect(page).to_have_url(
        re.compile(re.escape(round_url(live_server, "published")) + "/summary$")
    )
