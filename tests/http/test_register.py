"""A body's decisions register through HTTP, on both databases: every decision with its
method, result, divergent positions and the state of its actions; its filters with and
without htmx; its CSV (codes), XLSX and PDF (the reader's words); and a query count that does
not grow with the number of decisions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook

from app.decisions.models import (
    Action,
    ActionConfirmation,
    ActionNote,
    DecisionVote,
    DivergentPosition,
)
from app.decisions.register import CSV_COLUMNS
from app.meetings.models import Meeting
from app.vocabulary import (
    ActionOwner,
    ActionStatus,
    Confidentiality,
    DecisionMethod,
    Group,
    Verdict,
    Vote,
)
from tests import factories
from tests.conftest import text_of
from tests.helpers import HTMX, counted_queries, soup
from tests.http.decision_world import build, decision

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS


def as_(make_client, db, person):
    return factories.signed_in(make_client, db, person)


def recorded(db, world, method, adopted, item=None, **columns):
    d = decision(
        db,
        world,
        method,
        item=item or world.item_on(db, f"Item {method.value}"),
        recorded_at=datetime.now(UTC),
        recorded_by_id=world.moderator.id,
        adopted=adopted,
        quorate=True,
        quorum_overall=1,
        quorum_per_group=1,
        **columns,
    )
    return d


def a_register(db, world):
    """A consensus adopted with the employers' divergent position and a disputed, overdue
    action; a group-equal vote not adopted; and a double majority still open."""
    consensus = recorded(db, world, DecisionMethod.CONSENSUS, True, text="Raise the wage.")
    db.add(
        DivergentPosition(
            decision_id=consensus.id,
            group_name=E,
            text="Too fast.",
            written_by_id=world.holders[E].id,
        )
    )
    late = Action(
        decision_id=consensus.id,
        what="Publish the scale",
        owner=ActionOwner.GOVERNMENT,
        created_by_id=world.moderator.id,
        due_on=date.today() - timedelta(days=2),
        status=ActionStatus.IN_PROGRESS,
    )
    done = Action(
        decision_id=consensus.id,
        what="Consult",
        owner=ActionOwner.SECRETARIAT,
        created_by_id=world.moderator.id,
        status=ActionStatus.DONE,
    )
    db.add_all([late, done])
    db.flush()
    note = ActionNote(
        action_id=late.id,
        text="Drafted.",
        status=ActionStatus.IN_PROGRESS,
        written_by_id=world.holders[G].id,
    )
    db.add(note)
    db.flush()
    db.add(
        ActionConfirmation(
            action_id=late.id,
            note_id=note.id,
            group_name=W,
            verdict=Verdict.DISPUTED,
            reason="Not drafted.",
            given_by_id=world.holders[W].id,
        )
    )
    vote = recorded(db, world, DecisionMethod.GROUP_EQUAL_VOTE, False, text="Index wages.")
    db.add(
        DecisionVote(
            decision_id=vote.id,
            organisation_id=world.orgs[G].id,
            vote=Vote.FOR,
            cast_by_id=world.holders[G].id,
        )
    )
    open_ = decision(
        db,
        world,
        DecisionMethod.DOUBLE_MAJORITY,
        item=world.item_on(db, "Open"),
        text="Extend coverage.",
    )
    db.flush()
    return consensus, vote, open_


def test_the_register_lists_every_decision_with_its_result_and_actions(make_client, db):
    world = build(db)
    consensus, vote, open_ = a_register(db, world)
    page = as_(make_client, db, world.holders[W]).get(f"/bodies/{world.body.id}/decisions")
    assert page.status_code == 200
    said = text_of(page.text)
    assert "3 decisions." in said
    assert "Adopted by consensus." in said
    assert "Divergent position of the Employers group: Too fast." in said
    assert "Actions: 1 in progress, 1 done, 1 overdue, 1 disputed." in said
    assert "Not adopted: government for (weight 1 of 3; at least 1.5 needed)." in said
    assert "Not recorded yet: the vote is open." in said


def test_the_register_filters_without_javascript_and_with_htmx(make_client, db):
    world = build(db)
    consensus, vote, open_ = a_register(db, world)
    browser = as_(make_client, db, world.moderator)
    url = f"/bodies/{world.body.id}/decisions"

    def shown(response):
        return {li["id"] for li in soup(response.text).select("li.register-entry")}

    assert shown(browser.get(url, params={"method": "consensus"})) == {
        f"register-decision-{consensus.id}"
    }
    assert shown(browser.get(url, params={"adopted": "no"})) == {f"register-decision-{vote.id}"}
    assert shown(browser.get(url, params={"adopted": "open"})) == {f"register-decision-{open_.id}"}
    assert shown(browser.get(url, params={"state": "disputed"})) == {
        f"register-decision-{consensus.id}"
    }
    assert shown(browser.get(url, params={"state": "overdue"})) == {
        f"register-decision-{consensus.id}"
    }
    year = db.get(Meeting, world.meeting.id).starts_at.year
    assert len(shown(browser.get(url, params={"year": str(year)}))) == 3
    assert shown(browser.get(url, params={"year": str(year - 5)})) == set()
    fragment = browser.get(
        url, params={"adopted": "yes"}, headers=HTMX | {"HX-Target": "register-rows"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="register-rows"' in fragment.text
    assert shown(fragment) == {f"register-decision-{consensus.id}"}
    form = soup(browser.get(url).text).select_one("form.filters")
    assert form["method"] == "get" and form.get("hx-get")


def test_the_csv_has_stable_columns_with_codes(make_client, db):
    world = build(db)
    consensus, vote, open_ = a_register(db, world)
    response = as_(make_client, db, world.moderator).get(f"/bodies/{world.body.id}/decisions.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    by_id = {int(r["decision_id"]): r for r in rows}
    c = by_id[consensus.id]
    assert (c["method"], c["adopted"], c["recorded"], c["divergent_groups"]) == (
        "consensus",
        "true",
        "true",
        "employers",
    )
    assert (
        c["actions_in_progress"],
        c["actions_done"],
        c["actions_overdue"],
        c["actions_disputed"],
    ) == ("1", "1", "1", "1")
    v = by_id[vote.id]
    assert (v["method"], v["adopted"], v["votes_for"], v["threshold"], v["weighting"]) == (
        "group_equal_vote",
        "false",
        "1",
        "1/2",
        "1:1:1",
    )
    o = by_id[open_.id]
    assert (o["recorded"], o["adopted"], o["quorate"]) == ("false", "", "")
    filtered = as_(make_client, db, world.moderator).get(
        f"/bodies/{world.body.id}/decisions.csv", params={"method": "consensus"}
    )
    assert len(list(csv.DictReader(io.StringIO(filtered.text)))) == 1


def test_the_xlsx_and_pdf_are_in_the_readers_words(make_client, db):
    world = build(db)
    a_register(db, world)
    browser = as_(make_client, db, world.moderator)
    xlsx = browser.get(f"/bodies/{world.body.id}/decisions.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Decision", "Meeting", "Date"]
    words = {str(v) for row in values[1:] for v in row}
    assert "by consensus" in words and "Adopted by consensus" in words
    assert any(isinstance(row[0], int) for row in values[1:])
    pdf = browser.get(f"/bodies/{world.body.id}/decisions.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_register_leaves_out_what_the_viewer_may_not_see(make_client, db):
    world = build(db)
    recorded(
        db,
        world,
        DecisionMethod.CONSENSUS,
        True,
        item=world.item_on(db, "Caucus", confidentiality=Confidentiality.GROUP, restricted_group=W),
    )
    recorded(
        db,
        world,
        DecisionMethod.CONSENSUS,
        True,
        item=world.item_on(db, "Members", confidentiality=Confidentiality.MEMBERS),
    )
    url = f"/bodies/{world.body.id}/decisions"
    assert "2 decisions." in text_of(as_(make_client, db, world.holders[W]).get(url).text)
    assert "1 decision." in text_of(as_(make_client, db, world.holders[E]).get(url).text)
    assert "0 decisions." in text_of(as_(make_client, db, world.outsider).get(url).text)
    csv_rows = as_(make_client, db, world.outsider).get(f"{url}.csv").text.strip().splitlines()
    assert len(csv_rows) == 1  # the header alone
    assert as_(make_client, db, world.moderator).get("/bodies/999999/decisions").status_code == 404


def test_the_register_query_count_does_not_grow_with_the_decisions(make_client, db):
    counts = {}
    for n in (2, 10):
        world = build(db)
        for i in range(n):
            d = recorded(
                db,
                world,
                DecisionMethod.GROUP_EQUAL_VOTE,
                True,
                item=world.item_on(db, f"Item {i}"),
            )
            db.add(
                DecisionVote(
                    decision_id=d.id,
                    organisation_id=world.orgs[G].id,
                    vote=Vote.FOR,
                    cast_by_id=world.holders[G].id,
                )
            )
            db.add(
                DivergentPosition(
                    decision_id=d.id, group_name=E, text="No.", written_by_id=world.holders[E].id
                )
            )
            db.add(
                Action(
                    decision_id=d.id,
                    what="Do",
                    owner=ActionOwner.SECRETARIAT,
                    created_by_id=world.moderator.id,
                )
            )
        browser = as_(make_client, db, world.holders[W])
        with counted_queries(db) as statements:
            response = browser.get(f"/bodies/{world.body.id}/decisions")
        assert response.status_code == 200
        assert f"{n} decisions." in text_of(response.text)
        counts[n] = len(statements)
    assert counts[2] == counts[10], counts


def test_the_body_pages_flags_count_disputed_and_overdue_actions(db):
    from app.decisions.register import flags

    world = build(db)
    a_register(db, world)
    found = flags(db, None, world.body.id)  # public items: anyone sees them
    assert (found.disputed, found.overdue, found.review_due) == (1, 1, 0)


def test_a_non_public_meetings_decisions_stay_with_the_body(make_client, db):
    from app.decisions.models import Action
    from app.vocabulary import ActionOwner

    world = build(db)
    world.meeting.public = False
    d = recorded(db, world, DecisionMethod.CONSENSUS, True)  # on a public agenda item
    a = Action(
        decision_id=d.id,
        what="Publish it",
        owner=ActionOwner.SECRETARIAT,
        created_by_id=world.moderator.id,
    )
    db.add(a)
    db.flush()
    url = f"/bodies/{world.body.id}/decisions"
    for browser in (as_(make_client, db, world.outsider),):
        assert browser.get(f"/decisions/{d.id}").status_code == 404
        assert browser.get(f"/actions/{a.id}").status_code == 404
        assert "0 decisions." in text_of(browser.get(url).text)
        assert len(browser.get(f"{url}.csv").text.strip().splitlines()) == 1
    for person in (world.holders[E], world.moderator):
        browser = as_(make_client, db, person)
        assert browser.get(f"/decisions/{d.id}").status_code == 200
        assert "1 decision." in text_of(browser.get(url).text)


def test_the_register_downloads_are_never_cached_nor_sniffed(make_client, db):
    world = build(db)
    recorded(db, world, DecisionMethod.CONSENSUS, True)
    browser = as_(make_client, db, world.holders[W])
    for ext in ("csv", "xlsx", "pdf"):
        response = browser.get(f"/bodies/{world.body.id}/decisions.{ext}")
        assert response.status_code == 200, ext
        assert response.headers["cache-control"] == "private, no-store", ext
        assert response.headers["x-content-type-options"] == "nosniff", ext
        assert response.headers["content-disposition"].startswith("attachment;"), ext
