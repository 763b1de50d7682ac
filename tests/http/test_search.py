"""The search page over HTTP, on both databases: each result is a link to the exact place of
what was found; the results alone under htmx; pages of results that work without JavaScript;
the form filled in with the query; parameters that cannot be are no filter (never a 500);
signed-in people only; a constant number of statements whatever the number of results."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from app.vocabulary import Group
from tests import factories
from tests.factories import signed_in
from tests.helpers import HTMX, counted_queries, soup

RESULTS = {**HTMX, "HX-Target": "search-results"}


def world(db, matching: int, word: str = "portability"):
    """A round of the three groups with ``matching`` comments holding ``word`` (the workers'
    representative's) and one that does not."""
    round_, orgs, reps = factories.three_groups_round(db, title="Labour migration round")
    comments = [
        factories.comment(
            db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], f"Pension {word} note {n}."
        )
        for n in range(matching)
    ]
    factories.comment(db, round_, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS], "Other words.")
    db.commit()
    return round_, orgs, reps, comments


def results(html: str) -> list:
    return soup(html).select("#search-results li.search-result")


def test_each_result_links_to_the_exact_place_of_what_was_found(make_client, db):
    round_, orgs, reps, comments = world(db, 2)
    browser = signed_in(make_client, db, reps[Group.GOVERNMENT])
    response = browser.get("/search?q=portability")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "private, no-store"
    found = results(response.text)
    assert len(found) == 2
    hrefs = set()
    for result in found:
        link = result.select_one("a[href]")
        assert link is not None
        href = link["href"]
        assert urlsplit(href).path == f"/rounds/{round_.id}"
        hrefs.add(urlsplit(href).fragment)
        assert [m.get_text() for m in result.select("mark")] == ["portability"]
        assert orgs[Group.WORKERS].name in result.get_text()
        assert result.select_one(f".badge.group-{Group.WORKERS.value}") is not None
        assert result.select_one("bdi").get_text() == orgs[Group.WORKERS].name
        assert "Labour migration round" in result.get_text()
    assert hrefs == {f"comment-{c.id}" for c in comments}
    page = soup(response.text)
    assert "Found 2 results" in page.select_one(".search-found").get_text()
    assert page.select_one("#search-results h3").get_text(strip=True) == "Comments"
    # the page a result names is there for this person
    target = browser.get(found[0].select_one("a")["href"])
    assert target.status_code == 200 and f'id="comment-{comments[0].id}"' in target.text


def test_under_htmx_the_results_come_alone(make_client, db):
    _round, _orgs, reps, _comments = world(db, 1)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    partial = browser.get("/search?q=portability", headers=RESULTS)
    assert partial.status_code == 200
    assert "<html" not in partial.text and "<form" not in partial.text
    root = soup(partial.text).find(True)
    assert root.name == "section" and root["id"] == "search-results"
    assert len(results(partial.text)) == 1
    assert partial.headers["cache-control"] == "private, no-store"
    # an htmx request aimed elsewhere (a boosted link) gets the whole page
    whole = browser.get("/search?q=portability", headers=HTMX)
    assert "<html" in whole.text and len(results(whole.text)) == 1


def test_the_form_searches_with_htmx_and_pushes_the_query_to_the_address(make_client, db):
    _round, _orgs, reps, _comments = world(db, 1)
    page = soup(signed_in(make_client, db, reps[Group.WORKERS]).get("/search").text)
    form = page.select_one('main form[role="search"]')
    assert form["method"] == "get" and form["action"] == "/search"
    assert form["hx-get"] == "/search" and form["hx-target"] == "#search-results"
    assert form["hx-push-url"] == "true"
    # the box asks as one types; the filters when one changes (leaving the box asks nothing
    # again: that second answer's new address would cancel a result's link just clicked)
    assert form["hx-trigger"] == (
        "input changed delay:300ms from:#search-q, change from:#search-filters, submit"
    )
    assert form.select_one("fieldset#search-filters select[name=kind]") is not None
    assert form.select_one('label[for="search-q"]') is not None
    assert form.select_one('button[type="submit"]') is not None
    for name in ("kind", "group", "organisation", "consultation", "country", "subject"):
        assert form.select_one(f'select[name="{name}"]') is not None, name
    for name in ("stance", "year", "sort"):
        assert form.select_one(f'select[name="{name}"]') is not None, name
    # before any word: what to do, and no result
    assert "Type one or more words" in page.select_one("#search-results").get_text()


def test_pages_of_results_work_without_javascript(make_client, db):
    _round, _orgs, reps, _comments = world(db, 25)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    first = browser.get("/search?q=portability&sort=date")
    assert len(results(first.text)) == 20
    pager = soup(first.text).select_one("nav.pager")
    assert "Page 1 of 2" in pager.get_text()
    assert pager.select_one('a[rel="prev"]') is None
    following = pager.select_one('a[rel="next"]')["href"]
    asked = parse_qs(urlsplit(following).query)
    assert asked == {"q": ["portability"], "sort": ["date"], "page": ["2"]}
    second = browser.get(following)
    assert len(results(second.text)) == 5
    pager = soup(second.text).select_one("nav.pager")
    assert "Page 2 of 2" in pager.get_text() and pager.select_one('a[rel="next"]') is None
    back = pager.select_one('a[rel="prev"]')["href"]
    assert parse_qs(urlsplit(back).query) == {"q": ["portability"], "sort": ["date"]}
    seen = {a["href"] for r in results(first.text) + results(second.text) for a in r.select("a")}
    assert len(seen) == 25
    # past the last page: said so, with the way back
    past = soup(browser.get("/search?q=portability&page=7").text)
    assert not past.select("li.search-result")
    assert "past the last page" in past.select_one("#search-results").get_text()


def test_the_form_comes_back_filled_in(make_client, db):
    round_, orgs, reps, _comments = world(db, 1)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    workers = orgs[Group.WORKERS]
    url = (
        f"/search?q=portability&kind=comment&group=workers&organisation={workers.id}"
        f"&consultation={round_.consultation_id}&sort=date&stance=oppose"
    )
    page = soup(browser.get(url).text)
    assert page.select_one("#search-q")["value"] == "portability"

    def chosen(name: str) -> str:
        option = page.select_one(f'select[name="{name}"] option[selected]')
        return option["value"] if option else ""

    assert chosen("kind") == "comment"
    assert chosen("group") == "workers"
    assert chosen("organisation") == str(workers.id)
    assert chosen("consultation") == str(round_.consultation_id)
    assert chosen("sort") == "date"
    assert chosen("stance") == "oppose"


def test_a_search_that_finds_nothing_says_what_to_try(make_client, db):
    _round, _orgs, reps, _comments = world(db, 1)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(browser.get("/search?q=zzqxv&kind=comment").text)
    text = page.select_one("#search-results").get_text(" ", strip=True)
    assert "Nothing found for “zzqxv”" in text and "Try fewer words" in text
    again = page.select_one("#search-results a")["href"]
    assert parse_qs(urlsplit(again).query) == {"q": ["zzqxv"]}  # without the filters


HUGE = str(2**64 + 1)


@pytest.mark.parametrize(
    "query",
    [
        f"q=portability&page={HUGE}&consultation={HUGE}&organisation=-1&year=-1",
        "q=portability&page=0&kind=nothing&group=nobody&stance=maybe&sort=sideways",
        "q=portability&page=-3&year=99999&subject=%00&country=%00",
        "q=%00portability%E2%80%AE&kind=comment&kind=comment&kind=%00",
        "q=" + quote("portability " * 400),
        "q=" + quote("a b c d e f g h i j k l m n o p"),
        "q=" + quote("\"'<script>*&|!():-^~"),
        "q=%FF%FE&page=1e9&year=2026.5",
        "q=&kind=comment",
        "kind=comment&q=portability&q=other",
    ],
)
def test_parameters_that_cannot_be_never_give_a_server_error(make_client, db, query):
    _round, _orgs, reps, _comments = world(db, 1)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    for headers in ({}, RESULTS):
        response = browser.get(f"/search?{query}", headers=headers)
        assert response.status_code == 200, response.text
        assert "<script>" not in response.text.split("</head>")[-1]


def test_the_query_field_keeps_at_most_200_characters(make_client, db):
    _round, _orgs, reps, _comments = world(db, 1)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    page = soup(browser.get("/search?q=" + "x" * 500).text)
    assert page.select_one("#search-q")["value"] == "x" * 200


def test_anonymous_visitors_are_sent_to_sign_in(make_client, db):
    world(db, 1)
    anonymous = make_client()
    response = anonymous.get("/search?q=portability")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + quote("/search?q=portability", "")
    assert anonymous.get("/search?q=portability", headers=RESULTS).headers["HX-Redirect"]
    # the header's search form is for signed-in people
    assert soup(anonymous.get("/login").text).select_one("#site-search-q") is None


def test_the_header_carries_a_small_search_form(make_client, db):
    _round, _orgs, reps, _comments = world(db, 1)
    home = soup(signed_in(make_client, db, reps[Group.WORKERS]).get("/").text)
    form = home.select_one("header form.site-search")
    assert form["action"] == "/search" and form["role"] == "search"
    field = form.select_one("#site-search-q")
    assert field["name"] == "q" and not field.get("value")
    assert form.select_one('label[for="site-search-q"]') is not None


def test_the_page_runs_as_many_statements_for_3_results_as_for_30(make_client, db):
    def measure(n: int, word: str) -> int:
        _round, _orgs, reps, _comments = world(db, n, word)
        browser = signed_in(make_client, db, reps[Group.WORKERS])
        url = f"/search?q={word}"
        browser.get(url)  # warm
        with counted_queries(db) as statements:
            response = browser.get(url)
        assert len(results(response.text)) == min(n, 20)
        return len(statements)

    assert measure(3, "portability") == measure(30, "transferability")


def test_a_search_found_is_saved_from_its_page(make_client, db):
    _round, _orgs, reps, _comments = world(db, 2)
    browser = signed_in(make_client, db, reps[Group.GOVERNMENT])
    page = soup(browser.get("/search?q=portability&group=workers").text)
    link = page.select_one("#search-results a.search-save")
    assert link is not None and link["href"].startswith("/search/saved?")
    form_page = browser.get(link["href"])
    assert form_page.status_code == 200
    assert 'value="portability"' in form_page.text
    assert '<input type="hidden" name="group" value="workers">' in form_page.text
    saved = browser.submit(
        "/search/saved", {"name": "Portability", "q": "portability", "group": "workers"}
    )
    assert saved.status_code == 303
    listing = browser.get("/search/saved")
    assert "Portability" in listing.text
    assert "/search?q=portability&amp;group=workers" in listing.text
