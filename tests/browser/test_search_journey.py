"""A representative searches from the header box, narrows the results as they type (the
address follows, so it can be shared), opens a result at its exact place, and saves the search
to be told of new results. At 1280x900 and at 375 px; screenshots in ``test-artifacts/``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("size", list(SIZES))
def test_search_from_the_header_narrow_as_one_types_open_and_save(
    live_server, new_context, size
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_context(viewport=SIZES[size], bypass_csp=True).new_page()  # to inject axe-core
    sign_in(page, "rep@atuc.example", live_server.password)
    page.goto("/")
    box = page.locator("#site-search-q")
    box.fill("migrant")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=migrant"))
    results = page.locator("#search-results li.search-result")
    expect(results.first).to_be_visible()
    expect(page.locator(".search-found")).to_contain_text(re.compile(r"Found \d+ results?"))
    expect(page.locator("#search-results mark").first).to_be_visible()
    found = axe_violations(page)
    assert not found, "search page:\n" + "\n".join(found)
    # nothing runs off the side of the screen, at 375 px too
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / f"search-{size}.png"), full_page=True)

    # typing more narrows the results in place, and the address follows
    field = page.locator("#search-q")
    field.fill("migrant workers portability")
    expect(page).to_have_url(re.compile(r"/search\?q=migrant\+workers\+portability$"))
    expect(page.locator(".search-found")).to_contain_text(re.compile(r"Found \d+ results?"))
    narrowed = results.count()
    assert narrowed >= 1
    page.screenshot(path=str(ARTIFACTS / f"search-{size}-narrowed.png"), full_page=True)

    # a filter narrows them in place too, and the address follows
    page.locator("#search-kind").select_option(label="Rounds")
    expect(page).to_have_url(
        re.compile(r"/search\?(?=.*\bq=migrant\+workers\+portability(&|$))(?=.*\bkind=round\b)")
    )
    expect(page.locator("#search-results h3.search-kind")).to_have_text(["Rounds"])
    narrowed = results.count()
    assert narrowed >= 1

    # a result opens at its exact place, even just after typing (leaving the box asks nothing
    # again: a second answer's new address would cancel the click's page)
    field.fill("migrant workers portability social")
    expect(page).to_have_url(
        re.compile(
            r"/search\?(?=.*\bq=migrant\+workers\+portability\+social(&|$))(?=.*\bkind=round)"
        )
    )
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.locator("h1").click()  # leaving the box
    page.wait_for_timeout(600)
    assert not [url for url in asked if "/search?" in url], asked
    link = results.first.locator("a.search-title")
    href = link.get_attribute("href") or ""
    link.click()
    expect(page).to_have_url(re.compile(re.escape(href.split("#")[0])))
    if "#" in href:
        where = f"{href} (the first of {narrowed} results) has its place on the page"
        expect(page.locator("#" + href.split("#")[1]), where).to_be_attached()

    # back, and save it
    page.go_back()
    page.locator("a.search-save").click()
    expect(page).to_have_url(re.compile(r"/search/saved\?"))
    page.get_by_label(re.compile("Name", re.I)).first.fill(f"Portability ({size})")
    page.locator("form[action$='/search/saved'] button[type=submit]").first.click()
    expect(page.locator("#flash")).to_contain_text(re.compile("saved", re.I))
    expect(page.locator("main")).to_contain_text(f"Portability ({size})")
    found = axe_violations(page)
    assert not found, "saved searches page:\n" + "\n".join(found)
    page.screenshot(path=str(ARTIFACTS / f"search-{size}-saved.png"), full_page=True)

    # and delete it: the list is as it was (the other screen size saves the same search)
    delete = page.get_by_role("button", name=re.compile(rf"Delete .Portability \({size}\)."))
    delete.click()
    expect(page.locator("#flash")).to_contain_text(re.compile("deleted", re.I))
    expect(delete).to_have_count(0)
