"""A round's documents in a real browser, through the pages alone. A moderator sets up a draft
round, imports its draft text from a Word file (the preview shows the numbered paragraphs with
their labels), saves it and opens the round. A union attaches a position paper that an
employers' federation downloads, byte for byte. A union adds a file to the workers' caucus: an
employers' representative who asks for its address is told there is no such file, and their
documents page does not name it. The draft preview and the documents page are kept as
screenshots in ``test-artifacts/``."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in
from tests.word_files import docx_with, numbered_docx

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"documents-{name}.png"), full_page=full_page)


#: The organisations the journey's round invites (all three groups, so that it opens).
INVITED = (
    "Ministry of Labour and Social Protection",
    "Ardenia Trade Union Confederation",
    "Ardenia Employers' Federation",
)


def a_draft_round(page: Page, tag: str) -> str:
    """A new consultation's first round, left as a draft, inviting one organisation of each
    group: the ones this journey signs in for (others, such as the ministry that owes the demo
    round its position in tests/browser/test_home_journey.py, keep their home page as it is)."""
    page.get_by_role("link", name="New consultation").click()
    page.get_by_label("Title").fill(f"Pension portability {tag}")
    page.get_by_role("button", name="Create the consultation").click()
    page.get_by_role("link", name="New round").click()
    page.fill("#f-title", f"Convention on pensions {tag}")
    page.fill("#f-brief", "Comment on the draft Convention, article by article.")
    deadline = datetime.now(UTC) + timedelta(days=5)
    page.fill("#f-closes_at", deadline.strftime("%Y-%m-%dT%H:%M"))
    for name in INVITED:
        page.get_by_label(name).check()
    page.get_by_role("button", name="Create the round (as a draft)").click()
    expect(page.locator("#round-state")).to_contain_text("draft")
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]


def attach(page: Page, place: str, title: str, name: str, data: bytes) -> None:
    """Fill in the documents page's "Add a document" form and upload."""
    form = page.locator("#add-attachment")
    form.get_by_label("File", exact=True).set_input_files(
        {"name": name, "mimeType": DOCX, "buffer": data}
    )
    form.get_by_label("Title").fill(title)
    form.get_by_label("Where it goes").select_option(label=place)
    form.get_by_role("button", name="Upload the document").click()
    expect(page.locator(".attachments li", has_text=title)).to_be_visible()


def test_a_word_draft_a_position_paper_and_a_caucus_file(live_server, new_context) -> None:
    tag = uuid.uuid4().hex[:6]
    password = live_server.password

    # a. the moderator imports the draft text from a Word file and opens the round
    moderator = new_context().new_page()
    sign_in(moderator, "moderator@tripartite.example", password)
    round_path = a_draft_round(moderator, tag)
    moderator.get_by_role("link", name="Turn the brief into a draft text").click()
    expect(moderator.locator("h1")).to_contain_text("Draft text of round 1")
    moderator.get_by_label(re.compile(r"^File \(\.docx or \.odt")).set_input_files(
        {"name": "convention.docx", "mimeType": DOCX, "buffer": numbered_docx()}
    )
    moderator.get_by_role("button", name="Import and preview").click()
    preview = moderator.locator("#preview")
    expect(moderator.locator("#preview-heading")).to_contain_text(
        "Preview: 8 paragraphs (not saved yet)"
    )
    expect(preview.locator(":scope > h3")).to_have_text(
        [
            "Paragraph 1",
            "Article 1 (paragraph 2)",
            "1.2 (paragraph 3)",
            "1.2.a (paragraph 4)",
            "1.2.b (paragraph 5)",
            "(i) (paragraph 6)",
            "Article 2 (paragraph 7)",
            "3.5 (paragraph 8)",
        ]
    )
    expect(moderator.locator("#flash")).to_contain_text(
        "convention.docx was converted into 8 numbered paragraphs"
    )
    expect(moderator.get_by_label("Draft text (Markdown)")).to_have_value(
        re.compile(r"## \*\*Article 1\.\*\* Scope")
    )
    shot(moderator, "draft-preview")
    # having read the preview, the moderator saves from its end
    preview = moderator.locator("#preview")
    preview.get_by_role("button", name="Save the numbered paragraphs").click()
    expect(moderator).to_have_url(re.compile(r"/rounds/\d+#draft$"))
    moderator.get_by_role("button", name="Open now").click()
    expect(moderator.locator("#round-state")).to_contain_text("open")
    draft = moderator.locator("#draft")
    expect(draft.locator("article.paragraph")).to_have_count(8)
    expect(moderator.locator("#paragraph-2-heading")).to_have_text("Article 1 (paragraph 2)")
    expect(moderator.locator("#paragraph-2")).to_contain_text("Each member covers every worker.")

    # b. a union attaches a position paper; an employers' federation downloads it
    union = new_context().new_page()
    sign_in(union, "rep@atuc.example", password)
    union.goto(round_path)
    union.get_by_role("link", name="Documents and position papers").click()
    expect(union.locator("h1")).to_contain_text("Documents of round 1")
    paper = docx_with(f"The confederation's position on the Convention ({tag}).")
    paper_title = f"ATUC position on pensions {tag}"
    attach(union, "Position papers", paper_title, "atuc-position.docx", paper)
    expect(union.locator("#flash")).to_contain_text(
        f"“{paper_title}” is attached (atuc-position.docx)"
    )

    employers = new_context(accept_downloads=True).new_page()
    sign_in(employers, "rep@aef.example", password)
    employers.goto(round_path)
    employers.get_by_role("link", name="Documents and position papers").click()
    item = employers.locator(".attachments li", has_text=paper_title)
    expect(item).to_contain_text("Position paper of Ardenia Trade Union Confederation.")
    with employers.expect_download() as download_info:
        item.get_by_role("link", name=paper_title).click()
    download = download_info.value
    assert Path(download.path()).read_bytes() == paper

    # c. a union adds a file to the workers' caucus; the employers cannot reach it
    caucus_title = f"Workers' bargaining line {tag}"
    attach(union, "Your group's caucus files", caucus_title, "line.docx", docx_with("Hold."))
    caucus_link = union.locator(".attachments li", has_text=caucus_title).get_by_role(
        "link", name=caucus_title
    )
    caucus_url = caucus_link.get_attribute("href")
    assert caucus_url and re.fullmatch(r"/attachments/\d+", caucus_url)
    # what the representative sees on arriving back: the confirmation and the new file
    shot(union, "after-upload", full_page=False)
    expect(union.locator("#place-caucus ~ .hint").first).to_contain_text(
        "Only the group's members see these files"
    )
    shot(union, "list")
    assert union.request.get(caucus_url).status == 200  # a member of the caucus downloads it

    refused = employers.request.get(caucus_url)
    assert refused.status == 404
    employers.reload()
    expect(employers.locator("main")).to_contain_text(paper_title)
    expect(employers.locator("main")).not_to_contain_text(caucus_title)
    shot(employers, "list-employers")
