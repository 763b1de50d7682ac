"""The workers' caucus in a real browser: two unions talk (a message appears on the other's page
without a reload), endorse the demo's draft statement and publish it, and an employers'
representative finds it on the round page, signed by both, while the caucus itself answers them
"not found". The same caucus without JavaScript (plain forms, Post/Redirect/Get), and axe-core
on the caucus and officers pages."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import round_url, sign_in
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser


def test_two_unions_talk_endorse_and_publish_their_groups_statement(
    live_server, new_context
) -> None:
    url = round_url(live_server, "open")
    atuc = new_context().new_page()
    nudw = new_context().new_page()
    sign_in(atuc, "focal@atuc.example", live_server.password)
    sign_in(nudw, "rep@nudw.example", live_server.password)
    # the way in is on the round page, for the group's own people
    atuc.goto(url)
    atuc.get_by_role("link", name="Workers' caucus").click()
    expect(atuc).to_have_url(re.compile(r"/caucus/workers$"))
    nudw.goto(f"{url}/caucus/workers")
    atuc.evaluate("window.__same_page = true")

    # a message: inline for its author, by polling for the other union
    words = f"Can we agree by Friday? ({uuid.uuid4().hex[:6]})"
    atuc.fill("#caucus-post-body", words)
    atuc.get_by_role("button", name="Send to the caucus").click()
    expect(atuc.locator("#caucus-posts")).to_contain_text(words)
    expect(atuc.locator("#caucus-post-body")).to_have_value("")
    expect(nudw.locator("#caucus-posts")).to_contain_text(words, timeout=12_000)

    # the second union endorses the draft; the first publishes it
    nudw.get_by_role("button", name=re.compile("Endorse on behalf of")).click()
    expect(nudw.locator(".endorsements")).to_contain_text("National Union of Domestic Workers")
    expect(nudw.get_by_role("button", name=re.compile("Withdraw"))).to_be_visible()
    atuc.reload()
    atuc.get_by_role("button", name="Publish to the round").click()
    expect(atuc.locator("#group-statement .statement-published")).to_contain_text(
        "full portability"
    )
    expect(atuc.locator("#statement-form")).to_be_visible()  # a new draft may begin

    # an employers' representative reads it on the round page; the caucus stays closed to them
    employer = new_context().new_page()
    sign_in(employer, "rep@aef.example", live_server.password)
    employer.goto(url)
    statements = employer.locator("#group-statements")
    expect(statements).to_contain_text("Statement of the workers group")
    expect(statements).to_contain_text("Ardenia Trade Union Confederation")
    expect(statements).to_contain_text("National Union of Domestic Workers")
    expect(employer.get_by_role("link", name="Workers' caucus")).to_have_count(0)
    assert words not in employer.content()
    response = employer.goto(f"{url}/caucus/workers")
    assert response is not None and response.status == 404


def test_the_caucus_works_without_javascript(live_server, new_context) -> None:
    url = round_url(live_server, "open")
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, "rep@cawu.example", live_server.password)
    page.goto(f"{url}/caucus/workers")
    page.get_by_role("button", name="Send to the caucus").click()  # empty: refused
    expect(page.locator("#caucus-post-error")).to_contain_text("required")
    words = f"Plain forms for the caucus ({uuid.uuid4().hex[:6]})."
    page.fill("#caucus-post-body", words)
    page.get_by_role("button", name="Send to the caucus").click()
    expect(page).to_have_url(re.compile(r"/caucus/workers#caucus-post-\d+$"))
    expect(page.locator("#caucus-posts")).to_contain_text(words)
    page.get_by_role("button", name="Let the round's moderators read it").click()
    expect(page.locator("#caucus-access")).to_contain_text("invited the round's moderators")
    page.get_by_role("button", name="Stop letting the moderators read it").click()
    expect(page.locator("#caucus-access")).to_contain_text("cannot read this caucus")


def test_caucus_and_officers_pages_have_no_violations(live_server, new_context) -> None:
    url = round_url(live_server, "open")
    member = new_context(bypass_csp=True).new_page()
    sign_in(member, "rep@mwsu.example", live_server.password)
    member.goto(f"{url}/caucus/workers")
    found = axe_violations(member)
    assert not found, "caucus:\n" + "\n".join(found)
    moderator = new_context(bypass_csp=True).new_page()
    sign_in(moderator, "moderator@tripartite.example", live_server.password)
    moderator.goto(f"{url}/officers")
    found = axe_violations(moderator)
    assert not found, "officers:\n" + "\n".join(found)
