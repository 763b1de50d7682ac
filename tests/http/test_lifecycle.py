"""The round lifecycle: close with an outcome, extend, reopen, publish; every refusal clear."""

import json
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import utcnow
from app.rounds.models import Round
from app.vocabulary import Group, MandateRole, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import local


def moderator_and_round(make_client, db, **options):
    round_, orgs, reps = factories.three_groups_round(db, **options)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    return moderator, round_, orgs, reps


def events(db, round_id, action):
    return db.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == round_id, AuditEvent.action == action)
    ).all()


def spokespersons(db, orgs):
    return {
        g: factories.member(db, orgs[g], MandateRole.FOCAL_POINT, name=f"{g.label} voice")
        for g in Group
    }


def sign_off(make_client, db, moderator, round_, orgs, *, deadline_days=3, answer=True):
    """Ask for sign-off; government and employers confirm, workers file a reservation."""
    voices = spokespersons(db, orgs)
    form = {f"spokesperson_{g.value}": str(voices[g].id) for g in Group}
    form["signoff_deadline"] = local(utcnow() + timedelta(days=deadline_days))
    asked = moderator.submit(f"/rounds/{round_.id}/signoff", form)
    assert asked.status_code == 303, asked.text
    if answer:
        for group in (Group.GOVERNMENT, Group.EMPLOYERS, Group.WORKERS):
            browser = signed_in(make_client, db, voices[group])
            decision = (
                {"decision": "reservation", "reservation": "Workers object to any delay."}
                if group is Group.WORKERS
                else {"decision": "confirm"}
            )
            assert (
                browser.submit(f"/rounds/{round_.id}/signoff/decision", decision).status_code == 303
            )
    return voices


def test_closing_with_an_outcome_ends_posting_and_shows_the_outcome(make_client, db):
    moderator, round_, orgs, reps = moderator_and_round(make_client, db)
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    confirm = moderator.get(f"/rounds/{round_.id}/close")
    assert confirm.status_code == 200 and "Outcome (markdown)" in text_of(confirm.text)
    closed = moderator.submit(
        f"/rounds/{round_.id}/close", {"outcome": "The groups **agree** on pensions first."}
    )
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
    past = moderator.submit(
        f"/rounds/{round_.id}/extend", {"closes_at": local(utcnow() - timedelta(days=1))}
    )
    assert past.status_code == 422
    assert "must be in the future" in text_of(past.text)
    earlier = moderator.submit(
        f"/rounds/{round_.id}/extend", {"closes_at": local(utcnow() + timedelta(days=1))}
    )
    assert earlier.status_code == 422
    ok = moderator.submit(
        f"/rounds/{round_.id}/extend",
        {"closes_at": local(later), "reason": "Employers asked for time"},
    )
    assert ok.status_code == 303
    assert db.get(Round, round_.id).closes_at.strftime("%Y-%m-%dT%H:%M") == local(later)
    assert json.loads(events(db, round_.id, "round.extended")[0].details)["reason"] == (
        "Employers asked for time"
    )


def test_reopen_needs_a_reason_and_publish_is_final(make_client, db):
    moderator, round_, orgs, _reps = moderator_and_round(make_client, db)
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 409
    assert (
        moderator.submit(
            f"/rounds/{round_.id}/reopen",
            {"closes_at": local(utcnow() + timedelta(days=3)), "reason": "x"},
        ).status_code
        == 409
    )
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "First conclusions."})
    no_reason = moderator.submit(
        f"/rounds/{round_.id}/reopen", {"closes_at": local(utcnow() + timedelta(days=3))}
    )
    assert no_reason.status_code == 422
    assert "Give a reason" in text_of(no_reason.text)
    reopened = moderator.submit(
        f"/rounds/{round_.id}/reopen",
        {"closes_at": local(utcnow() + timedelta(days=3)), "reason": "A group was not heard"},
    )
    assert reopened.status_code == 303
    assert db.get(Round, round_.id).status == "open"
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Final conclusions."})
    blocked = moderator.submit(f"/rounds/{round_.id}/publish")
    assert blocked.status_code == 409 and "sign off" in text_of(blocked.text)
    sign_off(make_client, db, moderator, round_, orgs)
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 303
    assert db.get(Round, round_.id).status == "published"
    again = moderator.submit(
        f"/rounds/{round_.id}/reopen",
        {"closes_at": local(utcnow() + timedelta(days=3)), "reason": "Try"},
    )
    assert again.status_code == 409
    assert "cannot be reopened" in text_of(again.text)
    actions = [
        e.action
        for e in db.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == round_.id, AuditEvent.subject_type == "round")
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == [
        "round.closed",
        "round.reopened",
        "round.closed",
        "round.signoff_requested",
        "signoff.confirmed",
        "signoff.confirmed",
        "signoff.reservation",
        "round.published",
    ]


def test_a_round_past_its_deadline_can_be_given_its_outcome(make_client, db):
    moderator, round_, _orgs, _reps = moderator_and_round(
        make_client, db, closes_at=utcnow() - timedelta(hours=1)
    )
    assert "Write the outcome" in text_of(moderator.get(f"/rounds/{round_.id}").text)
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 409
    assert (
        moderator.submit(
            f"/rounds/{round_.id}/close", {"outcome": "Closed at the deadline."}
        ).status_code
        == 303
    )
    stored = db.get(Round, round_.id)
    assert stored.status == "closed" and stored.closed_at == stored.closes_at


def test_representatives_cannot_run_the_lifecycle_and_the_attempt_is_logged(make_client, db):
    _moderator, round_, _orgs, reps = moderator_and_round(make_client, db)
    union = signed_in(make_client, db, reps[Group.WORKERS])
    assert union.get(f"/rounds/{round_.id}/close").status_code == 403
    for action, form in (
        ("close", {"outcome": "Mine"}),
        ("publish", {}),
        ("extend", {"closes_at": local(utcnow() + timedelta(days=40))}),
        ("reopen", {"reason": "x"}),
    ):
        response = union.submit(f"/rounds/{round_.id}/{action}", form)
        assert response.status_code == 403, action
        assert events(db, round_.id, f"denied.round.{action}"), action
    assert db.get(Round, round_.id).status == "open"


def test_the_record_is_tripartite(make_client, db):
    moderator, round_, orgs, reps = moderator_and_round(make_client, db)
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "All agree on **portability**."})
    voices = sign_off(make_client, db, moderator, round_, orgs, answer=False)
    assert "Spokesperson of the workers group" in text_of(
        moderator.get(f"/rounds/{round_.id}").text
    )
    # only the named spokesperson answers for the group
    other = signed_in(make_client, db, reps[Group.WORKERS])
    assert (
        other.submit(f"/rounds/{round_.id}/signoff/decision", {"decision": "confirm"}).status_code
        == 403
    )
    union = signed_in(make_client, db, voices[Group.WORKERS])
    page = text_of(union.get(f"/rounds/{round_.id}").text)
    assert "Your group's sign-off (Workers)" in page
    empty = union.submit(
        f"/rounds/{round_.id}/signoff/decision", {"decision": "reservation", "reservation": " "}
    )
    assert empty.status_code == 422 and "The reservation is required." in text_of(empty.text)
    union.submit(
        f"/rounds/{round_.id}/signoff/decision",
        {"decision": "reservation", "reservation": "No transition period."},
    )
    for group in (Group.GOVERNMENT, Group.EMPLOYERS):
        signed_in(make_client, db, voices[group]).submit(
            f"/rounds/{round_.id}/signoff/decision", {"decision": "confirm"}
        )
    # revising the outcome asks for confirmation again; the reservation stands
    moderator.submit(f"/rounds/{round_.id}/outcome", {"outcome": "All agree, revised."})
    blocked = moderator.submit(f"/rounds/{round_.id}/publish")
    assert blocked.status_code == 409
    assert "government and employers groups" in text_of(blocked.text)
    for group in (Group.GOVERNMENT, Group.EMPLOYERS):
        signed_in(make_client, db, voices[group]).submit(
            f"/rounds/{round_.id}/signoff/decision", {"decision": "confirm"}
        )
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 303
    public = text_of(other.get(f"/rounds/{round_.id}").text)
    assert "reservation filed by Workers voice" in public and "No transition period." in public
    assert "confirmed by Government voice" in public


def test_publication_waits_for_the_signoff_deadline(make_client, db):
    moderator, round_, orgs, _reps = moderator_and_round(make_client, db)
    moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Conclusions."})
    sign_off(make_client, db, moderator, round_, orgs, answer=False)
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 409
    stored = db.get(Round, round_.id)
    stored.signoff_deadline = utcnow() - timedelta(minutes=1)
    db.commit()
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 303
    page = text_of(moderator.get(f"/rounds/{round_.id}").text)
    assert "did not confirm or file a reservation by the sign-off deadline" in page
    details = json.loads(events(db, round_.id, "round.published")[0].details)
    assert sorted(details["no_answer_by_signoff_deadline"]) == [
        "employers",
        "government",
        "workers",
    ]
