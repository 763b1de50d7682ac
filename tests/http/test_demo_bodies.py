"""The demo's tripartite council, read back through the API as an agency would: a task team,
holders and alternates mandated by their organisations, a past plenary with published minutes,
two decisions (consensus with a divergent position; a group-equal vote whose result a recount
confirms), actions in every state, and an upcoming plenary with a draft agenda."""

from fractions import Fraction

from sqlalchemy import select

from app import demo
from app.api import tokens
from app.bodies.models import Seat
from app.meetings.models import AgendaItem, Minutes, MinutesItem
from app.organisations.models import Mandate, Organisation
from app.vocabulary import MinutesStatus


def test_the_demo_council_reads_as_the_issue_describes(make_client, db):
    demo.load(db, "demo-password-for-tests")
    _token, plain = tokens.create(db, "Statistics unit", None)
    db.commit()
    api = make_client()
    api.headers["Authorization"] = f"Bearer {plain}"

    described = demo.describe(db, "demo-password-for-tests", "http://x")["bodies"]
    council, team = api.get("/api/v1/bodies").json()["items"]
    assert [b["id"] for b in described] == [council["id"], team["id"]]
    assert council["name"] == "National Labour Advisory Council"
    assert council["seats"] == {"government": 2, "workers": 3, "employers": 3}
    assert team["parent_id"] == council["id"] and team["kind"] == "task_team"
    assert team["parity_balanced"] and council["parity_balanced"]

    # every holder and alternate is mandated by the organisation whose seat they sit in
    mandated = {(m.user_id, m.organisation_id) for m in db.scalars(select(Mandate))}
    seats = db.scalars(select(Seat)).all()
    for seat in seats:
        assert (seat.holder_id, seat.organisation_id) in mandated
        if seat.alternate_id:
            assert (seat.alternate_id, seat.organisation_id) in mandated
    assert sum(1 for s in seats if s.alternate_id) >= 8

    past, upcoming = api.get(f"/api/v1/bodies/{council['id']}/meetings").json()["items"]
    assert past["quorate"] and all(a["status"] for a in past["attendance"])
    assert {a["status"] for a in past["attendance"]} == {"holder", "alternate", "excused", "absent"}
    assert upcoming["agenda_issued_at"] is None and len(upcoming["agenda"]) == 2
    proposed = db.scalar(
        select(Organisation.group_name)
        .join(AgendaItem, AgendaItem.proposed_by_organisation_id == Organisation.id)
        .where(AgendaItem.meeting_id == upcoming["id"])
    )
    assert proposed == "employers"
    minutes = db.scalar(select(Minutes).where(Minutes.meeting_id == past["id"]))
    assert minutes.status is MinutesStatus.PUBLISHED and minutes.approved_at
    texts = db.scalars(select(MinutesItem.text).where(MinutesItem.minutes_id == minutes.id)).all()
    assert len(texts) == len(past["agenda"]) and all(texts)

    consensus, vote = api.get(f"/api/v1/bodies/{council['id']}/decisions").json()["items"]
    assert consensus["method"] == "consensus" and consensus["adopted"]
    assert [p["group"] for p in consensus["divergent_positions"]] == ["workers"]
    assert vote["method"] == "group_equal_vote" and vote["votes"]
    weights = vote["weights"]
    groups_for = [
        g
        for g in weights
        if (
            cast := [v["vote"] for v in vote["votes"] if v["group"] == g and v["vote"] != "abstain"]
        )
        and 2 * cast.count("for") > len(cast)
    ]
    recount = sum(weights[g] for g in groups_for) >= Fraction(vote["threshold_fraction"]) * sum(
        weights.values()
    )
    assert vote["adopted"] is recount is True
    assert consensus["quorate"] and vote["quorate"]

    actions = consensus["actions"] + vote["actions"]
    assert {a["status"] for a in actions} == {"planned", "in_progress", "done", "dropped"}
    assert sum(a["overdue"] for a in actions) == 1
    assert any(set(a["confirmations"].values()) == {"confirmed"} for a in actions)
    assert any(a["confirmations"]["workers"] == "disputed" for a in actions)
