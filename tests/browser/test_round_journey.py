"""A round in a real browser: sign in, post a position inline, reply to a comment, and see a
second representative's new comment appear live without reloading; and the same posting with
JavaScript disabled (plain forms, Post/Redirect/Get)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import expect_streaming, round_url, sign_in

pytestmark = pytest.mark.browser


def test_post_reply_and_see_another_groups_comment_live(live_server, new_context) -> None:
    url = round_url(live_server, "open")
    union = new_context().new_page()
    ministry = new_context().new_page()
    sign_in(union, "rep@nudw.example", live_server.password)
    sign_in(ministry, "rep@interior.example", live_server.password)
    polls: list[str] = []
    union.on("request", lambda r: polls.append(r.url) if "/live?" in r.url else None)
    union.goto(url)
    ministry.goto(url)
    union.evaluate("window.__same_page = true")  # a full reload would lose this marker
    # the live channel is a stream of server-sent events through htmx's extension
    expect_streaming(union)
    expect_streaming(ministry)

    # post the organisation's position inline
    statement = f"Domestic workers need pension portability too ({uuid.uuid4().hex[:6]})."
    union.get_by_label("Support with reservations").check()
    union.fill("#statement", statement)
    union.get_by_role("button", name="Post the position").click()
    card = union.locator("#columns article", has_text="National Union of Domestic Workers")
    expect(card).to_contain_text(statement)
    expect(card).to_contain_text("Support with reservations")
    expect(union.locator("#your-position")).to_contain_text("saved")

    # reply to the first comment inline
    first = union.locator("#threads article.comment").first
    first.get_by_role("link", name="Reply").first.click()
    reply = f"Seasonal domestic workers need it most ({uuid.uuid4().hex[:6]})."
    first.locator("textarea").first.fill(reply)
    first.get_by_role("button", name="Post the reply").click()
    expect(first.locator(".replies").first).to_contain_text(reply)

    # the ministry's new comment appears on the union's page without a reload
    live = f"The Ministry will publish the draft agreements ({uuid.uuid4().hex[:6]})."
    ministry.fill("#comment-form-body", live)
    ministry.get_by_role("button", name="Post the comment").click()
    expect(ministry.locator("#new-comments")).to_contain_text(live)
    expect(union.locator("#new-comments")).to_contain_text(live, timeout=10_000)
    # and the union's position reached the ministry's columns live as well
    expect(ministry.locator("#columns")).to_contain_text(statement, timeout=10_000)
    assert union.evaluate("window.__same_page === true"), "the page was reloaded"
    union.wait_for_timeout(4_500)  # longer than the poll's 4 s
    # the version poll held back while the stream was open (it polled every 4 s before)
    assert polls == [], polls


def test_posting_works_without_javascript(live_server, new_context) -> None:
    url = round_url(live_server, "open")
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, "rep@aap.example", live_server.password)
    page.goto(url)
    statement = f"Farms need a transition period ({uuid.uuid4().hex[:6]})."
    page.get_by_label("Oppose").check()
    page.get_by_role("button", name="Post the position").click()  # no statement: refused
    expect(page.locator("#statement-error")).to_contain_text("A statement is required")
    page.get_by_label("Oppose").check()
    page.fill("#statement", statement)
    page.get_by_role("button", name="Post the position").click()
    expect(page).to_have_url(re.compile(r"/rounds/\d+"))
    expect(page.locator("#columns")).to_contain_text(statement)
    comment = f"Plain forms work too ({uuid.uuid4().hex[:6]})."
    page.fill("#comment-form-body", comment)
    page.get_by_role("button", name="Post the comment").click()
    expect(page.locator("#threads")).to_contain_text(comment)
    page.locator("#threads article.comment").first.get_by_role("link", name="Reply").first.click()
    expect(page).to_have_url(re.compile(r"/reply$"))
    page.locator("textarea").fill("A reply without JavaScript.")
    page.get_by_role("button", name="Post the reply").click()
    expect(page.locator("#threads")).to_contain_text("A reply without JavaScript.")


def test_a_comment_reaches_an_open_page_over_the_stream_on_postgresql(
    postgres_live_server, new_context
) -> None:
    """The live journey over PostgreSQL: the stream is fed by LISTEN/NOTIFY."""
    server = postgres_live_server
    url = round_url(server, "open")
    union = new_context(base_url=server.base_url).new_page()
    ministry = new_context(base_url=server.base_url).new_page()
    sign_in(union, "rep@nudw.example", server.password)
    sign_in(ministry, "rep@interior.example", server.password)
    polls: list[str] = []
    union.on("request", lambda r: polls.append(r.url) if "/live?" in r.url else None)
    union.goto(url)
    ministry.goto(url)
    expect_streaming(union)
    live = f"Over PostgreSQL's notifications ({uuid.uuid4().hex[:6]})."
    ministry.fill("#comment-form-body", live)
    ministry.get_by_role("button", name="Post the comment").click()
    expect(union.locator("#new-comments")).to_contain_text(live, timeout=10_000)
    union.wait_for_timeout(4_500)
    assert polls == [], polls
