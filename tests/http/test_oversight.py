"""The moderation dashboard and the audit log page."""

import csv
import io
from datetime import timedelta

from app.audit.service import record
from app.db import utcnow
from app.vocabulary import Group, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in


def test_the_dashboard_sorts_rounds_and_warns_about_silent_groups(make_client, db):
    soon, orgs, reps = factories.three_groups_round(
        db, closes_at=utcnow() + timedelta(hours=20), title="Closing tomorrow"
    )
    factories.position(db, soon, orgs[Group.WORKERS], reps[Group.WORKERS])
    later, _o, _r = factories.three_groups_round(
        db, closes_at=utcnow() + timedelta(days=9), title="Open for long"
    )
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    page = moderator.get("/moderation")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Closing soon (within 48 hours)" in text and "Closing tomorrow" in text
    assert (
        "Within 24 hours of the deadline, no position yet from the government and employers groups"
    ) in text
    assert "Open for long" in text
    assert "1 / 1" in text  # workers posted / invited


def test_the_queue_lists_flagged_comments_with_their_reasons(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    comment = factories.comment(
        db, round_, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS], "Questionable words"
    )
    union = signed_in(make_client, db, reps[Group.WORKERS])
    union.submit(f"/rounds/{round_.id}/comments/{comment.id}/flag", {"reason": "Insulting"})
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    text = text_of(moderator.get("/moderation").text)
    assert "Questionable words" in text and "Insulting" in text


def test_only_moderators_see_the_dashboard(make_client, db):
    for role in (PlatformRole.OBSERVER, None):
        person = factories.user(db, platform_role=role)
        assert signed_in(make_client, db, person).get("/moderation").status_code == 403


def test_the_audit_log_is_filterable_and_exports_csv_safely(make_client, db):
    round_, _orgs, _reps = factories.three_groups_round(db)
    actor = factories.user(db, platform_role=PlatformRole.MODERATOR, name="=HYPERLINK(1)")
    record(db, actor.id, "round.closed", "round", round_.id, reason="Deadline met")
    record(db, actor.id, "comment.hidden", "comment", 7, reason="Spam")
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    page = text_of(observer.get("/audit?action=round.").text)
    assert "round.closed" in page and "Deadline met" in page and "comment.hidden" not in page
    export = observer.get("/audit?action=round.&format=csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["id", "at", "actor", "action", "subject_type", "subject_id", "details"]
    assert rows[1][2] == "'=HYPERLINK(1)"  # never a live formula in a spreadsheet
    assert rows[1][3] == "round.closed"
    representative = signed_in(make_client, db, factories.member(db, factories.organisation(db)))
    assert representative.get("/audit").status_code == 403
