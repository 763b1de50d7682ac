"""A kept round page is answered at the door (app/rounds/door.py), from one read on the event
loop, and is exactly the page the ordinary route serves: the same bytes (but the fresh form
keys), headers, ETag and 304. Nothing about the session is kept: a session revoked, an account
deactivated or a mandate ended a moment ago is seen on the very next request. Everything the
door cannot vouch for (a moderator, a confirmation to show, a query the route would judge, a
draft, no such round) goes to the route. The data is committed for real here: the door reads
on a connection of its own, not in the test's transaction. Both databases."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.config import Settings
from app.confirmations import seal
from app.db import utcnow
from app.models import Mandate, User, UserSession
from app.rounds import page_cache
from app.vocabulary import PlatformRole, RoundStatus
from tests import factories
from tests.committed import (  # noqa: F401 (the fixtures world, app_settings, browsers)
    Browser,
    committed_browsers,
    committed_settings,
    committed_world,
)

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture(autouse=True)
def one_minute(monkeypatch):  # type: ignore[no-untyped-def]
    """A kept page's key holds the minute (the clock's changes to the page): these tests' two
    requests stay within one, however slow the machine."""
    now = time.time()
    monkeypatch.setattr(page_cache, "time", SimpleNamespace(time=lambda: now))


def _browser(world: Session, settings: Settings, browsers: list[Browser], person: User) -> Browser:
    cookie = factories.session_cookie(world, person)
    world.commit()
    browser = Browser(settings, cookie)
    browsers.append(browser)
    return browser


def _reader(world, app_settings, browsers, **round_kw):  # type: ignore[no-untyped-def]
    union = factories.organisation(world)
    rep = factories.member(world, union)
    round_ = factories.consultation_round(world, [union], **round_kw)
    world.commit()
    return _browser(world, app_settings, browsers, rep), round_, rep


def _same_page(one: str, other: str) -> bool:
    return KEY.sub("KEY", one) == KEY.sub("KEY", other)


def test_a_kept_page_is_answered_at_the_door_as_the_route_answers_it(world, app_settings, browsers):
    browser, round_, _rep = _reader(world, app_settings, browsers)
    url = f"/rounds/{round_.id}"
    first = browser.get(url)
    assert first.status_code == 200 and browser.statements  # rendered by the route, and kept
    again = browser.get(url)
    assert again.status_code == 200
    assert browser.statements == []  # the route (and its SQLAlchemy session) never ran
    assert _same_page(again.text, first.text)
    assert KEY.findall(again.text) and not set(KEY.findall(again.text)) & set(
        KEY.findall(first.text)
    )
    for header in (
        "etag",
        "content-type",
        "cache-control",
        "vary",
        "content-security-policy",
        "x-frame-options",
    ):
        assert again.headers[header] == first.headers[header], header
    assert int(again.headers["content-length"]) == len(again.content)
    unchanged = browser.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == first.headers["etag"]
    assert browser.statements == []

    # the discussion's choices are part of the key, as on the route
    balanced = browser.get(f"{url}?order=balanced&page=1&unknown=x")
    assert browser.statements  # another page: rendered
    assert browser.get(f"{url}?order=balanced&page=1&unknown=x").text and browser.statements == []
    assert balanced.headers["etag"] != first.headers["etag"]

    # another language, another time zone: other pages, each kept and answered at the door
    browser.client.cookies.set("tripartite_lang", "fr")
    french = browser.get(url)
    assert browser.statements and 'lang="fr"' in french.text
    assert _same_page(browser.get(url).text, french.text) and browser.statements == []
    browser.client.cookies.set("tripartite_tz", "Asia/Tokyo")
    tokyo = browser.get(url)
    assert browser.statements and tokyo.headers["etag"] != french.headers["etag"]
    assert _same_page(browser.get(url).text, tokyo.text) and browser.statements == []
    browser.client.cookies.delete("tripartite_tz")
    browser.client.cookies.delete("tripartite_lang")

    # a write to the round (in another process: the database is the only shared state)
    world.execute(update(type(round_)).where(type(round_).id == round_.id).values(version=99))
    world.commit()
    changed = browser.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and browser.statements
    assert changed.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize("ended", ["session revoked", "session expired", "account deactivated"])
def test_an_ended_session_is_refused_on_its_very_next_page_request(
    world, app_settings, browsers, ended
):
    browser, round_, rep = _reader(world, app_settings, browsers)
    url = f"/rounds/{round_.id}"
    kept = browser.get(url)
    assert browser.get(url).status_code == 200 and browser.statements == []  # at the door
    if ended == "session revoked":
        world.execute(update(UserSession).values(revoked_at=utcnow()))
    elif ended == "session expired":
        world.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    else:
        world.execute(update(User).where(User.id == rep.id).values(is_active=False))
    world.commit()
    refused = browser.get(url, headers={"If-None-Match": kept.headers["etag"]})
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")


@pytest.mark.parametrize("ended", ["revoked", "expired"])
def test_an_ended_mandate_changes_the_very_next_page(world, app_settings, browsers, ended):
    browser, round_, rep = _reader(world, app_settings, browsers)
    url = f"/rounds/{round_.id}"
    kept = browser.get(url)
    assert browser.get(url).status_code == 200 and browser.statements == []  # at the door
    now = utcnow()
    if ended == "revoked":
        ending = {"revoked_at": now - timedelta(seconds=1)}
    else:
        ending = {"starts_at": now - timedelta(hours=1), "expires_at": now - timedelta(seconds=1)}
    world.execute(update(Mandate).where(Mandate.user_id == rep.id).values(**ending))
    world.commit()
    after = browser.get(url, headers={"If-None-Match": kept.headers["etag"]})
    assert browser.statements  # not the kept page: the route rendered it for who they are now
    assert after.status_code == 200 and after.headers["etag"] != kept.headers["etag"]
    assert not _same_page(after.text, kept.text)


def test_what_the_door_cannot_vouch_for_goes_to_the_route(world, app_settings, browsers):
    browser, round_, _rep = _reader(world, app_settings, browsers)
    url = f"/rounds/{round_.id}"
    browser.get(url)

    # a query the route's validation judges
    for query in ("page=0", "page=abc", "page=", "page=10001", "organisation=" + "9" * 21):
        assert browser.get(f"{url}?{query}").status_code == 422, query
    repeated = browser.get(f"{url}?page=1&page=1")
    assert repeated.status_code == 200 and browser.statements

    # a confirmation to show, once, on a page rendered for it
    browser.client.cookies.set("confirmation", seal(b"test-secret", "Comment posted."))
    confirmed = browser.get(url)
    assert confirmed.status_code == 200 and "Comment posted." in confirmed.text
    assert browser.statements
    browser.client.cookies.delete("confirmation")

    # no such round, and a draft (moderators alone read it): the route's 404
    assert browser.get(f"/rounds/{round_.id + 1000}").status_code == 404
    draft = factories.consultation_round(world, [], status=RoundStatus.DRAFT)
    world.commit()
    assert browser.get(f"/rounds/{draft.id}").status_code == 404
    assert browser.get(f"/rounds/{draft.id}").status_code == 404

    # signed out: to the sign-in page
    browser.client.cookies.delete("tripartite_session")
    assert browser.get(url).status_code == 303

    # a moderator's page carries the moderation controls: rendered every time
    moderator = factories.user(world, platform_role=PlatformRole.MODERATOR)
    moderator.totp_enabled_at = utcnow()
    world.commit()
    moderating = _browser(world, app_settings, browsers, moderator)
    for _ in range(2):
        assert moderating.get(url).status_code == 200 and moderating.statements
