"""The read-only API's bodies, meetings and decisions: shapes (held to the published JSON
Schemas), ETags, cursors, restricted agenda items absent for those who may not see them, a
constant query count, and a group-equal vote's result equal to an independent recount."""

from datetime import date, timedelta
from fractions import Fraction

import jsonschema
import pytest

from app.api import tokens
from app.api.routes import record_json_schema
from app.db import utcnow
from app.decisions.models import (
    Action,
    ActionConfirmation,
    ActionNote,
    Decision,
    DecisionVote,
    DivergentPosition,
)
from app.meetings.models import AgendaItem
from app.vocabulary import (
    ActionOwner,
    ActionStatus,
    Confidentiality,
    DecisionMethod,
    Group,
    PlatformRole,
    Presence,
    Verdict,
    Vote,
    Weighting,
)
from tests import factories
from tests.helpers import counted_queries

GROUPS = ("government", "workers", "employers")


def reader(make_client, db, owner=None):
    """A client with an API token made by ``owner`` (None: a token made at the command line)."""
    _token, plain = tokens.create(db, "Statistics unit", owner.id if owner else None)
    db.commit()
    client = make_client()
    client.headers["Authorization"] = f"Bearer {plain}"
    return client


def item(db, meeting, title, number=1, **restriction):
    restriction.setdefault("confidentiality", Confidentiality.PUBLIC)
    row = AgendaItem(meeting_id=meeting.id, number=number, title=title, **restriction)
    db.add(row)
    db.flush()
    return row


def recorded(db, meeting, agenda_item, by, seats, *, method, votes=(), adopted=None, **kwargs):
    """A recorded decision, written directly: the attendance snapshot of ``seats``
    ({seat: status}), the organisations' ``votes`` ((org, Vote)), and ``adopted``."""
    decision = Decision(
        meeting_id=meeting.id,
        agenda_item_id=agenda_item.id,
        text=kwargs.pop("text", "The council agrees."),
        method=method,
        opened_by_id=by.id,
        recorded_by_id=by.id,
        recorded_at=utcnow(),
        adopted=adopted,
        quorate=True,
        quorum_overall=3,
        quorum_per_group=1,
        attendance=[
            {
                "seat_id": seat.id,
                "organisation_id": seat.organisation_id,
                "group": group.value,
                "status": status.value,
            }
            for seat, (group, status) in seats.items()
        ],
        **kwargs,
    )
    db.add(decision)
    db.flush()
    for org, vote in votes:
        db.add(
            DecisionVote(
                decision_id=decision.id, organisation_id=org.id, vote=vote, cast_by_id=by.id
            )
        )
    db.flush()
    return decision


@pytest.fixture
def council(db):
    body, orgs, holders, alternates, seats = factories.seated_body(db, quorum_overall=3)
    secretary = factories.user(db, platform_role=PlatformRole.MODERATOR)
    past = factories.meeting(
        db, body, starts_at=utcnow() - timedelta(days=3), convened_by=secretary
    )
    for group, seat in seats.items():
        status = Presence.ALTERNATE if group is Group.EMPLOYERS else Presence.HOLDER
        factories.attend(db, past, seat, status, secretary)
    snapshot = {
        seat: (group, Presence.ALTERNATE if group is Group.EMPLOYERS else Presence.HOLDER)
        for group, seat in seats.items()
    }
    return body, orgs, holders, seats, secretary, past, snapshot


def test_bodies_list_their_rules_and_seats_per_group(make_client, db, council):
    body, orgs, holders, seats, secretary, past, snapshot = council
    team = factories.body(db, name="Task team on migration", parent=body)
    factories.seat(db, team, orgs[Group.WORKERS], holders[Group.WORKERS])
    client = reader(make_client, db)
    page = client.get("/api/v1/bodies").json()
    by_id = {b["id"]: b for b in page["items"]}
    assert by_id[body.id]["seats"] == {"government": 1, "workers": 1, "employers": 1}
    assert by_id[body.id]["parity_balanced"] is True
    assert by_id[body.id]["rules"]["quorum"] == {"overall": 3, "per_group": 1}
    assert by_id[body.id]["rules"]["weighting"] == "1:1:1"
    assert by_id[team.id]["parent_id"] == body.id and by_id[team.id]["parity_balanced"] is False
    for one in page["items"]:
        jsonschema.validate(one, record_json_schema("body"))


def test_meetings_show_the_quorum_and_attendance_and_only_the_items_one_may_see(
    make_client, db, council
):
    body, orgs, holders, seats, secretary, past, snapshot = council
    item(db, past, "Labour migration policy", 1)
    item(db, past, "Members' briefing", 2, confidentiality=Confidentiality.MEMBERS)
    item(
        db,
        past,
        "Workers' strategy",
        3,
        confidentiality=Confidentiality.GROUP,
        restricted_group=Group.WORKERS,
    )
    item(
        db, past, "Once released", 4, confidentiality=Confidentiality.MEMBERS, released_at=utcnow()
    )
    outsider = factories.user(db)
    worker = holders[Group.WORKERS]
    employer = holders[Group.EMPLOYERS]

    def titles(owner):
        answer = reader(make_client, db, owner).get(f"/api/v1/bodies/{body.id}/meetings").json()
        for one in answer["items"]:
            jsonschema.validate(one, record_json_schema("meeting"))
        (meeting,) = answer["items"]
        return meeting, [i["title"] for i in meeting["agenda"]]

    meeting, seen = titles(outsider)
    assert seen == ["Labour migration policy", "Once released"]
    assert meeting["quorate"] is True and meeting["quorum"]["missing_groups"] == []
    assert {a["group"]: a["status"] for a in meeting["attendance"]} == {
        "government": "holder",
        "workers": "holder",
        "employers": "alternate",
    }
    assert titles(None)[1] == ["Labour migration policy", "Once released"]
    assert titles(employer)[1] == ["Labour migration policy", "Members' briefing", "Once released"]
    assert titles(worker)[1] == [
        "Labour migration policy",
        "Members' briefing",
        "Workers' strategy",
        "Once released",
    ]
    assert "Workers' strategy" not in titles(secretary)[1]  # the caucus rule


def test_a_meeting_without_a_group_present_is_not_quorate(make_client, db, council):
    body, orgs, holders, seats, secretary, past, snapshot = council
    upcoming = factories.meeting(db, body, convened_by=secretary, issued=False)
    factories.attend(db, upcoming, seats[Group.GOVERNMENT], Presence.HOLDER, secretary)
    factories.attend(db, upcoming, seats[Group.WORKERS], Presence.EXCUSED, secretary)
    client = reader(make_client, db)
    items = client.get(f"/api/v1/bodies/{body.id}/meetings").json()["items"]
    later = next(m for m in items if m["id"] == upcoming.id)
    assert later["quorate"] is False and later["agenda_issued_at"] is None
    assert later["quorum"]["missing_groups"] == ["workers", "employers"]


def test_a_group_equal_vote_answers_as_an_independent_recount(make_client, db, council):
    body, orgs, holders, seats, secretary, past, snapshot = council
    second_worker = factories.organisation(db, Group.WORKERS)
    extra = factories.seat(db, body, second_worker, factories.member(db, second_worker))
    snapshot = snapshot | {extra: (Group.WORKERS, Presence.HOLDER)}
    votes = [
        (orgs[Group.GOVERNMENT], Vote.FOR),
        (orgs[Group.WORKERS], Vote.FOR),
        (second_worker, Vote.AGAINST),  # the workers tie: against
        (orgs[Group.EMPLOYERS], Vote.ABSTAIN),  # the employers are silent
    ]
    decision = recorded(
        db,
        past,
        item(db, past, "Ratify C189"),
        secretary,
        snapshot,
        method=DecisionMethod.GROUP_EQUAL_VOTE,
        votes=votes,
        adopted=True,  # as the service records it: 2 of 4 weight, a threshold of 1/2
        weighting=Weighting.PLENARY,
        threshold_numerator=1,
        threshold_denominator=2,
    )
    client = reader(make_client, db)
    answer = client.get(f"/api/v1/bodies/{body.id}/decisions").json()
    (got,) = answer["items"]
    # held to the schema as published (what outside scripts download)
    published = client.get("/api/v1/schema/decision.json").json()
    assert published == record_json_schema("decision")
    jsonschema.validate(got, published)
    assert got["id"] == decision.id and got["method"] == "group_equal_vote"

    # the recount, from the answer alone, by the contract's words
    weights = got["weights"]
    assert weights == {"government": 2, "workers": 1, "employers": 1}
    group_for = []
    for group in GROUPS:
        cast = [v["vote"] for v in got["votes"] if v["group"] == group and v["vote"] != "abstain"]
        if cast and 2 * cast.count("for") > len(cast):
            group_for.append(group)
    threshold = Fraction(got["threshold_fraction"])
    assert float(threshold) == got["threshold"] == 0.5
    recount = sum(weights[g] for g in group_for) >= threshold * sum(weights.values())
    assert group_for == ["government"]
    assert recount is True and got["adopted"] is recount
    assert got["group_results"] == {
        "government": "for",
        "workers": "against",
        "employers": "silent",
    }
    assert {(a["group"], a["status"]) for a in got["attendance"]} == {
        ("government", "holder"),
        ("workers", "holder"),
        ("employers", "alternate"),
    }
    assert len(got["attendance"]) == 4 and {a["seat"] for a in got["attendance"]} == {
        s.id for s in snapshot
    }


def test_decisions_carry_divergent_positions_and_the_groups_word_on_actions(
    make_client, db, council
):
    body, orgs, holders, seats, secretary, past, snapshot = council
    decision = recorded(
        db,
        past,
        item(db, past, "Minimum wage review"),
        secretary,
        snapshot,
        method=DecisionMethod.CONSENSUS,
        adopted=True,
        review_on=date(2027, 6, 30),
    )
    db.add(
        DivergentPosition(
            decision_id=decision.id,
            group_name=Group.WORKERS,
            text="The review comes too late.",
            written_by_id=holders[Group.WORKERS].id,
        )
    )
    action = Action(
        decision_id=decision.id,
        what="Publish the study",
        owner=ActionOwner.GOVERNMENT,
        due_on=date.today() - timedelta(days=5),
        status=ActionStatus.IN_PROGRESS,
        created_by_id=secretary.id,
    )
    done = Action(
        decision_id=decision.id,
        what="Convene the task team",
        owner=ActionOwner.ORGANISATION,
        owner_organisation_id=orgs[Group.EMPLOYERS].id,
        status=ActionStatus.DONE,
        created_by_id=secretary.id,
    )
    db.add_all([action, done])
    db.flush()
    old = ActionNote(
        action_id=action.id,
        text="Started",
        status=ActionStatus.IN_PROGRESS,
        written_by_id=secretary.id,
    )
    db.add(old)
    db.flush()
    db.add(
        ActionConfirmation(
            action_id=action.id,
            note_id=old.id,
            group_name=Group.EMPLOYERS,
            verdict=Verdict.CONFIRMED,
            given_by_id=secretary.id,
        )
    )
    new = ActionNote(
        action_id=action.id,
        text="Draft ready",
        status=ActionStatus.IN_PROGRESS,
        written_by_id=secretary.id,
    )
    db.add(new)
    db.flush()
    for group, verdict in (
        (Group.GOVERNMENT, Verdict.CONFIRMED),
        (Group.WORKERS, Verdict.DISPUTED),
    ):
        db.add(
            ActionConfirmation(
                action_id=action.id,
                note_id=new.id,
                group_name=group,
                verdict=verdict,
                reason="Not seen",
                given_by_id=secretary.id,
            )
        )
    db.flush()
    got = reader(make_client, db).get(f"/api/v1/bodies/{body.id}/decisions").json()["items"][0]
    jsonschema.validate(got, record_json_schema("decision"))
    assert got["adopted"] is True and got["method"] == "consensus"
    assert got["divergent_positions"] == [
        {"group": "workers", "text": "The review comes too late."}
    ]
    assert got["review_on"] == "2027-06-30" and got["casting_vote"] is None
    first, second = got["actions"]
    # a new note asks again: the employers' word on the old note no longer stands
    assert first["confirmations"] == {
        "government": "confirmed",
        "workers": "disputed",
        "employers": None,
    }
    assert (
        first["overdue"] is True
        and first["status"] == "in_progress"
        and first["owner"] == "government"
    )
    assert second["owner_organisation"] == orgs[Group.EMPLOYERS].name and second["overdue"] is False


def test_open_decisions_and_those_on_items_one_may_not_see_are_absent(make_client, db, council):
    body, orgs, holders, seats, secretary, past, snapshot = council
    public = recorded(
        db,
        past,
        item(db, past, "Public"),
        secretary,
        snapshot,
        method=DecisionMethod.CONSENSUS,
        adopted=True,
    )
    group_only = item(
        db, past, "Caucus", confidentiality=Confidentiality.GROUP, restricted_group=Group.WORKERS
    )
    hidden = recorded(
        db, past, group_only, secretary, snapshot, method=DecisionMethod.CONSENSUS, adopted=True
    )
    members = item(db, past, "Members", confidentiality=Confidentiality.MEMBERS)
    members_only = recorded(
        db, past, members, secretary, snapshot, method=DecisionMethod.CONSENSUS, adopted=True
    )
    still_open = Decision(
        meeting_id=past.id,
        agenda_item_id=item(db, past, "Open").id,
        text="?",
        method=DecisionMethod.CONSENSUS,
        opened_by_id=secretary.id,
    )
    db.add(still_open)
    db.flush()

    def ids(owner):
        client = reader(make_client, db, owner)
        return [d["id"] for d in client.get(f"/api/v1/bodies/{body.id}/decisions").json()["items"]]

    assert ids(factories.user(db)) == [public.id]
    assert ids(holders[Group.EMPLOYERS]) == [public.id, members_only.id]
    assert ids(holders[Group.WORKERS]) == [public.id, hidden.id, members_only.id]
    assert ids(secretary) == [public.id, members_only.id]


def test_pages_follow_the_cursor_and_answer_304_to_their_etag(make_client, db, council):
    body, orgs, holders, seats, secretary, past, snapshot = council
    made = [
        recorded(
            db,
            past,
            item(db, past, f"Item {n}", n),
            secretary,
            snapshot,
            method=DecisionMethod.CONSENSUS,
            adopted=True,
        )
        for n in range(1, 6)
    ]
    client = reader(make_client, db)
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/api/v1/bodies/{body.id}/decisions", params=params).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [d.id for d in made]
    for path in (
        "/api/v1/bodies",
        f"/api/v1/bodies/{body.id}/meetings",
        f"/api/v1/bodies/{body.id}/decisions",
    ):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304


def test_an_unknown_body_is_a_json_404_and_no_token_a_401(make_client, db):
    client = reader(make_client, db)
    for path in ("/api/v1/bodies/999999/meetings", "/api/v1/bodies/999999/decisions"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["status"] == 404
        assert make_client().get(path).status_code == 401
    assert make_client().get("/api/v1/bodies").status_code == 401
    assert client.get("/api/v1/bodies?cursor=x").status_code == 422


def test_the_decisions_query_count_does_not_grow_with_the_decisions(make_client, db):
    counts = {}
    for n in (2, 10):
        body, orgs, holders, alternates, seats = factories.seated_body(db)
        secretary = factories.user(db, platform_role=PlatformRole.MODERATOR)
        past = factories.meeting(db, body, starts_at=utcnow() - timedelta(days=3))
        snapshot = {seat: (group, Presence.HOLDER) for group, seat in seats.items()}
        for k in range(n):
            decision = recorded(
                db,
                past,
                item(db, past, f"Item {k}", k + 1),
                secretary,
                snapshot,
                method=DecisionMethod.GROUP_EQUAL_VOTE,
                votes=[(orgs[g], Vote.FOR) for g in Group],
                adopted=True,
            )
            db.add(
                DivergentPosition(
                    decision_id=decision.id,
                    group_name=Group.WORKERS,
                    text="No",
                    written_by_id=secretary.id,
                )
            )
            action = Action(
                decision_id=decision.id,
                what="Do",
                owner=ActionOwner.SECRETARIAT,
                created_by_id=secretary.id,
            )
            db.add(action)
            db.flush()
            note = ActionNote(
                action_id=action.id,
                text="Begun",
                status=ActionStatus.IN_PROGRESS,
                written_by_id=secretary.id,
            )
            db.add(note)
            db.flush()
            db.add(
                ActionConfirmation(
                    action_id=action.id,
                    note_id=note.id,
                    group_name=Group.WORKERS,
                    verdict=Verdict.CONFIRMED,
                    given_by_id=secretary.id,
                )
            )
            db.flush()
        client = reader(make_client, db, holders[Group.WORKERS])
        for path in (f"/api/v1/bodies/{body.id}/decisions", f"/api/v1/bodies/{body.id}/meetings"):
            with counted_queries(db) as statements:
                answer = client.get(path)
            assert answer.status_code == 200
            counts[(n, path.rsplit("/", 1)[1])] = len(statements)
        assert len(client.get(f"/api/v1/bodies/{body.id}/decisions").json()["items"]) == n
    assert counts[(2, "decisions")] == counts[(10, "decisions")], counts
    assert counts[(2, "meetings")] == counts[(10, "meetings")], counts


def test_an_unmarked_seat_answers_absent_as_the_contract_says(make_client, db, council):
    body, orgs, holders, seats, secretary, past, snapshot = council
    upcoming = factories.meeting(db, body, convened_by=secretary, issued=False)
    factories.attend(db, upcoming, seats[Group.GOVERNMENT], Presence.HOLDER, secretary)
    client = reader(make_client, db)
    items = client.get(f"/api/v1/bodies/{body.id}/meetings").json()["items"]
    later = next(m for m in items if m["id"] == upcoming.id)
    assert {(a["group"], a["status"]) for a in later["attendance"]} == {
        ("government", "holder"),
        ("workers", "absent"),
        ("employers", "absent"),
    }
    published = client.get("/api/v1/schema/meeting.json").json()
    assert published == record_json_schema("meeting")
    jsonschema.validate(later, published)
    status = published["$defs"]["AttendanceOut"]["properties"]["status"]
    assert status["enum"] == ["holder", "alternate", "excused", "absent"]
