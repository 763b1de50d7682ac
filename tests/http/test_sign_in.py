"""Signing in and out, sessions, rate limits, CSRF and request limits."""

from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import LoginAttempt, UserSession
from app.db import utcnow
from app.organisations.models import Mandate
from app.vocabulary import Group, MandateRole, PlatformRole
from tests import factories
from tests.conftest import TOKEN_FIELD, text_of


def test_health_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text.strip() == "ok"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F"
    assert client.get("/admin/organisations").headers["location"].startswith("/login")


def test_sign_in_shows_who_you_are_and_your_group(client, db):
    org = factories.organisation(db, Group.EMPLOYERS, name="Chamber of Trades")
    person = factories.member(db, org, MandateRole.REPRESENTATIVE, name="Mei Chen")
    response = client.sign_in(person.email, factories.PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "tripartite_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = text_of(client.get("/").text)
    assert "Mei Chen" in page and person.email in page
    assert "Chamber of Trades" in page and "Employers" in page and "Representative" in page


def test_wrong_password_is_refused_with_the_form_kept(client, db):
    person = factories.user(db)
    response = client.submit("/login", {"email": person.email, "password": "not the password"})
    assert response.status_code == 401
    assert "The email or password is not right." in text_of(response.text)
    assert f'value="{person.email}"' in response.text
    assert "tripartite_session" not in response.headers.get("set-cookie", "")


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client):
    response = client.submit(
        "/login", {"email": "nobody@test.example", "password": "whatever-it-is"}
    )
    assert response.status_code == 401
    assert "The email or password is not right." in text_of(response.text)


def test_deactivated_accounts_cannot_sign_in(client, db):
    person = factories.user(db)
    person.is_active = False
    db.flush()
    response = client.submit("/login", {"email": person.email, "password": factories.PASSWORD})
    assert response.status_code == 401


def test_repeated_failures_are_rate_limited_per_account(client, db, settings):
    person = factories.user(db)
    for _ in range(settings.login_max_failures_per_account):
        assert (
            client.submit(
                "/login", {"email": person.email, "password": "wrong-guess-1234"}
            ).status_code
            == 401
        )
    blocked = client.submit("/login", {"email": person.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-in attempts" in text_of(blocked.text)
    # another account is not affected (the address stays below its own limit)
    other = factories.user(db)
    assert (
        client.submit("/login", {"email": other.email, "password": factories.PASSWORD}).status_code
        == 303
    )


def test_rate_limit_state_lives_in_the_database(client, db, settings):
    """A second app process (another client on the same database) sees the same failures."""
    person = factories.user(db)
    for _ in range(settings.login_max_failures_per_account):
        db.add(LoginAttempt(email=person.email, address="10.9.9.9", succeeded=False))
    db.flush()
    blocked = client.submit("/login", {"email": person.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429


def test_sign_in_rotates_the_session_and_sign_out_revokes_it(client, db, make_client):
    person = factories.user(db)
    first = client.sign_in(person.email, factories.PASSWORD)
    first_token = client.cookies["tripartite_session"]
    client.sign_in(person.email, factories.PASSWORD)
    second_token = client.cookies["tripartite_session"]
    assert first_token != second_token
    assert first.status_code == 303
    client.submit("/logout")
    # the old cookie, replayed by someone who kept it, no longer works
    thief = make_client()
    thief.cookies.set("tripartite_session", second_token)
    assert thief.get("/").status_code == 303
    revoked = db.scalars(select(UserSession).where(UserSession.user_id == person.id)).all()
    assert all(s.revoked_at is not None for s in revoked)


def test_password_change_revokes_other_sessions(make_client, db):
    person = factories.user(db)
    laptop, phone = make_client(), make_client()
    laptop.sign_in(person.email, factories.PASSWORD)
    phone.sign_in(person.email, factories.PASSWORD)
    response = laptop.submit(
        "/account/password",
        {"current_password": factories.PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert response.status_code == 200
    assert "Your password has been changed" in text_of(response.text)
    assert laptop.get("/").status_code == 200  # this browser got a fresh session
    assert phone.get("/").status_code == 303  # the other one is signed out
    assert laptop.submit("/logout").status_code == 303
    assert (
        laptop.submit("/login", {"email": person.email, "password": factories.PASSWORD}).status_code
        == 401
    )
    laptop.sign_in(person.email, "a brand new passphrase")


def test_password_change_refuses_a_short_password_next_to_the_field(client, db):
    person = factories.user(db)
    client.sign_in(person.email, factories.PASSWORD)
    response = client.submit(
        "/account/password", {"current_password": factories.PASSWORD, "new_password": "short"}
    )
    assert response.status_code == 422
    assert 'id="f-new_password-error"' in response.text
    assert "at least 12 characters" in response.text


def test_expired_sessions_do_not_sign_in(client, db):
    person = factories.user(db)
    client.sign_in(person.email, factories.PASSWORD)
    db.execute(update(UserSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert client.get("/").status_code == 303


def test_a_forged_form_post_without_the_csrf_token_is_refused(client, db):
    admin = factories.user(db, platform_role=PlatformRole.ADMIN)
    client.sign_in(admin.email, factories.PASSWORD)
    forged = client.post(
        "/admin/organisations",
        data={
            "name": "Forged",
            "group": "workers",
            "country": "X",
            "focal_point_name": "Eve",
            "focal_point_email": "eve@x.example",
        },
    )
    assert forged.status_code == 403
    assert "security token" in text_of(forged.text)
    wrong = client.post("/logout", data={"csrftoken": "not-the-token"})
    assert wrong.status_code == 403
    assert client.get("/").status_code == 200  # still signed in: the forged logout did nothing


def test_login_itself_needs_the_csrf_token(client, db):
    person = factories.user(db)
    fresh = client.post("/login", data={"email": person.email, "password": factories.PASSWORD})
    assert fresh.status_code == 403


def test_each_session_has_a_token_of_its_own_and_its_pages_carry_it(client, db):
    """Signed out, a form carries the browser's token; signed in, the session's: drawn anew at
    sign-in and at a password change (whose page, answered at once, carries the new one)."""
    person = factories.user(db)
    signed_out = client.csrf()
    client.sign_in(person.email, factories.PASSWORD)
    first = client.csrf()  # read from the page the sign-in led to
    live = select(UserSession.csrf_token).where(
        UserSession.user_id == person.id, UserSession.revoked_at.is_(None)
    )
    assert first != signed_out and db.scalars(live).all() == [first]
    assert client.post("/logout", data={"csrftoken": signed_out}).status_code == 403
    changed = client.post(
        "/account/password",
        data={
            "csrftoken": first,
            "current_password": factories.PASSWORD,
            "new_password": "a brand new passphrase",
        },
    )
    assert changed.status_code == 200
    carried = set(TOKEN_FIELD.findall(changed.text))
    assert carried == set(db.scalars(live).all()) == {client.csrf()} != {first}
    assert client.post("/logout", data={"csrftoken": first}).status_code == 403
    assert client.post("/logout", data={"csrftoken": client.csrf()}).status_code == 303


def test_htmx_requests_carry_the_token_in_a_header(client, db):
    person = factories.user(db)
    client.sign_in(person.email, factories.PASSWORD)
    token = client.csrf()
    response = client.post("/logout", headers={"x-csrftoken": token, "HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login"


def test_oversized_bodies_are_refused_with_413(client, settings):
    response = client.post(
        "/login",
        content=b"x" * (settings.max_body_bytes + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_sign_in_redirects_only_to_local_pages(client, db):
    person = factories.user(db)
    response = client.submit(
        "/login",
        {"email": person.email, "password": factories.PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["location"] == "/"


def test_revoked_mandate_no_longer_speaks_for_the_organisation(client, db):
    org = factories.organisation(db, Group.WORKERS, name="Dockers' Union")
    person = factories.member(db, org)
    db.execute(update(Mandate).where(Mandate.user_id == person.id).values(revoked_at=utcnow()))
    client.sign_in(person.email, factories.PASSWORD)
    page = text_of(client.get("/").text)
    assert "No active mandate" in page
    assert "Dockers' Union" not in page


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unknown_pages_answer_a_clear_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address." in text_of(response.text)
