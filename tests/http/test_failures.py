"""When the database fails under a request: a clear 503, never a 500 or a stack trace."""

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.rounds import service as rounds
from app.vocabulary import PlatformRole
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
