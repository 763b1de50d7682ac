"""Actions of a decision through HTTP, on both databases: the secretariat adds them, their
owners report progress (with a file), each group confirms or disputes the latest report; a
disputed action is flagged on its decision; overdue actions and decisions due for review reach
the to-do lists."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

from sqlalchemy import select

from app.decisions.models import Action, ActionConfirmation, ActionNote, ActionNoteFile
from app.vocabulary import ActionOwner, ActionStatus, DecisionMethod, Group, Verdict
from tests import factories
from tests.conftest import text_of
from tests.files import pdf
from tests.http.decision_world import build, decision

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS


def as_(make_client, db, person):
    return factories.signed_in(make_client, db, person)


def action(db, world, d, owner=ActionOwner.ORGANISATION, **columns):
    row = Action(
        decision_id=d.id,
        what=columns.pop("what", "Publish the new wage scale"),
        owner=owner,
        owner_organisation_id=columns.pop(
            "owner_organisation_id", world.orgs[G].id if owner is ActionOwner.ORGANISATION else None
        ),
        created_by_id=world.moderator.id,
        **columns,
    )
    db.add(row)
    db.flush()
    return row


def test_the_secretariat_adds_an_action_to_a_decision(make_client, db):
    world = build(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    moderator = as_(make_client, db, world.moderator)
    response = moderator.submit(
        f"/decisions/{d.id}/actions",
        {
            "what": "Publish the new wage scale",
            "owner": "organisation",
            "organisation": str(world.orgs[G].id),
            "due_on": "2027-03-01",
        },
    )
    assert response.status_code == 303, response.text
    row = db.scalars(select(Action).where(Action.decision_id == d.id)).one()
    assert response.headers["location"] == f"/actions/{row.id}"
    assert (row.owner, row.owner_organisation_id, str(row.due_on)) == (
        ActionOwner.ORGANISATION,
        world.orgs[G].id,
        "2027-03-01",
    )
    assert row.status is ActionStatus.PLANNED
    page = text_of(moderator.get(f"/actions/{row.id}").text)
    assert f"Carried out by {world.orgs[G].name}." in page
    decision_page = text_of(moderator.get(f"/decisions/{d.id}").text)
    assert "Publish the new wage scale" in decision_page


def test_an_action_is_added_by_the_secretariat_alone_and_needs_what_and_whom(make_client, db):
    world = build(db)
    d = decision(db, world)
    url = f"/decisions/{d.id}/actions"
    form = {"what": "Report", "owner": "group", "group": "workers"}
    assert as_(make_client, db, world.holders[W]).submit(url, form).status_code == 403
    moderator = as_(make_client, db, world.moderator)
    assert moderator.submit(url, form | {"what": ""}).status_code == 422
    assert moderator.submit(url, form | {"group": ""}).status_code == 422
    refused = moderator.submit(
        url, {"what": "Report", "owner": "organisation", "organisation": str(world.outsider.id)}
    )
    assert refused.status_code == 422
    assert "holds a seat on this body" in text_of(refused.text)
    assert moderator.submit(url, {"what": "Report", "owner": "secretariat"}).status_code == 303


def test_the_owning_organisation_reports_progress_with_a_file(make_client, db, settings):
    world = build(db)
    d = decision(db, world)
    a = action(db, world, d)
    owner = as_(make_client, db, world.alternates[G])  # any of the organisation's people
    response = owner.post(
        f"/actions/{a.id}/notes",
        data={"csrftoken": owner.csrf(), "text": "The scale is drafted.", "status": "in_progress"},
        files={"file": ("scale.pdf", io.BytesIO(pdf("Wage scale")), "application/pdf")},
    )
    assert response.status_code == 303, response.text
    db.refresh(a)
    assert a.status is ActionStatus.IN_PROGRESS
    note = db.scalars(select(ActionNote).where(ActionNote.action_id == a.id)).one()
    assert note.organisation_id == world.orgs[G].id
    stored = db.scalars(select(ActionNoteFile).where(ActionNoteFile.note_id == note.id)).one()
    download = as_(make_client, db, world.holders[E]).get(f"/action-files/{stored.id}")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    assert "attachment" in download.headers["content-disposition"]
    page = text_of(owner.get(f"/actions/{a.id}").text)
    assert "The scale is drafted." in page and "scale.pdf" in page


def test_who_reports_progress_depends_on_the_owner(make_client, db):
    world = build(db)
    d = decision(db, world)
    form = {"text": "Done.", "status": "done"}
    by_org = action(db, world, d)
    by_group = action(db, world, d, ActionOwner.GROUP, owner_group=W)
    by_government = action(db, world, d, ActionOwner.GOVERNMENT)
    by_secretariat = action(db, world, d, ActionOwner.SECRETARIAT)
    worker = as_(make_client, db, world.holders[W])
    government = as_(make_client, db, world.holders[G])
    moderator = as_(make_client, db, world.moderator)
    assert worker.submit(f"/actions/{by_org.id}/notes", form).status_code == 403
    assert worker.submit(f"/actions/{by_group.id}/notes", form).status_code == 303
    assert government.submit(f"/actions/{by_group.id}/notes", form).status_code == 403
    assert government.submit(f"/actions/{by_government.id}/notes", form).status_code == 303
    assert worker.submit(f"/actions/{by_secretariat.id}/notes", form).status_code == 403
    assert moderator.submit(f"/actions/{by_secretariat.id}/notes", form).status_code == 303
    assert moderator.submit(f"/actions/{by_org.id}/notes", form).status_code == 303
    assert moderator.submit(f"/actions/{by_org.id}/notes", {"text": ""}).status_code == 422


def test_groups_confirm_or_dispute_the_latest_report_and_a_dispute_is_flagged(make_client, db):
    world = build(db)
    d = decision(db, world)
    a = action(db, world, d, ActionOwner.GOVERNMENT)
    worker = as_(make_client, db, world.holders[W])
    url = f"/actions/{a.id}/confirmations"
    nothing = worker.submit(url, {"verdict": "confirmed"})
    assert nothing.status_code == 409  # nothing reported yet
    government = as_(make_client, db, world.holders[G])
    assert (
        government.submit(
            f"/actions/{a.id}/notes", {"text": "Published.", "status": "done"}
        ).status_code
        == 303
    )
    no_reason = worker.submit(url, {"verdict": "disputed"})
    assert no_reason.status_code == 422
    assert "Say why the group disputes" in text_of(no_reason.text)
    assert (
        worker.submit(url, {"verdict": "disputed", "reason": "Not in the gazette."}).status_code
        == 303
    )
    employer = as_(make_client, db, world.holders[E])
    assert employer.submit(url, {"verdict": "confirmed"}).status_code == 303
    words = db.scalars(select(ActionConfirmation).where(ActionConfirmation.action_id == a.id)).all()
    assert {(w.group_name, w.verdict) for w in words} == {
        (W, Verdict.DISPUTED),
        (E, Verdict.CONFIRMED),
    }
    assert "An action of this decision is disputed." in text_of(
        employer.get(f"/decisions/{d.id}").text
    )
    # the flag names the group that disputes
    assert "The Workers group disputes the reported progress." in text_of(
        employer.get(f"/actions/{a.id}").text
    )
    # a new report asks again: the dispute no longer stands
    assert (
        government.submit(
            f"/actions/{a.id}/notes", {"text": "Now in the gazette.", "status": "done"}
        ).status_code
        == 303
    )
    assert "An action of this decision is disputed." not in text_of(
        employer.get(f"/decisions/{d.id}").text
    )


def test_only_a_groups_members_give_its_word(make_client, db):
    world = build(db)
    d = decision(db, world)
    a = action(db, world, d)
    url = f"/actions/{a.id}/confirmations"
    assert (
        as_(make_client, db, world.moderator).submit(url, {"verdict": "confirmed"}).status_code
        == 403
    )
    assert (
        as_(make_client, db, world.outsider).submit(url, {"verdict": "confirmed"}).status_code
        == 403
    )
    worker = as_(make_client, db, world.holders[W])
    assert worker.submit(url, {"verdict": "confirmed", "group": "government"}).status_code == 403


def test_an_action_of_a_restricted_item_is_not_found_by_outsiders(make_client, db, settings):
    from app.vocabulary import Confidentiality

    world = build(db)
    item = world.item_on(db, confidentiality=Confidentiality.MEMBERS)
    d = decision(db, world, item=item)
    a = action(db, world, d)
    outsider = as_(make_client, db, world.outsider)
    assert outsider.get(f"/actions/{a.id}").status_code == 404
    assert (
        outsider.submit(f"/actions/{a.id}/notes", {"text": "x", "status": "done"}).status_code
        == 404
    )
    assert (
        outsider.submit(f"/actions/{a.id}/confirmations", {"verdict": "confirmed"}).status_code
        == 404
    )
    assert outsider.submit(f"/decisions/{d.id}/actions", {"what": "x"}).status_code == 404
    assert outsider.get("/action-files/999999").status_code == 404


def test_overdue_actions_and_reviews_reach_the_to_do_lists(make_client, db):
    world = build(db)
    past = date.today() - timedelta(days=3)
    d = decision(db, world, review_on=past)
    action(db, world, d, what="Publish the scale", due_on=past)
    action(db, world, d, what="Train inspectors", due_on=past, status=ActionStatus.DONE)
    moderator = text_of(as_(make_client, db, world.moderator).get("/").text)
    assert "The action “Publish the scale” is overdue" in moderator
    assert "“Train inspectors”" not in moderator
    assert "is due for review" in moderator
    owner = text_of(as_(make_client, db, world.holders[G]).get("/").text)
    assert "The action “Publish the scale” is overdue" in owner
    other = text_of(as_(make_client, db, world.holders[W]).get("/").text)
    assert "“Publish the scale”" not in other


def test_a_group_only_items_texts_stay_out_of_the_shared_audit_log(make_client, db):
    from app.audit.models import AuditEvent
    from app.vocabulary import Confidentiality

    world = build(db)
    item = world.item_on(
        db,
        title="SECRET-TITLE strike fund",
        confidentiality=Confidentiality.GROUP,
        restricted_group=W,
    )
    d = decision(db, world, item=item)
    a = action(db, world, d, ActionOwner.GROUP, owner_group=W, what="SECRET-WHAT fund the strike")
    worker = as_(make_client, db, world.holders[W])
    assert (
        worker.submit(f"/actions/{a.id}/notes", {"text": "Done.", "status": "done"}).status_code
        == 303
    )
    assert (
        worker.submit(
            f"/actions/{a.id}/confirmations",
            {"verdict": "disputed", "reason": "SECRET-REASON not enough"},
        ).status_code
        == 303
    )
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("action.%"))).all()
    assert {e.action for e in events} == {"action.progress", "action.disputed"}
    for event in events:
        assert "SECRET" not in event.details, event.action
        assert json.loads(event.details)["action_id"] == a.id


def test_an_odd_organisation_or_year_is_refused_or_ignored_never_a_500(make_client, db):
    world = build(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    moderator = as_(make_client, db, world.moderator)
    for odd in ("²", "1" * 30):
        refused = moderator.submit(
            f"/decisions/{d.id}/actions",
            {"what": "Publish it", "owner": "organisation", "organisation": odd},
        )
        assert refused.status_code == 422, odd
        assert "holds a seat on this body" in text_of(refused.text)
        register = moderator.get(f"/bodies/{world.body.id}/decisions", params={"year": odd})
        assert register.status_code == 200, odd
        csv = moderator.get(f"/bodies/{world.body.id}/decisions.csv", params={"year": odd})
        assert csv.status_code == 200, odd
