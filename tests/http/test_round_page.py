"""The round page leads with the reader's task: a representative whose organisation has not
answered is told so first, with one link to the form; the page is divided into sections
reached by anchors; empty parts are folded into one line; a comment on a position opens beneath
it; names are written "the position of …", never "…'s position", in every language; the
pickers of people show each person's email beside the name. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.db import utcnow
from app.rounds.models import Round
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import HTMX, soup


def test_a_representative_who_owes_the_position_is_told_first(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    task = page.select_one("#round-task")
    assert f"{orgs[Group.WORKERS].name} has not posted its position in this round yet" in text_of(
        str(task)
    )
    link = task.find("a", string=re.compile("Post your organisation's position"))
    assert link is not None and link["href"] == "#your-position"
    assert page.select_one("#your-position form") is not None
    # the task and the form come before the positions, the draft text and the discussion
    order = [tag.get("id") for tag in page.select("[id]")]
    assert order.index("round-task") < order.index("your-position") < order.index("positions")
    assert order.index("your-position") < order.index("discussion")


def test_the_task_is_gone_once_the_organisation_has_answered(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    key = "Kq2Hq0k1Z9vJb3Xo2TtR1w"
    data = {"stance": "support", "statement": "", "base_version": "0", "idempotency_key": key}
    posted = workers.submit(f"/rounds/{round_.id}/positions", data, headers=HTMX)
    assert posted.status_code == 200
    # under htmx, the task is replaced out of band by an empty one
    swapped = soup(posted.text).select_one("#round-task[hx-swap-oob]")
    assert swapped is not None and text_of(str(swapped)) == ""
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    assert text_of(str(page.select_one("#round-task"))) == ""
    assert page.select_one("#your-position form") is not None  # still there, to revise


def test_no_task_for_a_reader_who_speaks_for_nobody_invited(make_client, db):
    round_, _orgs, _reps = factories.three_groups_round(db)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    page = soup(observer.get(f"/rounds/{round_.id}").text)
    assert text_of(str(page.select_one("#round-task"))) == ""
    assert page.select_one("#your-position") is None
    nav = page.select_one("nav.round-sections")
    assert "#your-position" not in [a["href"] for a in nav.select("a")]


@pytest.mark.parametrize("with_draft", [False, True])
def test_every_section_is_reached_by_an_anchor_of_the_page(make_client, db, with_draft):
    round_, _orgs, reps = factories.three_groups_round(db)
    if with_draft:
        factories.draft(db, round_)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    nav = page.select_one("nav.round-sections[aria-label]")
    assert nav["aria-label"] == "Sections of this round"
    targets = [a["href"] for a in nav.select("a")]
    expected = ["#your-position", "#brief", "#positions", "#tally", "#discussion"]
    if with_draft:
        expected.insert(3, "#draft")
    assert targets == expected
    for target in targets:
        assert page.select_one(target) is not None, f"{target} leads nowhere"
    # the three columns are inside the positions section
    assert page.select_one("#positions #columns") is not None


def test_an_empty_paragraph_says_so_in_one_line(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    quiet, discussed, amended = factories.draft(db, round_)
    factories.amendment(db, amended, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS])
    comment = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "On 2.")
    comment.paragraph_id = discussed.id
    db.flush()
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)

    first = text_of(str(page.select_one("#paragraph-1")))
    assert first.count("No amendments or comments on this paragraph yet.") == 1
    for folded in (
        "No amendment proposed",
        "No organisation has spoken",
        "No organisation of this group",
        "No comments on this paragraph",
        "Where the groups stand",
    ):
        assert folded not in first

    # a paragraph with a comment: the voices, and the groups not heard, in one line
    second = text_of(str(page.select_one("#paragraph-2")))
    assert "No amendments or comments" not in second
    assert "Where the groups stand on paragraph 2" in second
    assert "Not heard yet on this paragraph: " in second
    silent = second.split("Not heard yet on this paragraph: ")[1].split(".")[0]
    assert "Government" in silent and "Employers" in silent and "Workers" not in silent
    assert "On 2." in second

    third = text_of(str(page.select_one("#paragraph-3")))
    assert "1 amendment to paragraph 3" in third
    assert "No amendments or comments" not in third


def test_comment_on_a_position_opens_beneath_it(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    position = factories.position(db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS])
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    card = page.select_one(f"#position-org-{orgs[Group.EMPLOYERS].id}")
    wanted = f"Comment on the position of {orgs[Group.EMPLOYERS].name}"
    link = next(a for a in card.select("a") if text_of(str(a)) == wanted)
    slot = f"position-comment-slot-{position.id}"
    assert link["hx-target"] == f"#{slot}"
    # the slot is in the card itself, and kept when the columns are swapped in live
    assert card.select_one(f"#{slot}[hx-preserve]") is not None
    # without JavaScript the link is a page of its own, the cursor in its text box
    own_page = workers.get(link["href"])
    assert own_page.status_code == 200
    heading = text_of(str(soup(own_page.text).select_one("h1")))
    assert heading == f"Comment on the position of {orgs[Group.EMPLOYERS].name}"
    assert soup(own_page.text).select_one("textarea[autofocus]") is not None
    # under htmx, the form alone, its text box focused when it is swapped in
    fragment = workers.get(link["href"], headers=HTMX)
    assert "<html" not in fragment.text
    assert soup(fragment.text).select_one("form textarea[autofocus]") is not None


def test_posting_a_comment_on_a_position_closes_its_form_and_says_where_it_went(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    position = factories.position(db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS])
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    data = {
        "body": "Which sectors first?",
        "position_id": str(position.id),
        "idempotency_key": "Pq2Hq0k1Z9vJb3Xo2TtR1w",
    }
    posted = workers.submit(f"/rounds/{round_.id}/comments", data, headers=HTMX)
    assert posted.status_code == 200
    html = soup(posted.text)
    slot = html.select_one(f"#position-comment-slot-{position.id}[hx-swap-oob]")
    assert slot is not None
    assert "Your comment is posted in the discussion." in text_of(str(slot))
    assert slot.select_one("form") is None
    assert slot.find("a")["href"].startswith("#comment-")


LANGUAGES = {
    "en": "the position of",
    "fr": "la position de",
    "es": "la posición de",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_possessives_are_written_as_the_position_of(make_client, db, language):
    round_, orgs, reps = factories.three_groups_round(db)
    union = orgs[Group.WORKERS]
    union.name = "National Union of Domestic Workers"
    position = factories.position(db, round_, union, reps[Group.WORKERS])
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    employers.cookies.set("tripartite_lang", language)
    data = {
        "body": "Agreed.",
        "position_id": str(position.id),
        "idempotency_key": "Lq2Hq0k1Z9vJb3Xo2TtR1w",
    }
    assert employers.submit(f"/rounds/{round_.id}/comments", data).status_code == 303
    pages = [
        employers.get(f"/rounds/{round_.id}").text,
        employers.get(f"/rounds/{round_.id}/positions/{position.id}/comment").text,
    ]
    for html in pages:
        text = text_of(html)
        assert "Workers's" not in text and "Workers’s" not in text
        assert f"{LANGUAGES[language]} National Union of Domestic Workers" in text.replace(
            "La position", "la position"
        ).replace("La posición", "la posición")


def test_the_officer_picker_shows_each_persons_email(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    browser = signed_in(make_client, db, moderator)
    page = soup(browser.get(f"/rounds/{round_.id}/officers").text)
    option = page.select_one(
        f"select[name=vice_chair_workers] option[value='{reps[Group.WORKERS].id}']"
    )
    assert reps[Group.WORKERS].name in option.text
    assert reps[Group.WORKERS].email in option.text


def test_the_spokesperson_picker_shows_each_persons_email(make_client, db):
    now = utcnow()
    round_, orgs, _reps = factories.three_groups_round(
        db, status=RoundStatus.CLOSED, opens_at=now - timedelta(days=9), closes_at=now
    )
    db.get(Round, round_.id).outcome = "The groups agree."  # type: ignore[union-attr]
    voice = factories.member(db, orgs[Group.EMPLOYERS], MandateRole.FOCAL_POINT, name="Mei Chen")
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    browser = signed_in(make_client, db, moderator)
    page = soup(browser.get(f"/rounds/{round_.id}").text)
    option = page.select_one(f"option[value='{voice.id}']")
    assert option is not None, "no spokesperson picker"
    assert "Mei Chen" in option.text and voice.email in option.text
