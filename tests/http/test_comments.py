"""Threaded comments: posting, replying, editing, refusals, balanced order, pages, live."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from app.comments.models import Comment
from app.db import utcnow
from app.rounds.models import Round, RoundInvitation
from app.rounds.rules import column_order
from app.vocabulary import Group, PlatformRole
from tests import factories
from tests.conftest import multipart, text_of
from tests.factories import signed_in
from tests.helpers import HTMX, soup


def comment(browser, round_id, body, key="", **kwargs):
    return browser.submit(
        f"/rounds/{round_id}/comments", {"body": body, "idempotency_key": key}, **kwargs
    )


def reply(browser, round_id, parent_id, body, key="", **kwargs):
    return browser.submit(
        f"/rounds/{round_id}/comments/{parent_id}/replies",
        {"body": body, "idempotency_key": key},
        **kwargs,
    )


def posted_id(response):
    assert response.status_code == 303, response.text
    match = re.search(r"#comment-(\d+)$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def threads(html):
    """The top-level comments of the page, in order."""
    return soup(html).select("#threads > article.comment")


def thread_group(article):
    return next(
        Group(c.removeprefix("group-edge-"))
        for c in article["class"]
        if c.startswith("group-edge-")
    )


def count_comments(db, round_):
    return db.scalar(select(func.count()).select_from(Comment).where(Comment.round_id == round_.id))


# --- posting and replying ----------------------------------------------------------------------


def test_a_comment_sent_as_multipart_is_posted_as_an_url_encoded_one(make_client, db):
    """Forms with files send ``multipart/form-data``: the same comment, sent so with the page's
    token (in the form, or in htmx's header), gets the same answer and is kept the same."""
    round_, _orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    token = workers.csrf()
    sent = {"body": "Sent as **multipart**: é, ü.", "idempotency_key": ""}
    plain = comment(workers, round_.id, sent["body"])
    as_multipart = workers.post(
        f"/rounds/{round_.id}/comments", **multipart({"csrftoken": token, **sent})
    )
    in_header = workers.post(
        f"/rounds/{round_.id}/comments", **multipart(sent, **{"x-csrftoken": token})
    )
    answers = (plain, as_multipart, in_header)
    assert [a.status_code for a in answers] == [303] * 3, as_multipart.text
    kept = [db.get_one(Comment, posted_id(a)) for a in answers]
    assert {(c.body, c.body_html, c.organisation_id) for c in kept} == {
        (sent["body"], kept[0].body_html, kept[0].organisation_id)
    }
    assert count_comments(db, round_) == 3
    # the token is checked all the same: without it, or another one, nothing is posted
    for forged in ({}, {"csrftoken": "forged"}):
        refused = workers.post(f"/rounds/{round_.id}/comments", **multipart({**forged, **sent}))
        assert refused.status_code == 403 and "security token" in text_of(refused.text)
    assert count_comments(db, round_) == 3


def test_a_comment_shows_its_author_organisation_and_group(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = comment(workers, round_.id, "We need **stronger** protections.")
    comment_id = posted_id(response)
    assert urlsplit(response.headers["location"]).path == f"/rounds/{round_.id}"
    page = workers.get(f"/rounds/{round_.id}").text
    shown = soup(page).select_one(f"#comment-{comment_id}")
    assert shown is not None
    head = text_of(str(shown.select_one(".comment-head")))
    assert reps[Group.WORKERS].name in head
    assert orgs[Group.WORKERS].name in head
    assert shown.select_one(".badge.group-workers").text == "Workers"
    assert shown.select_one(".prose strong").text == "stronger"
    assert "(edited)" not in text_of(str(shown))


def test_replies_nest_three_levels_deep(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    government = signed_in(make_client, db, reps[Group.GOVERNMENT])
    first = posted_id(comment(workers, round_.id, "Level one."))
    # the no-JS reply form names who is answered
    form = employers.get(f"/rounds/{round_.id}/comments/{first}/reply")
    assert form.status_code == 200
    assert f"Reply to {reps[Group.WORKERS].name}" in text_of(form.text)
    second = posted_id(reply(employers, round_.id, first, "Level two."))
    third = posted_id(reply(government, round_.id, second, "Level three."))
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    top = page.select_one(f"#threads > article#comment-{first}")
    assert top is not None
    middle = top.select_one(f"#replies-{first} > article#comment-{second}")
    assert middle is not None
    deepest = middle.select_one(f"#replies-{second} > article#comment-{third}")
    assert deepest is not None
    assert "Level three." in text_of(str(deepest))
    assert deepest.select_one(".badge.group-government") is not None
    # one thread, not three
    assert len(threads(str(page))) == 1


def test_a_comment_on_a_position_names_the_position(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    position = factories.position(db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS])
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = workers.submit(
        f"/rounds/{round_.id}/comments",
        {"body": "About your position.", "position_id": str(position.id), "idempotency_key": ""},
    )
    comment_id = posted_id(response)
    shown = soup(workers.get(f"/rounds/{round_.id}").text).select_one(f"#comment-{comment_id}")
    assert f"on the position of {orgs[Group.EMPLOYERS].name}" in text_of(str(shown))


def test_replying_to_a_comment_of_another_round_is_refused(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    elsewhere = factories.consultation_round(db, orgs.values())
    foreign = factories.comment(db, elsewhere, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = reply(workers, round_.id, foreign.id, "Crossing rounds.")
    assert 400 <= response.status_code < 500
    assert count_comments(db, round_) == 0
    assert count_comments(db, elsewhere) == 1


def test_replying_to_a_comment_of_another_round_says_why_and_keeps_the_text(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    elsewhere = factories.consultation_round(db, orgs.values())
    foreign = factories.comment(db, elsewhere, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = reply(workers, round_.id, foreign.id, "Crossing rounds.")
    assert response.status_code == 422
    assert "The comment you are replying to is not part of this round." in text_of(response.text)
    assert "Crossing rounds." in response.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "The comment is required."),
        ("x" * 5_001, "The comment is 5,001 characters long; the limit is 5,000."),
        ("Agreed\x00 entirely", "The comment contains control characters"),
        ("Agreed\x1b[31m entirely", "The comment contains control characters"),
    ],
    ids=["empty", "too-long", "nul", "escape"],
)
def test_bad_comments_are_refused_with_the_text_kept(make_client, db, body, message):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = comment(workers, round_.id, body)
    assert response.status_code == 422
    form = soup(response.text).select_one("#comment-form")
    assert form is not None
    assert message in form.select_one("#comment-form-error").text
    assert form.select_one("textarea")["aria-invalid"] == "true"
    if body.strip():
        assert form.select_one("textarea").text == body
    # under htmx the form alone comes back, to replace itself
    again = comment(workers, round_.id, body, headers=HTMX)
    assert again.status_code == 422
    assert "<html" not in again.text
    assert again.headers["HX-Retarget"] == "#comment-form"
    assert message in text_of(again.text)
    # and a bad reply keeps its text in the reply form
    parent = posted_id(comment(workers, round_.id, "A fine comment."))
    bad_reply = reply(workers, round_.id, parent, body)
    assert bad_reply.status_code == 422
    reply_form = soup(bad_reply.text).select_one(f"#reply-form-{parent}")
    assert reply_form is not None and message in text_of(str(reply_form))
    if body.strip():
        assert reply_form.select_one("textarea").text == body
    assert count_comments(db, round_) == 1


def close_now(db, round_):
    db.execute(
        update(Round).where(Round.id == round_.id).values(closes_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()


def test_outsiders_and_late_comments_are_refused(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    assert comment(observer, round_.id, "An outside view.").status_code == 403
    outsider_org = factories.organisation(db, Group.EMPLOYERS, name="Uninvited Chamber")
    outsider = signed_in(make_client, db, factories.member(db, outsider_org))
    assert comment(outsider, round_.id, "Let us in.").status_code == 403
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    parent = posted_id(comment(workers, round_.id, "Before the deadline."))
    assert reply(observer, round_.id, parent, "Observing.").status_code == 403
    close_now(db, round_)
    assert comment(workers, round_.id, "After the deadline.").status_code == 409
    assert reply(workers, round_.id, parent, "Late reply.").status_code == 409
    assert count_comments(db, round_) == 1
    # the closed page offers no comment form
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    assert page.select_one("#comment-form") is None
    assert page.find("a", string="Reply") is None


def test_a_refused_comment_says_why_and_keeps_the_text(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    refused = comment(observer, round_.id, "An outside view.")
    assert refused.status_code == 403
    assert "moderators, observers and administrators read" in text_of(refused.text)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    close_now(db, round_)
    late = comment(workers, round_.id, "Our closing remark, typed with care.")
    assert late.status_code == 409
    assert "This round is closed: nothing more can be posted." in text_of(late.text)
    assert "Our closing remark, typed with care." in late.text


def test_a_nul_character_in_the_idempotency_key_is_not_a_server_error(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = comment(workers, round_.id, "Fine.", key="form-key-0001\x00")
    assert response.status_code in (303, 422)
    assert count_comments(db, round_) <= 1


def test_markdown_in_comments_is_rendered_safely(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    body = (
        "**Agreed**, see [the draft](https://example.org/d).\n\n<script>alert(1)</script>\n\n"
        '[x](javascript:alert(2)) <a href="javascript:alert(3)" onclick="alert(4)">raw</a>'
    )
    comment_id = posted_id(comment(workers, round_.id, body))
    shown = soup(workers.get(f"/rounds/{round_.id}").text).select_one(
        f"#comment-{comment_id} .prose"
    )
    assert shown.select_one("strong").text == "Agreed"
    assert shown.find("a", href="https://example.org/d") is not None
    assert shown.select_one("script") is None
    for tag in shown.find_all(True):
        assert not any(name.startswith("on") for name in tag.attrs), tag
        assert "javascript:" not in str(tag.get("href", "")).lower(), tag


# --- editing -----------------------------------------------------------------------------------


def test_the_author_edits_within_fifteen_minutes_and_the_edit_is_marked(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    comment_id = posted_id(comment(workers, round_.id, "Typo in thsi comment."))
    form = workers.get(f"/rounds/{round_.id}/comments/{comment_id}/edit")
    assert form.status_code == 200
    assert soup(form.text).select_one("textarea").text == "Typo in thsi comment."
    saved = workers.submit(
        f"/rounds/{round_.id}/comments/{comment_id}/edit", {"body": "Typo in this comment."}
    )
    assert saved.status_code == 303
    shown = soup(workers.get(f"/rounds/{round_.id}").text).select_one(f"#comment-{comment_id}")
    assert "Typo in this comment." in text_of(str(shown))
    assert "thsi" not in text_of(str(shown))
    assert "(edited)" in text_of(str(shown))


def test_an_edit_after_fifteen_minutes_is_refused(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    author = reps[Group.WORKERS]
    old = factories.comment(
        db,
        round_,
        author,
        orgs[Group.WORKERS],
        "Said long ago.",
        created_at=utcnow() - timedelta(minutes=16),
    )
    workers = signed_in(make_client, db, author)
    shown = soup(workers.get(f"/rounds/{round_.id}").text).select_one(f"#comment-{old.id}")
    assert shown.find("a", string="Edit") is None
    refused = workers.submit(
        f"/rounds/{round_.id}/comments/{old.id}/edit", {"body": "Rewriting history."}
    )
    assert refused.status_code == 409
    assert "Comments can be edited for 15 minutes after posting" in text_of(refused.text)
    assert soup(refused.text).select_one("textarea").text == "Rewriting history."
    assert workers.get(f"/rounds/{round_.id}/comments/{old.id}/edit").status_code == 409
    db.refresh(old)
    assert old.body == "Said long ago." and old.edited_at is None


def test_nobody_edits_someone_elses_comment(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    comment_id = posted_id(comment(workers, round_.id, "My own words."))
    # not even a colleague from the same organisation
    colleague = signed_in(make_client, db, factories.member(db, orgs[Group.WORKERS]))
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    for other in (colleague, employers):
        page = soup(other.get(f"/rounds/{round_.id}").text).select_one(f"#comment-{comment_id}")
        assert page.find("a", string="Edit") is None
        refused = other.submit(
            f"/rounds/{round_.id}/comments/{comment_id}/edit", {"body": "Your words, improved."}
        )
        assert refused.status_code == 403
        assert "Only the author can edit a comment." in text_of(refused.text)
    stored = db.get(Comment, comment_id)
    db.refresh(stored)
    assert stored.body == "My own words." and stored.edited_at is None


def test_only_the_author_sees_the_edit_link_whoever_looks_first(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    author = signed_in(make_client, db, reps[Group.WORKERS])
    colleague = signed_in(make_client, db, factories.member(db, orgs[Group.WORKERS]))
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    comment_id = posted_id(comment(author, round_.id, "Mine to correct."))

    def edit_link(browser):
        shown = soup(browser.get(f"/rounds/{round_.id}").text).select_one(f"#comment-{comment_id}")
        return shown.find("a", string="Edit")

    # others look first, then the author, then the others again
    assert edit_link(employers) is None and edit_link(observer) is None
    assert edit_link(author) is not None
    for other in (colleague, employers, observer):
        assert edit_link(other) is None


def test_a_comment_awaiting_moderation_is_shown_to_its_author_alone(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    round_.premoderated = True
    db.flush()
    author = signed_in(make_client, db, reps[Group.WORKERS])
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    assert "No comments yet." in text_of(employers.get(f"/rounds/{round_.id}").text)
    comment_id = posted_id(comment(author, round_.id, "Pending my words."))
    assert "Pending my words." not in employers.get(f"/rounds/{round_.id}").text
    own = soup(author.get(f"/rounds/{round_.id}").text).select_one(f"#comment-{comment_id}")
    assert "Awaiting a moderator's approval" in text_of(str(own))
    assert "Pending my words." not in employers.get(f"/rounds/{round_.id}").text
    # still only theirs once the edit window has passed
    db.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(created_at=utcnow() - timedelta(hours=1))
    )
    db.commit()
    assert "Pending my words." not in employers.get(f"/rounds/{round_.id}").text
    assert "Pending my words." in author.get(f"/rounds/{round_.id}").text


# --- idempotency and htmx ----------------------------------------------------------------------


def test_the_same_idempotency_key_twice_makes_one_comment(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    key = page.select_one("#comment-form input[name=idempotency_key]")["value"]
    first = posted_id(comment(workers, round_.id, "Double click.", key=key))
    second = posted_id(comment(workers, round_.id, "Double click.", key=key))
    assert first == second
    form = soup(workers.get(f"/rounds/{round_.id}/comments/{first}/reply").text)
    key = form.select_one(f"#reply-form-{first} input[name=idempotency_key]")["value"]
    parent_reply = posted_id(reply(workers, round_.id, first, "Reply once.", key=key))
    assert posted_id(reply(workers, round_.id, first, "Reply once.", key=key)) == parent_reply
    assert count_comments(db, round_) == 2
    assert len(threads(workers.get(f"/rounds/{round_.id}").text)) == 1


def test_with_htmx_a_comment_comes_back_as_a_fragment(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    used_key = page.select_one("#comment-form input[name=idempotency_key]")["value"]
    response = comment(workers, round_.id, "Posted in place.", key=used_key, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    fragment = soup(response.text)
    article = fragment.select_one("article.comment")
    assert article is not None and "Posted in place." in text_of(str(article))
    assert article.select_one(".badge.group-workers") is not None
    # a fresh, empty form replaces the used one, with a new key: the next comment is not
    # mistaken for a repeat of this one
    fresh = fragment.select_one("form#comment-form[hx-swap-oob]")
    assert fresh is not None and fresh.select_one("textarea").text == ""
    key = fresh.select_one("input[name=idempotency_key]")["value"]
    assert key != used_key
    second = comment(workers, round_.id, "A second thought.", key=key, headers=HTMX)
    assert second.status_code == 200 and "A second thought." in second.text
    # a reply comes back the same way
    parent_id = int(article["id"].removeprefix("comment-"))
    answered = reply(workers, round_.id, parent_id, "Replied in place.", headers=HTMX)
    assert answered.status_code == 200
    assert "<html" not in answered.text
    assert "Replied in place." in text_of(answered.text)
    assert count_comments(db, round_) == 3


# --- order, filters, pages ---------------------------------------------------------------------


def discussion_round(db):
    """Workers speak first and most: four threads, then two employers', then two
    government's, and a second union with one thread."""
    round_, orgs, reps = factories.three_groups_round(db)
    second_union = factories.organisation(db, Group.WORKERS, name="Second Union")
    db.add(RoundInvitation(round_id=round_.id, organisation_id=second_union.id))
    second_rep = factories.member(db, second_union)
    made = []
    for group, count in ((Group.WORKERS, 4), (Group.EMPLOYERS, 2), (Group.GOVERNMENT, 2)):
        for n in range(count):
            made.append(
                factories.comment(db, round_, reps[group], orgs[group], f"{group.label} {n}")
            )
    made.append(factories.comment(db, round_, second_rep, second_union, "Second union speaks"))
    return round_, orgs, reps, second_union


def test_balanced_order_gives_the_first_screen_to_all_three_groups(make_client, db):
    round_, orgs, reps, _second = discussion_round(db)
    round_.social_partners_first = False  # plain turns (the openings: tests/http/test_officers.py)
    reader = signed_in(make_client, db, reps[Group.EMPLOYERS])
    chronological = threads(reader.get(f"/rounds/{round_.id}").text)
    assert [thread_group(t) for t in chronological[:3]] == [Group.WORKERS] * 3
    balanced = threads(reader.get(f"/rounds/{round_.id}?order=balanced").text)
    first_three = [thread_group(t) for t in balanced[:3]]
    assert first_three == list(column_order(round_.id))
    assert len(balanced) == len(chronological) == 9
    # every thread is still there, each group's in its own order
    assert sorted(t["id"] for t in balanced) == sorted(t["id"] for t in chronological)
    workers_in_balanced = [t["id"] for t in balanced if thread_group(t) is Group.WORKERS]
    workers_in_time = [t["id"] for t in chronological if thread_group(t) is Group.WORKERS]
    assert workers_in_balanced == workers_in_time


def test_the_discussion_filters_by_group_and_by_organisation(make_client, db):
    round_, orgs, reps, second_union = discussion_round(db)
    reader = signed_in(make_client, db, reps[Group.GOVERNMENT])
    employers_only = threads(reader.get(f"/rounds/{round_.id}?group=employers").text)
    assert len(employers_only) == 2
    assert {thread_group(t) for t in employers_only} == {Group.EMPLOYERS}
    workers_only = threads(reader.get(f"/rounds/{round_.id}?group=workers").text)
    assert len(workers_only) == 5
    one_union = threads(reader.get(f"/rounds/{round_.id}?organisation={second_union.id}").text)
    assert [text_of(str(t.select_one(".prose"))) for t in one_union] == ["Second union speaks"]
    first_union = threads(
        reader.get(f"/rounds/{round_.id}?organisation={orgs[Group.WORKERS].id}").text
    )
    assert len(first_union) == 4
    assert all(orgs[Group.WORKERS].name in text_of(str(t)) for t in first_union)
    # the filter form shows what is chosen
    page = soup(reader.get(f"/rounds/{round_.id}?group=employers&order=balanced").text)
    assert page.select_one("#filter-group option[selected]")["value"] == "employers"
    assert page.select_one("input[name=order][value=balanced]").has_attr("checked")


def many_threads(db, count):
    round_, orgs, reps = factories.three_groups_round(db)
    for n in range(count):
        group = list(Group)[n % 3]
        factories.comment(db, round_, reps[group], orgs[group], f"Thread number {n}")
    return round_, orgs, reps


def test_long_discussions_load_more_with_and_without_javascript(make_client, db):
    round_, orgs, reps = many_threads(db, 35)
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    page = reader.get(f"/rounds/{round_.id}").text
    first_page = threads(page)
    assert len(first_page) == 30
    assert "Thread number 0" in text_of(str(first_page[0]))
    more = soup(page).find("a", string="Load more comments")
    assert more is not None
    # with htmx: the fragment holds the remaining five threads and no page around them
    fragment = reader.get(more["hx-get"], headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    rest = soup(fragment.text).select("article.comment")
    assert [text_of(str(t.select_one(".prose"))) for t in rest] == [
        f"Thread number {n}" for n in range(30, 35)
    ]
    assert soup(fragment.text).find("a", string="Load more comments") is None
    # without JavaScript: the fragment's address sends the browser to the round page...
    plain = reader.get(more["hx-get"])
    assert plain.status_code == 303
    location = urlsplit(plain.headers["location"])
    assert location.path == f"/rounds/{round_.id}" and "page=2" in location.query
    # ...and the link's own address is the round page's second page
    second = reader.get(more["href"].split("#")[0])
    assert second.status_code == 200
    assert len(threads(second.text)) == 5
    assert "Thread number 34" in text_of(second.text)


def test_balanced_pages_continue_the_turns_without_repeats(make_client, db):
    round_, orgs, reps = many_threads(db, 40)
    round_.social_partners_first = False  # plain turns (the openings: tests/http/test_officers.py)
    reader = signed_in(make_client, db, reps[Group.EMPLOYERS])
    page = reader.get(f"/rounds/{round_.id}?order=balanced").text
    first = threads(page)
    more = soup(page).find("a", string="Load more comments")
    assert "order=balanced" in more["hx-get"]
    rest = soup(reader.get(more["hx-get"], headers=HTMX).text).select("article.comment")
    ids = [t["id"] for t in first + rest]
    assert len(first) == 30 and len(ids) == 40 and len(set(ids)) == 40
    order = column_order(round_.id)
    assert [thread_group(t) for t in first + rest] == [order[n % 3] for n in range(39)] + [
        Group.GOVERNMENT
    ]


def test_live_updates_answer_204_until_another_organisation_posts(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    posted_id(comment(workers, round_.id, "Already here."))
    poller = soup(workers.get(f"/rounds/{round_.id}").text).select_one("#poller")
    assert poller is not None and poller["hx-trigger"].startswith("every")
    live_url = poller["hx-get"]
    assert re.search(r"[?&]version=\d+", live_url) and re.search(r"[?&]after=\d+", live_url)
    quiet = workers.get(live_url, headers=HTMX)
    assert quiet.status_code == 204 and quiet.text == ""
    news = posted_id(comment(employers, round_.id, "Fresh from the employers."))
    update_ = workers.get(live_url, headers=HTMX)
    assert update_.status_code == 200
    assert "<html" not in update_.text
    fragment = soup(update_.text)
    assert "Fresh from the employers." in text_of(str(fragment.select_one(f"#comment-{news}")))
    assert "Already here." not in update_.text  # only what is new
    assert fragment.select_one("[hx-swap-oob*='#new-comments']") is not None
    assert fragment.select_one("#tally[hx-swap-oob]") is not None
    assert fragment.select_one("#participation[hx-swap-oob]") is not None
    # the next poll asks from the new version on, and is quiet again
    next_url = fragment.select_one("#poller")["hx-get"]
    assert next_url != live_url
    assert workers.get(next_url, headers=HTMX).status_code == 204


def test_live_updates_bring_new_positions_too(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    live_url = soup(workers.get(f"/rounds/{round_.id}").text).select_one("#poller")["hx-get"]
    assert workers.get(live_url, headers=HTMX).status_code == 204
    posted = employers.submit(
        f"/rounds/{round_.id}/positions",
        {"stance": "oppose", "statement": "Too costly.", "base_version": "0"},
    )
    assert posted.status_code == 303
    update_ = workers.get(live_url, headers=HTMX)
    assert update_.status_code == 200
    columns = soup(update_.text).select_one("#columns[hx-swap-oob]")
    assert columns is not None
    assert "Too costly." in text_of(
        str(columns.select_one(f"#position-org-{orgs[Group.EMPLOYERS].id}"))
    )


def test_posting_is_rate_limited_per_account_but_never_at_a_normal_pace(make_client, db):
    from app.rounds.rules import POSTING_WINDOW, POSTS_PER_WINDOW

    round_, orgs, reps = factories.three_groups_round(db)
    writer, org = reps[Group.WORKERS], orgs[Group.WORKERS]
    start = utcnow() - POSTING_WINDOW
    # a steady pace of one comment every 10 seconds, ending now: never refused
    for n in range(POSTS_PER_WINDOW - 8):
        factories.comment(db, round_, writer, org, created_at=start + timedelta(seconds=10 * n))
    browser = signed_in(make_client, db, writer)
    form = {"body": "Still at a normal pace", "idempotency_key": "pace-key-0001"}
    assert browser.submit(f"/rounds/{round_.id}/comments", form).status_code == 303
    # a flood: the limit is met within the window
    for _ in range(POSTS_PER_WINDOW):
        factories.comment(db, round_, writer, org)
    db.commit()
    form = {"body": "One too many, kept for later", "idempotency_key": "flood-key-0001"}
    refused = browser.submit(f"/rounds/{round_.id}/comments", form)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= POSTING_WINDOW.total_seconds() + 1
    assert "Please wait" in text_of(refused.text)
    assert "One too many, kept for later" in refused.text  # nothing typed is lost
    htmx = browser.submit(f"/rounds/{round_.id}/comments", form, headers=HTMX)
    assert htmx.status_code == 429 and "One too many" in htmx.text
    # the limit is per account: a colleague of another organisation posts
    other = signed_in(make_client, db, reps[Group.EMPLOYERS])
    form = {"body": "Different person", "idempotency_key": "other-key-0001"}
    assert other.submit(f"/rounds/{round_.id}/comments", form).status_code == 303
