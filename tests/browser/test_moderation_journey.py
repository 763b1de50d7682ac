"""Moderation in a real browser: a moderator sets up a round, hides a flagged comment and
closes the round with an outcome; a representative's open page shows both without reload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


def test_moderator_hides_a_flagged_comment_and_closes_with_an_outcome(live_server, new_context):
    tag = uuid.uuid4().hex[:6]
    moderator = new_context().new_page()
    sign_in(moderator, "moderator@tripartite.example", live_server.password)
    moderator.get_by_role("link", name="New consultation").click()
    moderator.fill("#f-title", f"Occupational safety {tag}")
    moderator.get_by_role("button", name="Create the consultation").click()
    moderator.get_by_role("link", name="New round").click()
    moderator.fill("#f-title", f"Heat stress {tag}")
    moderator.fill("#f-brief", "Should work stop above **35 °C**?")
    deadline = datetime.now(UTC) + timedelta(days=5)
    moderator.fill("#f-closes_at", deadline.strftime("%Y-%m-%dT%H:%M"))
    for box in moderator.locator("input[name=organisations]").all():
        box.check()
    moderator.get_by_role("button", name="Create the round (as a draft)").click()
    moderator.get_by_role("button", name="Open now").click()
    expect(moderator.locator("#round-state")).to_contain_text("open")
    round_url = moderator.url

    employers = new_context().new_page()
    sign_in(employers, "rep@aef.example", live_server.password)
    employers.goto(round_url)
    employers.fill("#comment-form-body", f"Workers exaggerate the heat ({tag}).")
    employers.get_by_role("button", name="Post the comment").click()
    expect(employers.locator("#new-comments")).to_contain_text(tag)

    union = new_context().new_page()
    sign_in(union, "rep@atuc.example", live_server.password)
    union.goto(round_url)
    comment = union.locator("article.comment", has_text=f"exaggerate the heat ({tag})")
    comment.get_by_role("link", name="Flag").click()
    comment.locator("input[name=reason]").fill("Dismissive of workers' health")
    comment.get_by_role("button", name="Flag for review").click()
    expect(comment).to_contain_text("the moderators will review")

    moderator.goto("/moderation")
    item = moderator.locator("li", has_text=f"exaggerate the heat ({tag})")
    expect(item).to_contain_text("Dismissive of workers' health")
    item.locator("summary", has_text="Moderate").click()
    item.locator("select[name=reason_code]").select_option("personal_attack")
    item.get_by_role("button", name="Hide").click()

    # the union's page, never reloaded, shows the hidden comment
    expect(union.locator("article.comment", has_text="Hidden by a moderator")).to_contain_text(
        "Personal attack or harassment", timeout=10_000
    )
    union.evaluate("window.__same_page = true")

    moderator.goto(round_url)
    moderator.get_by_role("link", name="Close early with an outcome").click()
    moderator.fill("#f-outcome", f"Work stops above 35 °C, agreed by all three groups ({tag}).")
    moderator.get_by_role("button", name="Close the round now").click()
    expect(moderator.locator("#outcome")).to_contain_text(tag)

    expect(union.locator("#outcome")).to_contain_text(
        f"agreed by all three groups ({tag})", timeout=10_000
    )
    expect(union.locator("#round-state")).to_contain_text("closed")
    assert union.evaluate("window.__same_page === true"), "the page was reloaded"
