"""Every wrong password, and every wrong second factor, counts towards the sign-in limits,
whichever route it was given to, although the route refuses the request and rolls its work
back: the routes that take a password or a code are found from the route table (a route that
takes one and is not in the table below fails the suite, by name), and each is tried through a
real server on both databases, every request on a session and connection of its own as in
production (the one shared, uncommitted session of ``make_client`` would keep what a refused
request wrote, committed or not: it hid an invitation link that let an existing account's
password be guessed without limit).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import Route

from app.accounts.credentials import new_token
from app.accounts.models import LoginAttempt, RecoveryCode, User
from app.accounts.two_factor import current_code
from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.migrate import upgrade
from app.organisations.models import Invitation
from app.vocabulary import Group, MandateRole
from tests import factories
from tests.conftest import _fresh_url
from tests.live import LiveApp, served, submit
from tests.security.world import CHEAP_HASH

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: The form fields that hold a password or a second factor.
SECRET_FIELDS = frozenset({"password", "current_password", "code"})
WRONG = "not the password at all"
LIMIT = 3


def secret_routes(folder: Path) -> set[str]:
    """POST paths whose form takes a password or a code."""
    app = create_app(Settings(data_dir=folder, secret_key="routes"))  # its route table only
    return {
        str(context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, Route)
        and "POST" in (context.original_route.methods or ())
        and SECRET_FIELDS & set(inspect.signature(context.original_route.endpoint).parameters)
    }


@dataclass
class Made:
    person: User
    browser: httpx2.Client
    #: the form with a wrong password (or code); everything else right
    wrong: dict[str, str]


def _person(db: Session, two_factor: str = "off") -> User:
    person = factories.user(db)
    person.password_hash = CHEAP_HASH
    if two_factor != "off":
        person.totp_secret = factories.TOTP_SECRET
    if two_factor == "on":
        person.totp_enabled_at = utcnow()
        db.add(RecoveryCode(user_id=person.id, code_hash="0" * 64))
    db.flush()
    return person


def signing_in(app: LiveApp) -> Made:
    with app.sessions() as db:
        person = _person(db)
        db.commit()
    return Made(person, app.browser(), {"email": person.email, "password": WRONG})


def second_factor(app: LiveApp) -> Made:
    """A browser past the password, asked for the second factor."""
    with app.sessions() as db:
        person = _person(db, "on")
        db.commit()
    browser = app.browser()
    step = submit(browser, "/login", {"email": person.email, "password": factories.PASSWORD})
    assert step.headers["location"].startswith("/login/two-factor"), step.status_code
    return Made(person, browser, {"code": "000000"})


def invited(app: LiveApp) -> Made:
    """An invitation for the address of an existing account: taken up with its password."""
    with app.sessions() as db:
        person = _person(db)
        organisation = factories.organisation(db, Group.WORKERS)
        focal = factories.member(db, organisation, MandateRole.FOCAL_POINT)
        token, token_hash = new_token()
        db.add(
            Invitation(
                organisation_id=organisation.id,
                email=person.email,
                name=person.name,
                role=MandateRole.REPRESENTATIVE.value,
                token_hash=token_hash,
                expires_at=utcnow() + timedelta(hours=72),
                created_by_id=focal.id,
            )
        )
        db.commit()
    wrong = {"token": token, "name": person.name, "password": WRONG}
    return Made(person, app.browser(), wrong)


def signed_in(two_factor: str, wrong: Callable[[User], dict[str, str]]) -> Callable[..., Made]:
    def make(app: LiveApp) -> Made:
        with app.sessions() as db:
            person = _person(db, two_factor)
            db.commit()
        return Made(person, app.browser(person), wrong(person))

    return make


#: How to give each route a wrong password (or code).
WRONG_SECRETS: dict[str, Callable[[LiveApp], Made]] = {
    "/login": signing_in,
    "/login/two-factor": second_factor,
    "/invitations/accept": invited,
    "/account/password": signed_in(
        "off", lambda _p: {"current_password": WRONG, "new_password": "a brand new passphrase"}
    ),
    "/account/two-factor/confirm": signed_in(
        "pending", lambda p: {"code": current_code(str(p.totp_secret)), "password": WRONG}
    ),
    "/account/two-factor/recovery-codes": signed_in("on", lambda _p: {"password": WRONG}),
    "/account/two-factor/off": signed_in("on", lambda _p: {"password": WRONG}),
}


def test_every_route_taking_a_password_or_a_code_is_tried(tmp_path: Path) -> None:
    found = secret_routes(tmp_path)
    assert "/invitations/accept" in found and "/login/two-factor" in found  # the finder works
    assert found == set(WRONG_SECRETS), (
        f"not tried: {sorted(found - set(WRONG_SECRETS))}; "
        f"no longer routes: {sorted(set(WRONG_SECRETS) - found)}"
    )


@pytest.fixture(scope="module")
def live(
    backend: str, postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApp]:
    """A database of its own, served for real with a low per-account limit."""
    folder = tmp_path_factory.mktemp(f"attempts-{backend}")
    url = _fresh_url(backend, postgres_server, folder)
    upgrade(url)
    limits = {"login_max_failures_per_account": LIMIT, "login_max_failures_per_address": 1000}
    with served(url, folder, **limits) as app:
        yield app


def _failures(app: LiveApp, email: str) -> int:
    with app.sessions() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
            )
            or 0
        )


@pytest.mark.parametrize("path", sorted(WRONG_SECRETS))
def test_a_wrong_password_or_code_counts_whatever_the_route(live: LiveApp, path: str) -> None:
    made = WRONG_SECRETS[path](live)
    try:
        for n in range(1, LIMIT + 1):
            refused = submit(made.browser, path, made.wrong)
            assert 400 <= refused.status_code < 500 and refused.status_code != 403, (
                path,
                refused.status_code,
            )
            # kept, although the request was refused: on a connection of its own, committed
            assert _failures(live, made.person.email) == n, (path, n)
        # the limit is met: the next try is not even made, on this route or at sign-in
        again = submit(made.browser, path, made.wrong)
        assert again.status_code == 429 and int(again.headers["retry-after"]) > 0, path
        elsewhere = live.browser()
        signing = submit(
            elsewhere, "/login", {"email": made.person.email, "password": factories.PASSWORD}
        )
        elsewhere.close()
        assert signing.status_code == 429, (path, signing.status_code)
        assert _failures(live, made.person.email) == LIMIT
    finally:
        made.browser.close()
