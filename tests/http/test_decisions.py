"""Decisions through HTTP, on both databases: the secretariat opens one on an agenda item, the
organisations present vote (holders, or alternates sitting in), the secretariat or the chair
records it with the attendance and quorum that made it valid, and the groups write their
divergent positions. Every refusal of issue 18 is here."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.decisions.models import Decision, DecisionVote, DivergentPosition
from app.meetings.models import Meeting
from app.vocabulary import (
    Confidentiality,
    DecisionMethod,
    Group,
    Presence,
    Vote,
    Weighting,
    WithoutQuorum,
)
from tests import factories
from tests.conftest import text_of
from tests.helpers import counted_queries, soup
from tests.http.decision_world import build, decision

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS


def as_(make_client, db, person):
    return factories.signed_in(make_client, db, person)


def open_form(**overrides):
    return {
        "text": "The minimum wage rises by 5%.",
        "method": "group_equal_vote",
        "threshold": "2/3",
        "effective_on": "2027-01-01",
        "review_on": "2027-12-31",
    } | overrides


# -- opening ----------------------------------------------------------------------------------


def test_the_secretariat_opens_a_decision_with_the_bodys_weighting(make_client, db):
    world = build(db, weighting=Weighting.PLENARY)
    moderator = as_(make_client, db, world.moderator)
    response = moderator.submit(f"/agenda-items/{world.item.id}/decision", open_form())
    assert response.status_code == 303, response.text
    row = db.scalars(select(Decision).where(Decision.agenda_item_id == world.item.id)).one()
    assert response.headers["location"] == f"/decisions/{row.id}"
    assert row.method is DecisionMethod.GROUP_EQUAL_VOTE
    assert (row.threshold_numerator, row.threshold_denominator) == (2, 3)
    assert row.weighting is Weighting.PLENARY
    assert str(row.effective_on) == "2027-01-01" and str(row.review_on) == "2027-12-31"
    page = text_of(moderator.get(f"/decisions/{row.id}").text)
    assert "A decision is open on “Minimum wage for domestic work”, by a group-equal vote." in page
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "decision.opened")).first()


def test_a_percentage_threshold_is_read_and_a_wrong_one_is_refused_beside_its_field(
    make_client, db
):
    world = build(db)
    moderator = as_(make_client, db, world.moderator)
    refused = moderator.submit(
        f"/agenda-items/{world.item.id}/decision", open_form(threshold="two thirds")
    )
    assert refused.status_code == 422
    field = soup(refused.text).select_one(f"#f-threshold-{world.item.id}-error")
    assert field is not None and "1/2, 2/3 or 50%" in field.get_text()
    assert soup(refused.text).select_one("textarea[name=text]").get_text() == open_form()["text"]
    ok = moderator.submit(f"/agenda-items/{world.item.id}/decision", open_form(threshold="50%"))
    assert ok.status_code == 303
    row = db.scalars(select(Decision).where(Decision.agenda_item_id == world.item.id)).one()
    assert (row.threshold_numerator, row.threshold_denominator) == (1, 2)


def test_only_the_secretariat_opens_a_decision_and_one_per_item(make_client, db):
    world = build(db)
    holder = as_(make_client, db, world.holders[W])
    assert holder.submit(f"/agenda-items/{world.item.id}/decision", open_form()).status_code == 403
    moderator = as_(make_client, db, world.moderator)
    assert (
        moderator.submit(f"/agenda-items/{world.item.id}/decision", open_form()).status_code == 303
    )
    again = moderator.submit(f"/agenda-items/{world.item.id}/decision", open_form())
    assert again.status_code == 409
    assert "already has a decision" in text_of(again.text)


# -- votes ------------------------------------------------------------------------------------


def vote(browser, decision_id, value="for"):
    return browser.submit(f"/decisions/{decision_id}/votes", {"vote": value})


def test_a_present_holder_votes_for_their_organisation(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world)
    response = vote(as_(make_client, db, world.holders[W]), d.id, "against")
    assert response.status_code == 303, response.text
    cast = db.scalars(select(DecisionVote).where(DecisionVote.decision_id == d.id)).one()
    assert (cast.organisation_id, cast.vote) == (world.orgs[W].id, Vote.AGAINST)


def test_an_alternate_votes_when_the_holder_is_not_present(make_client, db):
    world = build(db)
    world.attend_all(db, workers=Presence.ALTERNATE)
    d = decision(db, world)
    assert vote(as_(make_client, db, world.alternates[W]), d.id).status_code == 303
    # and the holder, absent, may not
    assert vote(as_(make_client, db, world.holders[W]), d.id).status_code == 403


def test_an_alternate_may_not_vote_while_the_holder_is_present(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world)
    refused = vote(as_(make_client, db, world.alternates[W]), d.id)
    assert refused.status_code == 403
    assert "an alternate votes only when the holder is not" in text_of(refused.text)


def test_a_person_holding_no_seat_may_not_vote(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world)
    colleague = factories.member(db, world.orgs[W])  # mandated, but not on the seat
    assert vote(as_(make_client, db, colleague), d.id).status_code == 403
    assert vote(as_(make_client, db, world.outsider), d.id).status_code == 403
    assert vote(as_(make_client, db, world.moderator), d.id).status_code == 403


def test_an_organisation_votes_once(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world)
    holder = as_(make_client, db, world.holders[W])
    assert vote(holder, d.id).status_code == 303
    again = vote(holder, d.id, "against")
    assert again.status_code == 409
    assert "has voted already" in text_of(again.text)


def test_a_seat_not_present_has_no_vote(make_client, db):
    world = build(db)
    world.attend_all(db, workers=Presence.EXCUSED, employers=None)
    d = decision(db, world)
    refused = vote(as_(make_client, db, world.holders[W]), d.id)
    assert refused.status_code == 403
    assert "is not present at this meeting" in text_of(refused.text)
    assert vote(as_(make_client, db, world.holders[E]), d.id).status_code == 403  # not marked


def test_no_vote_on_a_recorded_decision_nor_a_consensus(make_client, db):
    world = build(db)
    world.attend_all(db)
    consensus = decision(db, world, DecisionMethod.CONSENSUS)
    holder = as_(make_client, db, world.holders[W])
    refused = vote(holder, consensus.id)
    assert refused.status_code == 409 and "there is no vote" in text_of(refused.text)
    other = decision(db, world, item=world.item_on(db))
    moderator = as_(make_client, db, world.moderator)
    assert moderator.submit(f"/decisions/{other.id}/record").status_code == 303
    closed = vote(holder, other.id)
    assert closed.status_code == 409 and "its vote is closed" in text_of(closed.text)


# -- recording: each method's result ----------------------------------------------------------


def votes_then_record(make_client, db, world, d, votes, form=None):
    for group, value in votes.items():
        assert vote(as_(make_client, db, world.holders[group]), d.id, value).status_code == 303
    return as_(make_client, db, world.moderator).submit(f"/decisions/{d.id}/record", form or {})


def test_a_group_equal_vote_is_adopted_by_the_weight_of_the_groups_for(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world)
    response = votes_then_record(make_client, db, world, d, {G: "for", W: "for", E: "against"})
    assert response.status_code == 303, response.text
    db.refresh(d)
    assert d.adopted is True and d.quorate is True and d.without_quorum is False
    page = text_of(as_(make_client, db, world.holders[E]).get(f"/decisions/{d.id}").text)
    assert "Adopted: government and workers for (weight 2 of 3; at least 1.5 needed)." in page
    assert "Employers (against)" in page
    # the votes read as sentences: who voted how
    assert f"{world.orgs[E].name} voted against" in page
    assert f"{world.orgs[W].name} voted for" in page


def test_a_group_equal_vote_falls_short_of_a_two_thirds_threshold(make_client, db):
    world = build(db, weighting=Weighting.PLENARY)
    world.attend_all(db)
    d = decision(db, world, threshold_numerator=3, threshold_denominator=4)
    d.weighting = Weighting.PLENARY
    response = votes_then_record(make_client, db, world, d, {G: "for", W: "against", E: "for"})
    assert response.status_code == 303
    db.refresh(d)
    assert d.adopted is True  # 3 of 4 >= 3/4 × 4
    other = decision(
        db,
        world,
        item=world.item_on(db),
        threshold_numerator=3,
        threshold_denominator=4,
        weighting=Weighting.PLENARY,
    )
    response = votes_then_record(make_client, db, world, other, {G: "against", W: "for", E: "for"})
    db.refresh(other)
    assert other.adopted is False  # 2 of 4 < 3


def test_a_double_majority_needs_a_majority_in_every_group_that_voted(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.DOUBLE_MAJORITY)
    votes_then_record(make_client, db, world, d, {G: "for", W: "for", E: "against"})
    db.refresh(d)
    assert d.adopted is False
    other = decision(db, world, DecisionMethod.DOUBLE_MAJORITY, item=world.item_on(db))
    votes_then_record(make_client, db, world, other, {G: "for", W: "for", E: "abstain"})
    db.refresh(other)
    assert other.adopted is True
    page = text_of(as_(make_client, db, world.moderator).get(f"/decisions/{other.id}").text)
    assert "Adopted: 2 for, 0 against, 1 abstaining overall" in page
    assert "Abstentions:" in page


def test_the_chairs_casting_vote_is_required_on_a_tie_and_decides_it(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.CHAIR_CASTING)
    refused = votes_then_record(make_client, db, world, d, {G: "for", W: "against", E: "abstain"})
    assert refused.status_code == 422
    assert "record the chair's casting vote" in text_of(refused.text)
    moderator = as_(make_client, db, world.moderator)
    ok = moderator.submit(f"/decisions/{d.id}/record", {"casting_vote": "for"})
    assert ok.status_code == 303
    db.refresh(d)
    assert d.adopted is True and d.casting_vote is Vote.FOR
    assert "on the chair's casting vote (for)" in text_of(moderator.get(f"/decisions/{d.id}").text)


def test_without_a_tie_the_casting_vote_is_not_needed(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.CHAIR_CASTING)
    response = votes_then_record(make_client, db, world, d, {G: "against", W: "against"})
    assert response.status_code == 303
    db.refresh(d)
    assert d.adopted is False and d.casting_vote is None


def test_consensus_is_recorded_as_reached_or_not(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    moderator = as_(make_client, db, world.moderator)
    refused = moderator.submit(f"/decisions/{d.id}/record")
    assert refused.status_code == 422 and "Say whether consensus" in text_of(refused.text)
    assert moderator.submit(f"/decisions/{d.id}/record", {"consensus": "yes"}).status_code == 303
    db.refresh(d)
    assert d.adopted is True
    assert "Adopted by consensus." in text_of(moderator.get(f"/decisions/{d.id}").text)
    again = moderator.submit(f"/decisions/{d.id}/record", {"consensus": "no"})
    assert again.status_code == 409


def test_the_chair_records_but_a_member_does_not(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    member = as_(make_client, db, world.holders[G])
    assert member.submit(f"/decisions/{d.id}/record", {"consensus": "yes"}).status_code == 403
    db.get(Meeting, world.meeting.id).chair_id = world.holders[G].id
    db.commit()
    assert member.submit(f"/decisions/{d.id}/record", {"consensus": "yes"}).status_code == 303


def test_the_attendance_and_quorum_are_kept_with_the_record(make_client, db):
    world = build(db, quorum_overall=2, quorum_per_group=0)
    world.attend_all(db, workers=Presence.ALTERNATE, employers=None)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    moderator = as_(make_client, db, world.moderator)
    assert moderator.submit(f"/decisions/{d.id}/record", {"consensus": "yes"}).status_code == 303
    db.refresh(d)
    assert (d.quorate, d.quorum_overall, d.quorum_per_group) == (True, 2, 0)
    statuses = {a["organisation_id"]: a["status"] for a in d.attendance}
    assert statuses == {
        world.orgs[G].id: "holder",
        world.orgs[W].id: "alternate",
        world.orgs[E].id: "absent",
    }
    assert {a["group"] for a in d.attendance} == {"government", "workers", "employers"}
    assert all({"seat_id", "organisation"} <= set(a) for a in d.attendance)
    page = text_of(moderator.get(f"/decisions/{d.id}").text)
    assert "present (alternate)" in page and "The meeting was quorate" in page


def test_a_decision_without_quorum_is_refused_where_the_rules_say_so(make_client, db):
    world = build(db, without_quorum=WithoutQuorum.REFUSE)
    world.attend_all(db, employers=Presence.EXCUSED)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    refused = as_(make_client, db, world.moderator).submit(
        f"/decisions/{d.id}/record", {"consensus": "yes"}
    )
    assert refused.status_code == 409
    said = text_of(refused.text)
    assert "The meeting is not quorate: the Employers group has 0 seats present" in said
    assert "the body's rules refuse a decision without quorum" in said
    db.refresh(d)
    assert d.recorded_at is None


def test_a_decision_without_quorum_is_recorded_so_where_the_rules_allow(make_client, db):
    world = build(db, without_quorum=WithoutQuorum.RECORD)
    world.attend_all(db, employers=Presence.ABSENT)
    d = decision(db, world)
    response = votes_then_record(make_client, db, world, d, {G: "for", W: "for"})
    assert response.status_code == 303
    db.refresh(d)
    assert d.without_quorum is True and d.quorate is False and d.adopted is True
    page = text_of(as_(make_client, db, world.moderator).get(f"/decisions/{d.id}").text)
    assert "taken without quorum, as the body's rules allow" in page


# -- divergent positions ----------------------------------------------------------------------


def test_a_group_writes_and_replaces_its_divergent_position(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    employer = as_(make_client, db, world.alternates[E])  # any member of the group
    url = f"/decisions/{d.id}/divergent"
    assert employer.submit(url, {"text": "Too fast for small firms."}).status_code == 303
    assert employer.submit(url, {"text": "Too fast for small firms, in 2027."}).status_code == 303
    rows = db.scalars(select(DivergentPosition).where(DivergentPosition.decision_id == d.id)).all()
    assert [(r.group_name, r.text) for r in rows] == [(E, "Too fast for small firms, in 2027.")]
    page = text_of(as_(make_client, db, world.outsider).get(f"/decisions/{d.id}").text)
    assert "The Employers group: Too fast for small firms, in 2027." in page


def test_only_a_groups_members_on_the_body_write_a_divergent_position(make_client, db):
    world = build(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    url = f"/decisions/{d.id}/divergent"
    assert as_(make_client, db, world.moderator).submit(url, {"text": "No."}).status_code == 403
    assert as_(make_client, db, world.outsider).submit(url, {"text": "No."}).status_code == 403
    worker = as_(make_client, db, world.holders[W])
    assert worker.submit(url, {"text": "No.", "group": "employers"}).status_code == 403
    empty = worker.submit(url, {"text": "  "})
    assert empty.status_code == 422


# -- who sees a decision ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confidentiality", "group", "sees", "does_not"),
    [
        (Confidentiality.MEMBERS, None, ("holder_w", "moderator"), ("outsider",)),
        (Confidentiality.GROUP, Group.WORKERS, ("holder_w",), ("holder_e", "moderator")),
    ],
)
def test_a_decision_is_seen_by_those_who_see_its_item(
    make_client, db, confidentiality, group, sees, does_not
):
    world = build(db)
    item = world.item_on(db, confidentiality=confidentiality, restricted_group=group)
    d = decision(db, world, item=item)
    people = {
        "holder_w": world.holders[W],
        "holder_e": world.holders[E],
        "moderator": world.moderator,
        "outsider": world.outsider,
    }
    for name in sees:
        assert as_(make_client, db, people[name]).get(f"/decisions/{d.id}").status_code == 200
    for name in does_not:
        browser = as_(make_client, db, people[name])
        assert browser.get(f"/decisions/{d.id}").status_code == 404, name
        assert vote(browser, d.id).status_code == 404
        assert browser.submit(f"/decisions/{d.id}/record").status_code == 404
        assert browser.submit(f"/decisions/{d.id}/divergent", {"text": "x"}).status_code == 404
    assert as_(make_client, db, world.moderator).get("/decisions/999999").status_code == 404


# -- the meeting page's hook ------------------------------------------------------------------


def test_the_meeting_pages_decisions_load_in_a_constant_number_of_queries(make_client, db):
    from app.bodies.service import viewer_of
    from app.decisions.page import for_meeting

    counts = {}
    for n in (1, 6):
        world = build(db)
        world.attend_all(db)
        for i in range(n):
            d = decision(db, world, item=world.item_on(db, f"Item {i}"))
            db.add(
                DecisionVote(
                    decision_id=d.id,
                    organisation_id=world.orgs[G].id,
                    vote=Vote.FOR,
                    cast_by_id=world.holders[G].id,
                )
            )
        db.flush()
        meeting = db.get(Meeting, world.meeting.id)
        viewer = None
        seen_as = viewer_of(db, viewer, world.body.id)
        with counted_queries(db) as statements:
            views = for_meeting(db, meeting, seen_as, viewer)
        assert len(views) == n
        counts[n] = len(statements)
    assert counts[1] == counts[6], counts


# -- the partial the meeting page renders inside each agenda item -----------------------------


def render_item(client, item, view, body_viewer):
    from starlette.requests import Request

    from app.web import templates

    request = Request({"type": "http", "app": client.app.fastapi_app, "headers": []})
    html = templates.env.get_template("decisions/_item.html").render(
        request=request,
        item=item,
        decision=view,
        body_viewer=body_viewer,
        viewer=None,
        csrftoken="token",
        csrf_token="token",
    )
    return html


def test_the_meeting_pages_item_offers_the_secretariat_to_open_a_decision(client, db):
    from app.meetings.confidentiality import BodyViewer

    world = build(db)
    secretariat = render_item(client, world.item, None, BodyViewer(secretariat=True))
    assert "Open a decision on this item" in text_of(secretariat)
    form = soup(secretariat).select_one("form")
    assert form["action"] == f"/agenda-items/{world.item.id}/decision"
    assert {o["value"] for o in form.select("select[name=method] option")} == {
        m.value for m in DecisionMethod
    }
    member = render_item(client, world.item, None, BodyViewer(frozenset({W})))
    assert "Open a decision" not in text_of(member)


def test_the_meeting_pages_item_shows_who_votes_and_the_viewers_vote_form(client, db):
    from app.bodies.service import viewer_of
    from app.decisions.page import for_meeting

    world = build(db)
    world.attend_all(db, workers=Presence.ALTERNATE)
    d = decision(db, world)
    meeting = db.get(Meeting, world.meeting.id)

    class Holder:  # the viewer as the page knows them (app.accounts.rules.Viewer's shape)
        user_id = world.alternates[W].id
        mandates = (type("M", (), {"organisation_id": world.orgs[W].id, "group": W})(),)
        may_moderate = False

    seen_as = viewer_of(db, None, world.body.id)
    view = for_meeting(db, meeting, seen_as, Holder())[world.item.id]  # type: ignore[arg-type]
    html = render_item(client, world.item, view, seen_as)
    said = text_of(html)
    assert "Who may vote" in said and world.orgs[W].name in said
    forms = soup(html).select("form.vote-form")
    assert len(forms) == 1 and forms[0]["action"] == f"/decisions/{d.id}/votes"


def test_a_vote_of_a_seat_marked_absent_before_the_record_does_not_count(make_client, db):
    from app.meetings.models import Attendance
    from tests.http.test_api_bodies import reader

    world = build(db, quorum_overall=2, quorum_per_group=0)
    world.attend_all(db)
    d = decision(db, world)
    for group, value in {G: "for", W: "for", E: "against"}.items():
        assert vote(as_(make_client, db, world.holders[group]), d.id, value).status_code == 303
    # the workers' holder leaves before the decision is recorded
    left = db.scalars(select(Attendance).where(Attendance.seat_id == world.seats[W].id)).one()
    left.status = Presence.ABSENT
    db.commit()
    moderator = as_(make_client, db, world.moderator)
    assert moderator.submit(f"/decisions/{d.id}/record").status_code == 303
    db.refresh(d)
    cast = db.scalars(select(DecisionVote).where(DecisionVote.decision_id == d.id)).all()
    assert {v.organisation_id for v in cast} == {world.orgs[G].id, world.orgs[E].id}
    # government for, employers against, the workers silent: 1 of 3 weights, 1.5 needed
    assert d.adopted is False
    page = text_of(moderator.get(f"/decisions/{d.id}").text)
    assert f"{world.orgs[W].name} voted" not in page
    answer = reader(make_client, db).get(f"/api/v1/bodies/{world.body.id}/decisions").json()
    (got,) = answer["items"]
    assert {v["organisation"] for v in got["votes"]} == {world.orgs[G].name, world.orgs[E].name}
    assert got["adopted"] is False


@pytest.mark.parametrize("odd", ["²", "1" * 30])
def test_an_odd_organisation_on_a_vote_is_no_organisation(make_client, db, odd):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world)
    holder = as_(make_client, db, world.holders[W])
    response = holder.submit(f"/decisions/{d.id}/votes", {"vote": "for", "organisation": odd})
    assert response.status_code == 303  # read as no organisation named: the holder's own seat


def test_a_decision_is_opened_only_on_an_accepted_item_of_a_meeting_not_cancelled(make_client, db):
    from app.db import utcnow
    from app.vocabulary import AgendaItemStatus

    world = build(db)
    proposed = world.item_on(db, "Proposed", status=AgendaItemStatus.PROPOSED)
    declined = world.item_on(db, "Declined", status=AgendaItemStatus.DECLINED)
    moderator = as_(make_client, db, world.moderator)
    for item in (proposed, declined):
        refused = moderator.submit(f"/agenda-items/{item.id}/decision", open_form())
        assert refused.status_code == 409
        assert "a decision is taken on an accepted item" in text_of(refused.text)
    world.meeting.cancelled_at = utcnow()
    db.commit()
    refused = moderator.submit(f"/agenda-items/{world.item.id}/decision", open_form())
    assert refused.status_code == 409
    assert "The meeting is cancelled: no decision is taken at it." in text_of(refused.text)
    assert db.scalars(select(Decision)).first() is None


def test_a_divergent_position_is_final_once_the_decision_is_recorded(make_client, db):
    world = build(db)
    world.attend_all(db)
    d = decision(db, world, DecisionMethod.CONSENSUS)
    employer = as_(make_client, db, world.holders[E])
    url = f"/decisions/{d.id}/divergent"
    assert employer.submit(url, {"text": "Too fast."}).status_code == 303
    assert employer.submit(url, {"text": "Too fast, in 2027."}).status_code == 303  # still open
    moderator = as_(make_client, db, world.moderator)
    assert moderator.submit(f"/decisions/{d.id}/record", {"consensus": "yes"}).status_code == 303
    refused = employer.submit(url, {"text": "We agreed after all."})
    assert refused.status_code == 409
    assert "The decision is recorded: its divergent positions are final." in text_of(refused.text)
    rows = db.scalars(select(DivergentPosition).where(DivergentPosition.decision_id == d.id)).all()
    assert [(r.group_name, r.text) for r in rows] == [(E, "Too fast, in 2027.")]


def test_the_meeting_page_builds_decisions_only_for_the_items_the_viewer_sees(db):
    from app.decisions.page import for_meeting
    from app.meetings.confidentiality import OUTSIDER, BodyViewer

    world = build(db)
    caucus = world.item_on(db, "Caucus", confidentiality=Confidentiality.GROUP, restricted_group=W)
    public = decision(db, world)
    hidden = decision(db, world, item=caucus)
    workers = BodyViewer(member_groups=frozenset({W}))
    assert set(for_meeting(db, world.meeting, workers, None)) == {world.item.id, caucus.id}
    secretariat = BodyViewer(secretariat=True)
    assert set(for_meeting(db, world.meeting, secretariat, None)) == {world.item.id}
    assert set(for_meeting(db, world.meeting, OUTSIDER, None)) == {world.item.id}
    assert public.id != hidden.id
