"""When the database fails under a request: a clear 503, never a 500 or a stack trace."""

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.rounds import service as rounds
from app.vocabulary import Group, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")),
        PoolTimeout("QueuePool limit reached"),
    ],
    ids=["database-down", "pool-exhausted"],
)
def test_a_database_failure_is_a_503_with_a_message(make_client, db, monkeypatch, failure):
    browser = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))

    def fail(*_args, **_kwargs):
        raise failure

    monkeypatch.setattr(rounds, "visible_consultations", fail)
    page = browser.get("/")
    assert page.status_code == 503
    assert int(page.headers["retry-after"]) > 0
    text = text_of(page.text)
    assert "nothing was saved" in text and "Traceback" not in text


@pytest.mark.parametrize("path", ["/rounds/%C2%B2", "/static/%C2%B9", "/login/%E2%91%A0"])
def test_unicode_digits_in_a_path_are_refused_cleanly_not_a_crash(make_client, path):
    answer = make_client().get(path)
    assert answer.status_code in (303, 404, 422)  # anonymous pages ask to sign in first


def test_pages_are_never_cached_by_the_browser_or_a_proxy(make_client):
    assert make_client().get("/login").headers["cache-control"] == "private, no-store"


def test_the_audit_log_refuses_truncate_on_postgresql(db, backend):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its triggers refuse UPDATE and DELETE")
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin_nested():
            db.execute(text("TRUNCATE audit_events CASCADE"))


def test_a_unique_constraint_met_unforeseen_is_a_409_with_a_message(make_client, db, monkeypatch):
    """What no service foresaw (a race on a unique constraint): the loser is told, on both
    databases (their errors differ), and a page, not a 500."""
    from app.organisations.models import Organisation

    browser = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    taken = factories.organisation(db).name

    def clash(session, _viewer):
        session.add(Organisation(name=taken, group_name="workers", country="Ardenia"))
        session.flush()

    monkeypatch.setattr(rounds, "visible_consultations", clash)
    page = browser.get("/")
    assert page.status_code == 409
    text = text_of(page.text)
    assert "in another of your tabs" in text and "Something went wrong" not in text


def test_another_integrity_error_stays_an_unexpected_error(make_client, db, monkeypatch):
    from app.organisations.models import Organisation

    browser = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))

    def broken(session, _viewer):
        session.add(Organisation(name="No group", group_name=None, country="Ardenia"))
        session.flush()

    monkeypatch.setattr(rounds, "visible_consultations", broken)
    page = browser.get("/")
    assert page.status_code == 500 and "Something went wrong" in text_of(page.text)


def test_a_failure_writing_a_post_s_search_entry_is_answered_as_the_database_s_own(
    make_client, db, backend
):
    """The index writes a post's entry with the driver's own SQL; its failure is still
    SQLAlchemy's error, so the page answers it as the database's failure (503), never a 500,
    and nothing of the post is kept."""
    from sqlalchemy import func, select, text

    from app.models import Comment

    round_, orgs, reps = factories.three_groups_round(db)
    if backend == "postgresql":  # the server going away, as psycopg reports it
        db.execute(
            text(
                "CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'terminating connection' USING ERRCODE = '57P01'; END $$"
            )
        )
        db.execute(
            text(
                "CREATE TRIGGER refuse_entry BEFORE INSERT ON search_entries "
                "FOR EACH ROW EXECUTE FUNCTION refuse_entry()"
            )
        )
    else:  # an operational error (SQLite resolves a trigger's tables when it runs)
        db.execute(
            text(
                "CREATE TRIGGER refuse_entry BEFORE INSERT ON search_entries "
                "BEGIN SELECT 1 FROM table_gone; END"
            )
        )
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    form = {"body": "Portability of pensions", "idempotency_key": "index-fails-0001"}
    answer = browser.submit(f"/rounds/{round_.id}/comments", form)
    assert answer.status_code == 503
    assert "Traceback" not in answer.text
    db.rollback()  # the test's session shared the request's failed flush
    kept = select(func.count()).select_from(Comment).where(Comment.round_id == round_.id)
    assert db.scalar(kept) == 0
