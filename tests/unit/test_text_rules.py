"""One-line texts (titles, names, countries) and the dates people give: app/text_rules.py."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import DomainError
from app.text_rules import (
    BIDI_CONTROLS,
    LINE_BREAKS,
    check_plausible_date,
    clean_line,
    has_control_characters,
    one_line,
)

#: Every character a one-line field refuses: line breaks, C0 and C1 controls (TAB aside, it is
#: folded into a space), DEL, and the bidirectional formatting characters.
REFUSED = sorted(
    {chr(c) for c in range(0x20) if chr(c) != "\t"}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | set(LINE_BREAKS)
    | set(BIDI_CONTROLS)
)


@pytest.mark.parametrize("character", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_a_line_refuses_line_breaks_and_control_characters(character):
    with pytest.raises(DomainError) as refused:
        clean_line(f"Name{character}Other", "name")
    assert refused.value.field == "name" and refused.value.message
    assert has_control_characters(f"a{character}b")
    assert one_line(f"a{character}b") in ("a b", "ab")


def test_line_breaks_and_other_controls_are_told_apart():
    with pytest.raises(DomainError, match="one line"):
        clean_line("Pensions\nBcc: x@example.org", "title")
    with pytest.raises(DomainError, match="control characters"):
        clean_line("Evil\u202eCorp", "name")


def test_the_words_of_every_script_are_kept_spaces_folded():
    assert clean_line("  Ministry \t of\u00a0 Labour  ", "name") == "Ministry of Labour"
    for name in ("Ministère du Travail", "وزارة العمل", "משרד העבודה", "労働省", "Łódź 👩‍🔧"):
        assert clean_line(name, "name") == name
    decomposed = unicodedata.normalize("NFD", "Ministère")
    assert clean_line(decomposed, "name") == "Ministère"


@given(st.text())
def test_any_text_is_either_refused_or_kept_on_one_clean_line(text):
    try:
        cleaned = clean_line(text, "field")
    except DomainError:
        assert has_control_characters(unicodedata.normalize("NFC", text))
        return
    assert not has_control_characters(cleaned) and cleaned == cleaned.strip()


@given(st.text())
def test_one_line_never_refuses_and_leaves_nothing_a_header_refuses(text):
    cleaned = one_line(text)
    assert not has_control_characters(cleaned)
    assert "\n" not in cleaned and "\r" not in cleaned


NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        NOW + timedelta(days=3653 + 1),
    ],
)
def test_absurd_dates_are_refused(when):
    with pytest.raises(DomainError) as refused:
        check_plausible_date(when, NOW, "closes_at")
    assert refused.value.field == "closes_at" and "2000" in refused.value.message


@pytest.mark.parametrize(
    "when",
    [NOW + timedelta(days=14), datetime(2000, 1, 1, tzinfo=UTC), NOW.replace(year=2036)],
)
def test_dates_of_this_world_are_kept(when):
    assert check_plausible_date(when, NOW, "closes_at") == when


def test_ten_years_from_a_29_february():
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert check_plausible_date(datetime(2038, 2, 28, tzinfo=UTC), leap, "f")
    with pytest.raises(DomainError):
        check_plausible_date(datetime(2038, 3, 1, tzinfo=UTC), leap, "f")
