"""Draft texts without a server: splitting markdown into paragraphs, word diffs, the
equal-weight tally of support per amendment, each group's voices, and what changed between
two drafts."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.drafts.rules import (
    ADDED,
    CHANGED,
    COMMENTED,
    PROPOSED,
    REMOVED,
    SUPPORTS,
    UNCHANGED,
    Act,
    DiffPiece,
    Invited,
    amendment_tally,
    check_amendment,
    check_draft,
    compare_drafts,
    is_same_text,
    may_import,
    may_revise,
    may_support,
    paragraph_voices,
    revised_paragraphs,
    split_paragraphs,
    text_diff,
    word_diff,
)
from app.errors import DomainError
from app.summaries.tally import normalised_weights
from app.vocabulary import Group, RoundStatus, Weighting

GOV, WORK, EMP = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS


# -- splitting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("One.\n\nTwo.\n\n\n\nThree.", ["One.", "Two.", "Three."]),
        ("A line\nand its continuation.\n\nNext.", ["A line\nand its continuation.", "Next."]),
        ("  \n\nOnly one.\n\n  \n", ["Only one."]),
        ("Windows\r\n\r\nline ends", ["Windows", "line ends"]),
        # a heading stays with the block that follows it
        ("# Article 1\n\nWorkers are covered.", ["# Article 1\n\nWorkers are covered."]),
        ("## Title\n### Sub\n\nText.\n\nMore.", ["## Title\n### Sub\n\nText.", "More."]),
        ("Article 2\n=========\n\nText.", ["Article 2\n=========\n\nText."]),
        ("Text.\n\n# A last heading", ["Text.", "# A last heading"]),
        # a list stays whole, even loose, with indented continuations
        ("Intro.\n\n- one\n- two\n\nAfter.", ["Intro.", "- one\n- two", "After."]),
        (
            "- one\n\n- two\n\n  more of two\n\n3. three",
            ["- one\n\n- two\n\n  more of two\n\n3. three"],
        ),
        ("1. Do you support?\n2. Which first?", ["1. Do you support?\n2. Which first?"]),
        ("# Heading\n\n- a\n\n- b\n\nText.", ["# Heading\n\n- a\n\n- b", "Text."]),
        # a fenced block keeps its blank lines
        ("```\ncode\n\nmore code\n```\n\nText.", ["```\ncode\n\nmore code\n```", "Text."]),
        ("#hashtag is not a heading\n\nText.", ["#hashtag is not a heading", "Text."]),
        ("", []),
    ],
)
def test_split_paragraphs(text, paragraphs):
    assert split_paragraphs(text) == paragraphs


#: Lines a draft text is made of: markdown's block markers and some text, loose or indented.
LINES = st.one_of(
    st.sampled_from(
        ["", "", "", "Text.", "# Heading", "Heading", "===", "---", "- item", "* item", "1. item"]
        + ["2) item", "  continued", "    code", "\tcode", "```", "~~~", "> quote", "[r]: /x"]
        + ["| a | b |", "|---|---|", "<div>", "  - nested", "   ```", "\x0c", " "]
    ),
    st.text(alphabet=" \t-*+#>`~=|.)1aZ\u00a0", max_size=8),
)


def words_before(lines, line):
    return len(" ".join(lines[:line]).split())


@settings(max_examples=300, database=None, deadline=None)
@given(st.lists(LINES, max_size=25))
def test_paragraphs_keep_the_text_and_never_cut_a_code_block_or_a_list(lines):
    text = "\n".join(lines)
    paragraphs = split_paragraphs(text)
    # joined again, the paragraphs are the text (whitespace aside), and none is empty
    assert "\n\n".join(paragraphs).split() == text.split()
    assert all(p.strip() for p in paragraphs)
    # where each paragraph ends, counted in words of the text
    ends, count = set(), 0
    for paragraph in paragraphs[:-1]:
        count += len(paragraph.split())
        ends.add(count)
    # CommonMark's own top-level fenced blocks and lists (read as the page renders them)
    for token in MarkdownIt("commonmark", {"html": False}).enable("table").parse(text):
        if token.level == 0 and token.type in ("fence", "bullet_list_open", "ordered_list_open"):
            first, last = (words_before(lines, line) for line in token.map)
            assert not any(first < end < last for end in ends), (token.type, token.map)


def test_the_demo_brief_is_two_paragraphs_its_list_whole():
    from app.demo import OPEN_ROUND

    parts = split_paragraphs(OPEN_ROUND.brief)
    assert len(parts) == 2 and parts[1].startswith("1. Do you support")


def test_a_draft_text_is_refused_when_empty_or_oversized():
    with pytest.raises(DomainError) as empty:
        check_draft("   \n\n ")
    assert empty.value.status_code == 422 and empty.value.field == "text"
    with pytest.raises(DomainError, match="at most 200 paragraphs"):
        check_draft("\n\n".join(f"P{n}." for n in range(201)))
    with pytest.raises(DomainError, match="Paragraph 2 is longer"):
        check_draft("Short.\n\n" + "x" * 10_001)
    with pytest.raises(DomainError, match="control characters"):
        check_draft("Bad \x00 text.")
    assert check_draft("One.\n\nTwo.") == ["One.", "Two."]


def test_the_draft_is_the_brief_when_their_paragraphs_match():
    assert is_same_text("One\nline.\n\nTwo.", ["One line.", "Two."])
    assert not is_same_text("One.", ["One.", "Two."])


# -- who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "contributions", "refused"),
    [
        (RoundStatus.DRAFT, 0, False),
        (RoundStatus.SCHEDULED, 0, False),
        (RoundStatus.OPEN, 0, False),
        (RoundStatus.OPEN, 1, True),
        (RoundStatus.CLOSED, 0, True),
        (RoundStatus.PUBLISHED, 0, True),
    ],
)
def test_when_a_moderator_may_set_the_draft_text(status, contributions, refused):
    if not refused:
        may_import(status, contributions)
        return
    with pytest.raises(DomainError) as error:
        may_import(status, contributions)
    assert error.value.status_code == 409


def test_a_revision_needs_a_closed_round_not_yet_revised():
    may_revise(RoundStatus.CLOSED, None)
    may_revise(RoundStatus.PUBLISHED, None)
    for status, following in ((RoundStatus.OPEN, None), (RoundStatus.CLOSED, 3)):
        with pytest.raises(DomainError) as error:
            may_revise(status, following)
        assert error.value.status_code == 409


def test_an_amendment_must_change_something_and_say_it():
    assert check_amendment("  New text. ", " Why. ", "Old text.") == ("New text.", "Why.")
    for text, field in (("", "text"), ("Old   text.", "text")):
        with pytest.raises(DomainError) as error:
            check_amendment(text, "", "Old text.")
        assert error.value.field == field and error.value.status_code == 422
    with pytest.raises(DomainError) as long_reason:
        check_amendment("New.", "x" * 2_001, "Old.")
    assert long_reason.value.field == "reason"


def test_support_once_per_organisation_and_never_for_its_own_amendment():
    may_support(2, 1, {1})
    with pytest.raises(DomainError, match="proposed this amendment") as own:
        may_support(1, 1, {1})
    with pytest.raises(DomainError, match="already supports") as twice:
        may_support(2, 1, {1, 2})
    assert own.value.status_code == twice.value.status_code == 409


# -- word diff ------------------------------------------------------------------------------------


def test_a_word_diff_keeps_what_stays_and_marks_what_changes():
    pieces = word_diff("Pensions are paid in full.", "Pensions are paid in full within 60 days.")
    assert pieces == [
        DiffPiece("equal", "Pensions are paid in "),
        DiffPiece("delete", "full."),
        DiffPiece("insert", "full within 60 days."),
    ]
    swapped = word_diff("The worker pays.", "The employer pays.")
    assert [p.kind for p in swapped] == ["equal", "delete", "insert", "equal"]
    assert swapped[1].text == "worker" and swapped[2].text == "employer"


@pytest.mark.parametrize(
    ("old", "new"),
    [("a b c", "a c d"), ("", "all new"), ("all gone", ""), ("same", "same"), ("x\n\ny", "x y")],
)
def test_a_diff_rebuilds_both_texts(old, new):
    pieces = word_diff(old, new)
    assert "".join(p.text for p in pieces if p.kind != "insert") == old
    assert "".join(p.text for p in pieces if p.kind != "delete") == new


# -- the equal-weight tally of support ------------------------------------------------------------

INVITED = [
    Invited(1, "Ministry", GOV),
    Invited(2, "Interior", GOV),
    Invited(3, "Union A", WORK),
    Invited(4, "Union B", WORK),
    Invited(5, "Union C", WORK),
    Invited(6, "Union D", WORK),
    Invited(7, "Federation", EMP),
    Invited(8, "Chamber", EMP),
]


def test_support_is_the_weighted_share_of_each_groups_invited_organisations():
    result = amendment_tally(INVITED, {3, 4, 7}, Weighting.EQUAL)
    # workers 2 of 4, employers 1 of 2, government 0 of 2
    assert result.support == Fraction(1, 3) * Fraction(1, 2) + Fraction(1, 3) * Fraction(1, 2)
    by_group = {g.group: g for g in result.groups}
    assert by_group[WORK].supporters == ("Union A", "Union B") and by_group[WORK].invited == 4
    assert by_group[GOV].supporters == () and by_group[GOV].share == 0
    assert result.supporters == 3 and result.invited == 8
    assert result.not_expressed == 0


def test_the_plenary_weighting_2_1_1():
    everyone_but_government = {3, 4, 5, 6, 7, 8}
    plenary = amendment_tally(INVITED, everyone_but_government, Weighting.PLENARY)
    assert plenary.support == Fraction(1, 2)
    equal = amendment_tally(INVITED, everyone_but_government, Weighting.EQUAL)
    assert equal.support == Fraction(2, 3)
    government_alone = amendment_tally(INVITED, {1, 2}, Weighting.PLENARY)
    assert government_alone.support == Fraction(1, 2)
    assert {g.group: g.weight for g in plenary.groups} == normalised_weights(Weighting.PLENARY)


def test_a_silent_groups_weight_is_never_handed_to_the_others():
    """The government group supports nothing: its third stays out of the support, and the
    workers' and employers' full support is two thirds, not all of it."""
    result = amendment_tally(INVITED, {3, 4, 5, 6, 7, 8}, Weighting.EQUAL)
    assert result.support == Fraction(2, 3)
    government = next(g for g in result.groups if g.group is GOV)
    assert government.expressed and government.share == 0


def test_a_group_with_no_invited_organisation_is_not_expressed():
    without_employers = [o for o in INVITED if o.group is not EMP]
    result = amendment_tally(without_employers, {1, 2, 3, 4, 5, 6})
    assert result.support == Fraction(2, 3) and result.not_expressed == Fraction(1, 3)
    employers = next(g for g in result.groups if g.group is EMP)
    assert not employers.expressed


def test_head_count_does_not_change_a_groups_weight_in_support():
    few = amendment_tally(INVITED, {3, 4, 5, 6})
    many_unions = [*INVITED, *(Invited(100 + n, f"Union {n}", WORK) for n in range(10))]
    many = amendment_tally(many_unions, {3, 4, 5, 6, *(100 + n for n in range(10))})
    assert few.support == many.support == Fraction(1, 3)


def test_the_order_of_invitations_and_the_groups_order_change_nothing_but_the_display():
    order = (EMP, WORK, GOV)
    one = amendment_tally(INVITED, {1, 3, 7}, order=order)
    two = amendment_tally(list(reversed(INVITED)), [7, 3, 1, 3], order=order)
    assert one == two
    assert [g.group for g in one.groups] == list(order)


def test_supporters_that_are_not_invited_count_for_nothing():
    assert amendment_tally(INVITED, {99}).support == 0


# -- each group's voices on a paragraph -----------------------------------------------------------


def test_each_groups_voices_in_column_order_by_name():
    acts = [
        Act(3, PROPOSED, "3.1"),
        Act(3, SUPPORTS, "3.1"),  # its own proposal: not listed twice
        Act(7, SUPPORTS, "3.1"),
        Act(8, COMMENTED),
        Act(4, COMMENTED),
        Act(4, SUPPORTS, "3.2"),
        Act(99, COMMENTED),  # not invited
    ]
    voices = paragraph_voices((WORK, EMP, GOV), INVITED, acts)
    assert [v.group for v in voices] == [WORK, EMP, GOV]
    workers, employers, government = (v.voices for v in voices)
    assert [(v.organisation, v.proposed, v.supports, v.commented) for v in workers] == [
        ("Union A", ("3.1",), (), False),
        ("Union B", (), ("3.2",), True),
    ]
    assert [v.organisation for v in employers] == ["Chamber", "Federation"]
    assert government == ()


# -- what changed between two drafts --------------------------------------------------------------


def test_compare_drafts_paragraph_by_paragraph():
    previous = [
        "Scope: all migrant workers.",
        "Pensions are paid in full abroad.",
        "Data is exchanged.",
        "A clause nobody wanted.",
    ]
    current = [
        "Scope: all migrant workers.",
        "Pensions are paid in full abroad within 60 days.",
        "Data is exchanged.",
        "A review after five years, with the social partners.",
    ]
    changes = compare_drafts(previous, current)
    assert [(c.kind, c.number, c.previous_number) for c in changes] == [
        (UNCHANGED, 1, 1),
        (CHANGED, 2, 2),
        (UNCHANGED, 3, 3),
        (REMOVED, None, 4),
        (ADDED, 4, None),
    ]
    assert DiffPiece("insert", " within 60 days.") in changes[1].diff or any(
        p.kind == "insert" and "60 days" in p.text for p in changes[1].diff
    )


def test_compare_drafts_when_paragraphs_move_numbers():
    changes = compare_drafts(["A.", "B b b."], ["New first.", "A.", "B b b, amended."])
    assert [(c.kind, c.number, c.previous_number) for c in changes] == [
        (ADDED, 1, None),
        (UNCHANGED, 2, 1),
        (CHANGED, 3, 2),
    ]
    assert compare_drafts([], ["A."])[0].kind == ADDED
    assert compare_drafts(["A."], [])[0].kind == REMOVED


def test_the_revision_boxes_become_paragraphs():
    assert revised_paragraphs(["One.", "", "Two.\n\nThree.", "  "]) == ["One.", "Two.", "Three."]
    with pytest.raises(DomainError) as nothing:
        revised_paragraphs(["", " "])
    assert nothing.value.field == "paragraphs"


def test_a_text_diff_reads_as_plain_text_yet_never_hides_a_change():
    pieces = text_diff("Workers **must** be paid.", "Workers **shall** be paid.")
    assert "".join(p.text for p in pieces if p.kind != "delete") == "Workers shall be paid."
    assert not any("**" in p.text for p in pieces)
    # only the link's address changed: the plain texts agree, the markdown shows the change
    pieces = text_diff("See [the Act](http://a.example).", "See [the Act](http://b.example).")
    assert {p.kind for p in pieces} >= {"delete", "insert"}
    assert any("b.example" in p.text for p in pieces if p.kind == "insert")
    assert all(p.kind == "equal" for p in text_diff("Same **text**.", "Same **text**."))
