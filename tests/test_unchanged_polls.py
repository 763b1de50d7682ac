"""The live poll of a round that has not changed is answered at the door (app/rounds/poll.py),
from one read on the event loop, and says exactly what the ordinary route would: 204 for a live
session that may read the round at that version, and everything else left to the route (a
change, a revoked session, a draft, a malformed query). The data is committed for real here:
the door reads on a connection of its own, not in the test's transaction."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.models import Round, UserSession
from app.vocabulary import PlatformRole, RoundStatus
from tests import factories
from tests.committed import (  # noqa: F401 (the fixtures world, app_settings, browsers)
    Browser,
    committed_browsers,
    committed_settings,
    committed_world,
)

HTMX = {"HX-Request": "true"}


def poll(browser: Browser, round_id: int, version: object):  # type: ignore[no-untyped-def]
    return browser.get(f"/rounds/{round_id}/live?version={version}&after=0", headers=HTMX)


def _reader(world: Session, app_settings: Settings, browsers: list[Browser], **round_kw):  # type: ignore[no-untyped-def]
    union = factories.organisation(world)
    rep = factories.member(world, union)
    round_ = factories.consultation_round(world, [union], **round_kw)
    cookie = factories.session_cookie(world, rep)
    world.commit()
    browser = Browser(app_settings, cookie)
    browsers.append(browser)
    return browser, round_


def test_an_unchanged_poll_is_answered_at_the_door_and_a_change_by_the_route(
    world, app_settings, browsers
):
    browser, round_ = _reader(world, app_settings, browsers)

    version = round_.version
    unchanged = poll(browser, round_.id, version)
    assert unchanged.status_code == 204
    assert unchanged.content == b""
    assert browser.statements == []  # the ordinary route (and its SQLAlchemy session) never ran

    world.execute(update(Round).where(Round.id == round_.id).values(version=Round.version + 1))
    world.commit()
    changed = poll(browser, round_.id, version)
    assert changed.status_code == 200  # what changed, from the route
    assert browser.statements  # the route read it

    assert poll(browser, round_.id, version + 1).status_code == 204


def test_a_revoked_session_is_refused_on_its_very_next_poll(world, app_settings, browsers):
    browser, round_ = _reader(world, app_settings, browsers)
    assert poll(browser, round_.id, round_.version).status_code == 204

    world.execute(update(UserSession).values(revoked_at=utcnow()))
    world.commit()
    refused = poll(browser, round_.id, round_.version)
    # the route's answer to a signed-out htmx request: go and sign in
    assert refused.headers.get("hx-redirect", "").startswith("/login")


def test_a_draft_round_stays_a_404_for_a_representative(world, app_settings, browsers):
    browser, round_ = _reader(world, app_settings, browsers, status=RoundStatus.DRAFT)
    assert poll(browser, round_.id, round_.version).status_code == 404


def test_what_the_door_cannot_vouch_for_goes_to_the_route(world, app_settings, browsers):
    browser, round_ = _reader(world, app_settings, browsers)
    assert poll(browser, round_.id, "not-a-number").status_code == 422
    assert poll(browser, round_.id + 1000, round_.version).status_code == 404

    moderator = factories.user(world, platform_role=PlatformRole.MODERATOR)
    moderator.totp_enabled_at = None
    cookie = factories.session_cookie(world, moderator)
    world.commit()
    unenrolled = Browser(app_settings, cookie)
    browsers.append(unenrolled)
    poll(unenrolled, round_.id, round_.version)
    assert unenrolled.statements  # no second factor yet: the route decides (and sends them on)
