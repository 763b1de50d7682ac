"""Two-factor sign-in: required for moderators and administrators, available to everyone."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import LoginAttempt, UserSession
from app.accounts.two_factor import current_code, matching_step, new_secret
from app.vocabulary import Group, MandateRole, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in


def password_step(client, person):
    return client.submit("/login", {"email": person.email, "password": factories.PASSWORD})


def test_codes_match_their_step_with_one_step_of_drift_and_never_twice():
    secret = new_secret()
    now = datetime(2026, 11, 27, 12, 0, 10, tzinfo=UTC)
    step = int(now.timestamp()) // 30
    assert matching_step(secret, current_code(secret, now), None, now) == step
    earlier = current_code(secret, now - timedelta(seconds=30))
    assert matching_step(secret, earlier, None, now) == step - 1
    assert (
        matching_step(secret, current_code(secret, now - timedelta(minutes=2)), None, now) is None
    )
    assert matching_step(secret, current_code(secret, now), step, now) is None  # replayed
    assert matching_step(secret, "12345", None, now) is None
    assert matching_step(secret, "abcdef", None, now) is None


def test_a_moderator_without_a_second_factor_must_set_one_up_first(make_client, db):
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    moderator.totp_secret = moderator.totp_enabled_at = None
    browser = signed_in(make_client, db, moderator)
    for path in ("/", "/moderation", "/audit"):
        answer = browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/account/two-factor"
    htmx = browser.submit("/notifications/read", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == "/account/two-factor"  # an action: sent to set up
    page = browser.get("/account/two-factor")
    assert "must sign in with a second factor" in text_of(page.text)
    assert browser.submit("/account/two-factor/start").status_code == 303
    page = browser.get("/account/two-factor")
    assert "<svg" in page.text  # the QR code
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = browser.submit(
        "/account/two-factor/confirm", {"code": "000000", "password": factories.PASSWORD}
    )
    assert wrong.status_code == 422 and "does not match" in text_of(wrong.text)
    done = browser.submit(
        "/account/two-factor/confirm",
        {"code": current_code(secret), "password": factories.PASSWORD},
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){5})</code>", done.text)
    assert len(codes) == 10
    assert browser.get("/moderation").status_code == 200
    # shown once: the page no longer lists them, only how many are left
    again = browser.get("/account/two-factor")
    assert codes[0] not in again.text and "10 unused recovery codes" in text_of(again.text)


def test_sign_in_asks_for_the_code_and_opens_a_new_session_after_it(make_client, db):
    admin = factories.user(db, platform_role=PlatformRole.ADMIN)
    db.commit()
    browser = make_client()
    first = password_step(browser, admin)
    assert first.status_code == 303 and first.headers["location"].startswith("/login/two-factor")
    pending_token = browser.cookies["tripartite_session"]
    # the password alone opens nothing
    assert browser.get("/").headers["location"].startswith("/login")
    refused = browser.submit("/login/two-factor", {"code": "123456"})
    assert refused.status_code == 401 and "not right" in text_of(refused.text)
    code = current_code(factories.TOTP_SECRET)
    accepted = browser.submit("/login/two-factor", {"code": code})
    assert accepted.status_code == 303
    assert browser.cookies["tripartite_session"] != pending_token  # rotated
    assert browser.get("/admin/organisations").status_code == 200
    # the same code does not work twice (the very same six digits: a new 30-second step may
    # have begun meanwhile, with a code of its own)
    browser.submit("/logout")
    password_step(browser, admin)
    replay = browser.submit("/login/two-factor", {"code": code})
    assert replay.status_code == 401
    pending = db.scalars(select(UserSession).where(UserSession.user_id == admin.id)).all()
    assert any(s.two_factor_pending and s.revoked_at is not None for s in pending)


def test_a_recovery_code_signs_in_once(make_client, db):
    person = factories.user(db, platform_role=PlatformRole.MODERATOR)
    person.totp_secret = person.totp_enabled_at = None
    browser = signed_in(make_client, db, person)
    browser.submit("/account/two-factor/start")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', browser.get("/account/two-factor").text)
    done = browser.submit(
        "/account/two-factor/confirm",
        {"code": current_code(secret.group(1)), "password": factories.PASSWORD},
    )
    code = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){5})</code>", done.text)[0]
    for expected in (303, 401):
        other = make_client()
        password_step(other, person)
        answer = other.submit("/login/two-factor", {"code": code.upper()})
        assert answer.status_code == expected


def test_wrong_codes_are_rate_limited_like_passwords(make_client, db):
    admin = factories.user(db, platform_role=PlatformRole.ADMIN)
    db.commit()
    browser = make_client()
    password_step(browser, admin)
    statuses = [
        browser.submit("/login/two-factor", {"code": f"{n:06d}"}).status_code for n in range(7)
    ]
    assert statuses[:4] == [401] * 4 and statuses[-1] == 429
    limited = browser.submit("/login/two-factor", {"code": current_code(factories.TOTP_SECRET)})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_representatives_may_turn_it_on_and_off_moderators_may_not(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    representative = reps[Group.WORKERS]
    browser = signed_in(make_client, db, representative)
    assert browser.get("/").status_code == 200  # not required
    browser.submit("/account/two-factor/start")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', browser.get("/account/two-factor").text)
    browser.submit(
        "/account/two-factor/confirm",
        {"code": current_code(secret.group(1)), "password": factories.PASSWORD},
    )
    db.refresh(representative)
    assert representative.totp_enabled_at is not None
    wrong = browser.submit("/account/two-factor/off", {"password": "not it"})
    assert wrong.status_code == 422
    assert (
        browser.submit("/account/two-factor/off", {"password": factories.PASSWORD}).status_code
        == 303
    )
    assert "Set up two-factor sign-in" in browser.get("/account/two-factor").text
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    refused = moderator.submit("/account/two-factor/off", {"password": factories.PASSWORD})
    assert refused.status_code == 403 and "must keep" in text_of(refused.text)


def test_accepting_an_invitation_does_not_skip_the_second_factor(make_client, db):
    from app.organisations.models import Invitation  # noqa: F401  (the link below makes one)

    round_, orgs, reps = factories.three_groups_round(db)
    person = reps[Group.WORKERS]
    person.totp_secret = factories.TOTP_SECRET
    person.totp_enabled_at = datetime.now(UTC)
    focal = factories.member(db, orgs[Group.WORKERS], MandateRole.FOCAL_POINT)
    inviter = signed_in(make_client, db, focal)
    issued = inviter.submit(
        f"/organisations/{orgs[Group.WORKERS].id}/invitations",
        {"name": person.name, "email": person.email, "role": "focal_point"},
    )
    link = re.search(r'value="(http[^"]+/invitations/[^"]+)"', issued.text).group(1)
    token = link.rsplit("/", 1)[-1]
    newcomer = make_client()
    newcomer.get(f"/invitations/{token}")
    accepted = newcomer.submit(
        "/invitations/accept",
        {"token": token, "name": person.name, "password": factories.PASSWORD},
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == "/login/two-factor"
    assert newcomer.get("/").headers["location"].startswith("/login")  # nothing opens yet
    assert newcomer.second_factor().status_code == 303
    assert newcomer.get("/").status_code == 200


def test_enrolling_ends_the_sessions_opened_with_the_password_alone(make_client, db):
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    moderator.totp_secret = moderator.totp_enabled_at = None
    other, mine = signed_in(make_client, db, moderator), signed_in(make_client, db, moderator)
    # a background poll while set-up is pending is answered with nothing (no reload loop)
    poll = mine.get("/notifications/count", headers={"HX-Request": "true"})
    assert poll.status_code == 204 and "hx-redirect" not in poll.headers
    mine.submit("/account/two-factor/start")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', mine.get("/account/two-factor").text)
    done = mine.submit(
        "/account/two-factor/confirm",
        {"code": current_code(secret.group(1)), "password": factories.PASSWORD},
    )
    assert done.status_code == 200
    assert mine.get("/moderation").status_code == 200  # this browser carries on
    assert other.get("/moderation").headers["location"].startswith("/login")  # the other ended


def test_an_administrator_resets_a_lost_second_factor_from_the_command_line(fresh_url, tmp_path):
    import json

    from typer.testing import CliRunner

    from app.cli import cli

    runner = CliRunner()
    env = {"TRIPARTITE_DATABASE_URL": fresh_url, "TRIPARTITE_DATA_DIR": str(tmp_path)}
    runner.invoke(cli, ["db", "upgrade"], env=env)
    demo = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    assert next(a for a in demo["accounts"] if a["role"] == "moderator")["totp_secret"]
    reset = runner.invoke(cli, ["two-factor", "reset", "moderator@tripartite.example"], env=env)
    assert reset.exit_code == 0, reset.output
    again = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    assert next(a for a in again["accounts"] if a["role"] == "moderator")["totp_secret"] is None
    unknown = runner.invoke(cli, ["two-factor", "reset", "nobody@x.example"], env=env)
    assert unknown.exit_code == 2


def test_a_signed_in_session_cannot_guess_the_password_without_limit(make_client, db):
    person = factories.user(db)
    browser = signed_in(make_client, db, person)
    form = {"current_password": "wrong guess", "new_password": "a brand new passphrase"}
    statuses = [browser.submit("/account/password", form).status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
    right = {"current_password": factories.PASSWORD, "new_password": "a brand new passphrase"}
    assert browser.submit("/account/password", right).status_code == 429  # until the wait ends


def test_turning_it_on_asks_for_the_password_and_a_session_alone_is_not_enough(make_client, db):
    person = factories.user(db)
    browser, other = signed_in(make_client, db, person), signed_in(make_client, db, person)
    browser.submit("/account/two-factor/start")
    page = browser.get("/account/two-factor").text
    assert 'name="password"' in page and 'autocomplete="current-password"' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    for password in ("", "not my password"):
        refused = browser.submit(
            "/account/two-factor/confirm", {"code": current_code(secret), "password": password}
        )
        assert refused.status_code == 422
        assert 'id="f-password-error"' in refused.text
        assert "That is not your current password." in text_of(refused.text)
        db.refresh(person)
        assert person.totp_enabled_at is None  # still off
        assert other.get("/").status_code == 200  # and the other session lives on
    failures = db.scalars(
        select(LoginAttempt).where(
            LoginAttempt.email == person.email, LoginAttempt.succeeded.is_(False)
        )
    ).all()
    assert len(failures) == 2  # counted towards the sign-in limits
    done = browser.submit(
        "/account/two-factor/confirm",
        {"code": current_code(secret), "password": factories.PASSWORD},
    )
    assert done.status_code == 200
    db.refresh(person)
    assert person.totp_enabled_at is not None
    assert other.get("/").headers["location"].startswith("/login")  # ended with it
