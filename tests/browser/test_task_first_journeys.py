"""Issue 14's journeys, each starting from the person's to-do item on the home page, each
action confirmed where the person is looking, with JavaScript and without:

1. a representative whose organisation owes a position posts it;
2. the moderator closes the round early (the page says what matters first), then, from the
   to-do list, asks the groups to sign off;
3. each group's focal point, asked to sign off, confirms the outcome;
4. the moderator publishes the round the to-do list says is ready;
5. an observer reads the newly published summary.

Every step is saved as a screenshot at 1280 px and at 375 px in ``test-artifacts/``."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import sign_in
from tests.browser.test_publication_journey import MODERATOR, ask_for_signoff, open_new_round

pytestmark = pytest.mark.browser
JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
REPRESENTATIVE = "rep@atuc.example"
OBSERVER = "observer@agency.example"


def snap(page: Page, name: str, javascript: bool) -> None:
    """The page as it is now, at 1280 px and at 375 px (then back to 1280)."""
    ARTIFACTS.mkdir(exist_ok=True)
    mode = "js" if javascript else "no-js"
    for label, size in (("1280", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"journey-{mode}-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def confirmed(page: Page, text: str | re.Pattern[str]) -> None:
    """The action's confirmation is shown at the top of the page, in the status region."""
    flash = page.locator("#flash")
    expect(flash).to_contain_text(text)
    expect(flash).to_have_attribute("role", "status")


def todo_item(page: Page, title_tag: str) -> Locator:
    page.goto("/")
    item = page.locator("#todo .todo-item", has_text=title_tag)
    expect(item).to_have_count(1)
    return item


@JS
def test_from_the_to_do_list_to_a_published_summary(
    live_server: Any, new_context: Any, javascript: bool
) -> None:
    tag = uuid.uuid4().hex[:6]

    def person(email: str) -> Page:
        page = new_context(java_script_enabled=javascript, viewport=DESKTOP).new_page()
        sign_in(page, email, live_server.password)
        return page

    moderator = person(MODERATOR)
    round_url = open_new_round(moderator, tag)
    round_path = round_url.removeprefix(live_server.base_url)

    # 1. the representative: the to-do item says what is owed and how long is left
    union = person(REPRESENTATIVE)
    item = todo_item(union, tag)
    expect(item).to_contain_text("has not posted its position")
    expect(item).to_contain_text(re.compile(r"\d+ days?( \d+ hours?)? left"))
    snap(union, "1-representative-home", javascript)
    item.get_by_role("link", name="Post your position").click()
    expect(union).to_have_url(re.compile(re.escape(round_path) + "#your-position$"))
    form = union.locator("#your-position")
    assert (form.bounding_box() or {"y": 10_000})["y"] < 900, "the form is not in the first screen"
    snap(union, "2-representative-round", javascript)
    union.get_by_label("Support", exact=True).check()
    union.fill("#statement", f"Riders are workers ({tag}).")
    union.get_by_role("button", name="Post the position").click()
    if javascript:  # the form swapped in says so beside the position
        expect(union.locator("#your-position")).to_contain_text("position is saved")
    else:
        confirmed(union, "Your organisation's position is saved.")
    expect(union.locator("#columns")).to_contain_text(f"Riders are workers ({tag}).")
    snap(union, "3-representative-posted", javascript)
    union.goto("/")
    expect(union.locator("#todo .todo-item", has_text=tag)).to_have_count(0)

    # 2. the moderator closes early: the page says what matters before deciding
    moderator.goto(round_url)
    moderator.get_by_role("link", name="Close early with an outcome").click()
    context = moderator.locator(".decision-context")
    expect(context).to_contain_text("left")
    expect(context).to_contain_text("Not posted yet")
    snap(moderator, "4-moderator-close-page", javascript)
    moderator.fill("#f-outcome", f"Riders are presumed employees ({tag}).")
    moderator.get_by_role("button", name="Close the round now").click()
    confirmed(moderator, re.compile(r"Round \d+ closed\."))
    expect(moderator.locator("main")).to_contain_text("Closed early")
    snap(moderator, "5-moderator-closed", javascript)

    # ... and, from the to-do list, asks each group's spokesperson to sign off
    item = todo_item(moderator, tag)
    expect(item).to_contain_text("ask each group's spokesperson to sign it off")
    item.get_by_role("link", name="Ask for sign-off").click()
    spokespeople = ask_for_signoff(moderator)
    confirmed(moderator, "Sign-off requested")
    expect(moderator.get_by_role("button", name="Ask for sign-off")).to_have_count(0)
    snap(moderator, "6-moderator-signoff-asked", javascript)

    # 3. each focal point: the to-do item leads to the sign-off
    for number, email in enumerate(spokespeople):
        voice = person(email)
        item = todo_item(voice, tag)
        expect(item).to_contain_text("confirm the draft outcome")
        if number == 0:
            snap(voice, "7-focal-point-home", javascript)
        item.get_by_role("link", name="Sign off the outcome").click()
        voice.get_by_role("button", name=re.compile(r"^Confirm for the")).click()
        confirmed(voice, "Your group's confirmation of the outcome is recorded.")
        expect(voice.locator(".your-signoff")).to_contain_text("Your group has confirmed")
        if number == 0:
            snap(voice, "8-focal-point-signed-off", javascript)

    # 4. the moderator publishes what the to-do list says is ready
    item = todo_item(moderator, tag)
    expect(item).to_contain_text("ready to publish")
    snap(moderator, "9-moderator-ready-to-publish", javascript)
    item.get_by_role("link", name="Publish the round").click()
    moderator.get_by_role("button", name="Publish").click()
    confirmed(moderator, re.compile(r"Round \d+ published\."))
    expect(moderator.locator("#round-state")).to_contain_text("published")
    snap(moderator, "10-moderator-published", javascript)

    # 5. the observer reads the newly published summary
    observer = person(OBSERVER)
    item = todo_item(observer, tag)
    expect(item).to_contain_text("was published")
    snap(observer, "11-observer-home", javascript)
    item.get_by_role("link", name="Read the summary").click()
    expect(observer.locator("main")).to_contain_text(f"Riders are presumed employees ({tag}).")
    expect(observer.locator("main")).not_to_contain_text("Generated at 20")  # no ISO times
    snap(observer, "12-observer-summary", javascript)
