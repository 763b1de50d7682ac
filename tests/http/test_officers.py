"""A round's tripartite officers (chair, two vice-chairs) named by a moderator and shown on the
round page; the balanced discussion opening with the social partners' statements, and the
moderator turning that off. Both databases."""

import json

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.officers.rules import opening_order
from app.rounds.models import Round, RoundOfficer
from app.rounds.rules import column_order
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus
from tests import factories
from tests.conftest import text_of
from tests.helpers import soup


def officers_round(db, **options):
    round_, orgs, reps = factories.three_groups_round(db, **options)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR, name="Elena Moderator")
    return round_, orgs, reps, moderator


def options(page, name):
    return {o["value"] for o in soup(page).select(f"select[name={name}] option") if o["value"]}


def test_the_form_offers_only_who_may_hold_each_office(make_client, db):
    round_, orgs, reps, moderator = officers_round(db)
    uninvited_employer = factories.member(db, factories.organisation(db, Group.EMPLOYERS))
    browser = factories.signed_in(make_client, db, moderator)
    page = browser.get(f"/rounds/{round_.id}/officers")
    assert page.status_code == 200
    chairs = options(page.text, "chair_user")
    assert {str(reps[Group.GOVERNMENT].id), str(moderator.id)} <= chairs
    assert str(reps[Group.WORKERS].id) not in chairs
    assert str(reps[Group.EMPLOYERS].id) not in chairs
    assert options(page.text, "vice_chair_employers") == {str(reps[Group.EMPLOYERS].id)}
    assert options(page.text, "vice_chair_workers") == {str(reps[Group.WORKERS].id)}
    assert str(uninvited_employer.id) not in options(page.text, "vice_chair_employers")
    government = soup(page.text).select_one("select[name=chair_user] optgroup")
    assert str(reps[Group.GOVERNMENT].id) in {o["value"] for o in government.select("option")}


def test_a_moderator_names_the_officers_and_the_round_page_shows_them(make_client, db):
    round_, orgs, reps, moderator = officers_round(db)
    browser = factories.signed_in(make_client, db, moderator)
    saved = browser.submit(
        f"/rounds/{round_.id}/officers",
        {
            "chair_user": str(reps[Group.GOVERNMENT].id),
            "vice_chair_employers": str(reps[Group.EMPLOYERS].id),
            "vice_chair_workers": str(reps[Group.WORKERS].id),
            "social_partners_first": "1",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith(f"/rounds/{round_.id}#officers")
    reader = factories.signed_in(make_client, db, reps[Group.WORKERS])
    line = text_of(str(soup(reader.get(f"/rounds/{round_.id}").text).select_one("#officers")))
    chair = f"Chair: {reps[Group.GOVERNMENT].name} ({orgs[Group.GOVERNMENT].name})"
    employers = f"Vice-chair (employers): {reps[Group.EMPLOYERS].name}"
    workers = f"Vice-chair (workers): {reps[Group.WORKERS].name}"
    assert chair in line and employers in line and workers in line
    assert line.index("Chair:") < line.index("(employers)") < line.index("(workers)")
    assert "Change the officers" not in line  # only moderators see the link
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "round.officers_set"))
    details = json.loads(event.details)
    assert details["chair"]["user_id"] == reps[Group.GOVERNMENT].id
    assert details["vice_chair_workers"]["organisation_id"] == orgs[Group.WORKERS].id
    assert details["social_partners_first"] is True
    # the form comes back filled in with them
    page = browser.get(f"/rounds/{round_.id}/officers").text
    chosen = soup(page).select_one("select[name=chair_user] option[selected]")
    assert chosen["value"] == str(reps[Group.GOVERNMENT].id)


def test_a_chair_without_an_account_and_officers_removed(make_client, db):
    round_, orgs, reps, moderator = officers_round(db)
    factories.officer(
        db, round_, "vice_chair_workers", reps[Group.WORKERS].name, person=reps[Group.WORKERS]
    )
    browser = factories.signed_in(make_client, db, moderator)
    saved = browser.submit(
        f"/rounds/{round_.id}/officers",
        {"chair_name": "Justice Ana Ferreira", "social_partners_first": "1"},
    )
    assert saved.status_code == 303
    rows = db.scalars(select(RoundOfficer).where(RoundOfficer.round_id == round_.id)).all()
    assert [(r.role, r.name, r.user_id) for r in rows] == [("chair", "Justice Ana Ferreira", None)]
    line = text_of(str(soup(browser.get(f"/rounds/{round_.id}").text).select_one("#officers")))
    assert "Chair: Justice Ana Ferreira" in line
    assert "Vice-chair" not in line
    assert "Change the officers" in line


def test_an_officer_from_the_wrong_group_is_refused_beside_the_field(make_client, db):
    round_, orgs, reps, moderator = officers_round(db)
    browser = factories.signed_in(make_client, db, moderator)
    refused = browser.submit(
        f"/rounds/{round_.id}/officers",
        {
            "chair_user": str(reps[Group.WORKERS].id),
            "vice_chair_employers": str(reps[Group.WORKERS].id),
            "vice_chair_workers": str(reps[Group.WORKERS].id),
        },
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    chair = page.select_one("#f-chair_user")
    assert chair["aria-invalid"] == "true"
    assert "f-chair_user-error" in chair["aria-describedby"]
    assert "speaks for a workers' organisation" in page.select_one("#f-chair_user-error").text
    employers = page.select_one("#f-vice_chair_employers")
    assert employers["aria-invalid"] == "true"
    error = page.select_one("#f-vice_chair_employers-error").text
    assert "invited employers' organisation" in error
    # the valid field is not marked, and the form keeps what was chosen
    assert page.select_one("#f-vice_chair_workers").get("aria-invalid") is None
    kept = page.select_one("#f-vice_chair_workers option[selected]")
    assert kept["value"] == str(reps[Group.WORKERS].id)
    assert not page.select_one("input[name=social_partners_first]").has_attr("checked")
    # nothing was saved
    assert db.scalar(select(RoundOfficer.id).where(RoundOfficer.round_id == round_.id)) is None
    both = browser.submit(
        f"/rounds/{round_.id}/officers",
        {"chair_user": str(reps[Group.GOVERNMENT].id), "chair_name": "Someone"},
    )
    assert both.status_code == 422
    assert "not both" in soup(both.text).select_one("#f-chair_name-error").text
    unknown = browser.submit(f"/rounds/{round_.id}/officers", {"vice_chair_workers": "99999999"})
    assert unknown.status_code == 422


def test_a_focal_point_of_an_invited_union_can_be_vice_chair(make_client, db):
    round_, orgs, reps, moderator = officers_round(db)
    focal = factories.member(db, orgs[Group.WORKERS], MandateRole.FOCAL_POINT, name="Fay Focal")
    browser = factories.signed_in(make_client, db, moderator)
    saved = browser.submit(f"/rounds/{round_.id}/officers", {"vice_chair_workers": str(focal.id)})
    assert saved.status_code == 303


def test_a_published_rounds_officers_are_final(make_client, db):
    round_, orgs, reps, moderator = officers_round(db, status=RoundStatus.PUBLISHED)
    browser = factories.signed_in(make_client, db, moderator)
    page = browser.get(f"/rounds/{round_.id}/officers")
    assert page.status_code == 200
    assert soup(page.text).select_one("form[action$='/officers']") is None
    refused = browser.submit(f"/rounds/{round_.id}/officers", {"chair_name": "Late"})
    assert refused.status_code == 409
    assert "final record" in text_of(refused.text)


def test_others_cannot_name_officers(make_client, db):
    round_, orgs, reps, moderator = officers_round(db)
    for person in (reps[Group.GOVERNMENT], factories.user(db, platform_role=PlatformRole.OBSERVER)):
        browser = factories.signed_in(make_client, db, person)
        assert browser.get(f"/rounds/{round_.id}/officers").status_code == 403
        refused = browser.submit(f"/rounds/{round_.id}/officers", {"chair_name": "Me"})
        assert refused.status_code == 403
    assert db.scalar(select(RoundOfficer.id).where(RoundOfficer.round_id == round_.id)) is None


# -- the social partners open the balanced discussion ----------------------------------------


def thread_groups(html):
    return [
        Group(a.select_one(".comment-head .badge")["class"][1].removeprefix("group-"))
        for a in soup(html).select("#threads > article.comment")
    ]


def test_the_social_partners_opening_statements_come_first_until_the_moderator_says_not(
    make_client, db
):
    round_, orgs, reps, moderator = officers_round(db)
    # the government speaks first and most
    for n, group in enumerate([Group.GOVERNMENT] * 3 + [Group.WORKERS, Group.EMPLOYERS] * 2):
        factories.comment(db, round_, reps[group], orgs[group], f"{group.value} {n}")
    reader = factories.signed_in(make_client, db, reps[Group.WORKERS])
    order = column_order(round_.id)
    balanced = thread_groups(reader.get(f"/rounds/{round_.id}?order=balanced").text)
    assert balanced[:3] == list(opening_order(order))
    assert balanced[2] is Group.GOVERNMENT
    assert len(balanced) == 7
    # the chronological order is untouched
    assert thread_groups(reader.get(f"/rounds/{round_.id}").text)[:3] == [Group.GOVERNMENT] * 3
    # the moderator turns it off on the officers page (an unchecked box sends nothing)
    browser = factories.signed_in(make_client, db, moderator)
    assert browser.submit(f"/rounds/{round_.id}/officers", {}).status_code == 303
    assert db.scalar(select(Round.social_partners_first).where(Round.id == round_.id)) is False
    balanced = thread_groups(reader.get(f"/rounds/{round_.id}?order=balanced").text)
    assert balanced[:3] == list(order)
    page = browser.get(f"/rounds/{round_.id}/officers").text
    assert not soup(page).select_one("input[name=social_partners_first]").has_attr("checked")
