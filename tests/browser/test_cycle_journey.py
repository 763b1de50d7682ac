"""The Convention 144 cycle in a real browser: a moderator creates a consultation for a country
and a round on a subject of Article 5(1) (choosing it fills the brief, with htmx or without
JavaScript), then reads the country's year and its annual report; the pages pass axe-core."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

DENUNCIATION = "Proposal to denounce a ratified Convention (C144, Article 5(1)(e))"


def test_a_round_on_a_subject_then_the_countrys_year_and_report(live_server, new_context):
    tag = uuid.uuid4().hex[:6]
    country = f"Syldavia {tag}"
    moderator = new_context(bypass_csp=True).new_page()  # to inject axe-core
    sign_in(moderator, "moderator@tripartite.example", live_server.password)
    moderator.goto("/moderation")
    moderator.get_by_role("link", name="New consultation").click()
    moderator.fill("#f-title", f"Review of ILO standards {tag}")
    moderator.fill("#f-country", country)
    moderator.get_by_role("button", name="Create the consultation").click()
    moderator.get_by_role("link", name="New round").click()
    moderator.fill("#f-title", f"Denouncing Convention No. 96 {tag}")
    # choosing the subject fetches its suggested brief into the empty textarea (htmx)
    moderator.select_option("#f-kind", label=DENUNCIATION)
    expect(moderator.locator("#f-brief")).to_have_value(re.compile(r"the proposal to denounce"))
    expect(moderator.locator("#announcer")).to_contain_text("now holds the suggested brief")
    # the moderator completes it; choosing again never replaces what was written
    moderator.fill("#f-brief", f"Denounce Convention No. 96 ({tag})?")
    moderator.select_option("#f-kind", index=0)
    moderator.select_option("#f-kind", label=DENUNCIATION)
    expect(moderator.locator("#f-brief-note")).to_contain_text("not empty")
    expect(moderator.locator("#f-brief")).to_have_value(f"Denounce Convention No. 96 ({tag})?")
    deadline = datetime.now(UTC) + timedelta(days=10)
    moderator.fill("#f-closes_at", deadline.strftime("%Y-%m-%dT%H:%M"))
    for box in moderator.locator("input[name=organisations]").all():
        box.check()
    moderator.get_by_role("button", name="Create the round (as a draft)").click()
    expect(moderator.locator(".round-subject")).to_contain_text(
        "Proposal to denounce a ratified Convention"
    )
    moderator.get_by_role("button", name="Open now").click()
    expect(moderator.locator("#round-state")).to_contain_text("open")

    # the header leads to the cycle; the country's year lists the round
    moderator.get_by_role("link", name="C144 cycle").click()
    moderator.get_by_role("link", name=country, exact=True).click()
    year = datetime.now(UTC).year
    expect(moderator).to_have_url(re.compile(re.escape(f"/cycle/{quote(country)}/{year}")))
    expect(moderator.locator("main h1")).to_contain_text(f"{country}: consultations in {year}")
    expect(moderator.locator("main table").first).to_contain_text("Denouncing Convention No. 96")
    assert not axe_violations(moderator)
    moderator.get_by_role("link", name="Read the report").click()
    expect(moderator.locator("main h1")).to_contain_text("Annual report on the working")
    expect(moderator.locator(".report-round")).to_contain_text("has not closed yet")
    assert not axe_violations(moderator)
    moderator.goto("/cycle")
    assert not axe_violations(moderator)


def test_the_template_without_javascript(live_server, new_context):
    consultation = next(r for r in live_server.demo["rounds"] if r["status"] == "open")
    moderator = new_context(java_script_enabled=False).new_page()
    sign_in(moderator, "moderator@tripartite.example", live_server.password)
    moderator.goto(consultation["url"].removeprefix(live_server.base_url))
    moderator.locator(".breadcrumb a").first.click()
    moderator.get_by_role("link", name="New round").click()
    moderator.fill("#f-title", "Reports due this year")
    moderator.select_option("#f-kind", value="article_22_reports")
    moderator.get_by_role("button", name="Use the template").click()
    expect(moderator.locator("#f-brief")).to_have_value(re.compile(r"article 22 of the ILO"))
    expect(moderator.locator("#f-title")).to_have_value("Reports due this year")
    expect(moderator.locator("#f-kind")).to_have_value("article_22_reports")
