"""The round lifecycle: close with an outcome, extend, reopen, publish; every refusal clear."""

import json
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import utcnow
from app.rounds.models import Round
from app.vocabulary import Group, PlatformRole
from tests import factories
from tests.conftest import text_of


def signed_in(make_client, db, person):
    browser = make_client()
    browser.csrf()
    browser.cookies.set("tripartite_session", factories.session_cookie(db, person))
    db.commit()
    return browser


def local(when):
    return when.strftime("%Y-%m-%dT%H:%M")


def moderator_and_round(make_client, db, **options):
    round_, orgs, reps = factories.three_groups_round(db, **options)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    return moderator, round_, orgs, reps


def events(db, round_id, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.subject_id == round_id,
                                               AuditEvent.action == action)).all()


def test_closing_with_an_outcome_ends_posting_and_shows_the_outcome(make_client, db):
    moderator, round_, orgs, reps = moderator_and_round(make_client, db)
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    confirm = moderator.get(f"/rounds/{round_.id}/close")
    assert confirm.status_code == 200 and "Outcome (markdown)" in text_of(confirm.text)
    closed = moderator.submit(f"/rounds/{round_.id}/close",
                              {"outcome": "The groups **agree** on pensions first."})
    assert closed.status_code == 303
    page = moderator.get(f"/rounds/{round_.id}").text
    visible = text_of(page)
    assert "Outcome" in visible and "The groups agree on pensions first." in visible
    assert "<strong>agree</strong>" in page
    # the silent groups are named in plain words
    assert "The government group posted no position in this round" in visible
    assert "The employers group posted no position in this round" in visible
    assert "The workers group posted no position" not in visible
    # nothing more can be posted
    union = signed_in(make_client, db, reps[Group.WORKERS])
    refused = union.submit(f"/rounds/{round_.id}/comments", {"body": "Too late?"})
    assert refused.status_code == 409
    assert "closed" in text_of(refused.text)
    event = events(db, round_.id, "round.closed")[0]
    details = json.loads(event.details)
    assert details["before"]["status"] == "open" and details["after"]["status"] == "closed"


def test_closing_refusals_keep_the_text(make_client, db):
    moderator, round_, _orgs, _reps = moderator_and_round(make_client, db)
    empty = moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "  "})
    assert empty.status_code == 422
    assert "The outcome is required." in text_of(empty.text)
    assert db.get(Round, round_.id).status == "open"
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Done."})
    again = moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "A second outcome"})
    assert again.status_code == 409
    assert "already closed" in text_of(again.text)
    assert "A second outcome" in again.text


def test_extend_and_its_refusals(make_client, db):
    moderator, round_, _orgs, _reps = moderator_and_round(make_client, db)
    later = utcnow() + timedelta(days=30)
    past = moderator.submit(f"/rounds/{round_.id}/extend",
                            {"closes_at": local(utcnow() - timedelta(days=1))})
    assert past.status_code == 422
    assert "must be in the future" in text_of(past.text)
    earlier = moderator.submit(f"/rounds/{round_.id}/extend",
                               {"closes_at": local(utcnow() + timedelta(days=1))})
    assert earlier.status_code == 422
    ok = moderator.submit(f"/rounds/{round_.id}/extend",
                          {"closes_at": local(later), "reason": "Employers asked for time"})
    assert ok.status_code == 303
    assert db.get(Round, round_.id).closes_at.strftime("%Y-%m-%dT%H:%M") == local(later)
    assert json.loads(events(db, round_.id, "round.extended")[0].details)["reason"] == (
        "Employers asked for time")


def test_reopen_needs_a_reason_and_publish_is_final(make_client, db):
    moderator, round_, _orgs, _reps = moderator_and_round(make_client, db)
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 409
    assert moderator.submit(f"/rounds/{round_.id}/reopen", {
        "closes_at": local(utcnow() + timedelta(days=3)), "reason": "x"}).status_code == 409
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "First conclusions."})
    no_reason = moderator.submit(f"/rounds/{round_.id}/reopen",
                                 {"closes_at": local(utcnow() + timedelta(days=3))})
    assert no_reason.status_code == 422
    assert "Give a reason" in text_of(no_reason.text)
    reopened = moderator.submit(f"/rounds/{round_.id}/reopen", {
        "closes_at": local(utcnow() + timedelta(days=3)), "reason": "A group was not heard"})
    assert reopened.status_code == 303
    assert db.get(Round, round_.id).status == "open"
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Final conclusions."})
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 303
    assert db.get(Round, round_.id).status == "published"
    again = moderator.submit(f"/rounds/{round_.id}/reopen", {
        "closes_at": local(utcnow() + timedelta(days=3)), "reason": "Try"})
    assert again.status_code == 409
    assert "cannot be reopened" in text_of(again.text)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(
        AuditEvent.subject_id == round_.id, AuditEvent.subject_type == "round")
        .order_by(AuditEvent.id))]
    assert actions == ["round.closed", "round.reopened", "round.closed", "round.published"]


def test_a_round_past_its_deadline_can_be_given_its_outcome(make_client, db):
    moderator, round_, _orgs, _reps = moderator_and_round(
        make_client, db, closes_at=utcnow() - timedelta(hours=1))
    assert "Write the outcome" in text_of(moderator.get(f"/rounds/{round_.id}").text)
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 409
    assert moderator.submit(f"/rounds/{round_.id}/close",
                            {"outcome": "Closed at the deadline."}).status_code == 303
    stored = db.get(Round, round_.id)
    assert stored.status == "closed" and stored.closed_at == stored.closes_at


def test_representatives_cannot_run_the_lifecycle_and_the_attempt_is_logged(make_client, db):
    _moderator, round_, _orgs, reps = moderator_and_round(make_client, db)
    union = signed_in(make_client, db, reps[Group.WORKERS])
    assert union.get(f"/rounds/{round_.id}/close").status_code == 403
    for action, form in (("close", {"outcome": "Mine"}), ("publish", {}),
                         ("extend", {"closes_at": local(utcnow() + timedelta(days=40))}),
                         ("reopen", {"reason": "x"})):
        response = union.submit(f"/rounds/{round_.id}/{action}", form)
        assert response.status_code == 403, action
        assert events(db, round_.id, f"denied.round.{action}"), action
    assert db.get(Round, round_.id).status == "open"
