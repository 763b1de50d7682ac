"""Session cookies and their life (what tests/http/test_sign_in.py does not already show), and
the protective headers on every kind of response: pages, fragments, errors, the API, files."""

from __future__ import annotations

import hashlib
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from app.accounts.models import UserSession
from app.api import tokens
from app.vocabulary import Group, PlatformRole
from tests import factories
from tests.security.world import cheap_user

pytestmark = pytest.mark.usefixtures("cheap_passwords")
SESSION = "tripartite_session"


def set_cookies(response) -> dict[str, SimpleCookie]:
    jar = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            jar[name] = cookie
    return jar


def attributes(response, name: str) -> dict[str, str]:
    morsel = set_cookies(response)[name][name]
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(name + "="))
    flags = {part.strip().split("=")[0].lower() for part in header.split(";")}
    return {
        "httponly": str("httponly" in flags),
        "secure": str("secure" in flags),
        "samesite": str(morsel["samesite"]).lower(),
        "path": str(morsel["path"]),
        "max-age": str(morsel["max-age"]),
    }


@pytest.mark.parametrize("secure", [False, True])
def test_cookies_are_http_only_same_site_and_secure_behind_https(make_client_with, db, secure):
    someone = cheap_user(db)
    # a Secure cookie comes back only over HTTPS
    browser = make_client_with(
        base_url=f"http{'s' if secure else ''}://testserver", cookie_secure=secure
    )
    form = browser.get("/login")
    csrf = attributes(form, "csrftoken")
    assert csrf["samesite"] == "lax" and csrf["secure"] == str(secure)
    response = browser.sign_in(someone.email, factories.PASSWORD)
    session = attributes(response, SESSION)
    settings = browser.app.fastapi_app.state.settings
    assert session == {
        "httponly": "True",
        "secure": str(secure),
        "samesite": "lax",
        "path": "/",
        "max-age": str(settings.session_hours * 3600),
    }
    hsts = browser.get("/").headers.get("strict-transport-security", "")
    assert ("max-age=" in hsts) is secure


def test_a_planted_session_is_not_adopted_at_sign_in(make_client, db):
    """Session fixation: a cookie planted in the victim's browser (made up, or the attacker's
    own live session) is replaced at sign-in and the planted one stops working."""
    victim, attacker = cheap_user(db), cheap_user(db)
    planted = factories.session_cookie(db, attacker)
    browser = make_client()
    browser.csrf()
    browser.cookies.set(SESSION, planted)
    signed = browser.sign_in(victim.email, factories.PASSWORD)
    assert set_cookies(signed)[SESSION][SESSION].value not in ("", planted)
    replay = make_client()
    replay.cookies.set(SESSION, planted)
    assert replay.get("/").status_code == 303  # the attacker's planted session was ended
    made_up = make_client()
    made_up.csrf()
    made_up.cookies.set(SESSION, "attacker-chosen-value")
    signed = made_up.sign_in(victim.email, factories.PASSWORD)
    assert set_cookies(signed)[SESSION][SESSION].value not in ("", "attacker-chosen-value")


def test_a_password_change_replaces_this_browsers_session_too(make_client, db):
    someone = cheap_user(db)
    browser = make_client()
    browser.sign_in(someone.email, factories.PASSWORD)
    before = browser.cookies[SESSION]
    response = browser.submit(
        "/account/password",
        {"current_password": factories.PASSWORD, "new_password": "an entirely new passphrase"},
    )
    assert response.status_code == 200
    assert browser.cookies[SESSION] != before
    stolen = make_client()
    stolen.cookies.set(SESSION, before)
    assert stolen.get("/").status_code == 303


def test_sign_out_ends_the_session_on_the_server(make_client, db):
    someone = cheap_user(db)
    browser = make_client()
    browser.sign_in(someone.email, factories.PASSWORD)
    token = browser.cookies[SESSION]
    response = browser.submit("/logout")
    assert (
        f'{SESSION}=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )
    kept = make_client()
    kept.cookies.set(SESSION, token)
    assert kept.get("/").status_code == 303


def test_only_a_hash_of_the_session_token_is_stored(make_client, db):
    someone = cheap_user(db)
    browser = make_client()
    browser.sign_in(someone.email, factories.PASSWORD)
    token = browser.cookies[SESSION]
    rows = db.execute(select(UserSession).where(UserSession.user_id == someone.id)).scalars().all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    for row in rows:
        assert token not in " ".join(str(v) for v in vars(row).values())


def test_deactivation_ends_sessions_at_once(make_client, db):
    org = factories.organisation(db, Group.WORKERS)
    member = factories.member(db, org)
    browser = factories.signed_in(make_client, db, member)
    assert browser.get("/").status_code == 200
    admin = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.ADMIN)
    )
    done = admin.submit(f"/admin/people/{member.id}/deactivate", {"reason": "Left."})
    assert done.status_code == 303, done.text
    assert browser.get("/").status_code == 303


# -- headers ---------------------------------------------------------------------------------

REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def header_problems(response) -> list[str]:
    headers = response.headers
    problems = []
    csp = csp_directives(headers.get("content-security-policy", ""))
    script_src = csp.get("script-src", csp.get("default-src"))
    if script_src is None:
        problems.append("no script-src (nor default-src)")
    else:
        problems += [
            f"script-src allows {bad}"
            for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")
            if bad in script_src
        ]
    if csp.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is {csp.get('frame-ancestors')}")
    if csp.get("object-src") != ["'none'"]:
        problems.append(f"object-src is {csp.get('object-src')}")
    if "base-uri" not in csp:
        problems.append("no base-uri")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {headers.get('referrer-policy')}")
    if headers.get("x-frame-options", "").upper() != "DENY":
        problems.append("no X-Frame-Options: DENY")
    return problems


def test_every_kind_of_response_carries_the_protective_headers(make_client, db, settings):
    round_, _orgs, reps = factories.three_groups_round(db)
    _token, plain = tokens.create(db, "Headers", None)
    anonymous = make_client()
    rep = factories.signed_in(make_client, db, reps[Group.WORKERS])
    api = {"Authorization": f"Bearer {plain}"}
    responses = {
        "sign-in page": anonymous.get("/login"),
        "redirect to sign in": anonymous.get("/"),
        "a page": rep.get(f"/rounds/{round_.id}"),
        "an htmx fragment": rep.get(
            f"/rounds/{round_.id}/comments?page=1", headers={"HX-Request": "true"}
        ),
        "live poll, nothing new": rep.get(f"/rounds/{round_.id}/live?version=999999"),
        "a 403 page": rep.get("/moderation"),
        "a 404 page": rep.get("/no/such/page"),
        "an id beyond any row": rep.get("/rounds/99999999999999999999"),
        "CSRF refusal": rep.post("/logout", data={"csrftoken": "forged"}),
        "body too large": anonymous.post(
            "/login",
            content=b"x" * (settings.max_body_bytes + 1),
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        "API answer": anonymous.get("/api/v1/rounds", headers=api),
        "API 401": anonymous.get("/api/v1/rounds"),
        "API 404 beyond any id": anonymous.get("/api/v1/rounds/99999999999", headers=api),
        "OpenAPI": anonymous.get("/api/openapi.json"),
        "static file": anonymous.get("/static/style.css"),
        "health": anonymous.get("/healthz"),
    }
    problems = [
        f"{name} ({response.status_code}): {problem}"
        for name, response in responses.items()
        for problem in header_problems(response)
    ]
    assert not problems, "\n".join(problems)
