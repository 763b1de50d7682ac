"""A document's title and folder: one line of text, without control characters (pure)."""

from __future__ import annotations

import pytest

from app.documents.rules import check_description
from app.errors import DomainError


def test_a_title_and_folder_are_kept_with_their_spaces_folded():
    described = check_description("  Draft   Convention ", "en", " Background\tstudies ")
    assert (described.title, described.folder) == ("Draft Convention", "Background studies")


@pytest.mark.parametrize(
    "typed",
    ["Study\x00tail", "Study\r\nBcc: everyone@test.example", "Study\u2028tail", "Study\u202etail"],
    ids=["NUL", "CRLF", "line separator", "right-to-left override"],
)
@pytest.mark.parametrize("field", ["title", "folder"])
def test_control_characters_and_line_breaks_are_refused_beside_the_field(field, typed):
    values = {"title": "Study", "folder": "Papers", field: typed}
    with pytest.raises(DomainError) as refused:
        check_description(values["title"], "en", values["folder"])
    assert refused.value.field == field
    assert refused.value.status_code == 422
