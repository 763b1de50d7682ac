"""Every action answers, in a real browser with JavaScript: a representative posts a comment and
reads its confirmation, the thread count following it; a moderator's refused hiding comes back
on its form with the error beside the field, then the comment is hidden, confirmed in the status
region, and marked hidden. Each step is kept as a screenshot in ``test-artifacts/``."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import round_url, scroll_to, sign_in

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"answers-{name}.png"), full_page=False)


def threads(page: Page) -> int:
    text = page.locator("#thread-count").inner_text()
    found = re.search(r"\d+", text)
    return int(found.group(0)) if found else 0


def test_a_moderator_hides_a_comment_and_reads_what_happened(live_server, new_context):
    tag = uuid.uuid4().hex[:6]
    url = round_url(live_server, "open")

    rep = new_context().new_page()
    sign_in(rep, "rep@nudw.example", live_server.password)
    rep.goto(url)
    before = threads(rep)
    rep.fill("#comment-form-body", f"An aside that wanders off ({tag}).")
    rep.get_by_role("button", name="Post the comment").click()
    expect(rep.locator("#flash")).to_have_text("Your comment is posted.")
    expect(rep.locator("#new-comments")).to_contain_text(tag)
    expect(rep.locator("#thread-count")).to_have_text(f"{before + 1} threads.")
    scroll_to(rep.locator("#new-comments article.comment", has_text=tag))
    shot(rep, "1-comment-posted")

    moderator = new_context().new_page()
    sign_in(moderator, "moderator@tripartite.example", live_server.password)
    moderator.goto(url)
    comment = moderator.locator("article.comment", has_text=f"wanders off ({tag})")
    comment.locator("summary", has_text="Moderate").click()
    comment.locator("select[name=reason_code]").select_option("other")
    comment.get_by_role("button", name="Hide").click()

    # refused: the same form, filled in, the error beside the field; a way back to the round
    expect(moderator.locator("h1")).to_have_text("Moderate a comment")
    note = moderator.locator("input[name=note]")
    expect(note).to_have_attribute("aria-invalid", "true")
    error = moderator.locator("#" + str(note.get_attribute("aria-describedby")))
    expect(error).to_contain_text("Give a reason")
    expect(moderator.locator("select[name=reason_code]")).to_have_value("other")
    shot(moderator, "2-hiding-refused")

    note.fill("Not about the brief")
    moderator.get_by_role("button", name="Hide").click()
    expect(moderator.locator("#flash")).to_have_text(
        "Comment hidden (reason: Other: Not about the brief). "
        "Its author and moderators still see it."
    )
    hidden = moderator.locator(f"article.comment.is-hidden:has-text('{tag}')")
    expect(hidden.locator(".state-label").first).to_have_text(
        "Hidden by a moderator — Other: Not about the brief"
    )
    expect(hidden).to_contain_text(f"wanders off ({tag})")  # the moderator still reads it
    moderator.evaluate("window.scrollTo(0, 0)")
    shot(moderator, "3-hidden-confirmed")
    scroll_to(hidden)
    shot(moderator, "4-hidden-marked")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_an_amendment_proposed_is_confirmed_and_its_form_folds_away(
    live_server, new_context, javascript
):
    url = round_url(live_server, "open")
    page = new_context(java_script_enabled=javascript).new_page()
    sign_in(page, "rep@mwsu.example" if javascript else "rep@cawu.example", live_server.password)
    page.goto(url)
    paragraph = page.locator("#paragraph-2")
    paragraph.get_by_text("Propose an amendment to paragraph 2").click()
    marker = uuid.uuid4().hex[:6]
    paragraph.get_by_label("Proposed text of paragraph 2").fill(f"A better paragraph ({marker}).")
    paragraph.get_by_role("button", name="Propose the amendment").click()
    amendment = page.locator("#paragraph-2-live article.amendment", has_text=marker)
    expect(amendment).to_be_visible()
    label = amendment.locator("h5").inner_text().split()[1]  # "Amendment 2.3 proposed by …"
    expect(page.locator("#flash")).to_have_text(f"Amendment {label} proposed.")
    # the form is folded away, ready for another amendment (not left open with the old text)
    expect(page.locator("#paragraph-2 details.draft-action").first).not_to_have_attribute(
        "open", ""
    )
    scroll_to(amendment)
    shot(page, f"5-amendment-proposed-{'js' if javascript else 'no-js'}")
