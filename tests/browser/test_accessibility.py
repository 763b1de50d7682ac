"""WCAG 2.2 AA in the real browser: axe-core on every main page in each language, the keyboard
alone through posting a comment, live announcements, and the layout at 360 px and at 200% zoom.

axe-core comes from the npm registry and is vendored for the tests only
(``tests/browser/vendor/axe-core``; see its README for the version and how to refresh it).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import round_url, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ("en", "fr", "es")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.x A and AA on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' +
                    (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160))}));
        }""",
        WCAG_TAGS,
    )
    return [f"{v['id']}: {v['help']} -> {v['nodes']}" for v in result]


def in_language(page: Page, live_server: Any, language: str) -> None:
    page.context.add_cookies(
        [{"name": "tripartite_lang", "value": language, "url": live_server.base_url}]
    )


def check(page: Page, path: str, language: str) -> None:
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", language)
    found = axe_violations(page)
    assert not found, f"{path} in {language}:\n" + "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_and_representative_pages_have_no_violations(live_server, new_context, language):
    page = new_context(bypass_csp=True).new_page()  # to inject axe-core
    in_language(page, live_server, language)
    check(page, "/login", language)
    sign_in(page, "rep@atuc.example", live_server.password)
    check(page, "/", language)
    check(page, round_url(live_server, "open"), language)  # with the position form
    # the position form with its errors shown (nothing chosen)
    form = page.locator("#your-position form")
    form.locator("input[value=oppose]").check()
    form.locator("#statement").fill("")
    form.locator("button[type=submit]").first.click()
    expect(page.locator("#your-position .error").first).to_be_visible()
    found = axe_violations(page)
    assert not found, f"position form with errors in {language}:\n" + "\n".join(found)
    check(page, round_url(live_server, "published") + "/summary", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_moderator_pages_have_no_violations(live_server, new_context, language):
    page = new_context(bypass_csp=True).new_page()  # to inject axe-core
    in_language(page, live_server, language)
    sign_in(page, "moderator@tripartite.example", live_server.password)
    check(page, "/", language)  # the moderator's to-do list
    check(page, "/moderation", language)
    check(page, "/audit", language)
    check(page, round_url(live_server, "open"), language)  # with the moderation controls
    # the confirmation pages list what matters before deciding (time left, silent organisations)
    check(page, round_url(live_server, "open") + "/close", language)
    # (the published round's: the decision context, and the refusal said before the click)
    check(page, round_url(live_server, "published") + "/publish", language)


def test_the_keyboard_alone_posts_a_comment(live_server, new_context) -> None:
    page = new_context().new_page()
    sign_in(page, "rep@nudw.example", live_server.password)
    page.goto(round_url(live_server, "open"))

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")  # the skip link comes first
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")

    text = f"Typed without a mouse ({uuid.uuid4().hex[:6]})."
    tab_until(page, "#comment-form-body")
    assert_focus_is_visible(page)
    page.keyboard.type(text)
    tab_until(page, "#comment-form button[type=submit]")
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#new-comments")).to_contain_text(text)
    # focus stays in the comment form, ready for the next comment, and the post is announced
    expect(page.locator("#comment-form-body")).to_be_focused()
    expect(page.locator("#announcer")).not_to_be_empty()


def tab_until(page: Page, selector: str, limit: int = 250) -> None:
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{selector} was not reached with Tab in {limit} presses")


def assert_focus_is_visible(page: Page) -> None:
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                           shadow: s.boxShadow}; }"""
    )
    visible = (style["outline"] != "none" and style["width"] >= 2) or style["shadow"] != "none"
    assert visible, f"no visible focus indicator: {style}"


def test_groups_are_headed_and_landmarked_for_screen_readers(live_server, page) -> None:
    sign_in(page, "rep@atuc.example", live_server.password)
    page.goto(round_url(live_server, "open"))
    assert page.locator("main").count() == 1 and page.locator("nav").count() >= 1
    headings = page.locator("#columns h2, #columns h3").all_inner_texts()
    groups = [h for h in headings if re.search(r"Government|Workers|Employers", h)]
    assert len(groups) >= 3, headings
    for region in ("#new-comments", "#announcer"):
        assert page.locator(region).get_attribute("aria-live") in {"polite", "assertive"}


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("360px", {"width": 360, "height": 740}), ("zoom-200", {"width": 640, "height": 400})],
)
def test_pages_reflow_at_360_pixels_and_at_200_percent(live_server, new_context, name, viewport):
    """A 640-pixel viewport is a 1280-pixel window at 200% zoom: nothing may need scrolling
    sideways (WCAG 1.4.10), and every page is kept as a screenshot."""
    context = new_context(viewport=viewport)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    paths = ["/login"]
    page.goto("/login")
    page.screenshot(path=str(ARTIFACTS / f"reflow-{name}-login.png"), full_page=True)
    sign_in(page, "rep@atuc.example", live_server.password)
    paths = ["/", round_url(live_server, "open"), round_url(live_server, "published") + "/summary"]
    for number, path in enumerate(paths):
        page.goto(path)
        page.screenshot(path=str(ARTIFACTS / f"reflow-{name}-{number}.png"), full_page=True)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {name}"
