"""Word and OpenDocument files read as draft texts (app.drafts.word), and the labels a
paragraph starts with (app.drafts.rules.paragraph_label): files built in code, with Word's
own auto-numbering and OpenDocument list and outline styles."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.drafts import rules, word
from app.errors import DomainError
from tests.word_files import docx_with, empty_odt, lists_docx, numbered_docx, numbered_odt


def test_word_numbering_becomes_the_paragraphs_labels():
    text = word.convert(numbered_docx())
    assert text == (
        "# Convention on pensions\n\n"
        "The Members agree as follows.\n\n"
        "## **Article 1.** Scope\n\n"
        "**1.1** Each member covers **every** worker.\n\n"
        "**1.2** Periods of insurance are added together:\n\n"
        "**1.2.a** in the member State; and\n\n"
        "**1.2.b** abroad.\n\n"
        "**(i)** self-employed work\n\n"
        "## **Article 2.** Payment\n\n"
        "**2.1** Pensions are paid in full abroad.\n\n"
        "3.5 This number was typed in."
    )
    labels = [rules.paragraph_label(p) for p in rules.check_draft(text)]
    assert labels == [None, "Article 1", "1.2", "1.2.a", "1.2.b", "(i)", "Article 2", "3.5"]


def test_word_lists_nest_tables_become_pipe_tables_and_markdown_is_escaped():
    assert word.convert(lists_docx()) == (
        "# Annex\n\n"
        "- data is exchanged\n  - under safeguards\n  - with consent\n- and audited\n\n"
        "Steps:\n\n"
        "1. apply\n   1. in writing\n2. wait\n\n"
        "| Group | Weight |\n| --- | --- |\n| Workers | 1 |\n| A \\| B | 2 |\n\n"
        "Read \\*this\\* \\[carefully\\]\\_."
    )


def test_opendocument_outline_and_list_numbering_become_labels():
    text = word.convert(numbered_odt())
    assert text == (
        "# **Article 1.** Scope\n\n"
        "**1.1** Each member covers **every** worker.\n\n"
        "**1.2** Periods are added together:\n\n"
        "**1.2.a** at home;\n\n"
        "# **Article 2.** Payment\n\n"
        "2.5 Typed in by hand.\n\n"
        "1. apply\n   - in writing\n   - signed\n2. wait\n\n"
        "| Group | Weight |\n| --- | --- |\n| Workers | 1 |"
    )
    labels = [rules.paragraph_label(p) for p in rules.check_draft(text)]
    assert labels == ["Article 1", "1.2", "1.2.a", "Article 2", None, None]


def test_typed_numbers_that_look_like_markdown_stay_text():
    assert word.convert(docx_with("3. The member shall", "# not a heading")) == (
        "3\\. The member shall\n\n\\# not a heading"
    )


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose a .docx or .odt file"),
        (b"plain text, not a document", "Only Word (.docx) and OpenDocument text"),
        (_zip({"readme.txt": b"hello"}), "Only Word (.docx) and OpenDocument text"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "Only Word"),
        # a zip with no OOXML package around it is no Word file (app/documents/checks.py)
        (_zip({"word/document.xml": b"<broken"}), "Only Word (.docx) and OpenDocument text"),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text"}),
            "cannot be read as a Word",
        ),
        (docx_with("", "   "), "This file has no text to import."),
        (empty_odt(), "This file has no text to import."),
    ],
    ids=[
        "empty",
        "not-zip",
        "other-zip",
        "spreadsheet",
        "broken-docx",
        "broken-odt",
        "blank-docx",
        "blank-odt",
    ],
)
def test_files_that_cannot_be_used_are_refused_with_a_clear_message(data, message):
    with pytest.raises(DomainError) as refused:
        word.convert(data)
    assert message in refused.value.message
    assert refused.value.field == "file" and refused.value.status_code == 422


def test_a_file_too_large_or_unpacking_too_large_is_refused():
    with pytest.raises(DomainError, match="larger than 10 MB"):
        word.convert(b"x" * (word.MAX_FILE_BYTES + 1))
    # a zip bomb shaped as a Word file is refused by the checks every upload passes
    from tests.files import zip_bomb

    with pytest.raises(DomainError, match="unpacks to more than|compressed far more"):
        word.convert(zip_bomb(300_000_000))


@pytest.mark.parametrize(
    ("number", "style", "shown"),
    [
        (3, "decimal", "3"),
        (3, "lowerLetter", "c"),
        (28, "lowerLetter", "bb"),
        (4, "upperRoman", "IV"),
        (14, "i", "xiv"),
        (2, "A", "B"),
        (7, "decimalZero", "07"),
    ],
)
def test_numbers_are_drawn_in_their_format(number, style, shown):
    assert word.format_number(number, style) == shown


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("**Article 3.** Scope", "Article 3"),
        ("## **Article 1.** Scope\n\nText.", "Article 1"),
        ("# Article 3 Scope", "Article 3"),
        ("Article 3. Scope", "Article 3"),
        ("Article 3", "Article 3"),
        ("Artículo 5 — Ámbito", "Artículo 5"),
        ("3.1 Each member", "3.1"),
        ("**3.1.a** in the", "3.1.a"),
        ("3\\. The member", "3"),
        ("(ii) abroad", "(ii)"),
        ("Article 3 of the Convention applies.", None),
        ("2024 was a year of reform.", None),
        ("1. a markdown list\n2. of items", None),
        ("- a bullet", None),
        ("**Important** note", None),
        ("3.1Each", None),
        ("Plain text.", None),
    ],
)
def test_a_paragraphs_label_is_read_from_the_start_of_its_text(text, label):
    assert rules.paragraph_label(text) == label
