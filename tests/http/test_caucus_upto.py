"""A caucus message older than the newest the page shows is reached from its search result:
``?upto=`` shows the messages up to and including it, with a way back to the newest (both
databases)."""

from __future__ import annotations

from app.caucus.models import CaucusPost
from app.caucus.service import POSTS_SHOWN
from app.vocabulary import Group
from tests import factories
from tests.helpers import soup

OLDER = 10  # messages older than the window of the one found


def _shown(html: str) -> list[int]:
    return [int(a["id"].rsplit("-", 1)[1]) for a in soup(html).select("article.caucus-post")]


def test_an_older_message_found_by_search_is_shown_with_the_messages_up_to_it(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    w, rep = orgs[Group.WORKERS], reps[Group.WORKERS]
    total = OLDER + 2 * POSTS_SHOWN + 5
    found_at = OLDER + POSTS_SHOWN - 1  # the window before it holds POSTS_SHOWN - 1 more
    rows = [
        CaucusPost(
            round_id=round_.id,
            group_name=w.group_name,
            author_id=rep.id,
            organisation_id=w.id,
            body=f"Quixotic proposal {n}." if n == found_at else f"Message {n}.",
            body_html=f"<p>Message {n}.</p>",
        )
        for n in range(total)
    ]
    db.add_all(rows)
    db.commit()
    ids = [row.id for row in rows]
    base = f"/rounds/{round_.id}/caucus/{Group.WORKERS.value}"
    member = factories.signed_in(make_client, db, rep)

    newest = member.get(base)
    assert _shown(newest.text) == ids[-POSTS_SHOWN:]
    assert ids[found_at] not in _shown(newest.text)
    assert soup(newest.text).select_one("#caucus-poller") is not None

    # the search result's link reaches it
    results = soup(member.get("/search?q=quixotic").text).select("#search-results li a[href]")
    link = next(a["href"] for a in results if "/caucus/" in a["href"])
    assert link == f"{base}?upto={ids[found_at]}#caucus-post-{ids[found_at]}"
    page = member.get(link.split("#")[0])
    assert page.status_code == 200
    assert _shown(page.text) == ids[OLDER : found_at + 1]  # POSTS_SHOWN, ending with it
    html = soup(page.text)
    assert html.select_one(f"#caucus-post-{ids[found_at]}") is not None
    back = html.select_one(".caucus-older a")
    assert back is not None and back["href"].startswith(base)
    assert "?" not in back["href"]
    assert html.select_one("#caucus-poller") is None  # no newer messages polled into it
    assert _shown(member.get(back["href"]).text) == ids[-POSTS_SHOWN:]

    # a message among the newest: the page as usual
    recent = member.get(f"{base}?upto={ids[-POSTS_SHOWN]}")
    assert _shown(recent.text) == ids[-POSTS_SHOWN:]
    assert soup(recent.text).select_one(".caucus-older") is None
    # the oldest: the few up to it
    assert _shown(member.get(f"{base}?upto={ids[0]}").text) == ids[:1]

    # never a 500; and outside the group, the same refusal as without it
    for bad in ("0", "-1", "x", str(2**31)):
        assert member.get(f"{base}?upto={bad}").status_code == 422
    outsider = factories.signed_in(make_client, db, reps[Group.EMPLOYERS])
    without = outsider.get(base)
    with_upto = outsider.get(f"{base}?upto={ids[found_at]}")
    assert with_upto.status_code == without.status_code == 404
    assert "Quixotic" not in with_upto.text
