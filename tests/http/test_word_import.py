"""A moderator imports the draft text from a Word or OpenDocument file, on both databases: the
converted text comes back as a preview (labels shown, nothing saved); Save stores it; a bad
file is refused beside the file field and the draft stays as it was."""

from __future__ import annotations

from app.vocabulary import RoundStatus
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import soup
from tests.http.test_drafts import paragraphs, world
from tests.word_files import docx_with, numbered_docx, numbered_odt

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def upload(browser, round_id, name, data, kind=DOCX_TYPE):
    return browser.submit(f"/rounds/{round_id}/draft/import", files={"file": (name, data, kind)})


def test_a_moderator_imports_a_word_file_previews_its_labels_and_saves(make_client, db):
    w = world(db, status=RoundStatus.DRAFT, paragraphs=False)
    moderator = signed_in(make_client, db, w.people["moderator"])
    form = soup(moderator.get(f"/rounds/{w.round.id}/draft").text)
    file_form = form.select_one("form.draft-import")
    assert file_form["enctype"] == "multipart/form-data"
    assert file_form.select_one("input[type=file][name=file]") is not None
    assert file_form.select_one("input[name=csrftoken]") is not None

    preview = upload(moderator, w.round.id, "convention.docx", numbered_docx())
    assert preview.status_code == 200
    page = soup(preview.text)
    text = page.select_one("textarea#draft-text").text
    assert "## **Article 1.** Scope\n\n**1.1** Each member covers **every** worker." in text
    headings = [h.text for h in page.select("#preview h3")]
    assert headings == [
        "Paragraph 1",
        "Article 1 (paragraph 2)",  # a heading stays with the paragraph that follows it
        "1.2 (paragraph 3)",
        "1.2.a (paragraph 4)",
        "1.2.b (paragraph 5)",
        "(i) (paragraph 6)",
        "Article 2 (paragraph 7)",
        "3.5 (paragraph 8)",  # typed in: kept as it is
    ]
    assert "convention.docx was converted into" in text_of(preview.text)
    assert paragraphs(db, w.round.id) == []  # nothing saved yet

    saved = moderator.submit(f"/rounds/{w.round.id}/draft", {"text": text})
    assert saved.status_code == 303
    stored = paragraphs(db, w.round.id)
    assert (
        stored[1].text == "## **Article 1.** Scope\n\n**1.1** Each member covers **every** worker."
    )
    round_page = soup(moderator.get(f"/rounds/{w.round.id}").text)
    assert round_page.select_one("#paragraph-2-heading").text == "Article 1 (paragraph 2)"


def test_an_opendocument_file_is_imported_the_same_way(make_client, db):
    w = world(db, status=RoundStatus.DRAFT, paragraphs=False)
    moderator = signed_in(make_client, db, w.people["moderator"])
    preview = upload(
        moderator, w.round.id, "convention.odt", numbered_odt(), "application/octet-stream"
    )
    assert preview.status_code == 200
    headings = [h.text for h in soup(preview.text).select("#preview h3")]
    assert headings[0] == "Article 1 (paragraph 1)"
    assert "1.2.a (paragraph 3)" in headings


def test_a_bad_file_is_refused_beside_the_field_and_the_draft_is_untouched(make_client, db):
    w = world(db)  # a round with three saved paragraphs
    before = [p.text for p in paragraphs(db, w.round.id)]
    moderator = signed_in(make_client, db, w.people["moderator"])
    for name, data, message in [
        ("draft.docx", b"not a zip at all", "Only Word (.docx) and OpenDocument text"),
        ("empty.docx", docx_with("", "  "), "This file has no text to import."),
        ("draft.pdf", b"%PDF-1.4\n", "Only Word (.docx) and OpenDocument text"),
    ]:
        refused = upload(moderator, w.round.id, name, data)
        assert refused.status_code == 422, name
        page = soup(refused.text)
        field = page.select_one("#draft-file")
        assert field["aria-invalid"] == "true"
        assert message in page.select_one("#draft-file-error").text
        # the box still holds the round's draft, which is untouched
        assert page.select_one("textarea#draft-text").text == "\n\n".join(before)
    missing = moderator.submit(f"/rounds/{w.round.id}/draft/import", {})
    assert missing.status_code == 422
    assert "Choose a .docx or .odt file" in text_of(missing.text)
    assert [p.text for p in paragraphs(db, w.round.id)] == before


def test_importing_a_file_is_for_moderators(make_client, db):
    w = world(db, status=RoundStatus.OPEN)
    rep = signed_in(make_client, db, w.people["union"])
    refused = upload(rep, w.round.id, "mine.docx", docx_with("Mine."))
    assert refused.status_code == 403
    assert [p.text for p in paragraphs(db, w.round.id)] != ["Mine."]
