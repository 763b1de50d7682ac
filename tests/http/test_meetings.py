"""Meetings over HTTP, on both databases: convening (short notice), the agenda (proposals before
the cut-off, accepted and declined, issued, changed only with the agreement the body requires),
attendance and the live quorum box, meeting documents, and confidentiality (restricted items
absent for outsiders, 404 on their own addresses). The meeting page's query count is constant."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta

from docx import Document
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import utcnow
from app.meetings.models import AgendaChange, AgendaItem, Attendance, Meeting, MeetingDocument
from app.organisations.models import Mandate
from app.vocabulary import (
    AgendaChangeRule,
    AgendaItemStatus,
    Confidentiality,
    Group,
    PlatformRole,
    Presence,
)
from tests import factories
from tests.factories import signed_in
from tests.helpers import HTMX, counted_queries, days_ahead, local, soup


@dataclass
class World:
    body: object
    orgs: dict
    holders: dict
    alternates: dict
    seats: dict
    meeting: Meeting
    moderator: object
    outsider: object


def build(db, issued: bool = False, **body_options) -> World:
    body, orgs, holders, alternates, seats = factories.seated_body(db, **body_options)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    meeting = factories.meeting(db, body, convened_by=moderator, issued=issued)
    outsider_org = factories.organisation(db, Group.WORKERS)
    outsider = factories.member(db, outsider_org)
    db.commit()
    return World(body, orgs, holders, alternates, seats, meeting, moderator, outsider)


def item(db, world: World, title: str, **fields) -> AgendaItem:
    fields.setdefault("status", AgendaItemStatus.ACCEPTED)
    fields.setdefault("confidentiality", Confidentiality.PUBLIC)
    numbered = db.scalars(select(AgendaItem).where(AgendaItem.meeting_id == world.meeting.id))
    number = max((i.number for i in numbered), default=0) + 1
    row = AgendaItem(meeting_id=world.meeting.id, title=title, number=number, **fields)
    db.add(row)
    db.commit()
    return row


def actions(db, prefix: str) -> list[tuple[str, dict]]:
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix)))
    return [(row.action, json.loads(row.details)) for row in rows]


def url(world: World, rest: str = "") -> str:
    return f"/meetings/{world.meeting.id}{rest}"


# -- convening -----------------------------------------------------------------------------------


def test_the_secretariat_convenes_a_meeting_marked_short_notice_when_too_soon(make_client, db):
    world = build(db, notice_days=5)
    browser = signed_in(make_client, db, world.moderator)
    form = browser.get(f"/bodies/{world.body.id}/meetings/new")
    assert form.status_code == 200
    response = browser.submit(
        f"/bodies/{world.body.id}/meetings",
        {
            "title": "Extraordinary plenary",
            "starts_at": days_ahead(3),
            "place": "Montevideo",
            "public": "yes",
            "proposals_until": days_ahead(2),
        },
    )
    assert response.status_code == 303, response.text
    meeting = db.scalar(select(Meeting).where(Meeting.title == "Extraordinary plenary"))
    assert meeting is not None and meeting.short_notice
    page = soup(browser.get(response.headers["location"]).text)
    notice = page.select_one("#short-notice").get_text(" ", strip=True)
    assert "notice" in notice and "5" in notice
    assert "is convened" in page.select_one("#flash").get_text()
    assert actions(db, "meeting.convened")


def test_a_meeting_with_enough_notice_is_not_marked_and_a_bad_form_comes_back(make_client, db):
    world = build(db, notice_days=5)
    browser = signed_in(make_client, db, world.moderator)
    bad = browser.submit(
        f"/bodies/{world.body.id}/meetings",
        {"title": "Plenary", "starts_at": "soon", "place": "Geneva"},
    )
    assert bad.status_code == 422
    page = soup(bad.text)
    assert page.select_one("#f-starts_at-error") is not None
    assert page.select_one("#f-title")["value"] == "Plenary"
    good = browser.submit(
        f"/bodies/{world.body.id}/meetings",
        {"title": "Plenary", "starts_at": days_ahead(20), "place": "Geneva"},
    )
    assert good.status_code == 303
    meeting = db.scalar(select(Meeting).where(Meeting.title == "Plenary"))
    assert not meeting.short_notice and not meeting.public


def test_only_the_secretariat_convenes(make_client, db):
    world = build(db)
    holder = signed_in(make_client, db, world.holders[Group.WORKERS])
    assert holder.get(f"/bodies/{world.body.id}/meetings/new").status_code == 403
    response = holder.submit(
        f"/bodies/{world.body.id}/meetings",
        {"title": "Mine", "starts_at": days_ahead(20), "place": "Geneva"},
    )
    assert response.status_code == 403


# -- the agenda ------------------------------------------------------------------------------------


def test_a_member_proposes_and_the_secretariat_accepts_and_declines(make_client, db):
    world = build(db)
    world.meeting.proposals_until = utcnow() + timedelta(days=2)
    db.commit()
    member = signed_in(make_client, db, world.holders[Group.EMPLOYERS])
    response = member.submit(
        url(world, "/agenda"), {"title": "Skills levy", "confidentiality": "members"}
    )
    assert response.status_code == 303, response.text
    member.submit(url(world, "/agenda"), {"title": "Coffee", "confidentiality": "members"})
    proposed = db.scalars(select(AgendaItem).where(AgendaItem.meeting_id == world.meeting.id)).all()
    assert {i.status for i in proposed} == {AgendaItemStatus.PROPOSED}
    assert all(i.number == 0 for i in proposed)
    levy = next(i for i in proposed if i.title == "Skills levy")
    coffee = next(i for i in proposed if i.title == "Coffee")
    assert levy.proposed_by_organisation_id == world.orgs[Group.EMPLOYERS].id

    # the member may not answer proposals
    assert member.submit(f"/agenda-items/{levy.id}/accept").status_code == 403
    moderator = signed_in(make_client, db, world.moderator)
    page = soup(moderator.get(url(world)).text)
    assert page.select_one(f"#item-{levy.id}") is not None
    assert moderator.submit(f"/agenda-items/{levy.id}/accept").status_code == 303
    assert moderator.submit(f"/agenda-items/{coffee.id}/decline").status_code == 303
    secretariat_item = moderator.submit(
        url(world, "/agenda"), {"title": "Budget", "confidentiality": "public"}
    )
    assert secretariat_item.status_code == 303
    db.expire_all()
    assert (levy.status, levy.number) == (AgendaItemStatus.ACCEPTED, 1)
    assert coffee.status is AgendaItemStatus.DECLINED
    budget = db.scalar(select(AgendaItem).where(AgendaItem.title == "Budget"))
    assert (budget.status, budget.number) == (AgendaItemStatus.ACCEPTED, 2)
    # answered once: a second answer is refused
    assert moderator.submit(f"/agenda-items/{coffee.id}/accept").status_code == 409
    codes = [a for a, _ in actions(db, "agenda.")]
    assert {"agenda.item_added", "agenda.item_accepted", "agenda.item_declined"} <= set(codes)


def test_a_proposal_after_the_cut_off_is_refused(make_client, db):
    world = build(db)
    world.meeting.proposals_until = utcnow() - timedelta(hours=1)
    db.commit()
    member = signed_in(make_client, db, world.holders[Group.WORKERS])
    response = member.submit(url(world, "/agenda"), {"title": "Late idea"})
    assert response.status_code == 409
    assert "closed" in soup(response.text).select_one("#propose-error").get_text()
    assert db.scalar(select(AgendaItem).where(AgendaItem.title == "Late idea")) is None


def test_an_outsider_may_not_add_items(make_client, db):
    world = build(db)
    outsider = signed_in(make_client, db, world.outsider)
    # a public meeting: they can read it, but they are not a member
    assert outsider.submit(url(world, "/agenda"), {"title": "Mine"}).status_code == 403
    world.meeting.public = False
    db.commit()
    assert outsider.submit(url(world, "/agenda"), {"title": "Mine"}).status_code == 404


def test_group_only_is_for_the_members_own_group(make_client, db):
    world = build(db)
    # a secretary mandated by the workers' organisation puts an item for the workers alone
    secretary = factories.member(
        db, world.orgs[Group.WORKERS], platform_role=PlatformRole.MODERATOR
    )
    db.commit()
    member = signed_in(make_client, db, secretary)
    refused = member.submit(
        url(world, "/agenda"),
        {"title": "Strategy", "confidentiality": "group", "group": "employers"},
    )
    assert refused.status_code == 422
    ok = member.submit(
        url(world, "/agenda"), {"title": "Strategy", "confidentiality": "group", "group": "workers"}
    )
    assert ok.status_code == 303
    row = db.scalar(select(AgendaItem).where(AgendaItem.title == "Strategy"))
    assert row.restricted_group is Group.WORKERS
    # its title stays out of the shared audit log
    added = [d for a, d in actions(db, "agenda.item_added") if d["item"] == row.id]
    assert added and "title" not in added[0]


def test_a_members_proposal_is_never_group_only(make_client, db):
    """A proposal waits for the secretariat, which could not see a group-only one to accept
    it: refused beside the field, the form filled in; the choice is not offered."""
    world = build(db)
    member = signed_in(make_client, db, world.holders[Group.WORKERS])
    page = soup(member.get(url(world)).text)
    assert page.select_one('#propose input[name="confidentiality"][value="group"]') is None
    assert page.select_one('#propose input[name="confidentiality"][value="members"]') is not None
    refused = member.submit(
        url(world, "/agenda"),
        {"title": "Our strategy", "confidentiality": "group", "group": "workers"},
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    error = page.select_one("#propose fieldset.has-error .error").get_text()
    assert "the secretariat could not see it to accept it" in error
    assert page.select_one("#item-title")["value"] == "Our strategy"
    assert db.scalar(select(AgendaItem)) is None
    ok = member.submit(
        url(world, "/agenda"), {"title": "Our strategy", "confidentiality": "members"}
    )
    assert ok.status_code == 303


def test_issuing_and_changing_the_agenda_needs_the_agreement_of_the_three_groups(make_client, db):
    world = build(db, issued=False)
    first = item(db, world, "Opening")
    moderator = signed_in(make_client, db, world.moderator)
    assert moderator.submit(url(world, "/agenda/issue")).status_code == 303
    assert moderator.submit(url(world, "/agenda/issue")).status_code == 409
    # members no longer propose
    member = signed_in(make_client, db, world.holders[Group.WORKERS])
    assert member.submit(url(world, "/agenda"), {"title": "After issue"}).status_code == 409

    without = moderator.submit(
        url(world, "/agenda/changes"),
        {"change": "add", "title": "Urgent item", "groups": ["workers", "employers"]},
    )
    assert without.status_code == 409
    assert "three groups" in soup(without.text).select_one("#agreement-error").get_text()
    assert db.scalar(select(AgendaItem).where(AgendaItem.title == "Urgent item")) is None

    agreed = moderator.submit(
        url(world, "/agenda/changes"),
        {"change": "add", "title": "Urgent item", "groups": ["government", "workers", "employers"]},
    )
    assert agreed.status_code == 303, agreed.text
    added = db.scalar(select(AgendaItem).where(AgendaItem.title == "Urgent item"))
    assert (added.status, added.number) == (AgendaItemStatus.ACCEPTED, 2)
    change = db.scalar(select(AgendaChange).where(AgendaChange.agenda_item_id == added.id))
    assert change.agreed_by == "government,workers,employers"
    page = soup(moderator.get(url(world)).text)
    assert "with the agreement of the three groups" in page.select_one("#agenda-changes").get_text()

    withdrawn = moderator.submit(
        url(world, "/agenda/changes"),
        {
            "change": "withdraw",
            "withdraw": str(first.id),
            "groups": ["government", "workers", "employers"],
        },
    )
    assert withdrawn.status_code == 303
    db.expire_all()
    assert first.status is AgendaItemStatus.WITHDRAWN
    assert len(actions(db, "agenda.changed")) == 2
    assert actions(db, "agenda.issued")


def test_a_chair_rule_body_needs_the_chair(make_client, db):
    world = build(db, issued=True)
    world.body.agenda_change = AgendaChangeRule.CHAIR
    db.commit()
    moderator = signed_in(make_client, db, world.moderator)
    everyone = ["government", "workers", "employers"]
    refused = moderator.submit(url(world, "/agenda/changes"), {"title": "X", "groups": everyone})
    assert refused.status_code == 409
    ok = moderator.submit(url(world, "/agenda/changes"), {"title": "X", "chair": "yes"})
    assert ok.status_code == 303
    assert db.scalar(select(AgendaChange)).agreed_by == "chair"


# -- attendance and quorum -------------------------------------------------------------------------


def test_holders_alternates_and_the_secretariat_mark_attendance_and_the_quorum_follows(
    make_client, db
):
    world = build(db, quorum_overall=3, quorum_per_group=1)
    holders = {g: signed_in(make_client, db, world.holders[g]) for g in Group}
    for group in Group:
        response = holders[group].submit(
            url(world, "/attendance"), {"seat_id": str(world.seats[group].id), "status": "holder"}
        )
        assert response.status_code == 303, response.text
    box = soup(holders[Group.WORKERS].get(url(world, "/quorum"), headers=HTMX).text).select_one(
        "#quorum"
    )
    assert box["data-quorate"] == "true"
    assert "Quorate: 3 of 3 seats present, every group present" in box.get_text()
    version = db.get(Meeting, world.meeting.id).version

    # the employers' holder leaves: the box says which group is missing
    left = holders[Group.EMPLOYERS].submit(
        url(world, "/attendance"),
        {"seat_id": str(world.seats[Group.EMPLOYERS].id), "status": "absent"},
    )
    assert left.status_code == 303
    box = soup(holders[Group.WORKERS].get(url(world, "/quorum"), headers=HTMX).text).select_one(
        "#quorum"
    )
    assert box["data-quorate"] == "false"
    assert "no employers' seat is present (1 needed)" in box.get_text()
    db.expire_all()
    assert db.get(Meeting, world.meeting.id).version > version

    # the alternate takes the seat
    alternate = signed_in(make_client, db, world.alternates[Group.EMPLOYERS])
    assert (
        alternate.submit(
            url(world, "/attendance"),
            {"seat_id": str(world.seats[Group.EMPLOYERS].id), "status": "alternate"},
        ).status_code
        == 303
    )
    # an alternate marks only "alternate"
    assert (
        alternate.submit(
            url(world, "/attendance"),
            {"seat_id": str(world.seats[Group.EMPLOYERS].id), "status": "holder"},
        ).status_code
        == 403
    )
    rows = db.scalars(select(Attendance).where(Attendance.meeting_id == world.meeting.id)).all()
    assert len(rows) == 3  # upserted, one per seat
    page = soup(holders[Group.GOVERNMENT].get(url(world)).text)
    box = page.select_one("#quorum")
    assert box["data-quorate"] == "true"
    assert box["hx-trigger"] == "every 3s" and box["hx-swap"] == "outerHTML"
    assert box["hx-get"].startswith(url(world, "/quorum?seen="))
    # polled with the version the page shows: nothing new, 204; after a change, the box
    unchanged = holders[Group.GOVERNMENT].get(box["hx-get"], headers=HTMX)
    assert unchanged.status_code == 204
    # the secretariat marks any seat
    moderator = signed_in(make_client, db, world.moderator)
    assert (
        moderator.submit(
            url(world, "/attendance"),
            {"seat_id": str(world.seats[Group.WORKERS].id), "status": "excused"},
        ).status_code
        == 303
    )
    assert len(actions(db, "attendance.marked")) == 6


def test_after_marking_a_seat_each_person_lands_where_they_see_what_happened(make_client, db):
    """A holder who marks their own seat comes back to their part of the page (the quorum just
    below); the secretariat marking another seat, to that seat in the attendance list."""
    world = build(db, issued=True)
    seat = world.seats[Group.WORKERS]
    holder = signed_in(make_client, db, world.holders[Group.WORKERS])
    mine = holder.submit(url(world, "/attendance"), {"seat_id": str(seat.id), "status": "holder"})
    assert mine.status_code == 303
    assert mine.headers["location"].endswith(url(world, "#your-part"))
    # present now: the part offers leaving or being excused, not "present" again
    own = soup(holder.get(url(world)).text).select_one("#your-part")
    buttons = [b.get_text() for b in own.select("button")]
    assert "I am leaving (absent)" in buttons and "I am present" not in buttons
    assert "Its attendance: present (holder)." in own.get_text()
    alternate = signed_in(make_client, db, world.alternates[Group.EMPLOYERS])
    theirs = alternate.submit(
        url(world, "/attendance"),
        {"seat_id": str(world.seats[Group.EMPLOYERS].id), "status": "alternate"},
    )
    assert theirs.headers["location"].endswith(url(world, "#your-part"))
    moderator = signed_in(make_client, db, world.moderator)
    other = world.seats[Group.EMPLOYERS]
    marked = moderator.submit(
        url(world, "/attendance"), {"seat_id": str(other.id), "status": "excused"}
    )
    assert marked.headers["location"].endswith(url(world, f"#attendance-seat-{other.id}"))
    page = soup(moderator.get(marked.headers["location"]).text)
    assert page.select_one(f"#attendance-seat-{other.id}")["data-status"] == "excused"


def test_an_alternate_may_not_push_out_a_holder_who_is_present(make_client, db):
    world = build(db, issued=True)
    seat = world.seats[Group.WORKERS]
    holder = signed_in(make_client, db, world.holders[Group.WORKERS])
    assert (
        holder.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "holder"}
        ).status_code
        == 303
    )
    alternate = signed_in(make_client, db, world.alternates[Group.WORKERS])
    refused = alternate.submit(
        url(world, "/attendance"), {"seat_id": str(seat.id), "status": "alternate"}
    )
    assert refused.status_code == 409
    assert "the alternate stands in only when the holder is not" in refused.text
    db.expire_all()
    row = db.scalar(select(Attendance).where(Attendance.seat_id == seat.id))
    assert row.status is Presence.HOLDER
    # once the holder leaves, the alternate stands in
    assert (
        holder.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "absent"}
        ).status_code
        == 303
    )
    assert (
        alternate.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "alternate"}
        ).status_code
        == 303
    )
    # the secretariat corrects the record as it is
    assert (
        holder.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "holder"}
        ).status_code
        == 303
    )
    moderator = signed_in(make_client, db, world.moderator)
    assert (
        moderator.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "alternate"}
        ).status_code
        == 303
    )


def test_a_holder_whose_mandate_has_ended_may_not_mark_the_seat(make_client, db):
    world = build(db, issued=True)
    seat = world.seats[Group.WORKERS]
    holder = world.holders[Group.WORKERS]
    mandate = db.scalar(select(Mandate).where(Mandate.user_id == holder.id))
    mandate.revoked_at = utcnow()
    db.commit()
    browser = signed_in(make_client, db, holder)
    refused = browser.submit(
        url(world, "/attendance"), {"seat_id": str(seat.id), "status": "holder"}
    )
    assert refused.status_code == 403
    assert "active mandate" in refused.text
    assert db.scalar(select(Attendance)) is None


def test_the_secretariat_is_told_its_tasks_once_the_agenda_is_issued(make_client, db):
    """The secretariat's "What you do here" is never an empty box: it names its tasks, each a
    link to its part of the page; a member is not told them."""
    world = build(db, issued=True)
    moderator = signed_in(make_client, db, world.moderator)
    part = soup(moderator.get(url(world)).text).select_one("#your-part")
    assert "As the secretariat you keep the record of this meeting" in part.get_text()
    assert [a["href"] for a in part.select("li a")] == ["#attendance", "#agenda", "#documents"]
    member = signed_in(make_client, db, world.holders[Group.GOVERNMENT])
    assert "As the secretariat" not in member.get(url(world)).text


def test_the_quorum_box_without_htmx_is_the_page(make_client, db):
    world = build(db)
    browser = signed_in(make_client, db, world.holders[Group.WORKERS])
    response = browser.get(url(world, "/quorum"))
    assert response.status_code == 303
    assert response.headers["location"].endswith("#quorum")


def test_an_outsider_and_a_seat_without_alternate_are_refused(make_client, db):
    world = build(db)
    outsider = signed_in(make_client, db, world.outsider)
    seat = world.seats[Group.WORKERS]
    refused = outsider.submit(
        url(world, "/attendance"), {"seat_id": str(seat.id), "status": "holder"}
    )
    assert refused.status_code == 403
    seat.alternate_id = None
    db.commit()
    moderator = signed_in(make_client, db, world.moderator)
    no_alternate = moderator.submit(
        url(world, "/attendance"), {"seat_id": str(seat.id), "status": "alternate"}
    )
    assert no_alternate.status_code == 409
    assert "no alternate" in no_alternate.text
    # a former alternate (the seat has none now) cannot mark it
    former = signed_in(make_client, db, world.alternates[Group.WORKERS])
    assert (
        former.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "alternate"}
        ).status_code
        == 403
    )
    world.meeting.public = False
    db.commit()
    assert (
        outsider.submit(
            url(world, "/attendance"), {"seat_id": str(seat.id), "status": "holder"}
        ).status_code
        == 404
    )
    assert db.scalar(select(Attendance)) is None


# -- confidentiality -------------------------------------------------------------------------------


def test_restricted_items_are_absent_for_those_outside_and_non_public_meetings_404(make_client, db):
    world = build(db)
    public = item(db, world, "Public item")
    members = item(db, world, "Members item", confidentiality=Confidentiality.MEMBERS)
    workers = item(
        db,
        world,
        "Workers strategy",
        confidentiality=Confidentiality.GROUP,
        restricted_group=Group.WORKERS,
    )
    released = item(
        db,
        world,
        "Released item",
        confidentiality=Confidentiality.MEMBERS,
        release_at=utcnow() - timedelta(days=1),
    )
    anonymous = make_client()
    page = anonymous.get(url(world)).text
    assert "Public item" in page and "Released item" in page
    assert "Members item" not in page and "Workers strategy" not in page
    assert "Members item" not in anonymous.get(url(world, "/quorum"), headers=HTMX).text
    outsider = signed_in(make_client, db, world.outsider)
    assert "Members item" not in outsider.get(url(world)).text
    employer = signed_in(make_client, db, world.holders[Group.EMPLOYERS])
    text = employer.get(url(world)).text
    assert "Members item" in text and "Workers strategy" not in text
    worker = signed_in(make_client, db, world.holders[Group.WORKERS])
    assert "Workers strategy" in worker.get(url(world)).text
    moderator = signed_in(make_client, db, world.moderator)
    assert "Workers strategy" not in moderator.get(url(world)).text  # the caucus rule
    # their own addresses: 404
    assert outsider.submit(f"/agenda-items/{members.id}/accept").status_code == 404
    assert moderator.submit(f"/agenda-items/{workers.id}/decline").status_code == 404
    # a non-public meeting is not there for outsiders
    world.meeting.public = False
    db.commit()
    assert anonymous.get(url(world)).status_code == 404
    assert outsider.get(url(world)).status_code == 404
    assert outsider.get(url(world, "/quorum"), headers=HTMX).status_code == 404
    assert employer.get(url(world)).status_code == 200
    assert public.id and released.id


# -- documents ------------------------------------------------------------------------------------


def word_file(text: str) -> bytes:
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_the_secretariat_adds_documents_and_only_those_who_may_see_them_download(make_client, db):
    world = build(db)
    first = item(db, world, "Budget")
    moderator = signed_in(make_client, db, world.moderator)
    files = {"file": ("budget.docx", word_file("The budget."), "application/octet-stream")}
    response = moderator.submit(
        url(world, "/documents"),
        {
            "title": "Budget paper",
            "language": "en",
            "agenda_item": str(first.id),
            "confidentiality": "members",
        },
        files=files,
    )
    assert response.status_code == 303, response.text
    document = db.scalar(select(MeetingDocument))
    assert document.agenda_item_id == first.id and document.text.strip() == "The budget."
    member = signed_in(make_client, db, world.holders[Group.GOVERNMENT])
    download = member.get(f"/meeting-documents/{document.id}")
    assert download.status_code == 200
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    assert "attachment" in download.headers["content-disposition"]
    assert "Budget paper" in member.get(url(world)).text
    outsider = signed_in(make_client, db, world.outsider)
    assert outsider.get(f"/meeting-documents/{document.id}").status_code == 404
    assert "Budget paper" not in outsider.get(url(world)).text
    assert make_client().get(f"/meeting-documents/{document.id}").status_code == 404
    # a member may not upload; a missing file comes back with its message
    assert (
        member.submit(
            url(world, "/documents"), {"title": "X", "language": "en"}, files=files
        ).status_code
        == 403
    )
    missing = moderator.submit(url(world, "/documents"), {"title": "X", "language": "en"})
    assert missing.status_code == 422
    assert "Choose a file" in missing.text


def test_a_group_only_documents_words_stay_out_of_the_shared_audit_log(make_client, db):
    world = build(db)
    # a secretary who is also mandated by the workers' organisation may keep a file to them
    secretary = factories.member(
        db, world.orgs[Group.WORKERS], platform_role=PlatformRole.MODERATOR
    )
    db.commit()
    browser = signed_in(make_client, db, secretary)
    files = {"file": ("strike-fund-MARKER.docx", word_file("Ours."), "application/octet-stream")}
    response = browser.submit(
        url(world, "/documents"),
        {"title": "Strike fund MARKER", "language": "en", "confidentiality": "group"},
        files=files,
    )
    assert response.status_code == 303, response.text
    document = db.scalar(select(MeetingDocument))
    assert document.confidentiality is Confidentiality.GROUP
    logged = actions(db, "meeting.document_added")
    assert logged and all("MARKER" not in json.dumps(details) for _, details in logged)


def test_ids_that_name_nothing_are_refused_beside_their_field(make_client, db):
    """A superscript digit or an id beyond the databases' integers: 422 beside the field, never
    a 500 nor a 404 page; a document hangs only on an accepted item its uploader sees."""
    world = build(db)
    accepted = item(db, world, "Budget")
    proposed = item(db, world, "Proposed", status=AgendaItemStatus.PROPOSED)
    workers = item(
        db,
        world,
        "Workers strategy",
        confidentiality=Confidentiality.GROUP,
        restricted_group=Group.WORKERS,
    )
    moderator = signed_in(make_client, db, world.moderator)
    for bad in ("²", "9" * 30):
        refused = moderator.submit(url(world, "/agenda"), {"title": "Linked", "round_id": bad})
        assert refused.status_code == 422, bad
        assert (
            "Choose a round from the list."
            in soup(refused.text).select_one("#propose .has-error .error").get_text()
        )
    world.meeting.agenda_issued_at = utcnow()
    db.commit()
    for bad in ("²", "9" * 30):
        refused = moderator.submit(
            url(world, "/agenda/changes"),
            {
                "change": "withdraw",
                "withdraw": bad,
                "groups": ["government", "workers", "employers"],
            },
        )
        assert refused.status_code == 422, bad
        assert "Choose an item of the agenda to withdraw." in refused.text
    files = {"file": ("budget.docx", word_file("The budget."), "application/octet-stream")}
    for bad in ("²", "9" * 30, str(proposed.id), str(workers.id)):
        refused = moderator.submit(
            url(world, "/documents"),
            {"title": "Paper", "language": "en", "agenda_item": bad},
            files=files,
        )
        assert refused.status_code == 422, bad
        assert (
            "Choose an item of this meeting"
            in soup(refused.text).select_one("#f-doc-item").parent.get_text()
        )
    assert db.scalar(select(MeetingDocument)) is None
    ok = moderator.submit(
        url(world, "/documents"),
        {"title": "Paper", "language": "en", "agenda_item": str(accepted.id)},
        files=files,
    )
    assert ok.status_code == 303


# -- the page --------------------------------------------------------------------------------------


def test_the_meeting_page_shows_the_persons_task_first_and_counts_constant_queries(make_client, db):
    def measure(n: int) -> int:
        world = build(db)
        for _ in range(n - 3):
            org = factories.organisation(db, Group.GOVERNMENT)
            person = factories.member(db, org)
            factories.seat(db, world.body, org, person)
        for i in range(n):
            item(db, world, f"Item {i}")
            factories.attend(
                db, world.meeting, world.seats[Group.WORKERS], Presence.HOLDER, world.moderator
            ) if i == 0 else None
        db.commit()
        browser = signed_in(make_client, db, world.holders[Group.WORKERS])
        browser.get(url(world))  # warm
        with counted_queries(db) as statements:
            response = browser.get(url(world))
        assert response.status_code == 200
        page = soup(response.text)
        task = page.select_one("#your-part")
        assert task is not None and "I am leaving (absent)" in task.get_text()
        sections = [s.get("id") for s in page.select("main section")]
        assert sections.index("your-part") < sections.index("quorum") < sections.index("agenda")
        return len(statements)

    assert measure(3) == measure(12)


def test_the_secretariat_sees_issue_and_proposal_answers(make_client, db):
    world = build(db)
    item(db, world, "Proposal", status=AgendaItemStatus.PROPOSED)
    moderator = signed_in(make_client, db, world.moderator)
    page = soup(moderator.get(url(world)).text)
    assert page.select_one("#issue-form") is not None
    assert page.select_one("#proposals") is not None
    assert local(utcnow())  # the helper is used by other tests
