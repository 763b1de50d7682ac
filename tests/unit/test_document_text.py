"""The text of each kind of attached file, bounded, and "" for what cannot be read."""

from __future__ import annotations

import io
import time

import pytest

from app.documents.checks import FileKind
from app.documents.text import extract_text
from tests import files


def text_of(data: bytes, kind: FileKind, **kwargs: int) -> str:
    source = io.BytesIO(data)
    found = extract_text(source, kind, **kwargs)
    assert source.tell() == 0
    return found


def test_a_pdfs_text():
    found = text_of(files.pdf("Minutes of the meeting", "Workers (union) agree"), FileKind.PDF)
    assert "Minutes of the meeting" in found and "Workers (union) agree" in found


def test_a_word_texts_paragraphs_and_tables():
    data = files.docx_file(["Article 1", "Article 2"], [["Group", "Stance"], ["Workers", "Yes"]])
    assert text_of(data, FileKind.DOCX) == "Article 1\nArticle 2\nGroup\tStance\nWorkers\tYes"


def test_an_odts_headings_paragraphs_lists_and_tables():
    data = files.odt_file("Title", ["Body"], [["Group", "Stance"]], items=["First", "Second"])
    assert text_of(data, FileKind.ODT) == "Title\nBody\nFirst\nSecond\nGroup\tStance"


def test_spreadsheets_cells_row_by_row():
    rows = [["Organisation", "Stance", 3], ["Union A", "Support", 4.5]]
    assert text_of(files.xlsx_file(rows), FileKind.XLSX) == (
        "Organisation\tStance\t3\nUnion A\tSupport\t4.5"
    )
    assert (
        text_of(files.ods_file([["Organisation", "Stance"], ["Union A", "Support"]]), FileKind.ODS)
        == "Organisation\tStance\nUnion A\tSupport"
    )


@pytest.mark.parametrize("kind", [FileKind.PNG, FileKind.JPEG])
def test_images_have_no_text(kind):
    assert text_of(files.image(kind.name), kind) == ""


def test_the_text_is_cut_at_max_chars():
    data = files.docx_file([f"Paragraph number {n}" for n in range(1000)])
    found = text_of(data, FileKind.DOCX, max_chars=100)
    assert len(found) == 100 and found.startswith("Paragraph number 0\n")


def test_a_run_of_a_billion_spaces_is_capped():
    data = files.odt_with_text_xml('<text:p>a<text:s text:c="1000000000"/>b</text:p>')
    assert text_of(data, FileKind.ODT) == "a" + " " * 100 + "b"


def test_control_characters_are_left_out():
    data = files.odt_with_text_xml("<text:p>a&#x1;b</text:p>")  # not XML 1.0: damaged
    assert text_of(data, FileKind.ODT) == ""
    assert "\x00" not in text_of(files.docx_file(["a\tb"]), FileKind.DOCX)


@pytest.mark.parametrize(
    "data, kind",
    [
        (files.damaged_pdf(), FileKind.PDF),
        (b"PK\x03\x04 damaged", FileKind.DOCX),
        (files.plain_zip(), FileKind.ODT),
        (files.pdf(), FileKind.XLSX),
    ],
)
def test_a_damaged_file_gives_no_text_and_no_error(data, kind):
    assert text_of(data, kind) == ""


def test_a_zip_bomb_gives_no_text_without_being_inflated():
    started = time.monotonic()
    assert text_of(files.zip_bomb(), FileKind.DOCX) == ""
    assert time.monotonic() - started < 1
