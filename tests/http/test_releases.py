"""A body's release register, on both databases: what of its meetings is restricted, for whom,
and when it becomes public; the secretariat marks a release event as come, and the row is
public from then on — to an outsider too."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import utcnow
from app.meetings.models import AgendaItem, MeetingDocument, Minutes
from app.vocabulary import Confidentiality, Group, MinutesStatus, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.helpers import counted_queries


def build(db):
    body, orgs, holders, _alternates, _seats = factories.seated_body(db)
    secretary = factories.user(db, name="Sara Secretary", platform_role=PlatformRole.MODERATOR)
    meeting = factories.meeting(db, body, title="March plenary", convened_by=secretary)
    now = utcnow()
    members_item = AgendaItem(
        meeting_id=meeting.id,
        number=1,
        title="Wage negotiations",
        confidentiality=Confidentiality.MEMBERS,
        release_event="the Convention is submitted",
    )
    dated_item = AgendaItem(
        meeting_id=meeting.id,
        number=2,
        title="Budget",
        confidentiality=Confidentiality.MEMBERS,
        release_at=now + timedelta(days=30),
    )
    workers_item = AgendaItem(
        meeting_id=meeting.id,
        number=3,
        title="Strike fund",
        confidentiality=Confidentiality.GROUP,
        restricted_group=Group.WORKERS,
        release_event="the strike ends",
    )
    public_item = AgendaItem(
        meeting_id=meeting.id, number=4, title="Welcome", confidentiality=Confidentiality.PUBLIC
    )
    db.add_all([members_item, dated_item, workers_item, public_item])
    document = MeetingDocument(
        meeting_id=meeting.id,
        title="Draft convention report",
        language="en",
        sha256="0" * 64,
        size=10,
        kind="pdf",
        file_name="report.pdf",
        uploaded_by_id=secretary.id,
        confidentiality=Confidentiality.MEMBERS,
    )
    minutes = Minutes(
        meeting_id=meeting.id,
        status=MinutesStatus.PUBLISHED,
        preamble="The chair opened the meeting.",
        drafted_by_id=secretary.id,
        published_at=now,
        approved_at=now,
        confidentiality=Confidentiality.MEMBERS,
        release_event="the report is tabled",
    )
    db.add_all([document, minutes])
    db.flush()
    outsider = factories.member(db, factories.organisation(db, Group.WORKERS))
    return {
        "body": body,
        "holders": holders,
        "orgs": orgs,
        "secretary": secretary,
        "meeting": meeting,
        "members_item": members_item,
        "dated_item": dated_item,
        "workers_item": workers_item,
        "public_item": public_item,
        "document": document,
        "minutes": minutes,
        "outsider": outsider,
    }


def test_the_register_says_what_is_restricted_and_when_it_becomes_public(make_client, db):
    w = build(db)
    member = factories.signed_in(make_client, db, w["holders"][Group.EMPLOYERS])
    page = member.get(f"/bodies/{w['body'].id}/releases")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Item 1: Wage negotiations" in text
    assert "Public once the Convention is submitted" in text
    assert "Item 2: Budget" in text and "Public on" in text
    assert "Draft convention report" in text and "Stays members only" in text
    assert "Minutes, version 1" in text and "Public once the report is tabled" in text
    assert "Welcome" not in text  # public: nothing to release
    # the workers' row is listed, its title for the workers alone
    assert "Strike fund" not in page.text
    assert "Workers group only" in text
    assert "its title is for the group alone" in text
    assert "/releases/" not in page.text  # members mark nothing
    workers = factories.signed_in(make_client, db, w["holders"][Group.WORKERS])
    assert "Strike fund" in workers.get(f"/bodies/{w['body'].id}/releases").text


def test_the_register_is_for_the_bodys_members_and_secretariat_alone(make_client, db):
    w = build(db)
    for person in (w["outsider"], factories.user(db, platform_role=PlatformRole.OBSERVER)):
        browser = factories.signed_in(make_client, db, person)
        response = browser.get(f"/bodies/{w['body'].id}/releases")
        assert response.status_code == 404
        assert "Wage negotiations" not in response.text
    assert make_client().get(f"/bodies/{w['body'].id}/releases").status_code == 303  # sign in
    secretariat = factories.signed_in(make_client, db, w["secretary"])
    page = secretariat.get(f"/bodies/{w['body'].id}/releases")
    assert page.status_code == 200
    assert "Strike fund" not in page.text  # the secretariat is not in the workers' room
    assert f"/releases/agenda-item/{w['members_item'].id}" in page.text
    assert f"/releases/agenda-item/{w['dated_item'].id}" not in page.text  # a date, no event


def test_marking_a_release_makes_minutes_visible_to_an_outsider(make_client, db):
    w = build(db)
    minutes_id = w["minutes"].id
    outsider = factories.signed_in(make_client, db, w["outsider"])
    assert outsider.get(f"/minutes/{minutes_id}").status_code == 404
    assert make_client().get(f"/minutes/{minutes_id}").status_code == 404
    secretariat = factories.signed_in(make_client, db, w["secretary"])
    response = secretariat.submit(f"/releases/minutes/{minutes_id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/bodies/{w['body'].id}/releases"
    page = text_of(secretariat.get(response.headers["location"]).text)
    assert "Minutes, version 1 is released: it is public now." in page
    assert "Public since" in page
    assert db.get(Minutes, minutes_id).released_at is not None
    shown = outsider.get(f"/minutes/{minutes_id}")
    assert shown.status_code == 200 and "The chair opened the meeting." in shown.text
    assert make_client().get(f"/minutes/{minutes_id}").status_code == 200
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "release.marked")).one()
    assert (event.subject_type, event.subject_id) == ("minutes", minutes_id)
    assert json.loads(event.details)["event"] == "the report is tabled"
    # once public, there is nothing left to release
    again = secretariat.submit(f"/releases/minutes/{minutes_id}")
    assert again.status_code == 409
    assert "This is public already." in text_of(again.text)


def test_an_agenda_item_released_is_public(make_client, db):
    from app.meetings.confidentiality import OUTSIDER, Restriction, may_see

    w = build(db)
    item_id = w["members_item"].id
    secretariat = factories.signed_in(make_client, db, w["secretary"])
    assert secretariat.submit(f"/releases/agenda-item/{item_id}").status_code == 303
    item = db.get(AgendaItem, item_id)
    db.refresh(item)
    assert may_see(Restriction.of(item), OUTSIDER, utcnow())
    register = text_of(
        factories.signed_in(make_client, db, w["holders"][Group.GOVERNMENT])
        .get(f"/bodies/{w['body'].id}/releases")
        .text
    )
    assert "Public since" in register


def test_a_release_is_marked_by_the_secretariat_alone(make_client, db):
    w = build(db)
    member = factories.signed_in(make_client, db, w["holders"][Group.WORKERS])
    assert member.submit(f"/releases/agenda-item/{w['members_item'].id}").status_code == 403
    outsider = factories.signed_in(make_client, db, w["outsider"])
    for kind, row in (
        ("agenda-item", "members_item"),
        ("document", "document"),
        ("minutes", "minutes"),
    ):
        assert outsider.submit(f"/releases/{kind}/{w[row].id}").status_code == 404
    secretariat = factories.signed_in(make_client, db, w["secretary"])
    assert secretariat.submit("/releases/decision/1").status_code == 404
    assert secretariat.submit("/releases/minutes/999999").status_code == 404
    no_event = secretariat.submit(f"/releases/agenda-item/{w['dated_item'].id}")
    assert no_event.status_code == 409
    assert "no release event" in text_of(no_event.text)
    public = secretariat.submit(f"/releases/agenda-item/{w['public_item'].id}")
    assert public.status_code == 409
    assert db.get(AgendaItem, w["members_item"].id).released_at is None


def test_a_groups_row_is_released_by_that_group_alone_and_its_event_kept_from_others(
    make_client, db
):
    w = build(db)
    item_id = w["workers_item"].id
    register = f"/bodies/{w['body'].id}/releases"
    # the secretariat is not in the workers' room: it neither reads the event nor marks it
    secretariat = factories.signed_in(make_client, db, w["secretary"])
    page = secretariat.get(register)
    assert "the strike ends" not in page.text
    assert f"/releases/agenda-item/{item_id}" not in page.text
    assert "Public when its group releases it" in text_of(page.text)
    refused = secretariat.submit(f"/releases/agenda-item/{item_id}")
    assert refused.status_code == 404
    assert "Strike fund" not in refused.text and "the strike ends" not in refused.text
    employers = factories.signed_in(make_client, db, w["holders"][Group.EMPLOYERS])
    assert "the strike ends" not in employers.get(register).text
    assert employers.submit(f"/releases/agenda-item/{item_id}").status_code == 404
    assert db.get(AgendaItem, item_id).released_at is None
    # the workers read it, and release it
    workers = factories.signed_in(make_client, db, w["holders"][Group.WORKERS])
    page = workers.get(register)
    assert "Public once the strike ends" in text_of(page.text)
    assert f"/releases/agenda-item/{item_id}" in page.text
    assert f"/releases/agenda-item/{w['members_item'].id}" not in page.text  # the secretariat's
    response = workers.submit(f"/releases/agenda-item/{item_id}")
    assert response.status_code == 303
    page = workers.get(response.headers["location"])
    assert "Item 3: Strike fund is released" in text_of(page.text)
    assert "Strike fund" in secretariat.get(register).text  # public now: everyone reads it
    assert secretariat.submit("/releases/agenda-item/" + "9" * 30).status_code == 404


def test_a_group_only_rows_release_event_stays_out_of_the_shared_audit_log(make_client, db):
    w = build(db)
    # a secretary mandated by the workers' organisation sees the workers' row
    secretary = factories.member(db, w["orgs"][Group.WORKERS], platform_role=PlatformRole.MODERATOR)
    db.commit()
    browser = factories.signed_in(make_client, db, secretary)
    assert browser.submit(f"/releases/agenda-item/{w['workers_item'].id}").status_code == 303
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "release.marked")).all()
    assert events
    assert all("the strike ends" not in event.details for event in events)
    assert all("Strike fund" not in event.details for event in events)


def test_the_register_costs_the_same_with_more_rows(make_client, db):
    w = build(db)
    secretariat = factories.signed_in(make_client, db, w["secretary"])

    def cost() -> int:
        with counted_queries(db) as statements:
            assert secretariat.get(f"/bodies/{w['body'].id}/releases").status_code == 200
        return len(statements)

    before = cost()
    for n in range(5):
        db.add(
            AgendaItem(
                meeting_id=w["meeting"].id,
                number=10 + n,
                title=f"Item {n}",
                confidentiality=Confidentiality.MEMBERS,
            )
        )
    db.commit()
    assert cost() == before
