"""A draft text in a real browser. The issue's journey: a workers' representative proposes an
amendment to paragraph 3, an employers' representative (another browser) supports it, and the
tally on paragraph 3 updates live on the workers' representative's page, without a reload.
Then the same without JavaScript (plain forms, Post/Redirect/Get), and a moderator publishing a
revised draft as the next round."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import round_url, sign_in

pytestmark = pytest.mark.browser


def test_an_amendment_to_paragraph_3_is_supported_and_the_tally_updates_live(
    live_server, new_context
) -> None:
    url = round_url(live_server, "open")
    workers = new_context().new_page()
    employers = new_context().new_page()
    sign_in(workers, "rep@atuc.example", live_server.password)
    sign_in(employers, "rep@aef.example", live_server.password)
    workers.goto(url)
    employers.goto(url)
    workers.evaluate("window.__same_page = true")  # a full reload would lose this marker

    # the workers' representative proposes an amendment to paragraph 3
    paragraph = workers.locator("#paragraph-3")
    expect(paragraph.locator(".paragraph-text")).to_contain_text("Pensions are paid in full")
    paragraph.get_by_text("Propose an amendment to paragraph 3").click()
    marker = uuid.uuid4().hex[:6]
    amended = f"Pensions are paid in full, within 60 days ({marker}), to beneficiaries who return."
    paragraph.get_by_label("Proposed text of paragraph 3").fill(amended)
    paragraph.get_by_label("Why (optional)").fill("Late payment is what returning workers fear.")
    paragraph.get_by_role("button", name="Propose the amendment").click()
    amendment = workers.locator("#paragraph-3-live article.amendment", has_text=marker)
    expect(amendment).to_be_visible()
    expect(amendment.locator("ins").first).to_contain_text("60 days")  # shown as a diff
    tally = amendment.locator(".amendment-support")
    # one union of four: a quarter of the workers' third
    expect(tally).to_contain_text("Supported by 8.3% of the weight")

    # the employers' representative sees it arrive, and supports it
    theirs = employers.locator("#paragraph-3-live article.amendment", has_text=marker)
    expect(theirs).to_be_visible(timeout=10_000)
    theirs.get_by_role("button", name=re.compile(r"^Support amendment 3\.\d+$")).click()
    expect(theirs).to_contain_text("Your organisation supports this amendment.")

    # the tally on paragraph 3 updates on the workers' page, without a reload
    expect(tally).to_contain_text("Supported by 19.4% of the weight", timeout=10_000)
    expect(amendment.locator(".amendment-tally")).to_contain_text("Ardenia Employers' Federation")
    voices = workers.locator("#paragraph-3-live .voices")
    expect(voices).to_contain_text("Ardenia Employers' Federation")
    assert workers.evaluate("window.__same_page === true"), "the page was reloaded"
    # and the change is read out to screen-reader users
    expect(workers.locator("#announcer")).to_contain_text("19.4%", timeout=10_000)


def test_amendments_support_and_paragraph_comments_without_javascript(
    live_server, new_context
) -> None:
    url = round_url(live_server, "open")
    chamber = new_context(java_script_enabled=False).new_page()
    sign_in(chamber, "rep@ccia.example", live_server.password)
    chamber.goto(url)
    paragraph = chamber.locator("#paragraph-2")
    paragraph.get_by_text("Propose an amendment to paragraph 2").click()  # <details>, no script
    field = paragraph.get_by_label("Proposed text of paragraph 2")
    field.fill("")
    paragraph.get_by_role("button", name="Propose the amendment").click()
    # refused, the form filled in and open, the error next to the field
    error = chamber.locator("#paragraph-2 .amendment-form .error")
    expect(error).to_contain_text("The amended text is required.")
    expect(chamber.locator("#paragraph-2 details[open] textarea[name=text]")).to_have_attribute(
        "aria-invalid", "true"
    )
    marker = uuid.uuid4().hex[:6]
    chamber.locator("#paragraph-2 textarea[name=text]").fill(
        f"Periods of insurance in either country are added together ({marker})."
    )
    chamber.locator("#paragraph-2").get_by_role("button", name="Propose the amendment").click()
    expect(chamber).to_have_url(re.compile(r"/rounds/\d+#paragraph-2$"))
    amendment = chamber.locator("#paragraph-2-live article.amendment", has_text=marker)
    expect(amendment).to_contain_text("Your organisation proposed this amendment")

    union = new_context(java_script_enabled=False).new_page()
    sign_in(union, "rep@mwsu.example", live_server.password)
    union.goto(url)
    theirs = union.locator("#paragraph-2-live article.amendment", has_text=marker)
    theirs.get_by_role("button", name=re.compile(r"^Support amendment 2\.\d+$")).click()
    expect(union).to_have_url(re.compile(r"#paragraph-2$"))
    theirs = union.locator("#paragraph-2-live article.amendment", has_text=marker)
    expect(theirs).to_contain_text("Your organisation supports this amendment.")
    expect(theirs.locator(".amendment-tally")).to_contain_text("Migrant Workers' Solidarity Union")

    # a comment on paragraph 2, under the paragraph
    union.locator("#paragraph-2").get_by_text("Comment on paragraph 2", exact=True).click()
    comment = f"Seasonal periods must count too ({marker})."
    union.get_by_label("Your comment on paragraph 2").fill(comment)
    union.locator("#paragraph-2").get_by_role("button", name="Post the comment").click()
    expect(union.locator("#paragraph-2 .paragraph-threads")).to_contain_text(comment)
    expect(union.locator("#threads")).not_to_contain_text(comment)


def test_a_moderator_publishes_a_revised_draft_as_the_next_round(live_server, new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, "moderator@tripartite.example", live_server.password)
    page.goto(round_url(live_server, "published"))
    page.get_by_role("link", name="Revise the draft text for the next round").click()
    expect(page.locator("h1")).to_contain_text("Publish a revised draft as round")
    boxes = page.locator("textarea[name=paragraphs]")
    first = boxes.nth(0).input_value()
    assert first.startswith("Should the policy")  # the brief, split into paragraphs
    marker = uuid.uuid4().hex[:6]
    boxes.nth(0).fill(f"{first} Small agencies are covered too ({marker}).")
    boxes.last.fill("Small agencies get twelve months to comply.")
    page.get_by_role("button", name="Publish the revised draft as the next round").last.click()
    expect(page).to_have_url(re.compile(r"/rounds/\d+#draft$"))
    expect(page.locator("#round-state")).to_contain_text("draft")
    changes = page.locator("#draft-changes")
    expect(changes).to_contain_text("Paragraph 1: changed")
    expect(changes.locator("ins").first).to_contain_text(marker)
    expect(changes).to_contain_text("Paragraph 2: added")
    changes.get_by_role("link", name=re.compile("Fair recruitment")).click()
    expect(page.locator(".next-round")).to_contain_text("The revised draft is round")
