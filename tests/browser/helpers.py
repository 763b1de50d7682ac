"""Steps shared by the browser journeys."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from app.accounts.two_factor import DEMO_SECRET, current_code
from app.db import utcnow


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the form, with the demo's two-factor code when the account asks for one
    (moderators and administrators). Each code is accepted once: a second sign-in within the
    same 30 seconds uses the next step's code, which the server also accepts."""
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    for ahead in (0, 1):
        if "/login/two-factor" not in page.url:
            break
        page.fill("#f-code", current_code(DEMO_SECRET, utcnow() + timedelta(seconds=30 * ahead)))
        page.locator("main").get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/$"))
