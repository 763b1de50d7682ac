"""Changing how one signs in, or ending one's sessions, takes the current password, not only
a session (one left open on a shared computer, or stolen): every such route under ``/account``
or the two-factor prefix is found from the route table and listed here, or set aside with the
reason it needs no password. A route neither listed nor set aside fails the suite, by name.

For each route needing the password, a form otherwise right is sent without it and with a
wrong one: refused (422, beside the password field), and nothing changed (the password, the
second factor, the recovery codes, the other sessions); the wrong passwords count towards the
sign-in limits (429 after them); with the password, the same form goes through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt, RecoveryCode, User, UserSession
from app.accounts.two_factor import current_code
from app.db import utcnow
from tests import factories
from tests.factories import signed_in
from tests.helpers import soup
from tests.security.world import CHEAP_HASH, app_routes

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: Routes under /account or the two-factor prefix that need no password, and why.
NO_PASSWORD = {
    "/account/time-zone": "a display preference: no credential, no session",
    "/account/two-factor/start": "draws a key that signs nobody in until it is confirmed "
    "(the confirmation asks for the password)",
    "/login/two-factor": "the second step of signing in: the password was the first",
}


@dataclass
class Guarded:
    #: the form field holding the current password
    password_field: str
    #: the rest of the form, right; built for the person (a TOTP code, say)
    data: Callable[[User], dict[str, str]] = lambda _person: {}
    #: the person's second factor before the request: "off", "pending" (begun) or "on"
    two_factor: str = "off"
    #: what a success answers
    done: int = 303
    #: where the page shows the refusal (the field's own name unless the page has two)
    error_field: str = ""


GUARDED = {
    "/account/password": Guarded(
        "current_password", lambda _p: {"new_password": "a brand new passphrase"}, done=200
    ),
    "/account/two-factor/confirm": Guarded(
        "password",
        lambda person: {"code": current_code(str(person.totp_secret))},
        two_factor="pending",
        done=200,
    ),
    "/account/two-factor/recovery-codes": Guarded(
        "password", two_factor="on", done=200, error_field="recovery_password"
    ),
    "/account/two-factor/off": Guarded("password", two_factor="on"),
}


def account_security_routes(app: Any) -> set[str]:
    return {
        path
        for method, path in app_routes(app)
        if method == "POST" and (path.startswith("/account/") or "two-factor" in path)
    }


def test_every_account_security_route_is_guarded_or_set_aside(client):
    found = account_security_routes(client.app.fastapi_app)
    assert "/account/two-factor/off" in found  # the finder works
    listed = set(GUARDED) | set(NO_PASSWORD)
    assert found == listed, (
        f"not listed: {sorted(found - listed)}; no longer routes: {sorted(listed - found)}"
    )


def _person(db: Session, two_factor: str) -> User:
    person = factories.user(db)
    person.password_hash = CHEAP_HASH
    if two_factor != "off":
        person.totp_secret = factories.TOTP_SECRET
    if two_factor == "on":
        person.totp_enabled_at = utcnow()
        db.add(RecoveryCode(user_id=person.id, code_hash="0" * 64))
    db.flush()
    return person


def _state(db: Session, person: User) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    db.expire_all()
    user = db.get_one(User, person.id)
    live = db.scalars(
        select(UserSession.id).where(
            UserSession.user_id == person.id, UserSession.revoked_at.is_(None)
        )
    ).all()
    codes = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == person.id))
    return (
        user.password_hash,
        user.totp_secret,
        user.totp_enabled_at,
        sorted(codes),
        sorted(live),
    )


def _error_beside(html: str, field_name: str) -> str:
    """The error shown beside the field (the app's field macro links them)."""
    page = soup(html)
    box = page.find(id=f"f-{field_name}-error")
    assert box is not None, f"no error beside {field_name}"
    return box.get_text(" ", strip=True)


def _failures(db: Session, person: User) -> int:
    return len(
        db.scalars(
            select(LoginAttempt.id).where(
                LoginAttempt.email == person.email, LoginAttempt.succeeded.is_(False)
            )
        ).all()
    )


@pytest.mark.parametrize("path", sorted(GUARDED))
def test_an_account_security_route_refuses_without_the_current_password(
    path, make_client, db, settings
):
    guarded = GUARDED[path]
    person = _person(db, guarded.two_factor)
    browser = signed_in(make_client, db, person)
    other = signed_in(make_client, db, person)  # the same person, another browser
    before = _state(db, person)
    for password in ("", "not my password"):
        refused = browser.submit(path, {**guarded.data(person), guarded.password_field: password})
        assert refused.status_code == 422, (path, password, refused.status_code)
        assert _error_beside(refused.text, guarded.error_field or guarded.password_field)
        assert _state(db, person) == before, f"{path} changed something without the password"
        assert other.get("/account").status_code == 200  # the other session lives on
    # wrong passwords count like wrong sign-ins: the limit is met
    for _ in range(settings.login_max_failures_per_account):
        last = browser.submit(
            path, {**guarded.data(person), guarded.password_field: "another wrong one"}
        )
    assert last.status_code == 429 and int(last.headers["retry-after"]) > 0
    assert _failures(db, person) >= settings.login_max_failures_per_account
    assert _state(db, person) == before
    # once the limit has passed, the same form with the password goes through
    db.query(LoginAttempt).filter(LoginAttempt.email == person.email).delete()
    db.commit()
    done = browser.submit(
        path, {**guarded.data(person), guarded.password_field: factories.PASSWORD}
    )
    assert done.status_code == guarded.done, done.status_code
    assert _state(db, person) != before
