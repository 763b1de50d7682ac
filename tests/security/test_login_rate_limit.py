"""The sign-in rate limit holds across processes (its state is in the database): two app
instances on one database count the same failures. ``X-Forwarded-For`` names the address only
when the request comes from the configured proxy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import LoginAttempt
from tests import factories
from tests.security.world import cheap_user

pytestmark = pytest.mark.usefixtures("cheap_passwords")

WRONG = "not the password at all"


def attempt(browser, email, password=WRONG, **headers):
    return browser.submit("/login", {"email": email, "password": password}, headers=headers)


def addresses(db, email):
    return db.scalars(
        select(LoginAttempt.address).where(LoginAttempt.email == email).order_by(LoginAttempt.id)
    ).all()


def test_failures_are_counted_across_two_app_processes(make_client_with, db):
    someone = cheap_user(db)
    limits = {"login_max_failures_per_account": 3, "login_max_failures_per_address": 100}
    first, second = make_client_with(**limits), make_client_with(**limits)
    assert first.app is not second.app
    assert attempt(first, someone.email).status_code == 401
    assert attempt(second, someone.email).status_code == 401
    assert attempt(first, someone.email).status_code == 401
    # the third failure was the limit: neither process lets the right password in now
    for browser in (second, first):
        blocked = attempt(browser, someone.email, factories.PASSWORD)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
    assert len(addresses(db, someone.email)) == 3  # refused attempts are not even tried


def test_the_per_address_limit_holds_across_processes_and_accounts(make_client_with, db):
    limits = {"login_max_failures_per_account": 100, "login_max_failures_per_address": 3}
    first, second = make_client_with(**limits), make_client_with(**limits)
    targets = [cheap_user(db) for _ in range(4)]
    for browser, target in zip((first, second, first), targets, strict=False):
        assert attempt(browser, target.email).status_code == 401
    # a fourth account, from the same address, through the other process: refused
    assert attempt(second, targets[3].email, factories.PASSWORD).status_code == 429


def test_x_forwarded_for_is_ignored_unless_from_the_trusted_proxy(make_client_with, db):
    """Without a trusted proxy (or from another peer), a client rotating X-Forwarded-For is
    still one address: the per-address limit catches it."""
    limits = {"login_max_failures_per_account": 100, "login_max_failures_per_address": 3}
    for trusted in ("", "10.0.0.1"):  # none, or a proxy that is not the peer
        browser = make_client_with(trusted_proxy=trusted, **limits)
        someone = cheap_user(db)
        for n in range(3):
            forged = {"X-Forwarded-For": f"203.0.113.{n}"}
            assert attempt(browser, someone.email, **forged).status_code == 401
        assert set(addresses(db, someone.email)) == {"testclient"}  # the peer's own address
        other = cheap_user(db)
        spoofed = attempt(
            browser, other.email, factories.PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}
        )
        assert spoofed.status_code == 429
        db.query(LoginAttempt).delete()
        db.commit()  # to the test's savepoint: the next refused sign-in's rollback keeps it


def test_x_forwarded_for_from_the_trusted_proxy_names_the_client(make_client_with, db):
    """Behind the proxy, each client is counted on its own address (the last one the proxy
    added: earlier entries are whatever the client sent), in every process."""
    limits = {"login_max_failures_per_account": 100, "login_max_failures_per_address": 2}
    settings = {"trusted_proxy": "testclient", **limits}
    first, second = make_client_with(**settings), make_client_with(**settings)
    someone = cheap_user(db)
    attacker = {"X-Forwarded-For": "1.1.1.1, 203.0.113.9"}  # first entry forged by the client
    assert attempt(first, someone.email, **attacker).status_code == 401
    assert attempt(second, someone.email, **attacker).status_code == 401
    assert addresses(db, someone.email) == ["203.0.113.9", "203.0.113.9"]
    assert attempt(first, someone.email, factories.PASSWORD, **attacker).status_code == 429
    # another client behind the same proxy is not locked out by the first one's failures
    neighbour = {"X-Forwarded-For": "198.51.100.20"}
    assert attempt(second, cheap_user(db).email, factories.PASSWORD, **neighbour).status_code == 303


def test_several_trusted_proxies_each_name_the_client(make_client_with, db):
    """``trusted_proxy`` may list several proxies (or a network): from any of them,
    ``X-Forwarded-For`` names the client, and ``X-Forwarded-Proto`` says it came over https."""
    browser = make_client_with(trusted_proxy="10.0.0.1, testclient")
    someone = cheap_user(db)
    forwarded = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}
    assert attempt(browser, someone.email, **forwarded).status_code == 401
    assert addresses(db, someone.email) == ["203.0.113.5"]
    signed_in = attempt(browser, someone.email, factories.PASSWORD, **forwarded)
    assert signed_in.status_code == 303
    cookies = signed_in.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("tripartite_session="))
    assert "secure" in session.lower()  # for https only, as the client's connection was
