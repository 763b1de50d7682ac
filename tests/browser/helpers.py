"""Steps shared by the browser journeys."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from app.accounts.two_factor import DEMO_SECRET, current_code
from app.db import utcnow

#: Cookies of two-factor accounts already signed in during this run, by email: a TOTP code is
#: accepted once, so journeys reuse the sign-in instead of asking for a code every time.
_SIGNED_IN: dict[str, list[Any]] = {}


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the form, with the demo's two-factor code when the account asks for one
    (moderators and administrators)."""
    cookies = _SIGNED_IN.get(email)
    if cookies:
        page.context.add_cookies(cookies)
        page.goto("/")
        if re.search(r"/$", page.url):
            return
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.locator("main form button[type=submit]").click()  # "Sign in", in any language
    page.wait_for_load_state()
    two_factor = "/login/two-factor" in page.url
    for ahead in (0, 1):  # this step's code, or the next one's if this one was used
        if "/login/two-factor" not in page.url:
            break
        page.fill("#f-code", current_code(DEMO_SECRET, utcnow() + timedelta(seconds=30 * ahead)))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/$"))
    if two_factor:
        # the session only: the language and time zone stay each test's own choice
        _SIGNED_IN[email] = [
            c
            for c in page.context.cookies()
            if c["name"] not in ("tripartite_lang", "tripartite_tz")
        ]


def round_url(live_server: Any, status: str) -> str:
    """The path of the demo's round in this status ("open", "published"...)."""
    round_ = next(r for r in live_server.demo["rounds"] if r["status"] == status)
    return str(round_["url"]).removeprefix(live_server.base_url)


def expect_streaming(page: Any) -> None:
    """The round page's live channel is open: an ``sse-connect`` element naming the round's
    stream, whose EventSource (htmx's SSE extension) is open."""
    channel = page.locator("#live-channel[hx-ext='sse'][sse-connect*='/stream?']")
    expect(channel).to_have_count(1)
    page.wait_for_function(
        "() => { const c = document.getElementById('live-channel');"
        " const s = c && htmx.find('#live-channel') && c['htmx-internal-data'];"
        " return !!(s && s.sseEventSource && s.sseEventSource.readyState === 1); }",
        timeout=10_000,
    )


def scroll_to(locator: Locator) -> None:
    """Scroll the element into view for a screenshot. A live update may swap its region between
    finding the element and scrolling (the element is then detached): find it again."""
    for attempt in range(5):
        try:
            locator.scroll_into_view_if_needed(timeout=5_000)
            return
        except PlaywrightError as error:
            if "not attached" not in str(error) or attempt == 4:
                raise
