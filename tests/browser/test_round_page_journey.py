"""The round page as a representative whose organisation has not answered finds it: the task in
the first screen at 1280×900 (and at 375 px), the sections reached by their anchors, the comment
on a position opening beneath it with the cursor in it; the same without JavaScript, where each
form is reached at its own URL. Screenshots of each step go to ``test-artifacts/``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import round_url, scroll_to, sign_in
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
FIRST_SCREEN = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
#: A demo organisation no other browser test posts a position for in the open round.
SILENT = "Ministry of Interior, Directorate of Migration"
SECTIONS = ("#your-position", "#brief", "#positions", "#draft", "#tally", "#discussion")


def silent_representative(live_server: Any) -> str:
    """The email of a demo representative whose organisation has not answered the open round."""
    open_round = next(r for r in live_server.demo["rounds"] if r["status"] == "open")
    silent = [o["name"] for o in open_round["organisations"] if o.get("responded") is False]
    name = SILENT if (SILENT in silent or not silent) else silent[0]
    return next(
        a["email"]
        for a in live_server.demo["accounts"]
        if a["organisation"] == name and a["role"] == "representative"
    )


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"round-page-{name}.png"), full_page=full_page)


def top_of(page: Page, selector: str) -> float:
    """Where the element starts, in px from the top of the page."""
    return float(
        page.locator(selector).first.evaluate(
            "el => el.getBoundingClientRect().top + window.scrollY"
        )
    )


def a_commented_card(page: Page) -> Any:
    """The first position card offering a comment on it (one another organisation posted)."""
    return page.locator(
        "#columns article.position",
        has=page.get_by_role("link", name=re.compile("^Comment on the position of ")),
    ).first


def test_the_task_comes_first_and_each_section_is_reached(live_server, new_context) -> None:
    page = new_context(viewport=FIRST_SCREEN, bypass_csp=True).new_page()
    sign_in(page, silent_representative(live_server), live_server.password)
    page.goto(round_url(live_server, "open"))

    # the first screen says what the organisation owes, with the way to do it
    task = page.locator("#round-task")
    expect(task).to_contain_text("has not posted its position in this round yet")
    entry = task.get_by_role("link", name="Post your organisation's position")
    expect(entry).to_be_visible()
    assert top_of(page, "#round-task a") + 40 <= FIRST_SCREEN["height"]
    assert min(top_of(page, "#round-task a"), top_of(page, "#your-position")) < 900
    shot(page, "1280-first-screen")
    shot(page, "1280-full", full_page=True)
    found = axe_violations(page)
    assert not found, "round page with its task:\n" + "\n".join(found)

    # every section of the navigation is reached by its anchor
    nav = page.get_by_role("navigation", name="Sections of this round")
    for target in SECTIONS:
        nav.locator(f"a[href='{target}']").click()
        expect(page).to_have_url(re.compile(re.escape(target) + "$"))
        box = page.locator(target).bounding_box()
        assert box is not None and -2 <= box["y"] <= 120, f"{target} not brought into view: {box}"
    page.goto(round_url(live_server, "open"))
    entry.click()
    expect(page).to_have_url(re.compile("#your-position$"))
    expect(page.locator("#your-position form")).to_be_in_viewport()

    # "Comment on the position of …" opens its form beneath that position, cursor in it
    card = a_commented_card(page)
    scroll_to(card)
    card.get_by_role("link", name=re.compile("^Comment on the position of ")).click()
    box = card.locator("textarea")
    expect(box).to_be_focused()
    link_box = card.get_by_role("link", name=re.compile("^Comment on the position of "))
    assert (
        abs(
            top_of(page, f"#{card.get_attribute('id')} textarea")
            - float(link_box.evaluate("el => el.getBoundingClientRect().top + window.scrollY"))
        )
        < 200
    ), "the form did not open next to the link"
    shot(page, "1280-comment-on-a-position")
    found = axe_violations(page)
    assert not found, "the comment form opened on a position:\n" + "\n".join(found)

    # a reply opens beneath its comment, the cursor in it, too
    thread = page.locator("#threads article.comment").first
    thread.get_by_role("link", name="Reply").first.click()
    expect(thread.locator("textarea").first).to_be_focused()

    # a folded form of the draft text: opening it puts the cursor in it
    paragraph = page.locator("#paragraph-1")
    paragraph.get_by_text("Propose an amendment to paragraph 1").click()
    expect(paragraph.locator("details.draft-action textarea").first).to_be_focused()


def test_the_task_is_in_the_first_screen_on_a_phone(live_server, new_context) -> None:
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(page, silent_representative(live_server), live_server.password)
    page.goto(round_url(live_server, "open"))
    entry = page.locator("#round-task").get_by_role(
        "link", name="Post your organisation's position"
    )
    expect(entry).to_be_in_viewport()
    # nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "375-first-screen")
    shot(page, "375-full", full_page=True)


def test_without_javascript_each_form_is_reached_at_its_own_url(live_server, new_context) -> None:
    page = new_context(viewport=FIRST_SCREEN, java_script_enabled=False).new_page()
    sign_in(page, silent_representative(live_server), live_server.password)
    url = round_url(live_server, "open")
    page.goto(url)
    assert top_of(page, "#round-task a") < 900
    page.locator("#round-task").get_by_role(
        "link", name="Post your organisation's position"
    ).click()
    expect(page).to_have_url(re.compile("#your-position$"))
    expect(page.locator("#your-position form")).to_be_in_viewport()
    for target in SECTIONS:
        page.goto(url + target)
        expect(page.locator(target)).to_be_in_viewport()

    card = a_commented_card(page)
    card.get_by_role("link", name=re.compile("^Comment on the position of ")).click()
    expect(page).to_have_url(re.compile(r"/positions/\d+/comment$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comment on the position of ")
    expect(page.locator("main textarea")).to_be_focused()  # autofocus, no script needed
    shot(page, "1280-no-js-comment-page")
    page.locator("main textarea").fill("Asked without JavaScript.")
    page.get_by_role("button", name="Post the comment").click()
    expect(page).to_have_url(re.compile(r"/rounds/\d+#comment-\d+$"))
    expect(page.locator("#threads")).to_contain_text("Asked without JavaScript.")
