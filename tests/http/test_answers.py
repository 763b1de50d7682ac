"""Every action answers, as a person reads it: the confirmation at the top of the next page
(without JavaScript) or in the ``confirmed`` event (htmx); a refused form comes back filled in,
the refusal beside its field, never a dead-end page (issue 14, section 2)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.comments.models import Comment
from app.db import utcnow
from app.drafts.models import Amendment
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus, Visibility
from tests import factories
from tests.factories import signed_in
from tests.helpers import HTMX, days_ahead, local, soup
from tests.security.world import build, cheap_passwords, clients_for  # noqa: F401 (a fixture)


def flash_after(browser, response) -> str:
    """What the person reads at the top of the page a redirect leads to."""
    assert response.status_code == 303, response.text
    page = soup(browser.get(response.headers["location"]).text)
    flash = page.select_one("#flash")
    assert flash is not None
    return flash.get_text(" ", strip=True)


def announced(response) -> str:
    """The sentence an htmx answer asks the page to announce."""
    assert 200 <= response.status_code < 300, response.text
    return json.loads(response.headers["HX-Trigger"])["confirmed"]


def field_error(page, control_id: str) -> str:
    """The error beside a form control: it is marked invalid and described by the error."""
    control = page.select_one(f"#{control_id}")
    assert control is not None, control_id
    assert control.get("aria-invalid") == "true", control
    described = control.get("aria-describedby", "").split()
    errors = [page.select_one(f"#{i}") for i in described]
    texts = [e.get_text(" ", strip=True) for e in errors if e is not None and "error" in e["class"]]
    assert texts, f"{control_id} is not described by an error"
    return texts[0]


def moderator_and_comment(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    old = utcnow() - timedelta(hours=1)
    comment = factories.comment(
        db, round_, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS], "Off the point.", created_at=old
    )
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    return round_, orgs, reps, comment, signed_in(make_client, db, moderator)


# -- confirmations as they are read ---------------------------------------------------------


def test_hiding_a_comment_without_javascript_says_so_on_the_round_page(make_client, db):
    round_, _orgs, _reps, comment, mod = moderator_and_comment(make_client, db)
    hidden = mod.submit(
        f"/rounds/{round_.id}/comments/{comment.id}/hide", {"reason_code": "off_topic"}
    )
    assert flash_after(mod, hidden) == (
        "Comment hidden (reason: Off topic). Its author and moderators still see it."
    )
    again = soup(mod.get(f"/rounds/{round_.id}").text).select_one("#flash")
    assert again is not None and again.get_text(strip=True) == ""  # shown once


def test_closing_a_round_says_what_comes_next(make_client, db):
    round_, _orgs, _reps, _comment, mod = moderator_and_comment(make_client, db)
    closed = mod.submit(f"/rounds/{round_.id}/close", {"outcome": "Agreed."})
    number = round_.number
    assert flash_after(mod, closed) == (
        f"Round {number} closed. The groups can now be asked to sign off."
    )


def test_a_flag_under_htmx_is_announced(make_client, db):
    round_, _orgs, reps, comment, _mod = moderator_and_comment(make_client, db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    flagged = workers.submit(
        f"/rounds/{round_.id}/comments/{comment.id}/flag", {"reason": "Spam"}, headers=HTMX
    )
    assert announced(flagged) == "Comment flagged; a moderator will review it."


def test_an_amendment_proposed_and_supported_is_named(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    paragraph = factories.draft(db, round_, "First paragraph.", "Second paragraph.")[1]
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    url = f"/rounds/{round_.id}/paragraphs/{paragraph.id}/amendments"
    proposed = workers.submit(url, {"text": "A better second paragraph."}, headers=HTMX)
    assert announced(proposed) == "Amendment 2.1 proposed."
    amendment_id = db.scalars(
        select(Amendment.id).where(Amendment.paragraph_id == paragraph.id)
    ).one()
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    supported = employers.submit(f"/rounds/{round_.id}/amendments/{amendment_id}/support")
    assert flash_after(employers, supported) == "Your organisation supports amendment 2.1."


def test_asking_for_signoff_and_answering_it_are_confirmed(make_client, db):
    round_, orgs, _reps, _comment, mod = moderator_and_comment(make_client, db)
    mod.submit(f"/rounds/{round_.id}/close", {"outcome": "Agreed."})
    voices = {g: factories.member(db, orgs[g], MandateRole.FOCAL_POINT) for g in Group}
    form = {f"spokesperson_{g.value}": str(voices[g].id) for g in Group}
    form["signoff_deadline"] = local(utcnow() + timedelta(days=3))
    asked = mod.submit(f"/rounds/{round_.id}/signoff", form)
    assert flash_after(mod, asked) == "Sign-off requested from the three groups' spokespersons."
    union = signed_in(make_client, db, voices[Group.WORKERS])
    answered = union.submit(f"/rounds/{round_.id}/signoff/decision", {"decision": "confirm"})
    assert flash_after(union, answered) == "Your group's confirmation of the outcome is recorded."


def test_an_invitation_names_its_address(make_client, db):
    organisation = factories.organisation(db, Group.WORKERS)
    focal = factories.member(db, organisation, MandateRole.FOCAL_POINT)
    browser = signed_in(make_client, db, focal)
    sent = browser.submit(
        f"/organisations/{organisation.id}/invitations",
        {"name": "Ana", "email": "ana@example.org", "role": "representative"},
    )
    assert sent.status_code == 201  # the page with the link to pass on, answered in place
    flash = soup(sent.text).select_one("#flash")
    assert flash is not None and flash.get_text(strip=True) == "Invitation sent to ana@example.org."


def test_a_confirmation_is_in_the_readers_language(make_client, db):
    round_, _orgs, _reps, comment, mod = moderator_and_comment(make_client, db)
    mod.submit("/language", {"language": "fr", "next": "/"})
    locked = mod.submit(f"/rounds/{round_.id}/comments/{comment.id}/lock")
    assert flash_after(mod, locked) == "Fil verrouillé : plus personne ne peut y répondre."


# -- refusals beside their fields, never a dead end -----------------------------------------


def test_hiding_for_other_without_details_comes_back_on_the_form(make_client, db):
    round_, _orgs, _reps, comment, mod = moderator_and_comment(make_client, db)
    refused = mod.submit(
        f"/rounds/{round_.id}/comments/{comment.id}/hide", {"reason_code": "other", "note": " "}
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    assert "Please check what you sent" not in page.get_text()
    assert field_error(page, f"hide-note-{comment.id}").startswith("Give a reason")
    chosen = page.select_one(f"#hide-reason-{comment.id} option[selected]")
    assert chosen is not None and chosen["value"] == "other"  # filled in as sent
    assert page.select_one(f"form[action$='/comments/{comment.id}/hide']") is not None
    back = page.select_one(f"a[href='/rounds/{round_.id}#comment-{comment.id}']")
    assert back is not None  # and a way back to the round
    assert "Off the point." in page.get_text()  # the comment being moderated is quoted
    assert db.get(Comment, comment.id).visibility == Visibility.VISIBLE


def test_hiding_with_an_unknown_reason_is_refused_beside_the_choice(make_client, db):
    round_, _orgs, _reps, comment, mod = moderator_and_comment(make_client, db)
    refused = mod.submit(
        f"/rounds/{round_.id}/comments/{comment.id}/hide", {"reason_code": "dislike"}
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    assert field_error(page, f"hide-reason-{comment.id}") == "Choose a reason from the list."


def test_a_signoff_request_refused_comes_back_beside_its_fields(make_client, db):
    round_, orgs, _reps, _comment, mod = moderator_and_comment(make_client, db)
    mod.submit(f"/rounds/{round_.id}/close", {"outcome": "Agreed."})
    voices = {g: factories.member(db, orgs[g], MandateRole.FOCAL_POINT) for g in Group}
    form = {f"spokesperson_{g.value}": str(voices[g].id) for g in Group}
    form["signoff_deadline"] = ""
    missing = mod.submit(f"/rounds/{round_.id}/signoff", form)
    assert missing.status_code == 422
    page = soup(missing.text)
    assert field_error(page, "signoff-deadline") == "Give a sign-off deadline in the future."
    for group in Group:
        chosen = page.select_one(f"#spokesperson-{group.value} option[selected]")
        assert chosen is not None and chosen["value"] == str(voices[group].id)
    # not a person at all: beside the workers' choice, the deadline as typed
    deadline = local(utcnow() + timedelta(days=3))
    form.update(spokesperson_workers="someone", signoff_deadline=deadline)
    wrong = mod.submit(f"/rounds/{round_.id}/signoff", form)
    assert wrong.status_code == 422
    page = soup(wrong.text)
    assert "spokesperson" in field_error(page, "spokesperson-workers")
    assert page.select_one("#signoff-deadline")["value"] == deadline


def test_an_empty_reservation_is_refused_beside_it(make_client, db):
    round_, orgs, _reps, _comment, mod = moderator_and_comment(make_client, db)
    mod.submit(f"/rounds/{round_.id}/close", {"outcome": "Agreed."})
    voices = {g: factories.member(db, orgs[g], MandateRole.FOCAL_POINT) for g in Group}
    form = {f"spokesperson_{g.value}": str(voices[g].id) for g in Group}
    form["signoff_deadline"] = local(utcnow() + timedelta(days=3))
    mod.submit(f"/rounds/{round_.id}/signoff", form)
    union = signed_in(make_client, db, voices[Group.WORKERS])
    empty = union.submit(
        f"/rounds/{round_.id}/signoff/decision", {"decision": "reservation", "reservation": " "}
    )
    assert empty.status_code == 422
    assert field_error(soup(empty.text), "reservation") == "The reservation is required."


def test_a_lifecycle_form_refused_keeps_what_was_typed(make_client, db):
    round_, _orgs, _reps, _comment, mod = moderator_and_comment(make_client, db)
    refused = mod.submit(
        f"/rounds/{round_.id}/extend", {"closes_at": "next week", "reason": "More time."}
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    assert field_error(page, "f-closes_at")
    assert page.select_one("#f-reason")["value"] == "More time."
    assert db.get(type(round_), round_.id).status is RoundStatus.OPEN


# -- the same swap updates counts and states ---------------------------------------------------


def test_a_new_comment_goes_under_the_thread_count_which_follows_it(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    for n in range(3):
        factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], f"Nº {n}")
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(workers.get(f"/rounds/{round_.id}").text)
    count = page.select_one("#thread-count")
    assert count.get_text(strip=True) == "3 threads."
    # where htmx puts a new comment: right under the count, above the threads
    assert count.find_next_sibling()["id"] == "new-comments"
    posted = workers.submit(
        f"/rounds/{round_.id}/comments",
        {"body": "A fourth view.", "idempotency_key": "k-1"},
        headers=HTMX,
    )
    assert announced(posted) == "Your comment is posted."
    swapped = soup(posted.text)
    count = swapped.select_one("#thread-count")
    assert count["hx-swap-oob"] == "true" and count.get_text(strip=True) == "4 threads."
    assert "A fourth view." in swapped.select_one("article.comment").get_text()


def test_a_new_comment_on_a_filtered_discussion_counts_what_the_filter_shows(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "Theirs.")
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    posted = workers.submit(
        f"/rounds/{round_.id}/comments",
        {"body": "Ours.", "idempotency_key": "k-2"},
        headers={
            **HTMX,
            "HX-Current-URL": f"http://testserver/rounds/{round_.id}?group=government",
        },
    )
    count = soup(posted.text).select_one("#thread-count")
    assert count.get_text(strip=True) == "1 thread matching the filter."


def test_a_reply_leaves_the_thread_count_alone(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    first = factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "Hi.")
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    replied = workers.submit(
        f"/rounds/{round_.id}/comments/{first.id}/replies",
        {"body": "Hello.", "idempotency_key": "k-3"},
        headers=HTMX,
    )
    assert announced(replied) == "Your reply is posted."
    assert soup(replied.text).select_one("#thread-count") is None


# -- moderators see what is not public, marked as such ------------------------------------------


def test_moderators_see_hidden_and_pending_comments_marked_in_words(make_client, db):
    round_, orgs, reps, comment, mod = moderator_and_comment(make_client, db)
    mod.submit(f"/rounds/{round_.id}/comments/{comment.id}/hide", {"reason_code": "spam"})
    waiting = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Later.")
    waiting.visibility = Visibility.PENDING
    db.commit()
    paragraph = factories.draft(db, round_, "One.")[0]
    on_paragraph = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "On 1.")
    on_paragraph.paragraph_id = paragraph.id
    db.commit()
    page = soup(mod.get(f"/rounds/{round_.id}").text)
    hidden = page.select_one(f"#comment-{comment.id}")
    assert "is-hidden" in hidden["class"]  # a style of its own (a dashed edge, not a colour)
    label = hidden.select_one(".state-label").get_text(strip=True)
    assert label == "Hidden by a moderator — Spam or advertising"
    assert "Off the point." in hidden.get_text()  # the moderator still reads it
    pending = page.select_one(f"#comment-{waiting.id}")
    assert "is-pending" in pending["class"]
    assert pending.select_one(".state-label").get_text(strip=True) == "Awaiting approval"
    on_paragraph.visibility = Visibility.PENDING
    db.commit()
    page = soup(mod.get(f"/rounds/{round_.id}").text)
    marked = page.select_one(f"#paragraph-comments-{paragraph.id} #comment-{on_paragraph.id}")
    assert marked.select_one(".state-label").get_text(strip=True) == "Awaiting approval"
    queue = soup(mod.get("/moderation").text)
    labels = [label.get_text(strip=True) for label in queue.select(".queue .state-label")]
    assert "Awaiting approval" in labels


def test_a_form_the_app_cannot_read_leads_back_to_where_it_was_sent_from(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = f"/rounds/{round_.id}?group=workers"
    garbled = workers.submit(
        f"/rounds/{round_.id}/positions",
        {"stance": "support", "base_version": "not a number"},
        headers={"Referer": f"http://testserver{page}"},
    )
    assert garbled.status_code == 422
    back = soup(garbled.text).find("a", string="Back to the page you were on")
    assert back is not None and back["href"] == page
    # another site's page is not offered
    elsewhere = workers.submit(
        f"/rounds/{round_.id}/positions",
        {"stance": "support", "base_version": "not a number"},
        headers={"Referer": "http://evil.example/phish"},
    )
    assert soup(elsewhere.text).find("a", string="Back to the page you were on") is None


def test_every_view_of_the_discussion_has_one_place_for_new_comments(make_client, db):
    from app.rounds.page import THREADS_PER_PAGE

    round_, orgs, reps = factories.three_groups_round(db)
    for n in range(THREADS_PER_PAGE + 1):
        factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], f"Nº {n}")
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    for query in ("", "?page=2"):
        page = soup(workers.get(f"/rounds/{round_.id}{query}").text)
        assert len(page.select("#new-comments")) == 1, query


#: Each form of the moderation, lifecycle, sign-off, officers, caucus and draft pages, sent
#: with a field missing or wrong: (role, path with World ids, data, the control refused, a
#: field that must come back as typed: (control id, value) or None).
REFUSED_FORMS = [
    ("moderator", "/rounds/{round}/close", {"outcome": " "}, "f-outcome", None),
    (
        "moderator",
        "/rounds/{closed}/reopen",
        {"closes_at": "{future}", "reason": ""},
        "f-reason",
        ("f-closes_at", "{future}"),
    ),
    (
        "moderator",
        "/rounds/{round}/extend",
        {"closes_at": "soon", "reason": "More time."},
        "f-closes_at",
        ("f-reason", "More time."),
    ),
    (
        "moderator",
        "/rounds/{round}/comments/{comment}/hide",
        {"reason_code": "other", "note": ""},
        "hide-note-{comment}",
        None,
    ),
    (
        "rep",
        "/rounds/{round}/comments/{comment}/flag",
        {"reason": " "},
        "flag-reason-{comment}",
        None,
    ),
    (
        "moderator",
        "/rounds/{round}/officers",
        {"chair_user": "99999999", "vice_chair_employers": "{employers_rep}"},
        "f-chair_user",
        None,
    ),
    ("rep", "/rounds/{round}/caucus/workers/posts", {"body": " "}, "caucus-post-body", None),
    (
        "rep",
        "/rounds/{round}/caucus/workers/statement",
        {"statement_id": "{statement}", "text": ""},
        "statement-text",
        None,
    ),
    (
        "rep",
        "/rounds/{round}/paragraphs/{paragraph}/amendments",
        {"text": "", "reason": "Clearer."},
        "amendment-form-{paragraph}-text",
        ("amendment-form-{paragraph}-reason", "Clearer."),
    ),
    ("moderator", "/rounds/{draft}/draft", {"text": ""}, "draft-text", None),
    (
        "moderator",
        "/rounds/{closed}/revise",
        {"title": "Round two", "brief": "", "closes_at": "{future}", "paragraphs": ["One."]},
        "f-brief",
        ("f-title", "Round two"),
    ),
]


@pytest.mark.parametrize(
    ("role", "path", "data", "control", "kept"),
    REFUSED_FORMS,
    ids=[case[1].split("}/", 1)[-1] for case in REFUSED_FORMS],
)
def test_a_refused_form_comes_back_filled_in_with_the_error_beside_the_field(
    role, path, data, control, kept, make_client, db
):
    world = build(db)
    client = clients_for(world, make_client, db, (role,))[role]
    future = days_ahead()

    def filled(text: str) -> str:
        for key, value in world.ids.items():
            text = text.replace(f"{{{key}}}", str(value))
        for key, person in world.people.items():
            text = text.replace(f"{{{key}}}", str(person.id))
        return text.replace("{future}", future)

    form = {
        k: [filled(x) for x in v] if isinstance(v, list) else filled(v) for k, v in data.items()
    }
    refused = client.submit(filled(path), form)
    assert refused.status_code == 422, refused.text[:500]
    page = soup(refused.text)
    assert "Please check what you sent" not in page.get_text()
    assert field_error(page, filled(control))
    if kept:
        kept_id, value = (filled(x) for x in kept)
        element = page.select_one(f"#{kept_id}")
        shown = element.get("value") if element.name == "input" else element.get_text()
        assert shown == value
