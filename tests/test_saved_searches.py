"""Saved searches (both backends): kept once per person under a name, listed with their link,
deleted by their owner alone; the mail worker tells their owner what they newly find that
they may see — once — and moves the watermark."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_string, policy

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.notifications import service as notifications
from app.notifications.models import Notification, OutboxEmail
from app.search import query as search_query
from app.search import saved
from app.search.models import SavedSearch, SearchEntry
from app.search.service import SearchQuery
from app.vocabulary import Group, PlatformRole, RoundStatus, SearchKind, Visibility
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.test_notifications import smtp  # noqa: F401 - the fixture

# -- the query string -------------------------------------------------------------------------


def test_the_known_parameters_are_read_and_anything_else_is_left_out():
    query = search_query.parse(
        {
            "q": "  telework\x00 rights ",
            "kind": ["comment", "position", "nonsense"],
            "country": "Ardenia",
            "consultation": "12",
            "subject": "nonsense",
            "group": "workers",
            "organisation": "-1",
            "stance": "oppose",
            "year": "2026",
            "sort": "date",
            "page": "99999",
            "format": "csv",
        }
    )
    assert query == SearchQuery(
        "telework rights",
        kinds=frozenset({SearchKind.COMMENT, SearchKind.POSITION}),
        country="Ardenia",
        consultation_id=12,
        group=Group.WORKERS,
        stance="oppose",
        year=2026,
        sort="date",
    )
    assert search_query.canonical(query) == (
        "q=telework+rights&kind=comment&kind=position&country=Ardenia&consultation=12"
        "&group=workers&stance=oppose&year=2026&sort=date"
    )
    huge = search_query.parse({"consultation": "9" * 12, "year": "0", "page": "0"})
    assert (huge.consultation_id, huge.year, huge.page) == (None, None, 1)


def test_the_same_search_has_one_query_string_whatever_the_order():
    one = search_query.parse({"sort": "relevance", "group": "employers", "q": "pensions"})
    other = search_query.parse({"q": "pensions", "page": "3", "group": "employers"})
    assert (
        search_query.canonical(one)
        == search_query.canonical(other)
        == ("q=pensions&group=employers")
    )
    assert search_query.canonical(other, page=True) == "q=pensions&group=employers&page=3"


# -- saving, listing, deleting ----------------------------------------------------------------


def _count(db, user_id: int) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count()).where(SavedSearch.user_id == user_id)) or 0)


def test_a_search_is_saved_once_listed_with_its_link_and_deleted_by_its_owner(make_client, db):
    person = factories.user(db)
    other = factories.user(db)
    browser = signed_in(make_client, db, person)

    answer = browser.submit(
        "/search/saved", {"name": "Telework", "q": "telework", "group": "workers"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/search/saved"
    page = browser.get("/search/saved")
    assert "Search saved as “Telework”" in text_of(page.text)
    assert 'href="/search?q=telework&amp;group=workers"' in page.text

    again = browser.submit(
        "/search/saved", {"name": "Again", "group": "workers", "q": " telework "}
    )
    assert again.status_code == 303
    said = text_of(browser.get("/search/saved").text)
    assert "You had saved this search already, as “Telework”" in said
    assert _count(db, person.id) == 1

    kept = db.scalar(select(SavedSearch).where(SavedSearch.user_id == person.id))
    assert kept is not None and kept.query == "q=telework&group=workers"
    stranger = signed_in(make_client, db, other)
    assert stranger.submit(f"/search/saved/{kept.id}/delete").status_code == 404
    assert "Telework" not in text_of(stranger.get("/search/saved").text)
    assert _count(db, person.id) == 1

    gone = browser.submit(f"/search/saved/{kept.id}/delete")
    assert gone.status_code == 303
    assert "Saved search “Telework” deleted" in text_of(browser.get("/search/saved").text)
    assert _count(db, person.id) == 0


def test_the_page_says_where_one_is_and_offers_the_search_one_came_from(make_client, db):
    browser = signed_in(make_client, db, factories.user(db))
    page = browser.get("/search/saved?q=pensions&group=workers&year=2026")
    assert page.status_code == 200
    said = text_of(page.text)
    assert "Saved searches" in said and "No saved search yet" in said
    assert 'name="q" type="text" value="pensions"' in page.text
    assert '<input type="hidden" name="group" value="workers">' in page.text
    assert '<input type="hidden" name="year" value="2026">' in page.text


@pytest.mark.parametrize(
    ("form", "field", "said"),
    [
        ({"name": "", "q": "pensions"}, "name", "Give the search a name"),
        ({"name": "Two\nlines", "q": "pensions"}, "name", "one line"),
        ({"name": "x" * 101, "q": "pensions"}, "name", "at most 100 characters"),
        ({"name": "Nothing", "q": "a"}, "q", "at least one word"),
        ({"name": "Nothing", "q": ""}, "q", "at least one word"),
    ],
)
def test_a_refused_search_is_told_beside_its_field_with_the_form_filled_in(
    make_client, db, form, field, said
):
    person = factories.user(db)
    browser = signed_in(make_client, db, person)
    answer = browser.submit("/search/saved", {**form, "stance": "oppose"})
    assert answer.status_code == 422
    assert f'id="f-{field}-error"' in answer.text
    assert said in text_of(answer.text)
    assert '<input type="hidden" name="stance" value="oppose">' in answer.text
    assert _count(db, person.id) == 0


def test_saved_searches_are_for_people_signed_in(make_client):
    answer = make_client().get("/search/saved")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


# -- news -------------------------------------------------------------------------------------


def _save(db, person, text: str, name: str = "Watch") -> SavedSearch:  # type: ignore[no-untyped-def]
    viewer = saved.viewers(db, {person.id}, utcnow())[person.id]
    search, fresh = saved.save(db, viewer, name, {"q": text})
    assert fresh
    db.flush()
    return search


def _news(db, user_id: int) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(Notification).where(
                Notification.user_id == user_id, Notification.kind == saved.KIND
            )
        )
    )


def _top(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.max(SearchEntry.id))) or 0)


def test_a_new_match_is_told_once_and_the_watermark_moves(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    reader = reps[Group.EMPLOYERS]
    factories.comment(db, round_, reps[Group.WORKERS], w, "Telework before the search")
    search = _save(db, reader, "telework", name="Remote work")
    assert search.last_entry_id == _top(db)  # what was there before is no news
    assert saved.queue_matches(db, utcnow()) == 0
    assert _news(db, reader.id) == []

    factories.comment(db, round_, reps[Group.WORKERS], w, "Telework for all")
    factories.comment(db, round_, reps[Group.WORKERS], w, "Nothing to do with it")
    now = utcnow()
    assert saved.queue_matches(db, now, "https://tripartite.example") == 1
    (news,) = _news(db, reader.id)
    assert news.round_id is None
    assert news.message == (
        "Your saved search “Remote work” finds 1 new result: "
        "https://tripartite.example/search?q=telework"
    )
    assert search.last_entry_id == _top(db)
    assert search.notified_at == now

    assert saved.queue_matches(db, utcnow()) == 0  # told once
    assert len(_news(db, reader.id)) == 1

    factories.comment(db, round_, reps[Group.WORKERS], w, "Telework again")
    factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "Telework!")
    assert saved.queue_matches(db, utcnow()) == 1
    assert [n.message for n in _news(db, reader.id)][-1].startswith(
        "Your saved search “Remote work” finds 2 new results"
    )


def test_what_the_owner_may_not_see_is_no_news_and_the_watermark_moves_past_it(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    outsider = reps[Group.EMPLOYERS]
    member = factories.member(db, w)
    watching = {person.id: _save(db, person, "xylophone") for person in (outsider, member)}

    factories.caucus_post(db, round_, reps[Group.WORKERS], w, "Xylophone strategy")
    hidden = factories.comment(db, round_, reps[Group.WORKERS], w, "A xylophone insult")
    hidden.visibility = Visibility.HIDDEN.value
    db.flush()

    assert saved.queue_matches(db, utcnow()) == 1
    assert _news(db, outsider.id) == []
    (news,) = _news(db, member.id)  # the caucus post (the hidden comment is not theirs)
    assert "finds 1 new result" in news.message
    assert watching[outsider.id].last_entry_id == _top(db)

    hidden.visibility = Visibility.VISIBLE.value  # restored: not news (watermark semantics)
    db.flush()
    assert saved.queue_matches(db, utcnow()) == 0


def test_a_deactivated_person_is_told_nothing(db):
    round_, orgs, reps = factories.three_groups_round(db)
    reader = reps[Group.EMPLOYERS]
    _save(db, reader, "pensions")
    reader.is_active = False
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Pensions")
    assert saved.queue_matches(db, utcnow()) == 0
    assert _news(db, reader.id) == []


def test_a_moderator_is_told_of_a_draft_rounds_text_and_an_ended_mandate_counts_no_more(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    former = factories.member(db, w)
    _save(db, moderator, "harmonica")
    _save(db, former, "harmonica")
    from app.organisations.models import Mandate

    mandate = db.scalar(select(Mandate).where(Mandate.user_id == former.id))
    mandate.revoked_at = utcnow() - timedelta(minutes=1)
    factories.caucus_post(db, round_, reps[Group.WORKERS], w, "Harmonica plan")
    draft = factories.consultation_round(db, list(orgs.values()), status=RoundStatus.DRAFT)
    factories.comment(db, draft, reps[Group.WORKERS], w, "Harmonica in a draft")
    assert saved.queue_matches(db, utcnow()) == 1
    (news,) = _news(db, moderator.id)
    assert "finds 1 new result" in news.message  # the draft's comment, not the caucus post
    assert _news(db, former.id) == []


def test_news_are_written_in_the_readers_language_and_carried_by_the_digest(db, settings):
    round_, orgs, reps = factories.three_groups_round(db)
    reader = reps[Group.EMPLOYERS]
    reader.language = "fr"
    reader.email_preference = "digest"
    _save(db, reader, "pensions", name="Retraites")
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Pensions now")
    now = utcnow()
    assert saved.queue_matches(db, now) == 1
    (news,) = _news(db, reader.id)
    assert news.message.startswith("Votre recherche enregistrée « Retraites »")
    assert notifications.queue_emails(db, settings, now) >= 1
    email = db.scalar(select(OutboxEmail).where(OutboxEmail.to_email == reader.email))
    assert email is not None and news.message in email.body


def test_the_mail_command_tells_a_saved_searchs_news(fresh_url, tmp_path, smtp):  # noqa: F811
    from sqlalchemy.orm import Session
    from typer.testing import CliRunner

    import app.models  # noqa: F401
    from app.cli import cli
    from app.db import make_engine

    port, inbox = smtp
    runner = CliRunner()
    env = {
        "TRIPARTITE_DATABASE_URL": fresh_url,
        "TRIPARTITE_DATA_DIR": str(tmp_path),
        "TRIPARTITE_SMTP_HOST": "127.0.0.1",
        "TRIPARTITE_SMTP_PORT": str(port),
    }
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    engine = make_engine(fresh_url, pool_size=1)
    with Session(engine) as db:
        round_, orgs, reps = factories.three_groups_round(db)
        reader = reps[Group.EMPLOYERS]
        _save(db, reader, "accordion", name="Accordions")
        factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Accordion")
        db.commit()
        address = reader.email
    engine.dispose()
    result = runner.invoke(cli, ["send-mail"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 saved-search news" in result.output
    (message,) = [
        message_from_string(raw, policy=policy.default)
        for to, raw in inbox.messages
        if to == [address]
    ]
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Your saved search “Accordions” finds 1 new result" in body
    assert "/search?q=accordion" in body
