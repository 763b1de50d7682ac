"""A meeting's minutes, on both databases: the secretariat drafts them per agenda item, sends
them for comments (every member is told), member organisations comment until a day, the
approval is recorded (at a later meeting, or by written procedure), they are published — final —
and corrected by a new version. Who may read and do what, and every refusal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db import utcnow
from app.meetings.models import AgendaItem, Meeting, Minutes, MinutesComment, MinutesItem
from app.notifications.models import Notification
from app.vocabulary import Confidentiality, Group, MinutesStatus, PlatformRole
from tests import factories
from tests.conftest import text_of
from tests.helpers import counted_queries


@dataclass
class Council:
    body: object
    orgs: dict
    holders: dict
    alternates: dict
    meeting: Meeting
    later: Meeting
    items: list[AgendaItem]
    secretary: object
    outsider: object


def build(db) -> Council:
    body, orgs, holders, alternates, _seats = factories.seated_body(db)
    secretary = factories.user(db, name="Sara Secretary", platform_role=PlatformRole.MODERATOR)
    meeting = factories.meeting(db, body, title="March plenary", convened_by=secretary)
    meeting.starts_at = utcnow() - timedelta(days=3)
    later = factories.meeting(db, body, title="June plenary", convened_by=secretary)
    items = []
    for number, title in enumerate(("Wages", "Working time"), start=1):
        item = AgendaItem(meeting_id=meeting.id, number=number, title=title)
        db.add(item)
        items.append(item)
    db.flush()
    outsider_org = factories.organisation(db, Group.WORKERS)
    outsider = factories.member(db, outsider_org, name="Olga Outside")
    return Council(body, orgs, holders, alternates, meeting, later, items, secretary, outsider)


def draft_form(council: Council, preamble="The chair opened the meeting.", **extra):
    form = {
        "preamble": preamble,
        "item_id": [str(i.id) for i in council.items],
        "item_text": ["Wages were discussed.", "Working time was postponed."],
        "confidentiality": "members",
    }
    form.update(extra)
    return form


def drafted(make_client, db, council: Council, **extra) -> tuple[object, int]:
    secretariat = factories.signed_in(make_client, db, council.secretary)
    response = secretariat.submit(
        f"/meetings/{council.meeting.id}/minutes", draft_form(council, **extra)
    )
    assert response.status_code == 303, response.text
    minutes_id = int(response.headers["location"].rsplit("/", 1)[1])
    return secretariat, minutes_id


def in_state(db, council: Council, status: MinutesStatus, **columns) -> Minutes:
    """Minutes written directly in a state (version 1 unless told)."""
    now = utcnow()
    row = Minutes(
        meeting_id=council.meeting.id,
        status=status,
        preamble="Opened.",
        drafted_by_id=council.secretary.id,
        comments_until=now + timedelta(days=5),
        approved_at=now if status in (MinutesStatus.APPROVED, MinutesStatus.PUBLISHED) else None,
        published_at=now if status is MinutesStatus.PUBLISHED else None,
        **columns,
    )
    db.add(row)
    db.flush()
    db.add(MinutesItem(minutes_id=row.id, agenda_item_id=council.items[0].id, text="Agreed."))
    db.flush()
    return row


def actions(db, minutes_id):
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "minutes").order_by(AuditEvent.id)
    ).all()
    return [(r.action, json.loads(r.details)) for r in rows]


# -- the whole life of minutes --------------------------------------------------------------


def test_minutes_are_drafted_sent_commented_approved_published_and_corrected(make_client, db):
    council = build(db)
    secretariat, minutes_id = drafted(make_client, db, council)
    page = secretariat.get(f"/minutes/{minutes_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "The draft minutes are saved" in text
    assert "Item 1: Wages" in text and "Wages were discussed." in text
    assert "Drafted by Sara Secretary" in text

    # edited while a draft
    edited = draft_form(council, preamble="The chair, Ms Rossi, opened the meeting.")
    assert secretariat.submit(f"/meetings/{council.meeting.id}/minutes", edited).status_code == 303
    assert db.scalar(select(Minutes.preamble).where(Minutes.id == minutes_id)).startswith(
        "The chair, Ms Rossi"
    )
    assert db.scalar(select(Minutes.id).where(Minutes.meeting_id == council.meeting.id)) == (
        minutes_id
    )

    # sent for comments: every member is told
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    response = secretariat.submit(f"/minutes/{minutes_id}/send", {"comments_until": until})
    assert response.status_code == 303
    told = set(
        db.scalars(
            select(Notification.user_id).where(Notification.kind == f"minutes.sent.{minutes_id}")
        )
    )
    people = {p.id for p in (*council.holders.values(), *council.alternates.values())}
    assert told == people
    assert council.outsider.id not in told

    # a member comments for their organisation, on one item
    workers = factories.signed_in(make_client, db, council.holders[Group.WORKERS])
    response = workers.submit(
        f"/minutes/{minutes_id}/comments",
        {"text": "Say that we objected.", "agenda_item_id": str(council.items[0].id)},
    )
    assert response.status_code == 303, response.text
    row = db.scalars(select(MinutesComment)).one()
    assert row.organisation_id == council.orgs[Group.WORKERS].id
    assert row.agenda_item_id == council.items[0].id
    employers_page = text_of(
        factories.signed_in(make_client, db, council.holders[Group.EMPLOYERS])
        .get(f"/minutes/{minutes_id}")
        .text
    )
    assert "Say that we objected." in employers_page and "on Item 1: Wages" in employers_page

    # the secretariat still edits while the minutes are out for comments
    fixed = draft_form(council, preamble="Opened; the workers objected.")
    assert secretariat.submit(f"/meetings/{council.meeting.id}/minutes", fixed).status_code == 303

    # approved at the later meeting
    response = secretariat.submit(
        f"/minutes/{minutes_id}/approve", {"approval": str(council.later.id)}
    )
    assert response.status_code == 303
    page = text_of(secretariat.get(f"/minutes/{minutes_id}").text)
    assert "at the meeting “June plenary” of" in page and "Approved on" in page

    # published: final
    assert secretariat.submit(f"/minutes/{minutes_id}/publish").status_code == 303
    refused = secretariat.submit(f"/meetings/{council.meeting.id}/minutes", draft_form(council))
    assert refused.status_code == 409
    assert "Published minutes are final: write a correction" in text_of(refused.text)

    # corrected: a new version, its texts copied; the older says so
    response = secretariat.submit(f"/minutes/{minutes_id}/correct")
    assert response.status_code == 303
    fresh_id = int(response.headers["location"].rsplit("/", 1)[1])
    fresh = db.get(Minutes, fresh_id)
    assert (fresh.version, fresh.corrects_id, fresh.status) == (2, minutes_id, MinutesStatus.DRAFT)
    assert fresh.preamble == "Opened; the workers objected."
    texts = set(db.scalars(select(MinutesItem.text).where(MinutesItem.minutes_id == fresh_id)))
    assert texts == {"Wages were discussed.", "Working time was postponed."}
    old = text_of(secretariat.get(f"/minutes/{minutes_id}").text)
    assert "Corrected by version 2." in old
    assert "This version corrects version 1." in text_of(
        secretariat.get(f"/minutes/{fresh_id}").text
    )
    # the correction is edited like a draft
    again = secretariat.submit(
        f"/meetings/{council.meeting.id}/minutes", draft_form(council, preamble="Corrected.")
    )
    assert again.status_code == 303
    assert db.get(Minutes, fresh_id).preamble == "Corrected."
    assert db.get(Minutes, minutes_id).preamble == "Opened; the workers objected."

    assert [a for a, _d in actions(db, minutes_id)] == [
        "minutes.drafted",
        "minutes.drafted",
        "minutes.sent",
        "minutes.commented",
        "minutes.drafted",
        "minutes.approved",
        "minutes.published",
        "minutes.corrected",
        "minutes.drafted",
    ]


def test_approval_by_written_procedure_is_said(make_client, db):
    council = build(db)
    minutes = in_state(db, council, MinutesStatus.COMMENTS)
    secretariat = factories.signed_in(make_client, db, council.secretary)
    response = secretariat.submit(f"/minutes/{minutes.id}/approve", {"approval": "written"})
    assert response.status_code == 303
    assert "by written procedure" in text_of(secretariat.get(f"/minutes/{minutes.id}").text)
    assert db.get(Minutes, minutes.id).approved_at_meeting_id is None


# -- refusals ---------------------------------------------------------------------------------


def test_approved_and_published_minutes_are_not_edited(make_client, db):
    for status, says in (
        (MinutesStatus.APPROVED, "Approved minutes are final"),
        (MinutesStatus.PUBLISHED, "Published minutes are final: write a correction"),
    ):
        council = build(db)
        minutes = in_state(db, council, status)
        secretariat = factories.signed_in(make_client, db, council.secretary)
        response = secretariat.submit(
            f"/meetings/{council.meeting.id}/minutes", draft_form(council, preamble="Changed.")
        )
        assert response.status_code == 409
        assert says in text_of(response.text)
        assert db.get(Minutes, minutes.id).preamble == "Opened."


def test_a_draft_refused_comes_back_filled_in_with_the_error_beside_its_field(make_client, db):
    council = build(db)
    secretariat = factories.signed_in(make_client, db, council.secretary)
    response = secretariat.submit(
        f"/meetings/{council.meeting.id}/minutes",
        draft_form(council, preamble="Kept.", confidentiality="group", restricted_group=""),
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Choose the group the minutes are for." in text
    assert "Kept." in response.text and "Wages were discussed." in response.text
    assert db.scalar(select(Minutes.id)) is None
    bad_date = secretariat.submit(
        f"/meetings/{council.meeting.id}/minutes", draft_form(council, release_at="June")
    )
    assert bad_date.status_code == 422
    assert "Give a date" in text_of(bad_date.text)


def test_an_item_of_another_meeting_is_refused(make_client, db):
    council = build(db)
    other = AgendaItem(meeting_id=council.later.id, number=1, title="Elsewhere")
    db.add(other)
    db.flush()
    secretariat = factories.signed_in(make_client, db, council.secretary)
    form = draft_form(council)
    form["item_id"] = [str(other.id), str(council.items[1].id)]
    assert secretariat.submit(f"/meetings/{council.meeting.id}/minutes", form).status_code == 422
    assert db.scalar(select(MinutesItem.id)) is None


def test_only_the_secretariat_writes_sends_approves_publishes_and_corrects(make_client, db):
    council = build(db)
    draft = in_state(db, council, MinutesStatus.DRAFT)
    member = factories.signed_in(make_client, db, council.holders[Group.GOVERNMENT])
    assert member.get(f"/minutes/{draft.id}").status_code == 200
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    for path, data in (
        (f"/meetings/{council.meeting.id}/minutes", draft_form(council)),
        (f"/minutes/{draft.id}/send", {"comments_until": until}),
        (f"/minutes/{draft.id}/approve", {"approval": "written"}),
        (f"/minutes/{draft.id}/publish", {}),
        (f"/minutes/{draft.id}/correct", {}),
    ):
        assert member.submit(path, data).status_code == 403, path
    assert db.get(Minutes, draft.id).status is MinutesStatus.DRAFT


def test_an_outsider_is_told_there_are_no_such_minutes_on_every_route(make_client, db):
    council = build(db)
    draft = in_state(db, council, MinutesStatus.DRAFT)
    members_only = in_state(db, council, MinutesStatus.PUBLISHED, version=2)
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    observer = factories.user(db, platform_role=PlatformRole.OBSERVER)
    for person in (council.outsider, observer):
        browser = factories.signed_in(make_client, db, person)
        for minutes in (draft, members_only):
            for method, path, data in (
                ("GET", f"/minutes/{minutes.id}", None),
                ("POST", f"/minutes/{minutes.id}/send", {"comments_until": until}),
                ("POST", f"/minutes/{minutes.id}/comments", {"text": "Hello."}),
                ("POST", f"/minutes/{minutes.id}/approve", {"approval": "written"}),
                ("POST", f"/minutes/{minutes.id}/publish", {}),
                ("POST", f"/minutes/{minutes.id}/correct", {}),
            ):
                got = browser.get(path) if method == "GET" else browser.submit(path, data)
                assert got.status_code == 404, (path, got.status_code)
                assert "Opened." not in got.text
    anonymous = make_client()
    assert anonymous.get(f"/minutes/{members_only.id}").status_code == 404
    assert anonymous.get(f"/minutes/{draft.id}").status_code == 404


def test_published_public_minutes_are_read_by_anyone_and_draft_minutes_by_members(make_client, db):
    council = build(db)
    council.items[0].confidentiality = Confidentiality.PUBLIC
    public = in_state(db, council, MinutesStatus.PUBLISHED, confidentiality=Confidentiality.PUBLIC)
    assert make_client().get(f"/minutes/{public.id}").status_code == 200
    outsider = factories.signed_in(make_client, db, council.outsider)
    page = outsider.get(f"/minutes/{public.id}")
    assert page.status_code == 200 and "Agreed." in page.text
    assert "Comments of the member organisations" not in page.text
    assert outsider.submit(f"/minutes/{public.id}/correct").status_code == 403


def test_public_minutes_of_a_meeting_that_is_not_public_are_not_there_for_outsiders(
    make_client, db
):
    council = build(db)
    council.meeting.public = False
    public = in_state(db, council, MinutesStatus.PUBLISHED, confidentiality=Confidentiality.PUBLIC)
    db.commit()
    assert make_client().get(f"/minutes/{public.id}").status_code == 404
    outsider = factories.signed_in(make_client, db, council.outsider)
    refused = outsider.get(f"/minutes/{public.id}")
    assert refused.status_code == 404 and "Agreed." not in refused.text
    member = factories.signed_in(make_client, db, council.holders[Group.EMPLOYERS])
    assert member.get(f"/minutes/{public.id}").status_code == 200
    secretariat = factories.signed_in(make_client, db, council.secretary)
    assert secretariat.get(f"/minutes/{public.id}").status_code == 200


def test_group_only_minutes_sent_for_comments_are_told_to_that_group_alone(make_client, db):
    council = build(db)
    secretariat, minutes_id = drafted(
        make_client, db, council, confidentiality="group", restricted_group="workers"
    )
    assert db.get(Minutes, minutes_id).confidentiality is Confidentiality.GROUP
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    response = secretariat.submit(f"/minutes/{minutes_id}/send", {"comments_until": until})
    assert response.status_code == 303, response.text
    told = set(
        db.scalars(
            select(Notification.user_id).where(Notification.kind == f"minutes.sent.{minutes_id}")
        )
    )
    assert told == {council.holders[Group.WORKERS].id, council.alternates[Group.WORKERS].id}


def test_group_only_minutes_are_read_by_that_group_and_the_secretariat(make_client, db):
    council = build(db)
    minutes = in_state(
        db,
        council,
        MinutesStatus.PUBLISHED,
        confidentiality=Confidentiality.GROUP,
        restricted_group=Group.WORKERS,
    )
    assert (
        factories.signed_in(make_client, db, council.holders[Group.WORKERS])
        .get(f"/minutes/{minutes.id}")
        .status_code
        == 200
    )
    assert (
        factories.signed_in(make_client, db, council.holders[Group.EMPLOYERS])
        .get(f"/minutes/{minutes.id}")
        .status_code
        == 404
    )
    assert (
        factories.signed_in(make_client, db, council.secretary)
        .get(f"/minutes/{minutes.id}")
        .status_code
        == 200
    )


def test_comments_only_while_open_and_only_by_members(make_client, db):
    council = build(db)
    minutes = in_state(db, council, MinutesStatus.COMMENTS)
    member = factories.signed_in(make_client, db, council.holders[Group.EMPLOYERS])
    empty = member.submit(f"/minutes/{minutes.id}/comments", {"text": "  "})
    assert empty.status_code == 422 and "Write your comment." in text_of(empty.text)
    secretariat = factories.signed_in(make_client, db, council.secretary)
    assert secretariat.submit(f"/minutes/{minutes.id}/comments", {"text": "Hi."}).status_code == 403
    wrong_org = member.submit(
        f"/minutes/{minutes.id}/comments",
        {"text": "For them.", "organisation_id": str(council.orgs[Group.WORKERS].id)},
    )
    assert wrong_org.status_code == 422
    minutes.comments_until = utcnow() - timedelta(minutes=1)
    db.commit()
    late = member.submit(f"/minutes/{minutes.id}/comments", {"text": "Too late."})
    assert late.status_code == 409
    assert "The period for comments is over." in text_of(late.text)
    assert db.scalar(select(MinutesComment.id)) is None
    draft = in_state(db, council, MinutesStatus.DRAFT, version=2)
    early = member.submit(f"/minutes/{draft.id}/comments", {"text": "Too early."})
    assert early.status_code == 409


def test_state_changes_out_of_order_are_refused(make_client, db):
    council = build(db)
    draft = in_state(db, council, MinutesStatus.DRAFT)
    secretariat = factories.signed_in(make_client, db, council.secretary)
    assert (
        secretariat.submit(f"/minutes/{draft.id}/approve", {"approval": "written"}).status_code
        == 409
    )
    assert secretariat.submit(f"/minutes/{draft.id}/publish").status_code == 409
    assert secretariat.submit(f"/minutes/{draft.id}/correct").status_code == 409
    past = (utcnow() - timedelta(days=2)).date().isoformat()
    refused = secretariat.submit(f"/minutes/{draft.id}/send", {"comments_until": past})
    assert refused.status_code == 422
    assert "cannot be in the past" in text_of(refused.text)
    assert (
        secretariat.submit(f"/minutes/{draft.id}/send", {"comments_until": ""}).status_code == 422
    )
    sent = in_state(db, council, MinutesStatus.COMMENTS, version=2)
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    assert (
        secretariat.submit(f"/minutes/{sent.id}/send", {"comments_until": until}).status_code == 409
    )
    earlier = factories.meeting(db, council.body, title="Earlier")
    earlier.starts_at = council.meeting.starts_at - timedelta(days=30)
    db.commit()
    wrong = secretariat.submit(f"/minutes/{sent.id}/approve", {"approval": str(earlier.id)})
    assert wrong.status_code == 422
    assert "Choose a later meeting" in text_of(wrong.text)
    published = in_state(db, council, MinutesStatus.PUBLISHED, version=3)
    assert secretariat.submit(f"/minutes/{published.id}/publish").status_code == 409
    assert db.get(Minutes, draft.id).status is MinutesStatus.DRAFT


def test_an_older_version_is_corrected_no_more(make_client, db):
    council = build(db)
    first = in_state(db, council, MinutesStatus.PUBLISHED)
    in_state(db, council, MinutesStatus.DRAFT, version=2, corrects_id=first.id)
    secretariat = factories.signed_in(make_client, db, council.secretary)
    assert secretariat.submit(f"/minutes/{first.id}/correct").status_code == 409


def test_restricted_agenda_items_stay_out_of_the_minutes_of_those_outside(make_client, db):
    council = build(db)
    council.items[1].confidentiality = Confidentiality.GROUP
    council.items[1].restricted_group = Group.EMPLOYERS
    minutes = in_state(db, council, MinutesStatus.PUBLISHED, confidentiality=Confidentiality.PUBLIC)
    db.add(MinutesItem(minutes_id=minutes.id, agenda_item_id=council.items[1].id, text="Secret."))
    db.commit()
    assert "Secret." not in make_client().get(f"/minutes/{minutes.id}").text
    employers = factories.signed_in(make_client, db, council.holders[Group.EMPLOYERS])
    assert "Secret." in employers.get(f"/minutes/{minutes.id}").text


def test_the_minutes_page_costs_the_same_with_more_items_and_comments(make_client, db):
    council = build(db)
    minutes = in_state(db, council, MinutesStatus.COMMENTS)
    secretariat = factories.signed_in(make_client, db, council.secretary)

    def cost() -> int:
        with counted_queries(db) as statements:
            assert secretariat.get(f"/minutes/{minutes.id}").status_code == 200
        return len(statements)

    before = cost()
    for n in range(5):
        item = AgendaItem(meeting_id=council.meeting.id, number=3 + n, title=f"Item {n}")
        db.add(item)
        db.flush()
        db.add(MinutesItem(minutes_id=minutes.id, agenda_item_id=item.id, text=f"Text {n}."))
        db.add(
            MinutesComment(
                minutes_id=minutes.id,
                organisation_id=council.orgs[Group.WORKERS].id,
                agenda_item_id=item.id,
                text=f"Comment {n}.",
                written_by_id=council.holders[Group.WORKERS].id,
            )
        )
    db.commit()
    assert cost() == before


def _viewer(db, person):
    from app.accounts.service import viewer_for_token

    return viewer_for_token(db, factories.session_cookie(db, person)).viewer


def test_the_meeting_page_hook_shows_the_minutes_or_the_form(db):
    from app.bodies.service import viewer_of
    from app.minutes.page import for_meeting

    council = build(db)
    secretary = _viewer(db, council.secretary)
    as_secretary = viewer_of(db, secretary, council.body.id)
    view = for_meeting(db, council.meeting, as_secretary, secretary)
    assert view is not None and view.current is None
    assert [i.title for i in view.items] == ["Wages", "Working time"]
    outsider = _viewer(db, council.outsider)
    as_outsider = viewer_of(db, outsider, council.body.id)
    assert for_meeting(db, council.meeting, as_outsider, outsider) is None
    draft = in_state(db, council, MinutesStatus.DRAFT)
    member = _viewer(db, council.holders[Group.WORKERS])
    seen = for_meeting(db, council.meeting, viewer_of(db, member, council.body.id), member)
    assert seen is not None and seen.current.id == draft.id
    assert for_meeting(db, council.meeting, as_outsider, outsider) is None


def test_the_meeting_page_partial_offers_the_form_then_links_the_minutes(client, db):
    from starlette.requests import Request

    from app.bodies.service import viewer_of
    from app.minutes.page import for_meeting
    from app.web import templates

    council = build(db)
    request = Request(
        {
            "type": "http",
            "app": client.app.fastapi_app,
            "method": "GET",
            "path": "/",
            "headers": [],
            "query_string": b"",
        }
    )
    secretary = _viewer(db, council.secretary)
    as_secretary = viewer_of(db, secretary, council.body.id)
    partial = templates.get_template("minutes/_meeting.html")

    def rendered() -> str:
        view = for_meeting(db, council.meeting, as_secretary, secretary)
        return partial.render(request=request, meeting=council.meeting, minutes=view, csrftoken="t")

    form = rendered()
    assert f'action="/meetings/{council.meeting.id}/minutes"' in form
    assert "Item 2: Working time" in text_of(form)
    minutes = in_state(db, council, MinutesStatus.DRAFT)
    shown = rendered()
    assert f'href="/minutes/{minutes.id}"' in shown and "Version 1, draft" in text_of(shown)
