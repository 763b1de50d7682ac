"""The journeys of issue 6, with JavaScript and without:
(a) an invited person accepts the invitation, sets a password and posts the organisation's
    position;
(c) a moderator hides a flagged comment, closes the round with an outcome, has the three groups
    sign it off, and publishes it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser
MODERATOR = "moderator@tripartite.example"
JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def open_new_round(page: Page, tag: str) -> str:
    """As the signed-in moderator: a consultation and an open round inviting every demo
    organisation; the round's URL."""
    page.goto("/")
    page.get_by_role("link", name="New consultation").click()
    page.fill("#f-title", f"Platform work {tag}")
    page.get_by_role("button", name="Create the consultation").click()
    page.get_by_role("link", name="New round").click()
    page.fill("#f-title", f"Delivery riders' status {tag}")
    page.fill("#f-brief", "Should platform delivery riders be presumed employees?")
    deadline = datetime.now(UTC) + timedelta(days=5)
    page.fill("#f-closes_at", deadline.strftime("%Y-%m-%dT%H:%M"))
    for box in page.locator("input[name=organisations]").all():
        box.check()
    page.get_by_role("button", name="Create the round (as a draft)").click()
    page.get_by_role("button", name="Open now").click()
    expect(page.locator("#round-state")).to_contain_text("open")
    return page.url.split("#")[0]


def ask_for_signoff(moderator: Page) -> list[str]:
    """As the moderator on a closed round's page: ask the groups' proposed spokespersons to
    sign off within two days; their emails."""
    spokespeople = []
    for group in ("government", "workers", "employers"):
        chosen = moderator.locator(f"#spokesperson-{group} option:checked").inner_text()
        # the picker shows each person's name and email: "Name <email> (Organisation)"
        found = re.search(r"<([^>]+)>", chosen)
        assert found is not None, chosen
        spokespeople.append(found.group(1))
    deadline = datetime.now(UTC) + timedelta(days=2)
    moderator.fill("#signoff-deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    moderator.get_by_role("button", name="Ask for sign-off").click()
    return spokespeople


@JS
def test_an_invited_representative_accepts_and_posts_the_position(
    live_server: Any, new_context: Any, javascript: bool
) -> None:
    tag = uuid.uuid4().hex[:6]
    moderator = new_context(java_script_enabled=javascript).new_page()
    sign_in(moderator, MODERATOR, live_server.password)
    round_url = open_new_round(moderator, tag)

    focal = new_context(java_script_enabled=javascript).new_page()
    sign_in(focal, "focal@cawu.example", live_server.password)
    focal.get_by_role("region", name="Who you are").get_by_role("link").first.click()
    focal.fill("#f-name", f"Rosa Delgado {tag}")
    focal.fill("#f-email", f"rosa.{tag}@cawu.example")
    focal.get_by_role("button", name="Create the invitation").click()
    link = focal.locator("input.copy")
    expect(link).to_have_value(re.compile(r"/invitations/"))
    url = link.input_value()

    invited = new_context(java_script_enabled=javascript).new_page()
    invited.goto(url)
    invited.fill("#f-name", f"Rosa Delgado {tag}")
    invited.fill("#f-password", "a long passphrase for the union")
    invited.get_by_role("button", name="Accept and sign in").click()
    expect(invited).to_have_url(live_server.base_url + "/")
    invited.goto(round_url)
    statement = f"Riders are workers and must be covered ({tag})."
    invited.get_by_label("Support", exact=True).check()
    invited.fill("#statement", statement)
    invited.get_by_role("button", name="Post the position").click()
    expect(invited.locator("#columns")).to_contain_text(statement)
    expect(invited.locator("#columns")).to_contain_text(f"Rosa Delgado {tag}")


@JS
def test_a_moderator_hides_closes_has_it_signed_off_and_publishes(
    live_server: Any, new_context: Any, javascript: bool
) -> None:
    tag = uuid.uuid4().hex[:6]
    context = {"java_script_enabled": javascript}
    moderator = new_context(**context).new_page()
    sign_in(moderator, MODERATOR, live_server.password)
    round_url = open_new_round(moderator, tag)

    employers = new_context(**context).new_page()
    sign_in(employers, "rep@ccia.example", live_server.password)
    employers.goto(round_url)
    employers.fill("#comment-form-body", f"Riders just want flexibility ({tag}).")
    employers.get_by_role("button", name="Post the comment").click()
    expect(employers.locator("main")).to_contain_text(f"want flexibility ({tag})")

    union = new_context(**context).new_page()
    sign_in(union, "rep@mwsu.example", live_server.password)
    union.goto(round_url)
    comment = union.locator("article.comment", has_text=f"want flexibility ({tag})")
    comment.get_by_role("link", name="Flag").click()
    union.locator("input[name=reason]").fill("Dismisses the riders' case")
    union.get_by_role("button", name="Flag for review").click()
    if javascript:  # the flag is taken in place
        expect(union.locator("main")).to_contain_text("the moderators will review")
    else:  # the flag page posts and returns to the round
        expect(union).to_have_url(re.compile(r"/rounds/\d+(#.*)?$"))

    moderator.goto("/moderation")
    item = moderator.locator("li", has_text=f"want flexibility ({tag})")
    expect(item).to_contain_text("Dismisses the riders' case")
    item.locator("summary", has_text="Moderate").click()
    item.locator("select[name=reason_code]").select_option("off_topic")
    item.get_by_role("button", name="Hide").click()
    moderator.goto(round_url)
    expect(
        moderator.locator("article.comment", has_text=f"want flexibility ({tag})")
    ).to_contain_text("Hidden")

    moderator.get_by_role("link", name="Close early with an outcome").click()
    moderator.fill("#f-outcome", f"Riders are presumed employees, agreed in principle ({tag}).")
    moderator.get_by_role("button", name="Close the round now").click()
    expect(moderator.locator("#outcome")).to_contain_text(tag)

    spokespeople = ask_for_signoff(moderator)
    for email in spokespeople:
        voice = new_context(**context).new_page()
        sign_in(voice, email, live_server.password)
        voice.goto(round_url)
        voice.get_by_role("button", name=re.compile(r"^Confirm for the")).click()
        expect(voice.locator(".your-signoff")).to_contain_text("Your group has confirmed")

    moderator.goto(round_url)
    moderator.get_by_role("link", name="Publish").click()
    moderator.get_by_role("button", name="Publish").click()
    expect(moderator.locator("#round-state")).to_contain_text("published")
    union.goto(round_url)
    expect(union.locator("#outcome")).to_contain_text(f"agreed in principle ({tag})")
    expect(union.locator("#outcome")).to_contain_text("confirmed by")
