"""Moderating comments: flags, hiding with a reason, restoring, pre-moderation, locked threads.
Nothing is ever deleted, and every action is in the audit log."""

import json
import re
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.comments.models import Comment, Flag
from app.db import utcnow
from app.rounds.models import Round, RoundInvitation
from app.vocabulary import Group, MandateRole, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in


def setting(db):
    round_, orgs, reps = factories.three_groups_round(db)
    old = utcnow() - timedelta(hours=1)  # past the author's 15-minute edit window
    target = factories.comment(
        db,
        round_,
        reps[Group.EMPLOYERS],
        orgs[Group.EMPLOYERS],
        "An **offensive** remark",
        created_at=old,
    )
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    return round_, orgs, reps, target, moderator


def test_a_moderator_hides_a_comment_with_a_reason_and_restores_it(make_client, db):
    round_, orgs, reps, target, moderator = setting(db)
    mod = signed_in(make_client, db, moderator)
    hidden = mod.submit(
        f"/rounds/{round_.id}/comments/{target.id}/hide",
        {"reason_code": "personal_attack", "note": "insults a delegate"},
    )
    assert hidden.status_code == 303
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    page = text_of(reader.get(f"/rounds/{round_.id}").text)
    assert "Hidden by a moderator — Personal attack or harassment: insults a delegate" in page
    assert "offensive" not in page  # the thread keeps its place, not its text
    assert "1 comment hidden by moderators" in page  # per group, in the participation bar
    author = signed_in(make_client, db, reps[Group.EMPLOYERS])
    assert "offensive" in text_of(author.get(f"/rounds/{round_.id}").text)
    again = mod.submit(
        f"/rounds/{round_.id}/comments/{target.id}/hide", {"reason_code": "spam", "note": ""}
    )
    assert again.status_code == 409 and "already hidden" in text_of(again.text)
    restored = mod.submit(f"/rounds/{round_.id}/comments/{target.id}/restore", {"note": "ok"})
    assert restored.status_code == 303
    assert "offensive" in text_of(reader.get(f"/rounds/{round_.id}").text)
    assert db.get(Comment, target.id) is not None  # never deleted
    actions = [
        e.action
        for e in db.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "comment", AuditEvent.subject_id == target.id
            )
        )
    ]
    assert actions == ["comment.hidden", "comment.restored"]
    details = json.loads(
        db.scalars(select(AuditEvent.details).where(AuditEvent.action == "comment.hidden")).first()
    )
    assert details["before"] == "visible" and details["after"] == "hidden"


def test_hiding_needs_a_listed_reason_and_details_for_other(make_client, db):
    round_, _orgs, _reps, target, moderator = setting(db)
    mod = signed_in(make_client, db, moderator)
    unknown = mod.submit(
        f"/rounds/{round_.id}/comments/{target.id}/hide", {"reason_code": "dislike"}
    )
    assert unknown.status_code == 422
    other = mod.submit(
        f"/rounds/{round_.id}/comments/{target.id}/hide", {"reason_code": "other", "note": ""}
    )
    assert other.status_code == 422 and "Give a reason" in text_of(other.text)
    assert db.get(Comment, target.id).visibility == "visible"


def test_flags_need_a_reason_and_three_organisations_hide_pending_review(make_client, db):
    round_, orgs, reps, target, moderator = setting(db)
    flaggers = [
        (orgs[Group.WORKERS], reps[Group.WORKERS]),
        (orgs[Group.GOVERNMENT], reps[Group.GOVERNMENT]),
    ]
    extra = factories.organisation(db, Group.WORKERS)
    db.add(RoundInvitation(round_id=round_.id, organisation_id=extra.id))
    flaggers.append((extra, factories.member(db, extra)))
    first = signed_in(make_client, db, flaggers[0][1])
    empty = first.submit(f"/rounds/{round_.id}/comments/{target.id}/flag", {"reason": " "})
    assert empty.status_code == 422
    for n, (_org, person) in enumerate(flaggers):
        browser = first if n == 0 else signed_in(make_client, db, person)
        response = browser.submit(
            f"/rounds/{round_.id}/comments/{target.id}/flag", {"reason": "This is abusive"}
        )
        assert response.status_code == 303
        expected = "visible" if n < 2 else "hidden"
        assert db.get(Comment, target.id).visibility == expected
    twice = first.submit(f"/rounds/{round_.id}/comments/{target.id}/flag", {"reason": "again"})
    assert twice.status_code == 409
    page = text_of(first.get(f"/rounds/{round_.id}").text)
    assert "Hidden by a moderator — Hidden pending review" in page
    # dismissing the flags brings it back
    mod = signed_in(make_client, db, moderator)
    assert mod.submit(f"/rounds/{round_.id}/comments/{target.id}/dismiss-flags").status_code == 303
    assert db.get(Comment, target.id).visibility == "visible"
    assert all(f.resolution == "dismissed" for f in db.scalars(select(Flag)))


def test_observers_and_moderators_do_not_flag(make_client, db):
    round_, _orgs, _reps, target, moderator = setting(db)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    refused = observer.submit(f"/rounds/{round_.id}/comments/{target.id}/flag", {"reason": "x"})
    assert refused.status_code == 403


def test_representatives_cannot_moderate_and_the_attempt_is_logged(make_client, db):
    round_, _orgs, reps, target, _moderator = setting(db)
    union = signed_in(make_client, db, reps[Group.WORKERS])
    for action in ("hide", "restore", "approve", "lock", "dismiss-flags"):
        response = union.submit(
            f"/rounds/{round_.id}/comments/{target.id}/{action}", {"reason_code": "spam"}
        )
        assert response.status_code == 403, action
    denied = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("denied.%"))).all()
    assert len(denied) == 5
    assert db.get(Comment, target.id).visibility == "visible"


def test_pre_moderation_shows_comments_once_approved(make_client, db):
    round_, orgs, reps, _target, moderator = setting(db)
    mod = signed_in(make_client, db, moderator)
    assert mod.submit(f"/rounds/{round_.id}/premoderation", {"on": "1"}).status_code == 303
    union = signed_in(make_client, db, reps[Group.WORKERS])
    union.submit(f"/rounds/{round_.id}/comments", {"body": "Waiting for approval"})
    pending = db.scalar(select(Comment).where(Comment.body == "Waiting for approval"))
    assert pending.visibility == "pending"
    assert "Awaiting a moderator's approval" in text_of(union.get(f"/rounds/{round_.id}").text)
    other = signed_in(make_client, db, reps[Group.GOVERNMENT])
    assert "Waiting for approval" not in text_of(other.get(f"/rounds/{round_.id}").text)
    assert mod.submit(f"/rounds/{round_.id}/comments/{pending.id}/approve").status_code == 303
    assert "Waiting for approval" in text_of(other.get(f"/rounds/{round_.id}").text)
    again = mod.submit(f"/rounds/{round_.id}/comments/{pending.id}/approve")
    assert again.status_code == 409
    # positions are never pre-moderated
    posted = union.submit(
        f"/rounds/{round_.id}/positions", {"stance": "support", "base_version": "0"}
    )
    assert posted.status_code == 303
    assert "Support" in text_of(other.get(f"/rounds/{round_.id}").text)


def test_a_locked_thread_takes_no_more_replies(make_client, db):
    round_, orgs, reps, target, moderator = setting(db)
    reply = factories.comment(
        db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "A reply", parent=target
    )
    mod = signed_in(make_client, db, moderator)
    assert mod.submit(f"/rounds/{round_.id}/comments/{reply.id}/lock").status_code == 409
    assert mod.submit(f"/rounds/{round_.id}/comments/{target.id}/lock").status_code == 303
    union = signed_in(make_client, db, reps[Group.WORKERS])
    refused = union.submit(f"/rounds/{round_.id}/comments/{reply.id}/replies", {"body": "One more"})
    assert refused.status_code == 409
    assert "locked" in text_of(refused.text)
    assert "Thread locked by a moderator" in text_of(union.get(f"/rounds/{round_.id}").text)
    assert mod.submit(f"/rounds/{round_.id}/comments/{target.id}/unlock").status_code == 303
    assert (
        union.submit(
            f"/rounds/{round_.id}/comments/{reply.id}/replies", {"body": "One more"}
        ).status_code
        == 303
    )


def test_focal_points_of_invited_organisations_flag_too(make_client, db):
    round_, orgs, _reps, target, _moderator = setting(db)
    focal = factories.member(db, orgs[Group.GOVERNMENT], MandateRole.FOCAL_POINT)
    browser = signed_in(make_client, db, focal)
    assert browser.get(f"/rounds/{round_.id}/comments/{target.id}/flag").status_code == 200
    assert (
        browser.submit(
            f"/rounds/{round_.id}/comments/{target.id}/flag", {"reason": "Off topic"}
        ).status_code
        == 303
    )


def test_live_updates_replace_moderated_and_edited_comments_in_place(make_client, db):
    round_, orgs, reps, target, moderator = setting(db)
    fresh = factories.comment(
        db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "First wording"
    )
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    version = db.get(Round, round_.id).version
    since = int(utcnow().timestamp()) - 5
    author = signed_in(make_client, db, reps[Group.GOVERNMENT])
    assert (
        author.submit(
            f"/rounds/{round_.id}/comments/{fresh.id}/edit", {"body": "Second wording"}
        ).status_code
        == 303
    )
    mod = signed_in(make_client, db, moderator)
    mod.submit(f"/rounds/{round_.id}/comments/{target.id}/hide", {"reason_code": "spam"})
    live = reader.get(
        f"/rounds/{round_.id}/live?version={version}&after={fresh.id}&moderated={since}",
        headers={"HX-Request": "true"},
    )
    assert live.status_code == 200
    assert f'<div hx-swap-oob="true" class="comment-main" id="comment-main-{fresh.id}"' in live.text
    assert "Second wording" in live.text
    assert f'id="comment-main-{target.id}"' in live.text and "Spam or advertising" in live.text


def test_posting_forms_are_offered_only_to_those_who_may_post(make_client, db):
    round_, orgs, reps, target, _moderator = setting(db)
    position = factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    for path in (
        f"/rounds/{round_.id}/comments/{target.id}/reply",
        f"/rounds/{round_.id}/positions/{position.id}/comment",
    ):
        refused = observer.get(path)
        assert refused.status_code == 403, path
        assert "read" in text_of(refused.text)
    union = signed_in(make_client, db, reps[Group.WORKERS])
    assert union.get(f"/rounds/{round_.id}/comments/{target.id}/reply").status_code == 200


def test_a_moderators_forms_work_in_each_of_their_browsers(make_client, db):
    """Cached regions never carry one browser's CSRF token into another's page."""
    round_, orgs, reps = factories.three_groups_round(db)
    comment = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Rude")
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    first, second = (signed_in(make_client, db, moderator) for _ in range(2))
    assert first.get(f"/rounds/{round_.id}").status_code == 200  # fills the cache
    page = second.get(f"/rounds/{round_.id}").text
    tokens = set(re.findall(r'name="csrftoken" value="([^"]+)"', page))
    assert tokens == {second.csrf()} != {first.csrf()}
    hidden = second.post(
        f"/rounds/{round_.id}/comments/{comment.id}/hide",
        data={"csrftoken": tokens.pop(), "reason_code": "personal_attack", "note": "Rude"},
    )
    assert hidden.status_code in (200, 303), hidden.text


def test_a_published_rounds_comments_are_not_flagged_but_moderators_still_act(make_client, db):
    """Three organisations flagging a comment after publication would have hidden it (and
    changed the summary's fingerprint): flags are refused once the round is closed."""
    round_, orgs, reps, target, moderator = setting(db)
    extra = factories.organisation(db, Group.WORKERS)
    db.add(RoundInvitation(round_id=round_.id, organisation_id=extra.id))
    flaggers = [reps[Group.WORKERS], reps[Group.GOVERNMENT], factories.member(db, extra)]
    round_.status, round_.outcome = "published", "Agreed."
    round_.closes_at = round_.closed_at = round_.published_at = utcnow() - timedelta(minutes=5)
    db.flush()
    url = f"/rounds/{round_.id}/comments/{target.id}/flag"
    summary = signed_in(make_client, db, reps[Group.WORKERS]).get(
        f"/rounds/{round_.id}/summary.json"
    )
    fingerprint = summary.json()["fingerprint"]
    for person in flaggers:
        browser = signed_in(make_client, db, person)
        refused = browser.submit(url, {"reason": "This is abusive"})
        assert refused.status_code == 409
        assert "can no longer be flagged" in text_of(refused.text)
        assert 'name="reason"' not in refused.text  # no form to fill in: a page saying why
        assert browser.get(url).status_code == 409
        assert 'href="' + url not in browser.get(f"/rounds/{round_.id}").text
    db.expire_all()
    assert db.get(Comment, target.id).visibility == "visible"
    assert db.scalars(select(Flag)).all() == []
    again = signed_in(make_client, db, reps[Group.WORKERS]).get(f"/rounds/{round_.id}/summary.json")
    assert again.json()["fingerprint"] == fingerprint
    # a moderator's explicit action still stands, and is in the audit log
    mod = signed_in(make_client, db, moderator)
    hidden = mod.submit(
        f"/rounds/{round_.id}/comments/{target.id}/hide", {"reason_code": "spam", "note": ""}
    )
    assert hidden.status_code == 303
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == target.id)) == (
        "comment.hidden"
    )


def test_in_a_premoderated_round_an_edit_goes_back_to_approval_as_its_moderator_reads_it(
    make_client, db
):
    round_, orgs, reps, _target, moderator = setting(db)
    round_.premoderated = True
    mine = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Approved.")
    union = signed_in(make_client, db, reps[Group.WORKERS])
    edit_url = f"/rounds/{round_.id}/comments/{mine.id}/edit"
    form = text_of(union.get(edit_url).text)
    assert "your edited text will be public once a moderator approves it" in form
    assert union.submit(edit_url, {"body": "Approved, then changed."}).status_code == 303
    db.expire_all()
    assert db.get(Comment, mine.id).visibility == "pending"
    other = signed_in(make_client, db, reps[Group.GOVERNMENT])
    assert "then changed" not in other.get(f"/rounds/{round_.id}").text
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "comment.edited_awaiting_approval")
    )
    assert event.subject_id == mine.id
    assert json.loads(event.details) == {
        "after": "pending",
        "before": "visible",
        "round_id": round_.id,
    }
    # a hidden comment edited by its author stays hidden; a restore built on the text before
    # the edit is refused
    mod = signed_in(make_client, db, moderator)
    base = f"/rounds/{round_.id}/comments/{mine.id}"
    assert mod.submit(f"{base}/approve").status_code == 303
    assert mod.submit(f"{base}/hide", {"reason_code": "spam"}).status_code == 303
    page = mod.get(f"/rounds/{round_.id}").text
    seen = re.search(rf'{base}/restore".*?name="seen" value="(\w+)"', page, re.S).group(1)
    assert union.submit(edit_url, {"body": "Hidden, then changed."}).status_code == 303
    db.expire_all()
    assert db.get(Comment, mine.id).visibility == "hidden"
    stale = mod.submit(f"{base}/restore", {"seen": seen})
    assert stale.status_code == 409 and "edited since you opened" in text_of(stale.text)
    assert db.get(Comment, mine.id).visibility == "hidden"
    page = mod.get(f"/rounds/{round_.id}").text
    seen = re.search(rf'{base}/restore".*?name="seen" value="(\w+)"', page, re.S).group(1)
    assert mod.submit(f"{base}/restore", {"seen": seen}).status_code == 303
    assert "Hidden, then changed." in text_of(other.get(f"/rounds/{round_.id}").text)
