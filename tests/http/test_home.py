"""The home page is a to-do list for the person, by role: each item a sentence with a link
straight to where the action is done, gone once it is done; its query count does not grow with
the rounds."""

from __future__ import annotations

import re
from datetime import timedelta

from app.caucus.models import GroupStatementEndorsement
from app.comments.models import Flag
from app.db import utcnow
from app.rounds.models import GroupSignoff
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus
from tests import factories
from tests.factories import signed_in
from tests.helpers import counted_queries, soup


def todo_items(html: str) -> list:
    return soup(html).select("#todo .todo-item")


def item_for(html: str, round_title: str):
    found = [li for li in todo_items(html) if round_title in li.get_text()]
    assert len(found) == 1, [li.get_text(" ", strip=True) for li in todo_items(html)]
    return found[0]


def words(element) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


def test_a_representative_whose_organisation_has_not_answered_sees_the_round_and_time_left(
    make_client, db
):
    round_, orgs, reps = factories.three_groups_round(
        db, title="Portability of pensions", closes_at=utcnow() + timedelta(days=13, hours=2)
    )
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    page = workers.get("/")
    assert page.status_code == 200
    item = item_for(page.text, "Portability of pensions")
    text = words(item)
    assert f"{orgs[Group.WORKERS].name} has not posted its position on" in text
    assert "13 days 2 hours left" in text or "13 days 1 hour left" in text
    button = item.select_one("a.button")
    assert words(button) == "Post your position"
    assert button["href"].endswith(f"/rounds/{round_.id}#your-position")
    # the consultations list stays below the to-do list
    assert soup(page.text).select_one("#todo ~ section ul.consultations, #todo ~ section .hint")

    # once the position is posted, the item is gone and the list says so in words
    posted = workers.submit(
        f"/rounds/{round_.id}/positions", {"stance": "support", "statement": "We support it."}
    )
    assert posted.status_code == 303, posted.text
    after = workers.get("/")
    assert todo_items(after.text) == []
    assert "Nothing waits for you." in words(soup(after.text).select_one("#todo"))


def test_rounds_not_open_or_already_answered_are_not_listed(make_client, db):
    org = factories.organisation(db, Group.EMPLOYERS)
    rep = factories.member(db, org)
    answered = factories.consultation_round(db, [org], title="Answered round")
    factories.position(db, answered, org, rep)
    factories.consultation_round(db, [org], title="Draft round", status=RoundStatus.DRAFT)
    factories.consultation_round(
        db,
        [org],
        title="Past round",
        opens_at=utcnow() - timedelta(days=9),
        closes_at=utcnow() - timedelta(days=1),
    )
    factories.consultation_round(db, [], title="Round of others")
    factories.consultation_round(db, [org], title="Owed round")
    page = signed_in(make_client, db, rep).get("/")
    assert [re.search(r"“(.*)”", words(li)).group(1) for li in todo_items(page.text)] == [
        "Owed round"
    ]


def test_a_focal_point_sees_the_signoff_asked_of_them_and_the_statement_to_endorse(make_client, db):
    org = factories.organisation(db, Group.WORKERS, name="Dockers' Union")
    focal = factories.member(db, org, MandateRole.FOCAL_POINT)
    factories.member(db, org)  # someone else speaks for it: no invitation to send
    closed = factories.consultation_round(
        db,
        [org],
        title="Closed round",
        status=RoundStatus.CLOSED,
        opens_at=utcnow() - timedelta(days=9),
        closes_at=utcnow() - timedelta(days=1),
    )
    closed.outcome = "The groups agree."
    closed.signoff_deadline = utcnow() + timedelta(days=3)
    db.add(
        GroupSignoff(
            round_id=closed.id,
            group_name=Group.WORKERS,
            spokesperson_id=focal.id,
            organisation_id=org.id,
            status="requested",
        )
    )
    open_round = factories.consultation_round(db, [org], title="Open round")
    factories.position(db, open_round, org, focal)
    statement = factories.group_statement(db, open_round, Group.WORKERS, focal, "Our text.")
    db.flush()
    browser = signed_in(make_client, db, focal)
    page = browser.get("/")
    signoff = item_for(page.text, "Closed round")
    assert "workers group's spokesperson" in words(signoff)
    assert "2 days" in words(signoff)
    assert signoff.select_one("a.button")["href"].endswith(f"/rounds/{closed.id}#signoff-heading")
    endorse = item_for(page.text, "Open round")
    assert "awaits the endorsement of Dockers' Union" in words(endorse)
    assert endorse.select_one("a.button")["href"].endswith(
        f"/rounds/{open_round.id}/caucus/workers#group-statement"
    )
    assert len(todo_items(page.text)) == 2

    # endorsed and signed off: nothing left
    db.add(
        GroupStatementEndorsement(
            statement_id=statement.id, organisation_id=org.id, endorsed_by_id=focal.id
        )
    )
    for row in db.query(GroupSignoff).filter_by(round_id=closed.id):
        row.status = "confirmed"
    db.commit()
    assert todo_items(browser.get("/").text) == []


def test_a_focal_point_alone_in_their_organisation_is_asked_to_mandate_a_representative(
    make_client, db
):
    org = factories.organisation(db, Group.GOVERNMENT, name="Ministry of Ports")
    focal = factories.member(db, org, MandateRole.FOCAL_POINT)
    page = signed_in(make_client, db, focal).get("/")
    (item,) = todo_items(page.text)
    assert "No one but you speaks for Ministry of Ports" in words(item)
    assert item.select_one("a.button")["href"].endswith(
        f"/organisations/{org.id}#mandate-a-representative"
    )


def moderator_round(db, title, *, status, closes_in_days, outcome=None, signoffs=()):
    organisations = [factories.organisation(db, g) for g in Group]
    round_ = factories.consultation_round(
        db,
        organisations,
        title=title,
        status=status,
        opens_at=utcnow() - timedelta(days=20),
        closes_at=utcnow() + timedelta(days=closes_in_days),
    )
    round_.outcome = outcome
    if signoffs:
        round_.signoff_deadline = utcnow() + timedelta(days=2)
        for org, decision in zip(organisations, signoffs, strict=True):
            db.add(
                GroupSignoff(
                    round_id=round_.id,
                    group_name=org.group_name,
                    spokesperson_id=factories.member(db, org, MandateRole.FOCAL_POINT).id,
                    organisation_id=org.id,
                    status=decision,
                    reservation="Our reservation." if decision == "reservation" else None,
                )
            )
    db.flush()
    return round_


def test_a_moderator_sees_the_rounds_needing_action(make_client, db):
    passed = moderator_round(db, "Passed round", status=RoundStatus.OPEN, closes_in_days=-2)
    ready = moderator_round(
        db,
        "Ready round",
        status=RoundStatus.CLOSED,
        closes_in_days=-5,
        outcome="Agreed.",
        signoffs=("confirmed", "reservation", "confirmed"),
    )
    moderator_round(
        db,
        "Waiting round",
        status=RoundStatus.CLOSED,
        closes_in_days=-5,
        outcome="Agreed.",
        signoffs=("confirmed", "requested", "confirmed"),
    )
    unasked = moderator_round(
        db, "Unasked round", status=RoundStatus.CLOSED, closes_in_days=-5, outcome="Agreed."
    )
    moderator_round(db, "Running round", status=RoundStatus.OPEN, closes_in_days=10)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    page = moderator.get("/")
    item = item_for(page.text, "Passed round")
    assert "The deadline of “Passed round” has passed: close it with its outcome." in words(item)
    assert item.select_one("a.button")["href"].endswith(f"/rounds/{passed.id}/close")
    item = item_for(page.text, "Ready round")
    assert "ready to publish" in words(item)
    assert item.select_one("a.button")["href"].endswith(f"/rounds/{ready.id}/publish")
    item = item_for(page.text, "Unasked round")
    assert item.select_one("a.button")["href"].endswith(
        f"/rounds/{unasked.id}#signoff-request-heading"
    )
    shown = words(soup(page.text).select_one("#todo"))
    assert "Waiting round" not in shown and "Running round" not in shown


def test_a_moderator_sees_parity_warnings_and_the_queue(make_client, db):
    round_, orgs, reps = factories.three_groups_round(
        db, title="Closing round", closes_at=utcnow() + timedelta(hours=20)
    )
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    factories.position(db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS])
    comment = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS])
    db.add(
        Flag(
            comment_id=comment.id,
            reporter_id=reps[Group.EMPLOYERS].id,
            organisation_id=orgs[Group.EMPLOYERS].id,
            reason="spam",
        )
    )
    db.flush()
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    page = moderator.get("/")
    item = item_for(page.text, "Closing round")
    assert "closes within 24 hours and the government group has not posted" in words(item)
    queue = soup(page.text).select_one("#todo .todo-queue")
    assert "1 comment is flagged." in words(queue)
    assert queue.select_one("a.button")["href"].endswith("/moderation#queue-heading")


def test_an_observer_sees_newly_published_summaries(make_client, db):
    new = factories.consultation_round(
        db,
        title="New summary",
        status=RoundStatus.PUBLISHED,
        opens_at=utcnow() - timedelta(days=20),
        closes_at=utcnow() - timedelta(days=5),
    )
    new.published_at = utcnow() - timedelta(days=3)
    old = factories.consultation_round(
        db,
        title="Old summary",
        status=RoundStatus.PUBLISHED,
        opens_at=utcnow() - timedelta(days=120),
        closes_at=utcnow() - timedelta(days=100),
    )
    old.published_at = utcnow() - timedelta(days=90)
    db.flush()
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    page = observer.get("/")
    item = item_for(page.text, "New summary")
    assert "The summary of “New summary” was published." in words(item)
    assert item.select_one("a.button")["href"].endswith(f"/rounds/{new.id}/summary")
    assert "Old summary" not in words(soup(page.text).select_one("#todo"))


def test_the_to_do_list_reads_in_the_readers_language(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db, title="Portabilité")
    browser = signed_in(make_client, db, reps[Group.EMPLOYERS])
    browser.cookies.set("tripartite_lang", "fr")
    item = item_for(browser.get("/").text, "Portabilité")
    text = words(item)
    organisation = orgs[Group.EMPLOYERS].name
    assert f"{organisation} n'a pas encore publié sa position sur « Portabilité »." in text
    assert "temps restant : 6 jours 23 heures" in text
    assert words(item.select_one("a.button")) == "Publier votre position"


def test_the_home_page_query_count_does_not_grow_with_the_rounds(make_client, db):
    counts = {}
    for n in (1, 6):
        org = factories.organisation(db, Group.WORKERS)
        focal = factories.member(db, org, MandateRole.FOCAL_POINT)
        for _ in range(n):
            round_ = factories.consultation_round(db, [org])
            factories.group_statement(db, round_, Group.WORKERS, focal)
        browser = signed_in(make_client, db, focal)
        with counted_queries(db) as statements:
            page = browser.get("/")
        assert page.status_code == 200
        assert len(todo_items(page.text)) == 2 * n + 1
        counts[n] = len(statements)
    assert counts[1] == counts[6], counts
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    moderated = {}
    for n in (1, 6):
        for _ in range(n):
            moderator_round(db, "Passed", status=RoundStatus.OPEN, closes_in_days=-1)
        db.commit()
        with counted_queries(db) as statements:
            assert moderator.get("/").status_code == 200
        moderated[n] = len(statements)
    assert moderated[1] == moderated[6], moderated


def test_the_deadline_is_written_in_the_readers_time_zone(make_client, db):
    deadline = (utcnow() + timedelta(days=5)).replace(hour=22, minute=30, second=0, microsecond=0)
    _round, _orgs, reps = factories.three_groups_round(db, title="Other", closes_at=deadline)
    browser = signed_in(make_client, db, reps[Group.GOVERNMENT])
    browser.cookies.set("tripartite_tz", "Asia/Tokyo")  # UTC+9: 22:30 UTC is 07:30 next day
    text = words(item_for(browser.get("/").text, "Other"))
    assert "07:30" in text and "22:30" not in text
