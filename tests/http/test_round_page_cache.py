"""The round page kept whole (app/rounds/page_cache.py) and its first screen: a page served
again carries this browser's own CSRF token and fresh form keys, never another viewer's content;
``If-None-Match`` with its ETag is answered 304 until anything the viewer sees changes; a warm
page costs at most three queries, whatever the size of the round. A busy round's first screen
folds the statements and the replies, each one link away (with htmx and without). Both
databases."""

from __future__ import annotations

import re

from app.rounds import page as round_page
from app.rounds.models import Round
from app.vocabulary import Group, Stance
from tests import factories
from tests.conftest import TOKEN_FIELD, text_of
from tests.factories import signed_in
from tests.helpers import HTMX, counted_queries, soup

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def bump(db, round_):
    """What every write to a round does."""
    db.get(Round, round_.id).version += 1
    db.commit()


def test_an_unchanged_page_is_not_modified_and_any_change_is(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    first = reader.get(f"/rounds/{round_.id}")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    again = reader.get(f"/rounds/{round_.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # a write to the round (any: it bumps the version) changes the page
    posted = reader.submit(
        f"/rounds/{round_.id}/comments",
        {"body": "A new point.", "idempotency_key": "Cq2Hq0k1Z9vJb3Xo2TtR1w"},
    )
    assert posted.status_code == 303
    # (the page the redirect leads to says what was done: shown once, never kept)
    confirmed = reader.get(f"/rounds/{round_.id}", headers={"If-None-Match": etag})
    assert confirmed.status_code == 200 and "etag" not in confirmed.headers
    changed = reader.get(f"/rounds/{round_.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "A new point." in changed.text
    assert changed.headers["etag"] != etag
    # another language is another page
    reader.cookies.set("tripartite_lang", "fr")
    french = reader.get(f"/rounds/{round_.id}", headers={"If-None-Match": changed.headers["etag"]})
    assert french.status_code == 200 and french.headers["etag"] != changed.headers["etag"]
    # a version bumped by another process (the database is the only shared state)
    bump(db, round_)
    assert reader.get(f"/rounds/{round_.id}", headers={"If-None-Match": etag}).status_code == 200


def test_each_browser_gets_its_own_token_and_fresh_form_keys(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    one = signed_in(make_client, db, reps[Group.WORKERS])
    other = signed_in(make_client, db, reps[Group.WORKERS])  # the same person, another session
    pages = [one.get(f"/rounds/{round_.id}"), other.get(f"/rounds/{round_.id}")]
    tokens = [set(TOKEN_FIELD.findall(p.text)) for p in pages]
    assert len(tokens[0]) == 1 and len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert "__csrf_token_of_this_response__" not in pages[0].text + pages[1].text
    # the other session's ETag is not this one's: a 304 never hands over another token
    assert pages[0].headers["etag"] != pages[1].headers["etag"]
    refused = one.get(f"/rounds/{round_.id}", headers={"If-None-Match": pages[1].headers["etag"]})
    assert refused.status_code == 200
    # the same page served again: the token stays the session's, the form keys are new
    again = one.get(f"/rounds/{round_.id}")
    assert set(TOKEN_FIELD.findall(again.text)) == tokens[0]
    assert KEY.findall(again.text) and not set(KEY.findall(again.text)) & set(
        KEY.findall(pages[0].text)
    )
    # and the token works
    posted = one.submit(
        f"/rounds/{round_.id}/comments",
        {"body": "Posted from a kept page.", "idempotency_key": KEY.findall(again.text)[0]},
    )
    assert posted.status_code == 303


def test_a_kept_page_never_shows_one_organisation_what_is_anothers(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db, sealed=True)
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS], Stance.OPPOSE, "W7x")
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    colleague = signed_in(
        make_client, db, factories.member(db, orgs[Group.WORKERS], name="A colleague")
    )
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    own = workers.get(f"/rounds/{round_.id}").text
    assert "W7x" in own
    assert "W7x" in colleague.get(f"/rounds/{round_.id}").text  # the same organisation
    other = employers.get(f"/rounds/{round_.id}").text
    assert "W7x" not in other and "A colleague" not in other
    assert reps[Group.WORKERS].name not in text_of(str(soup(other).select_one("header")))


def test_a_confirmation_is_shown_once_and_never_kept(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    reader.get(f"/rounds/{round_.id}")
    posted = reader.submit(
        f"/rounds/{round_.id}/comments",
        {"body": "Confirmed once.", "idempotency_key": "Dq2Hq0k1Z9vJb3Xo2TtR1w"},
    )
    shown = reader.get(posted.headers["location"])
    flash = text_of(str(soup(shown.text).select_one("#flash")))
    assert flash
    later = reader.get(f"/rounds/{round_.id}")
    assert text_of(str(soup(later.text).select_one("#flash"))) == ""


def test_a_warm_page_costs_at_most_three_queries_whatever_its_size(make_client, db):
    viewer_org = factories.organisation(db, Group.WORKERS, name="Viewer's union")
    viewer = factories.member(db, viewer_org)
    small = busy_round(db, viewer_org, viewer, per_group=2, threads=2, replies=0)
    big = busy_round(db, viewer_org, viewer, per_group=8, threads=35, replies=2)
    reader = signed_in(make_client, db, viewer)
    warm = {}
    for name, round_ in (("small", small), ("big", big)):
        assert reader.get(f"/rounds/{round_.id}").status_code == 200
        with counted_queries(db) as statements:
            assert reader.get(f"/rounds/{round_.id}").status_code == 200
        warm[name] = len(statements)
    assert warm["small"] == warm["big"] <= 3, warm


def busy_round(db, viewer_org, viewer, per_group, threads, replies):
    organisations = [viewer_org]
    for group in Group:
        for _ in range(per_group - (1 if group is viewer_org.group else 0)):
            organisations.append(factories.organisation(db, group))
    round_ = factories.consultation_round(db, organisations)
    for n, org in enumerate(organisations):
        statement = f"Statement number {n} in full."
        factories.position(db, round_, org, viewer, list(Stance)[n % 5], statement)
    for n in range(threads):
        org = organisations[n % len(organisations)]
        parent = factories.comment(db, round_, viewer, org, f"Thread {n}")
        for m in range(replies):
            parent = factories.comment(db, round_, viewer, org, f"Reply {n}.{m}", parent=parent)
    return round_


def test_a_busy_first_screen_folds_statements_and_replies_one_link_away(make_client, db):
    viewer_org = factories.organisation(db, Group.WORKERS, name="Viewer's union")
    author = factories.member(db, viewer_org)
    round_ = busy_round(db, viewer_org, author, per_group=5, threads=12, replies=2)
    reader = signed_in(make_client, db, factories.member(db, viewer_org, name="Reader"))
    page = soup(reader.get(f"/rounds/{round_.id}").text)

    # the columns: every organisation and its stance, not every statement
    cards = page.select("#columns article.position")
    assert len(cards) == 15
    assert all(card.select_one(".stance") for card in cards)
    assert "Statement number" not in text_of(str(page.select_one("#columns")))
    every = page.find("a", string="read every statement in full")
    whole = soup(reader.get(every["href"].split("#")[0]).text)
    assert len(whole.select("#columns article.position")) == 15
    assert all(f"Statement number {n} in full." in text_of(str(whole)) for n in range(15))
    with_htmx = reader.get(every["hx-get"], headers=HTMX)
    assert soup(with_htmx.text).select_one("#columns") is not None

    # the threads: each opening comment, its replies one link away
    threads = page.select("#threads > article.comment")
    assert len(threads) == 12
    assert "Reply 0.0" not in text_of(str(page.select_one("#threads")))
    first = threads[0]
    link = first.select_one(".folded-replies a")
    assert text_of(str(link)) == "Show the 2 replies"
    # a reply arriving live still has its place under the folded thread
    reply_ids = [int(i["id"].removeprefix("replies-")) for i in first.select("[id^=replies-]")]
    assert len(reply_ids) == 3
    # with htmx: the thread whole, swapped in place
    opened = soup(reader.get(link["hx-get"], headers=HTMX).text)
    assert link["hx-target"] == "closest article"
    assert [text_of(str(p)) for p in opened.select(".prose")] == [
        "Thread 0",
        "Reply 0.0",
        "Reply 0.1",
    ]
    # without JavaScript: the round page with every reply, at the thread
    plain = soup(reader.get(link["href"].split("#")[0]).text)
    assert link["href"].endswith(f"#{first['id']}")
    assert "Reply 11.1" in text_of(str(plain.select_one("#threads")))
    assert plain.select_one(".folded-replies") is None
    # and without htmx the fragment's address is the round page
    assert reader.get(link["hx-get"]).status_code == 303


def test_a_small_round_shows_everything_in_full(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    factories.position(db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS], statement="E1.")
    top = factories.comment(db, round_, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS], "Top.")
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Under.", parent=top)
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(reader.get(f"/rounds/{round_.id}").text)
    assert "E1." in text_of(str(page.select_one("#columns")))
    assert "Under." in text_of(str(page.select_one("#threads")))
    assert page.select_one(".folded-replies") is None
    assert round_page.COMMENTS_UNFOLDED >= 2 and round_page.STATEMENTS_SHOWN >= 1
