"""The "did you mean" on both databases: a typo of a word anyone may find suggests it and the
suggestion's link finds it; a typo of a caucus's word suggests nothing to an outsider and runs
the statements a random miss runs; the vocabulary never holds a hidden, pending or draft
round's word."""

from __future__ import annotations

from sqlalchemy import select

from app.db import utcnow
from app.search import suggest
from app.search.models import SearchWord
from app.vocabulary import Group, RoundStatus, Visibility
from tests import factories
from tests.factories import signed_in
from tests.helpers import counted_queries, soup


def _vocabulary(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    suggest.rebuild_words(db.connection(), utcnow())
    db.commit()
    return {w: f for w, f in db.execute(select(SearchWord.word, SearchWord.frequency))}


def _suggestion(html: str):  # type: ignore[no-untyped-def]
    return soup(html).select_one("#search-results .search-suggestion a")


def test_a_typo_of_a_public_word_suggests_it_and_the_link_finds_it(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    factories.comment(db, round_, reps[Group.WORKERS], w, "Portability of pension rights.")
    factories.comment(db, round_, reps[Group.WORKERS], w, "Portability again.")
    db.commit()
    assert _vocabulary(db)["portability"] == 2
    browser = signed_in(make_client, db, reps[Group.EMPLOYERS])

    page = browser.get("/search?q=pension+portabilty&kind=comment")
    assert page.status_code == 200
    link = _suggestion(page.text)
    assert link is not None and link.get_text() == "pension portability"
    assert "Did you mean" in link.parent.get_text()
    found = soup(browser.get(link["href"]).text).select("#search-results li.search-result")
    assert len(found) == 1 and "Portability of pension rights" in found[0].get_text()
    assert "kind=comment" in link["href"]  # the filters kept

    # a correction the reader's filters would not find is not offered
    assert _suggestion(browser.get("/search?q=portabilty&kind=position").text) is None
    # nor one for a query that found something, nor for a word nothing is near
    assert _suggestion(browser.get("/search?q=portability").text) is None
    assert _suggestion(browser.get("/search?q=qzxwvkjh").text) is None


def test_a_typo_of_a_caucus_word_suggests_nothing_to_an_outsider_as_a_miss(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    factories.caucus_post(db, round_, reps[Group.WORKERS], w, "Zygomorphic strategy.")
    factories.comment(db, round_, reps[Group.WORKERS], w, "Public portability.")
    db.commit()
    vocabulary = _vocabulary(db)
    assert "zygomorphic" not in vocabulary and "strategy" not in vocabulary
    assert "portability" in vocabulary
    member = signed_in(make_client, db, reps[Group.WORKERS])
    assert soup(member.get("/search?q=zygomorphic").text).select("li.search-result")
    outsider = signed_in(make_client, db, reps[Group.EMPLOYERS])
    outsider.get("/search?q=warm")  # the first request of a client does more

    def statements(word: str) -> list[str]:
        with counted_queries(db) as asked:
            page = outsider.get(f"/search?q={word}")
        assert page.status_code == 200 and _suggestion(page.text) is None
        return list(asked)

    caucus = statements("zygomorphix")
    miss = statements("qvrtmplxkz")
    assert caucus == miss
    assert sum("search_words" in s for s in caucus) == 1  # the vocabulary read once
    # the members do not get it suggested either: it is not in the vocabulary
    assert _suggestion(member.get("/search?q=zygomorphix").text) is None


def test_hidden_pending_and_draft_words_never_enter_the_vocabulary(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    hidden = factories.comment(db, round_, reps[Group.WORKERS], w, "Hiddenword bystander.")
    hidden.visibility = Visibility.HIDDEN
    pending = factories.comment(db, round_, reps[Group.WORKERS], w, "Pendingword bystander.")
    pending.visibility = Visibility.PENDING
    factories.comment(db, round_, reps[Group.WORKERS], w, "Shownword bystander.")
    draft, draft_orgs, draft_reps = factories.three_groups_round(db)
    factories.comment(
        db, draft, draft_reps[Group.WORKERS], draft_orgs[Group.WORKERS], "Draftword bystander."
    )
    draft.status = RoundStatus.DRAFT
    db.commit()
    vocabulary = _vocabulary(db)
    assert vocabulary["shownword"] == 1 and vocabulary["bystander"] == 1
    assert not {"hiddenword", "pendingword", "draftword"} & set(vocabulary)
