"""What a body restricts stays with those it is for, until it is released.

A council's public meeting carries a public agenda item, a members-only item, a group-only item
(the workers'), a members-only meeting document, the workers' group-only paper, members-only
minutes, and a decision on the members-only item with a divergent position and an action. Each
restricted thing carries a unique marker. Then everyone it is not for requests every page,
fragment, download, feed and API answer whose address this suite can fill in: no marker appears.
- **Members-only markers** are hidden from the anonymous, from an organisation without a seat,
  from an observer and from an API token.
- **The workers' group-only item** is hidden, besides, from the employers' member and from the
  secretariat (the caucus rule).
- **Counts:** the public marker is seen in every page that lists the agenda, so the pages
  really are read.

Released, the members-only item is public: the anonymous read it.

The search is swept too: for each marker, ``/search`` (plain, by the body's kinds, newest
first, misspelt; plain and under htmx) answers those it is not for as a miss does. The members
find each text, the workers alone their group-only paper (the secretariat neither), and those
outside find a decision once its item is released, the document and the minutes once theirs
are.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from app.api import tokens
from app.db import utcnow
from app.decisions.models import Action, Decision, DivergentPosition
from app.documents.storage import file_store
from app.meetings.models import AgendaItem, MeetingDocument, Minutes, MinutesItem
from app.vocabulary import (
    ActionOwner,
    Confidentiality,
    DecisionMethod,
    Group,
    MinutesStatus,
    PlatformRole,
    Presence,
)
from tests import factories
from tests.helpers import soup
from tests.security import searching
from tests.security.test_caucus_isolation import readable
from tests.security.world import app_routes
from tests.word_files import docx_with

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def marker(kind: str) -> str:
    return f"zr{uuid.uuid4().hex[:12]}{kind}"


@dataclass
class Restricted:
    ids: dict[str, int]
    members_markers: dict[str, str]  # members only: outside the body's members and secretariat
    group_markers: dict[str, str]  # the workers' alone
    public_marker: str
    clients: dict[str, Any]


#: Who may not see members-only things, and who may not see the workers' group-only ones.
NOT_MEMBERS = ("anonymous", "outsider", "observer", "token")
NOT_WORKERS = (*NOT_MEMBERS, "employers", "moderator")


def build(db: Any, make_client: Any, settings: Any) -> Restricted:
    council, orgs, holders, _alternates, seats = factories.seated_body(
        db, name="Restricted Council"
    )
    outsider_org = factories.organisation(db, Group.WORKERS)
    people = {
        "workers": holders[Group.WORKERS],
        "employers": holders[Group.EMPLOYERS],
        "government": holders[Group.GOVERNMENT],
        "outsider": factories.member(db, outsider_org),
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
    }
    meeting = factories.meeting(db, council, title="Plenary", convened_by=people["moderator"])
    meeting.public = True
    for group in Group:
        factories.attend(db, meeting, seats[group], Presence.HOLDER, people["moderator"])
    public_marker = marker("public")
    members = {
        "item": marker("item"),
        "document": marker("document"),
        "document text": marker("doctext"),
        "minutes": marker("minutes"),
        "decision": marker("decision"),
        "divergent": marker("divergent"),
        "action": marker("action"),
    }
    group = {"group item": marker("groupitem"), "group document": marker("groupdoc")}

    def item(number: int, title: str, level: Confidentiality, **extra: Any) -> AgendaItem:
        row = AgendaItem(
            meeting_id=meeting.id,
            number=number,
            title=title,
            confidentiality=level,
            **extra,
        )
        db.add(row)
        db.flush()
        return row

    public = item(1, f"Opening {public_marker}", Confidentiality.PUBLIC)
    restricted = item(2, f"Wages {members['item']}", Confidentiality.MEMBERS)
    caucus = item(
        3, f"Our line {group['group item']}", Confidentiality.GROUP, restricted_group=Group.WORKERS
    )
    content = docx_with("Briefing.", members["document text"])
    stored = file_store(settings).put(io.BytesIO(content), len(content) + 1)
    document = MeetingDocument(
        meeting_id=meeting.id,
        agenda_item_id=restricted.id,
        title=f"Briefing {members['document']}",
        language="en",
        sha256=stored.sha256,
        size=stored.size,
        kind="docx",
        file_name="briefing.docx",
        text=members["document text"],
        uploaded_by_id=people["moderator"].id,
        confidentiality=Confidentiality.MEMBERS,
    )
    db.add(document)
    # the workers' own paper (no item): for the workers' members alone
    db.add(
        MeetingDocument(
            meeting_id=meeting.id,
            title=f"Our paper {group['group document']}",
            language="en",
            sha256=stored.sha256,
            size=stored.size,
            kind="docx",
            file_name="ours.docx",
            text="Our line.",
            uploaded_by_id=people["moderator"].id,
            confidentiality=Confidentiality.GROUP,
            restricted_group=Group.WORKERS,
        )
    )
    db.flush()
    minutes = Minutes(
        meeting_id=meeting.id,
        status=MinutesStatus.PUBLISHED,
        preamble=f"Opened. {members['minutes']}",
        drafted_by_id=people["moderator"].id,
        approved_at=utcnow(),
        published_at=utcnow(),
        confidentiality=Confidentiality.MEMBERS,
    )
    db.add(minutes)
    db.flush()
    db.add(MinutesItem(minutes_id=minutes.id, agenda_item_id=restricted.id, text="Discussed."))
    decision = Decision(
        meeting_id=meeting.id,
        agenda_item_id=restricted.id,
        text=f"The council agrees {members['decision']}",
        method=DecisionMethod.CONSENSUS,
        opened_by_id=people["moderator"].id,
        recorded_by_id=people["moderator"].id,
        recorded_at=utcnow(),
        adopted=True,
        quorate=True,
        quorum_overall=1,
        quorum_per_group=1,
        attendance=[],
        review_on=(utcnow() + timedelta(days=90)).date(),
    )
    db.add(decision)
    db.flush()
    db.add(
        DivergentPosition(
            decision_id=decision.id,
            group_name=Group.EMPLOYERS,
            text=f"We differ {members['divergent']}",
            written_by_id=people["employers"].id,
        )
    )
    action = Action(
        decision_id=decision.id,
        what=f"Draft the regulation {members['action']}",
        owner=ActionOwner.GOVERNMENT,
        due_on=(utcnow() + timedelta(days=30)).date(),
        created_by_id=people["moderator"].id,
    )
    db.add(action)
    db.flush()
    _token, api_token = tokens.create(db, "Restricted suite", None)
    clients: dict[str, Any] = {"anonymous": make_client(), "token": make_client()}
    clients["token"].headers["Authorization"] = f"Bearer {api_token}"
    for role, person in people.items():
        clients[role] = factories.signed_in(make_client, db, person)
    db.commit()
    ids = {
        "body_id": council.id,
        "meeting_id": meeting.id,
        "public_item": public.id,
        "item_id": restricted.id,
        "group_item": caucus.id,
        "document_id": document.id,
        "minutes_id": minutes.id,
        "decision_id": decision.id,
        "action_id": action.id,
        "seat_id": seats[Group.WORKERS].id,
        "organisation_id": orgs[Group.WORKERS].id,
    }
    return Restricted(ids, members, group, public_marker, clients)


def outputs(world: Restricted, app: Any, restricted_ids: dict[str, int]) -> list[str]:
    """Every GET address about the body this suite can fill in: each route template with a
    parameter of the body's parts gets the restricted thing's id."""
    ids = world.ids
    fill = {
        "body_id": ids["body_id"],
        "meeting_id": ids["meeting_id"],
        "item_id": restricted_ids.get("item", ids["item_id"]),
        "agenda_item_id": restricted_ids.get("item", ids["item_id"]),
        "document_id": ids["document_id"],
        "minutes_id": ids["minutes_id"],
        "decision_id": ids["decision_id"],
        "action_id": ids["action_id"],
        "seat_id": ids["seat_id"],
        "kind": "agenda-item",
    }
    urls = [
        "/bodies",
        f"/bodies/{ids['body_id']}",
        f"/meetings/{ids['meeting_id']}",
        f"/meetings/{ids['meeting_id']}/quorum",
        f"/meeting-documents/{ids['document_id']}",
        f"/minutes/{ids['minutes_id']}",
        f"/decisions/{ids['decision_id']}",
        f"/actions/{ids['action_id']}",
        f"/bodies/{ids['body_id']}/decisions",
        *(f"/bodies/{ids['body_id']}/decisions.{fmt}" for fmt in ("csv", "xlsx", "pdf")),
        f"/bodies/{ids['body_id']}/calendar.ics",
        f"/bodies/{ids['body_id']}/releases",
        "/api/v1/bodies",
        f"/api/v1/bodies/{ids['body_id']}/meetings",
        f"/api/v1/bodies/{ids['body_id']}/decisions",
        "/",
        "/notifications",
        "/audit",
        "/audit?format=csv",
        f"/cycle/Ardenia/{utcnow().year}",
    ]
    for method, template in app_routes(app):
        if method != "GET" or template == "/static":
            continue
        if not any(f"{{{name}}}" in template for name in fill):
            continue
        path = template.replace("{fmt}", "csv")
        for name, value in fill.items():
            path = path.replace(f"{{{name}}}", str(value))
        if "{" not in path and path not in urls:
            urls.append(path)
    return urls


def leaks(world: Restricted, roles: tuple[str, ...], markers: dict[str, str]) -> list[str]:
    """Every output, and the search for each marker (a miss's answer, the echo aside)."""
    app = world.clients["anonymous"].app.fastapi_app
    found = []
    misses: dict[tuple[int, str, str], str] = {}
    for role in roles:
        client = world.clients[role]
        for url in outputs(world, app, {}):
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                assert response.status_code < 500, (role, url, response.status_code)
                text = readable(response)
                found += [f"{what} on {url} as {role}" for what, m in markers.items() if m in text]
        found += search_leaks(client, role, markers, misses)
    return found


def search_leaks(
    client: Any, role: str, markers: dict[str, str], misses: dict[tuple[int, str, str], str]
) -> list[str]:
    found = []
    for value in markers.values():
        for url in searching.addresses(value, KINDS):
            for headers in searching.VARIANTS:
                probe = searching.probe(client, url, headers, misses)
                where = f"on {url} {headers or ''} as {role}"
                if not probe.like_a_miss:
                    found.append(f"an answer unlike a miss's {where}")
                found += [f"{what} {where}" for what, m in markers.items() if m in probe.text]
    return found


#: What a body's restricted texts are found as.
KINDS = ("meeting_document", "minutes", "minutes_item", "decision", "divergent", "action")
#: The members-only markers of indexed texts (an agenda item's title is not indexed).
SEARCHABLE = ("document", "document text", "minutes", "decision", "divergent", "action")
#: Those public once their agenda item is released (a decision and what hangs on it); the
#: document and the minutes have a confidentiality of their own.
WITH_THE_ITEM = ("decision", "divergent", "action")


def finds(client: Any, value: str) -> bool:
    response = client.get(f"/search?q={value}")
    assert response.status_code == 200, response.status_code
    found = soup(response.text).select(searching.RESULT)
    return any(value in result.get_text() for result in found)


def test_members_only_things_reach_no_one_outside_the_body(make_client, db, settings):
    world = build(db, make_client, settings)
    meeting = f"/meetings/{world.ids['meeting_id']}"
    # the members read them (the markers are real), and the public item is public
    page = world.clients["employers"].get(meeting).text
    for what in ("item", "document", "decision"):
        assert world.members_markers[what] in page, what
    assert world.public_marker in world.clients["anonymous"].get(meeting).text
    assert not leaks(world, NOT_MEMBERS, world.members_markers | world.group_markers)


def test_a_group_only_item_is_for_that_group_alone(make_client, db, settings):
    world = build(db, make_client, settings)
    meeting = f"/meetings/{world.ids['meeting_id']}"
    assert world.group_markers["group item"] in world.clients["workers"].get(meeting).text
    assert not leaks(world, NOT_WORKERS, world.group_markers)


def test_restricted_addresses_answer_404_to_those_they_are_not_for(make_client, db, settings):
    world = build(db, make_client, settings)
    ids = world.ids
    wrong = []
    for role in ("outsider", "observer"):
        for path in (
            f"/meeting-documents/{ids['document_id']}",
            f"/minutes/{ids['minutes_id']}",
            f"/decisions/{ids['decision_id']}",
            f"/actions/{ids['action_id']}",
        ):
            got = world.clients[role].get(path).status_code
            if got != 404:
                wrong.append(f"{path} as {role}: {got}")
    assert not wrong, "\n".join(wrong)


def test_once_released_a_members_only_item_is_public(make_client, db, settings):
    world = build(db, make_client, settings)
    row = db.get(AgendaItem, world.ids["item_id"])
    assert row is not None
    row.released_at = utcnow()
    db.commit()
    page = world.clients["anonymous"].get(f"/meetings/{world.ids['meeting_id']}").text
    assert world.members_markers["item"] in page


def test_search_finds_restricted_texts_for_those_they_are_for_and_once_released(
    make_client, db, settings
):
    """The positive control of the sweeps' searches, and the release: the body's members find
    the members-only texts (the workers alone their paper), each result opening; those outside
    find a text once it is released, and not before."""
    world = build(db, make_client, settings)
    for role in ("employers", "workers", "moderator"):
        client = world.clients[role]
        for what in SEARCHABLE:
            assert finds(client, world.members_markers[what]), (role, what)
    paper = world.group_markers["group document"]
    assert finds(world.clients["workers"], paper)
    assert not finds(world.clients["employers"], paper)
    # each result opens, for those who found it
    employers = world.clients["employers"]
    for what in SEARCHABLE:
        page = employers.get(f"/search?q={world.members_markers[what]}")
        href = soup(page.text).select_one(f"{searching.RESULT} a[href]")["href"]
        assert employers.get(href).status_code == 200, (what, href)
    outside = ("outsider", "observer")
    for role in outside:
        assert not [w for w in SEARCHABLE if finds(world.clients[role], world.members_markers[w])]
    # the item released: its decision, divergent position and action are found (and open)
    item = db.get_one(AgendaItem, world.ids["item_id"])
    item.released_at = utcnow()
    db.commit()
    for role in outside:
        client = world.clients[role]
        for what in SEARCHABLE:
            value = world.members_markers[what]
            assert finds(client, value) is (what in WITH_THE_ITEM), (role, what)
        page = client.get(f"/search?q={world.members_markers['decision']}")
        href = soup(page.text).select_one(f"{searching.RESULT} a[href]")["href"]
        opened = client.get(href)
        assert opened.status_code == 200 and world.members_markers["decision"] in opened.text
    # the document and the minutes released too (on a date now past): all of it
    for row in (
        db.get_one(MeetingDocument, world.ids["document_id"]),
        db.get_one(Minutes, world.ids["minutes_id"]),
    ):
        row.release_at = utcnow() - timedelta(minutes=1)
    db.commit()
    for role in outside:
        for what in SEARCHABLE:
            assert finds(world.clients[role], world.members_markers[what]), (role, what)
    # the workers' paper is theirs still
    assert not leaks_in_search(world, NOT_WORKERS, world.group_markers)


def leaks_in_search(world: Restricted, roles: tuple[str, ...], markers: dict[str, str]) -> list:
    misses: dict[tuple[int, str, str], str] = {}
    found = []
    for role in roles:
        found += search_leaks(world.clients[role], role, markers, misses)
    return found
