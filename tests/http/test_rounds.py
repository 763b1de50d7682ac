"""Consultations and rounds: the moderator's forms, opening and scheduling, the three rotating
columns, who may see a draft, and a round page whose query count does not grow."""

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from app.db import utcnow
from app.rounds.models import Consultation, Round, RoundInvitation
from app.rounds.rules import column_order
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import counted_queries, local, soup


def status_shown(html):
    return soup(html).select_one("h1 .status").text.strip()


def column_groups(html):
    return [
        Group(h2["id"].removeprefix("column-"))
        for h2 in soup(html).select("#columns > section.column > h2")
    ]


def create_consultation(moderator, title="National labour migration policy 2027"):
    response = moderator.submit("/consultations", {"title": title, "brief": "Our **topic**."})
    assert response.status_code == 303, response.text
    path = urlsplit(response.headers["location"]).path
    assert path.startswith("/consultations/")
    return int(path.rsplit("/", 1)[1])


def create_round(moderator, consultation_id, organisations, **overrides):
    form = {
        "title": "First reading",
        "brief": "Should the **quota** rise?",
        "closes_at": local(utcnow() + timedelta(days=14)),
        "weighting": "1:1:1",
        "organisations": [str(o.id) for o in organisations],
    }
    form.update(overrides)
    return moderator.submit(f"/consultations/{consultation_id}/rounds", form)


def created_round_id(response):
    assert response.status_code == 303, response.text
    path = urlsplit(response.headers["location"]).path
    assert path.startswith("/rounds/")
    return int(path.rsplit("/", 1)[1])


def one_per_group(db):
    orgs = {g: factories.organisation(db, g, name=f"The {g.label} body") for g in Group}
    reps = {g: factories.member(db, orgs[g]) for g in Group}
    return orgs, reps


# --- the moderator's forms ---------------------------------------------------------------------


def test_a_moderator_creates_a_consultation_and_a_draft_round(make_client, db):
    orgs, reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    assert moderator.get("/consultations/new").status_code == 200
    consultation_id = create_consultation(moderator)
    shown = moderator.get(f"/consultations/{consultation_id}")
    assert shown.status_code == 200
    assert "National labour migration policy 2027" in text_of(shown.text)
    assert soup(shown.text).select_one(".prose strong").text == "topic"
    form = moderator.get(f"/consultations/{consultation_id}/rounds/new")
    assert form.status_code == 200
    offered = {int(box["value"]) for box in soup(form.text).select("input[name=organisations]")}
    assert {o.id for o in orgs.values()} <= offered
    round_id = created_round_id(
        create_round(moderator, consultation_id, orgs.values(), weighting="2:1:1", sealed="1")
    )
    page = moderator.get(f"/rounds/{round_id}")
    assert page.status_code == 200
    assert status_shown(page.text) == "draft"
    words = text_of(page.text)
    assert "First reading" in words and "Group weighting 2:1:1" in words
    assert "Sealed positions" in words
    assert soup(page.text).select_one(".brief .prose strong").text == "quota"
    assert "Open this round" in words
    round_ = db.get(Round, round_id)
    assert round_.consultation_id == consultation_id
    assert round_.weighting == "2:1:1" and round_.sealed and round_.status == "draft"
    invited = set(
        db.scalars(
            select(RoundInvitation.organisation_id).where(RoundInvitation.round_id == round_id)
        )
    )
    assert invited == {o.id for o in orgs.values()}
    # the consultation lists its round
    listing = moderator.get(f"/consultations/{consultation_id}").text
    assert soup(listing).find("a", href=f"/rounds/{round_id}") is not None


def test_the_round_form_refuses_bad_input_with_what_was_typed_kept(make_client, db):
    orgs, _reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    consultation_id = create_consultation(moderator)
    for overrides, message in (
        ({"closes_at": "next Tuesday"}, "Give a date and time, like 2027-03-31T17:00."),
        ({"closes_at": local(utcnow() - timedelta(days=1))}, "The deadline must be in the future."),
        ({"closes_at": ""}, "A round needs a deadline."),
        ({"title": "  "}, "Title is required."),
        ({"weighting": "3:1:1"}, "Choose 1:1:1 or 2:1:1."),
    ):
        response = create_round(moderator, consultation_id, orgs.values(), **overrides)
        assert response.status_code == 422, overrides
        assert message in text_of(response.text)
        page = soup(response.text)
        assert page.select_one("textarea#f-brief").text == "Should the **quota** rise?"
        checked = {int(b["value"]) for b in page.select("input[name=organisations][checked]")}
        assert checked == {o.id for o in orgs.values()}
    assert db.scalar(select(Round.id).where(Round.consultation_id == consultation_id)) is None
    empty = moderator.submit("/consultations", {"title": "", "brief": "kept brief"})
    assert empty.status_code == 422
    assert "Title is required." in text_of(empty.text)
    assert "kept brief" in empty.text


def test_a_round_opens_only_when_all_three_groups_are_invited(make_client, db):
    orgs, reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    consultation_id = create_consultation(moderator)
    without_government = [orgs[Group.WORKERS], orgs[Group.EMPLOYERS]]
    round_id = created_round_id(create_round(moderator, consultation_id, without_government))
    refused = moderator.submit(f"/rounds/{round_id}/open")
    assert refused.status_code == 422
    assert "Invite at least one organisation of the government group first" in text_of(refused.text)
    assert db.get(Round, round_id).status == "draft"
    only_workers = created_round_id(
        create_round(moderator, consultation_id, [orgs[Group.WORKERS]], title="Second")
    )
    refused = moderator.submit(f"/rounds/{only_workers}/open")
    assert refused.status_code == 422
    message = text_of(refused.text)
    assert "government" in message and "employers" in message
    # with all three invited it opens at once
    complete = created_round_id(
        create_round(moderator, consultation_id, orgs.values(), title="Third")
    )
    opened = moderator.submit(f"/rounds/{complete}/open")
    assert opened.status_code == 303
    assert urlsplit(opened.headers["location"]).path == f"/rounds/{complete}"
    page = moderator.get(f"/rounds/{complete}").text
    assert status_shown(page) == "open"
    assert "left" in text_of(str(soup(page).select_one(".deadline")))
    # the representatives can now read it and post in it
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert workers.get(f"/rounds/{complete}").status_code == 200
    posted = workers.submit(
        f"/rounds/{complete}/positions", {"stance": "support", "base_version": "0"}
    )
    assert posted.status_code == 303
    # opening twice is refused (409: it is open already, perhaps opened in another tab)
    assert moderator.submit(f"/rounds/{complete}/open").status_code == 409


def test_a_scheduled_round_opens_by_itself_on_time(make_client, db):
    orgs, reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    consultation_id = create_consultation(moderator)
    round_id = created_round_id(create_round(moderator, consultation_id, orgs.values()))
    opens = utcnow() + timedelta(days=2)
    scheduled = moderator.submit(f"/rounds/{round_id}/open", {"opens_at": local(opens)})
    assert scheduled.status_code == 303
    page = moderator.get(f"/rounds/{round_id}").text
    assert status_shown(page) == "scheduled"
    assert "Opens" in text_of(str(soup(page).select_one(".deadline")))
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert status_shown(workers.get(f"/rounds/{round_id}").text) == "scheduled"
    early = workers.submit(f"/rounds/{round_id}/positions", {"stance": "support"})
    assert early.status_code == 409
    # time passes (no background job runs): the round is open
    db.execute(
        update(Round).where(Round.id == round_id).values(opens_at=utcnow() - timedelta(minutes=1))
    )
    db.commit()
    assert status_shown(workers.get(f"/rounds/{round_id}").text) == "open"
    on_time = workers.submit(
        f"/rounds/{round_id}/positions", {"stance": "support", "base_version": "0"}
    )
    assert on_time.status_code == 303
    # a schedule after the deadline is refused
    other = created_round_id(create_round(moderator, consultation_id, orgs.values(), title="B"))
    too_late = moderator.submit(
        f"/rounds/{other}/open", {"opens_at": local(utcnow() + timedelta(days=30))}
    )
    assert too_late.status_code == 422
    assert "The round must open before its deadline." in text_of(too_late.text)


def test_representatives_do_not_run_consultations(make_client, db):
    orgs, reps = one_per_group(db)
    consultation = Consultation(title="Existing", brief="")
    db.add(consultation)
    db.flush()
    draft = factories.consultation_round(db, orgs.values(), status=RoundStatus.DRAFT)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert workers.get("/consultations/new").status_code == 403
    assert workers.submit("/consultations", {"title": "Mine"}).status_code == 403
    assert workers.get(f"/consultations/{consultation.id}/rounds/new").status_code == 403
    response = create_round(workers, consultation.id, orgs.values())
    assert response.status_code == 403
    assert "Only moderators run consultations and rounds." in text_of(response.text)
    # a draft round does not exist for them: "not found", not "not allowed"
    assert workers.submit(f"/rounds/{draft.id}/open").status_code == 404
    assert db.scalar(select(Round.id).where(Round.consultation_id == consultation.id)) is None
    assert db.get(Round, draft.id).status == "draft"
    assert db.scalar(select(Consultation.id).where(Consultation.title == "Mine")) is None


def test_a_draft_round_is_not_found_for_representatives_and_observers(make_client, db):
    orgs, reps = one_per_group(db)
    draft = factories.consultation_round(db, orgs.values(), status=RoundStatus.DRAFT)
    for person in (reps[Group.WORKERS], factories.user(db, platform_role=PlatformRole.OBSERVER)):
        browser = signed_in(make_client, db, person)
        response = browser.get(f"/rounds/{draft.id}")
        assert response.status_code == 404
        assert draft.title not in response.text
        fragment = browser.get(
            f"/rounds/{draft.id}/comments?page=1", headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 404
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    assert moderator.get(f"/rounds/{draft.id}").status_code == 200


# --- the three columns -------------------------------------------------------------------------


def test_the_columns_rotate_from_round_to_round(make_client, db):
    orgs, reps = one_per_group(db)
    rounds = [factories.consultation_round(db, orgs.values()) for _ in range(3)]
    assert sorted(r.id % 3 for r in rounds) == [0, 1, 2]
    reader = signed_in(make_client, db, reps[Group.EMPLOYERS])
    firsts = set()
    for round_ in rounds:
        html = reader.get(f"/rounds/{round_.id}").text
        order = column_groups(html)
        assert sorted(order) == sorted(Group)  # three columns, one per group
        assert tuple(order) == column_order(round_.id)
        # the participation bar and the group filter follow the same order
        bar = [Group(b["data-group"]) for b in soup(html).select("#participation [data-group]")]
        assert bar == order
        options = [o["value"] for o in soup(html).select("#filter-group option") if o["value"]]
        assert options == [g.value for g in order]
        firsts.add(order[0])
    assert firsts == set(Group)


def test_each_column_holds_its_groups_organisations(make_client, db):
    orgs, reps = one_per_group(db)
    second_union = factories.organisation(db, Group.WORKERS, name="Another union")
    round_ = factories.consultation_round(db, [*orgs.values(), second_union])
    reader = signed_in(make_client, db, reps[Group.GOVERNMENT])
    html = soup(reader.get(f"/rounds/{round_.id}").text)
    workers_column = html.select_one("#columns > section.column[aria-labelledby=column-workers]")
    names = [h3.text for h3 in workers_column.select("article.position h3")]
    assert sorted(names) == sorted([orgs[Group.WORKERS].name, "Another union"])
    assert "0/2" in workers_column.select_one("h2 .count").text


def test_every_form_carries_the_viewers_own_security_token(make_client, db):
    """However the page is assembled, a form never carries another person's CSRF token (it
    would be refused when posted without JavaScript)."""
    orgs, reps = one_per_group(db)
    round_ = factories.consultation_round(db, orgs.values())
    position = factories.position(db, round_, orgs[Group.GOVERNMENT], reps[Group.GOVERNMENT])
    first = factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "Hi.")
    browsers = [signed_in(make_client, db, reps[g]) for g in (Group.WORKERS, Group.EMPLOYERS)]
    for browser in browsers:
        token = browser.csrf()
        for url in (
            f"/rounds/{round_.id}",
            f"/rounds/{round_.id}/comments/{first.id}/reply",
            f"/rounds/{round_.id}/positions/{position.id}/comment",
        ):
            page = soup(browser.get(url).text)
            fields = page.select("input[name=csrftoken]")
            assert fields, url
            assert {field["value"] for field in fields} == {token}, url
            assert token in page.select_one("body")["hx-headers"]
        # and a form taken from the page goes through as a browser would send it
        page = soup(browser.get(f"/rounds/{round_.id}").text)
        form = page.select_one("form#comment-form")
        data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
        data["body"] = "Sent from the page's own form."
        assert browser.post(form["action"], data=data).status_code == 303


# --- a constant number of queries --------------------------------------------------------------


def busy_round(db, viewer_org, viewer, per_group, threads, replies_per_thread):
    """A round inviting ``per_group`` organisations of each group (the viewer's among them),
    nearly all with positions, and ``threads`` threads with replies."""
    organisations = [viewer_org]
    for group in Group:
        for _ in range(per_group - (1 if group is viewer_org.group else 0)):
            organisations.append(factories.organisation(db, group))
    round_ = factories.consultation_round(db, organisations)
    stances = list(Stance)
    for n, org in enumerate(organisations[:-1]):
        factories.position(db, round_, org, viewer, stances[n % 5], f"Statement **{n}**")
    for n in range(threads):
        org = organisations[n % len(organisations)]
        top = factories.comment(db, round_, viewer, org, f"Thread {n}")
        parent = top
        for m in range(replies_per_thread):
            parent = factories.comment(db, round_, viewer, org, f"Reply {n}.{m}", parent=parent)
    return round_


def test_the_round_page_query_count_does_not_grow_with_the_round(make_client, db):
    viewer_org = factories.organisation(db, Group.WORKERS, name="Viewer's union")
    viewer = factories.member(db, viewer_org)
    small = busy_round(db, viewer_org, viewer, per_group=2, threads=3, replies_per_thread=0)
    big = busy_round(db, viewer_org, viewer, per_group=10, threads=40, replies_per_thread=2)
    reader = signed_in(make_client, db, viewer)
    counts = {}
    for name, round_ in (("small", small), ("big", big)):
        for attempt in ("first", "again"):
            for order in ("chronological", "balanced"):
                with counted_queries(db) as statements:
                    response = reader.get(f"/rounds/{round_.id}?order={order}")
                assert response.status_code == 200
                counts[name, attempt, order] = len(statements)
    big_page = response.text
    assert len(soup(big_page).select("#threads > article.comment")) == 30
    assert len(soup(big_page).select("article.position")) == 30
    assert "Load more comments" in big_page
    assert all(n > 0 for n in counts.values()), counts
    for attempt in ("first", "again"):
        for order in ("chronological", "balanced"):
            assert counts["small", attempt, order] == counts["big", attempt, order], counts


def test_a_moderator_changes_a_draft_rounds_invitations_then_opens_it(make_client, db):
    orgs, reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    consultation_id = create_consultation(moderator)
    round_id = created_round_id(create_round(moderator, consultation_id, [orgs[Group.WORKERS]]))
    assert moderator.submit(f"/rounds/{round_id}/open").status_code == 422
    # a representative cannot change who is invited (the draft round is not found for them)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    everyone = {"organisations": [str(o.id) for o in orgs.values()]}
    assert workers.submit(f"/rounds/{round_id}/invitations", everyone).status_code == 404
    # an unknown organisation is refused with the page kept
    unknown = moderator.submit(f"/rounds/{round_id}/invitations", {"organisations": ["999999"]})
    assert unknown.status_code == 422
    assert "does not exist" in text_of(unknown.text)
    saved = moderator.submit(f"/rounds/{round_id}/invitations", everyone)
    assert saved.status_code == 303
    invited = set(
        db.scalars(
            select(RoundInvitation.organisation_id).where(RoundInvitation.round_id == round_id)
        )
    )
    assert invited == {o.id for o in orgs.values()}
    assert moderator.submit(f"/rounds/{round_id}/open").status_code == 303
    # once open, the list is fixed
    fewer = {"organisations": [str(orgs[Group.WORKERS].id)]}
    refused = moderator.submit(f"/rounds/{round_id}/invitations", fewer)
    assert refused.status_code == 409
    assert "only while the round is a draft" in text_of(refused.text)


def test_the_discussion_form_as_browsers_send_it(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    for query in (
        "order=balanced&group=&organisation=",
        "order=chronological&group=workers&organisation=",
        f"order=balanced&group=&organisation={orgs[Group.EMPLOYERS].id}",
    ):
        assert reader.get(f"/rounds/{round_.id}?{query}").status_code == 200, query


def test_ids_too_large_for_the_database_are_not_found(make_client, db):
    reader = signed_in(make_client, db, factories.user(db))
    assert reader.get("/rounds/99999999999999999999").status_code == 404
    assert reader.get("/rounds/9223372036854775807").status_code == 404


def test_scheduling_in_the_past_is_refused(make_client, db):
    orgs, _reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    round_id = created_round_id(
        create_round(moderator, create_consultation(moderator), orgs.values())
    )
    refused = moderator.submit(f"/rounds/{round_id}/open", {"opens_at": "2020-01-01T10:00"})
    assert refused.status_code == 422
    assert "must be in the future" in text_of(refused.text)
    assert db.get(Round, round_id).status == "draft"


def test_a_consultation_with_only_drafts_is_not_shown_to_constituents(make_client, db):
    orgs, reps = one_per_group(db)
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    consultation_id = create_consultation(moderator, title="Confidential: planned wage freeze")
    create_round(moderator, consultation_id, orgs.values())
    reader = signed_in(make_client, db, reps[Group.WORKERS])
    assert reader.get(f"/consultations/{consultation_id}").status_code == 404
    assert moderator.get(f"/consultations/{consultation_id}").status_code == 200
