"""Tripartite bodies over HTTP, on both databases: the public list by country (task teams under
their parent), creating a body and changing its rules (the secretariat), seats given and changed
(holder and alternate must be mandated by the organisation; one seat per organisation), and a
body's page: composition per group with the parity flag, its rules in sentences, its meetings."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.bodies.models import Body, Seat
from app.db import utcnow
from app.vocabulary import AgendaChangeRule, BodyKind, Group, PlatformRole, WithoutQuorum
from tests import factories
from tests.factories import signed_in
from tests.helpers import soup

SETTINGS = {
    "name": "National Labour Council",
    "country": "Ardenia",
    "kind": "council",
    "parent": "",
    "notice_days": "5",
    "quorum_overall": "6",
    "quorum_per_group": "1",
    "without_quorum": "record",
    "agenda_change": "unanimity",
    "weighting": "2:1:1",
}


def audit(db, action):
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action == action))
    return [json.loads(row.details) for row in rows]


def moderator_browser(make_client, db):
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    db.commit()
    return moderator, signed_in(make_client, db, moderator)


def test_anyone_reads_the_list_by_country_with_task_teams_under_their_parent(make_client, db):
    council = factories.body(db, name="Council of Ardenia", country="Ardenia")
    factories.body(
        db, name="Task team on skills", country="Ardenia", kind=BodyKind.TASK_TEAM, parent=council
    )
    factories.body(db, name="Commission of Borduria", country="Borduria", kind=BodyKind.COMMISSION)
    db.commit()
    page = soup(make_client().get("/bodies").text)
    headings = [h.get_text(strip=True) for h in page.select("main h2")]
    assert "Ardenia" in headings and "Borduria" in headings
    council_item = page.select_one(f"#body-{council.id}")
    assert "Task team on skills" in council_item.get_text()
    assert "National council" in council_item.get_text()
    assert page.select_one("header nav a[href='/bodies']") is not None


def test_the_secretariat_creates_a_body_and_changes_its_rules(make_client, db):
    _moderator, browser = moderator_browser(make_client, db)
    assert browser.get("/bodies/new").status_code == 200
    response = browser.submit("/bodies", SETTINGS)
    assert response.status_code == 303, response.text
    body = db.scalar(select(Body).where(Body.name == "National Labour Council"))
    assert body.without_quorum is WithoutQuorum.RECORD and body.quorum_overall == 6
    page = soup(browser.get(response.headers["location"]).text)
    assert "is created" in page.select_one("#flash").get_text()
    rules = page.select_one("#rules").get_text(" ", strip=True)
    assert "5 days' notice" in rules and "at least 6 seats present" in rules
    assert "taken without quorum" in rules and "2:1:1" in rules
    assert page.select_one("a[href$='/decisions']").get_text() == "Decisions register"
    assert page.select_one("a[href$='/releases']") is not None

    changed = browser.submit(
        f"/bodies/{body.id}/settings", {**SETTINGS, "agenda_change": "chair", "notice_days": "7"}
    )
    assert changed.status_code == 303
    db.expire_all()
    assert body.agenda_change is AgendaChangeRule.CHAIR and body.notice_days == 7
    assert audit(db, "body.created") and audit(db, "body.settings_changed")


def test_a_bad_form_comes_back_filled_in_with_the_error_beside_the_field(make_client, db):
    _moderator, browser = moderator_browser(make_client, db)
    response = browser.submit("/bodies", {**SETTINGS, "quorum_overall": "many"})
    assert response.status_code == 422
    page = soup(response.text)
    assert page.select_one("#f-quorum_overall-error") is not None
    assert page.select_one("#f-name")["value"] == "National Labour Council"
    team = browser.submit("/bodies", {**SETTINGS, "kind": "task_team"})
    assert team.status_code == 422
    assert "task team belongs" in team.text
    assert db.scalar(select(Body)) is None


def test_only_the_secretariat_creates_and_changes_bodies(make_client, db):
    body, orgs, holders, _alternates, _seats = factories.seated_body(db)
    db.commit()
    member = signed_in(make_client, db, holders[Group.WORKERS])
    assert member.get("/bodies/new").status_code == 403
    assert member.submit("/bodies", SETTINGS).status_code == 403
    assert member.submit(f"/bodies/{body.id}/settings", SETTINGS).status_code == 403
    anonymous = make_client()
    assert anonymous.get("/bodies/new").status_code == 303  # to sign in
    assert anonymous.get(f"/bodies/{body.id}").status_code == 200


def test_seats_need_mandated_people_and_one_per_organisation(make_client, db):
    _moderator, browser = moderator_browser(make_client, db)
    body = factories.body(db)
    union = factories.organisation(db, Group.WORKERS)
    holder = factories.member(db, union)
    alternate = factories.member(db, union)
    stranger = factories.member(db, factories.organisation(db, Group.EMPLOYERS))
    db.commit()
    wrong = browser.submit(
        f"/bodies/{body.id}/seats",
        {"organisation": str(union.id), "holder": str(stranger.id)},
    )
    assert wrong.status_code == 422
    assert "active mandate" in wrong.text
    ok = browser.submit(
        f"/bodies/{body.id}/seats",
        {"organisation": str(union.id), "holder": str(holder.id), "alternate": str(alternate.id)},
    )
    assert ok.status_code == 303, ok.text
    seat = db.scalar(select(Seat).where(Seat.body_id == body.id))
    assert (seat.holder_id, seat.alternate_id) == (holder.id, alternate.id)
    again = browser.submit(
        f"/bodies/{body.id}/seats", {"organisation": str(union.id), "holder": str(holder.id)}
    )
    assert again.status_code == 409 and "already has a seat" in again.text
    # the holder and the alternate change places; then the alternate goes
    swapped = browser.submit(
        f"/seats/{seat.id}", {"holder": str(alternate.id), "alternate": str(holder.id)}
    )
    assert swapped.status_code == 303
    assert browser.submit(f"/seats/{seat.id}", {"holder": str(alternate.id)}).status_code == 303
    db.expire_all()
    assert (seat.holder_id, seat.alternate_id) == (alternate.id, None)
    refused = browser.submit(f"/seats/{seat.id}", {"holder": str(stranger.id)})
    assert refused.status_code == 422
    assert len(audit(db, "seat.added")) == 1 and len(audit(db, "seat.changed")) == 2
    member = signed_in(make_client, db, holder)
    assert member.submit(f"/seats/{seat.id}", {"holder": str(holder.id)}).status_code == 403
    assert browser.submit("/seats/999999", {"holder": str(holder.id)}).status_code == 404


def test_the_page_shows_composition_parity_and_meetings_by_who_may_see_them(make_client, db):
    body, orgs, holders, alternates, _seats = factories.seated_body(db)
    second = factories.organisation(db, Group.WORKERS)
    factories.seat(db, body, second, factories.member(db, second))
    public = factories.meeting(db, body, title="Open plenary")
    closed = factories.meeting(db, body, title="Closed session")
    closed.public = False
    team = factories.body(db, name="Task team", kind=BodyKind.TASK_TEAM, parent=body)
    db.commit()
    anonymous = soup(make_client().get(f"/bodies/{body.id}").text)
    flag = anonymous.select_one("#parity-flag").get_text(" ", strip=True)
    assert "workers have 2 seats and the employers 1" in flag
    assert (
        "government's number of seats may differ" in anonymous.select_one("#composition").get_text()
    )
    assert "Open plenary" in anonymous.get_text() and "Closed session" not in anonymous.get_text()
    assert holders[Group.WORKERS].name not in anonymous.get_text()  # names for the signed in
    assert anonymous.select_one("#sub-bodies a").get_text() == "Task team"
    member = soup(
        signed_in(make_client, db, holders[Group.EMPLOYERS]).get(f"/bodies/{body.id}").text
    )
    assert "Closed session" in member.get_text()
    seat_text = member.select_one("#composition").get_text()
    assert holders[Group.WORKERS].name in seat_text and alternates[Group.WORKERS].name in seat_text
    assert public.id and team.id


def test_a_balanced_body_is_not_flagged(make_client, db):
    body, *_ = factories.seated_body(db)
    db.commit()
    page = soup(make_client().get(f"/bodies/{body.id}").text)
    assert page.select_one("#parity-flag") is None
    assert page.select_one("#parity-ok") is not None
    assert make_client().get("/bodies/999999").status_code == 404


def test_the_body_page_flags_disputed_and_overdue_actions_of_its_decisions(make_client, db):
    """A disputed action and an overdue one are flagged on the body's page, each linking to
    the register filtered on them; a body whose follow-up is in order shows no flag."""
    from datetime import timedelta

    from app.decisions.models import Action, ActionConfirmation, ActionNote, Decision
    from app.meetings.models import AgendaItem
    from app.vocabulary import (
        ActionOwner,
        ActionStatus,
        Confidentiality,
        DecisionMethod,
        Verdict,
    )

    council, orgs, holders, _alternates, _seats = factories.seated_body(db)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    meeting = factories.meeting(db, council)
    reader = factories.signed_in(make_client, db, holders[Group.WORKERS])
    assert 'id="follow-up"' not in reader.get(f"/bodies/{council.id}").text
    item = AgendaItem(
        meeting_id=meeting.id, number=1, title="Wages", confidentiality=Confidentiality.PUBLIC
    )
    db.add(item)
    db.flush()
    decision = Decision(
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        text="Agreed.",
        method=DecisionMethod.CONSENSUS,
        opened_by_id=moderator.id,
        recorded_by_id=moderator.id,
        recorded_at=utcnow(),
        adopted=True,
        quorate=True,
        attendance=[],
    )
    db.add(decision)
    db.flush()
    late = Action(
        decision_id=decision.id,
        what="Publish the study",
        owner=ActionOwner.SECRETARIAT,
        due_on=(utcnow() - timedelta(days=3)).date(),
        created_by_id=moderator.id,
    )
    disputed = Action(
        decision_id=decision.id,
        what="Draft the regulation",
        owner=ActionOwner.GOVERNMENT,
        status=ActionStatus.IN_PROGRESS,
        due_on=(utcnow() + timedelta(days=30)).date(),
        created_by_id=moderator.id,
    )
    db.add_all([late, disputed])
    db.flush()
    note = ActionNote(
        action_id=disputed.id,
        text="Half done.",
        status=ActionStatus.IN_PROGRESS,
        written_by_id=holders[Group.GOVERNMENT].id,
    )
    db.add(note)
    db.flush()
    db.add(
        ActionConfirmation(
            action_id=disputed.id,
            note_id=note.id,
            group_name=Group.WORKERS,
            verdict=Verdict.DISPUTED,
            reason="Nothing was drafted.",
            given_by_id=holders[Group.WORKERS].id,
        )
    )
    db.commit()
    page = soup(reader.get(f"/bodies/{council.id}").text)
    flag = page.select_one("#follow-up")
    assert flag is not None
    said = " ".join(flag.get_text(" ").split())
    assert "1 action: a group disputes its reported progress." in said
    assert "1 action is overdue." in said
    links = {a["href"] for a in flag.select("a")}
    assert links == {
        f"/bodies/{council.id}/decisions?state=disputed",
        f"/bodies/{council.id}/decisions?state=overdue",
    }
