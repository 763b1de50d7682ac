"""Accounts in a real browser: an administrator registers an organisation, its first focal
point accepts the invitation (with and without JavaScript), signs out and signs back in."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser

ADMIN = "admin@tripartite.example"


def register_organisation(page: Page, name: str, person: str, email: str) -> str:
    """As a signed-in administrator: register an employers' organisation; the invitation URL."""
    page.goto("/admin/organisations")
    page.fill("#f-name", name)
    page.select_option("#f-group", "employers")
    page.fill("#f-country", "Ghana")
    page.fill("#f-focal_point_name", person)
    page.fill("#f-focal_point_email", email)
    page.get_by_role("button", name="Register and create the invitation").click()
    link = page.locator("input.copy")
    expect(link).to_have_value(re.compile(r"/invitations/"))
    expect(page.get_by_role("table")).to_contain_text(name)
    return link.input_value()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_registered_organisation_focal_point_accepts_and_signs_in_again(
    new_context: Any, live_server: Any, javascript: bool
) -> None:
    suffix = uuid.uuid4().hex[:8]
    organisation = f"Federation of Employers {suffix}"
    person = f"Ama Mensah {suffix}"
    email = f"ama.{suffix}@employers.example"
    new_password = "a long passphrase of several words"

    admin = new_context(java_script_enabled=javascript).new_page()
    sign_in(admin, ADMIN, live_server.password)
    url = register_organisation(admin, organisation, person, email)
    assert url.startswith(live_server.base_url + "/invitations/"), url

    invited = new_context(java_script_enabled=javascript).new_page()
    invited.goto(url)
    expect(invited.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    expect(invited.locator("main")).to_contain_text(organisation)
    expect(invited.locator("main")).to_contain_text(email)
    invited.fill("#f-name", person)
    invited.fill("#f-password", new_password)
    invited.get_by_role("button", name="Accept and sign in").click()

    expect(invited).to_have_url(live_server.base_url + "/")
    identity = invited.get_by_role("region", name="Who you are")
    expect(identity).to_contain_text(person)
    expect(identity).to_contain_text(email)
    expect(identity).to_contain_text(organisation)
    expect(identity).to_contain_text("Employers")

    invited.get_by_role("button", name="Sign out").click()
    expect(invited).to_have_url(re.compile(r"/login$"))
    invited.goto("/")
    expect(invited).to_have_url(re.compile(r"/login\?next="))

    sign_in(invited, email, new_password)
    expect(invited.get_by_role("heading", name=f"Welcome, {person}")).to_be_visible()
    expect(invited.get_by_role("region", name="Who you are")).to_contain_text(organisation)

    # the link worked once: opening it again no longer offers the form
    invited.goto(url)
    expect(invited.get_by_role("button", name="Accept and sign in")).to_have_count(0)


def test_wrong_password_is_refused_and_keeps_the_email(page: Page, live_server: Any) -> None:
    email = live_server.account("observer")["email"]
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", "not the password at all")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("main")).to_contain_text("The email or password is not right.")
    expect(page.locator("#f-email")).to_have_value(email)
    expect(page.locator("#f-password")).to_have_value("")
    expect(page).to_have_url(re.compile(r"/login$"))
