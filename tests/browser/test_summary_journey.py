"""An agency's observer reads a published round's summary and takes the PDF and the CSV away:
the files open and hold the figures the page shows (with JavaScript and without)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_observer_downloads_the_summary_as_pdf_and_csv(live_server, new_context, javascript):
    published = next(r for r in live_server.demo["rounds"] if r["status"] == "published")
    page = new_context(java_script_enabled=javascript, accept_downloads=True).new_page()
    sign_in(page, "observer@agency.example", live_server.password)
    page.goto(published["url"])
    page.get_by_role("link", name="Summary and downloads").click()
    expect(page.locator("h1")).to_contain_text(published["title"])
    expect(page.get_by_role("img", name=re.compile("Stances by group"))).to_be_visible()
    support_shown = page.locator('td[data-tally="support"]').inner_text()
    responded = {
        group: int(page.locator(f'td[data-responded="{group}"]').inner_text().split()[0])
        for group in ("government", "workers", "employers")
    }
    fingerprint = page.locator(".fingerprint").inner_text()

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="PDF").click()
    pdf = PdfReader(pdf_download.value.path())
    pdf_text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert published["title"] in pdf_text
    assert support_shown in pdf_text and fingerprint in pdf_text.replace(" ", "")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV").click()
    assert csv_download.value.suggested_filename.endswith(".csv")
    with open(csv_download.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    positions = [r for r in rows if r["kind"] == "position"]
    for group, count in responded.items():
        assert sum(1 for r in positions if r["group"] == group) == count
    assert any(r["kind"] == "comment" for r in rows)
