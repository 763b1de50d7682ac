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


def test_the_audit_log_reads_as_sentences_with_names_in_the_readers_language(make_client, db):
    from bs4 import BeautifulSoup

    round_, orgs, reps = factories.three_groups_round(db, title="Domestic work fees")
    chair = factories.user(db, platform_role=PlatformRole.MODERATOR, name="Elena Rossi")
    deadline = utcnow() + timedelta(days=14, hours=2)
    record(
        db,
        chair.id,
        "round.closed",
        "round",
        round_.id,
        before={"status": "open", "closes_at": deadline.isoformat()},
        after={"status": "closed", "closes_at": utcnow().isoformat()},
        early=True,
    )
    record(
        db,
        chair.id,
        "round.signoff_requested",
        "round",
        round_.id,
        deadline=deadline.isoformat(),
        spokespersons={"government": reps[Group.GOVERNMENT].id, "workers": None},
    )
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    page = BeautifulSoup(observer.get("/audit").text, "html.parser")
    technical = page.select_one("details.technical")
    assert technical is not None and "round.signoff_requested" in technical.get_text()
    for hidden in page.select("details.technical, .visually-hidden"):  # as it is seen
        hidden.decompose()
    text = text_of(str(page))
    assert (
        f"Elena Rossi closed the round “Domestic work fees” early, 14 days before its deadline "
        f"of {deadline:%d %b %Y}." in text
    ), text
    assert "Status: open → closed" in text
    spokesperson = reps[Group.GOVERNMENT].name
    assert f"Government: {spokesperson}; Workers: none" in text
    assert "round.closed" not in text and "None" not in text and "{'" not in text
    french = BeautifulSoup(
        observer.get("/audit", headers={"Accept-Language": "fr"}).text, "html.parser"
    )
    for details in french.select("details.technical"):
        details.decompose()
    assert "Elena Rossi a clos le tour « Domestic work fees » de manière anticipée, 14 jours" in (
        text_of(str(french))
    )


def test_the_audit_log_loads_the_names_of_a_page_at_once(make_client, db):
    from tests.helpers import counted_queries

    round_, orgs, _reps = factories.three_groups_round(db)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))

    def add(n: int) -> None:
        for _ in range(n):
            org = orgs[Group.WORKERS]
            record(db, moderator.id, "position.posted", "position", 1, round_id=round_.id,
                   organisation_id=org.id)  # fmt: skip
            record(db, moderator.id, "round.officers_set", "round", round_.id,
                   chair={"user_id": moderator.id, "organisation_id": org.id})  # fmt: skip
        db.commit()

    def queries() -> int:
        with counted_queries(db) as statements:
            assert observer.get("/audit").status_code == 200
        return len(statements)

    add(2)
    few = queries()
    add(20)
    assert queries() == few
