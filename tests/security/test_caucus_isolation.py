"""What is said in a group's caucus stays in it.

A round is given caucus messages, a draft group statement and another caucus's message, each
carrying a unique marker, written through the app as its members would (and a published
statement, which is meant to be seen). Then every role outside the caucus — anonymous, another
group's representative, the government's, a representative of the same group whose
organisation is not invited, an observer, a moderator the group has not invited, an
administrator, an API token — requests every page and fragment the application serves (the
round page in both orders, its live updates and comment pages, the summary and its CSV, JSON,
XLSX and PDF downloads decoded, the audit log and its CSV, notifications, every ``/api/v1``
endpoint, and any other page whose address this suite can fill in), while the round is open
and again once it is closed: no marker ever appears. The caucus's files are added the same way
(a Word file uploaded to the caucus, then a new version of it, each with a marker in its title,
its file name and its text); the documents page and the files' own addresses are among what the
outsiders read. The caucus's own addresses, its files' downloads included, answer 404 to them
(a sign-in redirect to those without a session, as every page does). Nor does any trace
of what the caucus did: of its audit events only the publication of its statement (public) is
in the shared audit log, and every audit output (found as the outputs that show a canary audit
event: the audit page and its CSV, the summary's XLSX) leaves out the caucus's private actions
and the ids of its drafts, even those older versions wrote to the append-only log. The
notifications the caucus causes go to the group's own people; its files leave no attachment
event in the shared audit log (a round's document, added beside it, does).

The search is among the outputs: for every marker, ``/search`` plain, narrowed to the caucus's
kinds, newest first, with a one-letter typo ("did you mean") and as the search form's htmx
request answers every outsider exactly as a search for a word nothing holds (results, snippets,
counts, facets, suggestions), while the group's members find each marker at its place; and an
outsider's search for a caucus-only word runs the very statements of a miss, in as long.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import time
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api import tokens
from app.audit.models import AuditEvent
from app.audit.service import record
from app.caucus.models import GroupStatement
from app.caucus.service import group_members
from app.db import utcnow
from app.documents.models import Attachment, AttachmentVersion
from app.notifications.models import Notification
from app.rounds.models import Round
from app.vocabulary import Group, PlatformRole, Stance
from tests import factories
from tests.conftest import text_of
from tests.helpers import counted_queries, soup
from tests.security import searching
from tests.security.world import app_routes
from tests.word_files import docx_with

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: Everyone outside the workers' caucus of the round.
OUTSIDERS = (
    "anonymous",
    "employers_rep",
    "government_rep",
    "outsider",
    "observer",
    "moderator",
    "admin",
    "token",
)
DOWNLOADS = ("csv", "json", "xlsx", "pdf")
#: The round's documents for word processors (app/exports/routes.py), in each format.
DOCUMENTS = ("draft", "revised", "record")
WORD_FORMATS = ("docx", "odt")
#: What a caucus does privately: none of it is in any output outside the group (the shared
#: audit log records only ``group_statement.published``, which is public).
PRIVATE_ACTIONS = (
    "caucus.moderators_invited",
    "caucus.moderators_uninvited",
    "group_statement.drafted",
    "group_statement.revised",
    "group_statement.endorsed",
    "group_statement.endorsement_withdrawn",
)


@dataclass
class Caucused:
    round_id: int
    consultation_id: int
    position_id: int
    comment_id: int
    workers_org: int
    markers: dict[str, str]  # what must never leak, by what it is
    draft_id: int  # the statement still in draft: its id is not for outsiders either
    published_id: int
    audit_canary: str  # an audit event's action that every audit output shows
    public_marker: str  # the published statement: meant to be seen
    position_marker: str  # a position's statement: shows the downloads are read
    clients: dict[str, Any]
    members: dict[str, Any]
    caucus_file: int  # the caucus's attachment (two versions)
    round_file: int  # a round's document, added through the app beside it: for everyone
    round_file_marker: str  # the round's document's text: shows its downloads are read


def marker(kind: str) -> str:
    return f"zq{uuid.uuid4().hex[:12]}{kind}"


def build(db: Session, make_client: Any) -> Caucused:
    orgs = {g: factories.organisation(db, g) for g in Group}
    second_union = factories.organisation(db, Group.WORKERS)
    outsider_union = factories.organisation(db, Group.WORKERS)
    people = {
        "member": factories.member(db, orgs[Group.WORKERS]),
        "second": factories.member(db, second_union),
        "employers_rep": factories.member(db, orgs[Group.EMPLOYERS]),
        "government_rep": factories.member(db, orgs[Group.GOVERNMENT]),
        "outsider": factories.member(db, outsider_union),
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
        "admin": factories.user(db, platform_role=PlatformRole.ADMIN),
    }
    round_ = factories.consultation_round(db, [*orgs.values(), second_union], title="Portability")
    position_marker = marker("position")
    position = factories.position(
        db, round_, orgs[Group.WORKERS], people["member"], Stance.SUPPORT, position_marker
    )
    for group in (Group.EMPLOYERS, Group.GOVERNMENT):
        rep = people[f"{group.value}_rep"]
        factories.position(db, round_, orgs[group], rep, Stance.OPPOSE, f"We {group.value} object.")
    comment = factories.comment(db, round_, people["member"], orgs[Group.WORKERS], "In public.")
    _token, api_token = tokens.create(db, "Isolation suite", None)
    clients: dict[str, Any] = {"anonymous": make_client(), "token": make_client()}
    clients["token"].headers["Authorization"] = f"Bearer {api_token}"
    for role in OUTSIDERS:
        if role not in clients:
            clients[role] = factories.signed_in(make_client, db, people[role])
    members = {
        name: factories.signed_in(make_client, db, people[name]) for name in ("member", "second")
    }
    db.commit()
    markers = {
        "message": marker("message"),
        "reply": marker("reply"),
        "draft": marker("draft"),
        "revised draft": marker("revised"),
        "employers message": marker("employers"),
    }
    public_marker = marker("published")
    workers = f"/rounds/{round_.id}/caucus/workers"
    member, second = members["member"], members["second"]

    def ok(response: Any) -> Any:
        assert response.status_code in (200, 303), (response.status_code, response.text[:500])
        return response

    ok(member.submit(f"{workers}/posts", {"body": f"Between us: {markers['message']}"}))
    ok(
        second.submit(
            f"{workers}/posts", {"body": markers["reply"]}, headers={"HX-Request": "true"}
        )
    )
    # the moderators are let in, then out again: the caucus is theirs no more
    ok(member.submit(f"{workers}/moderators", {"invite": "1"}))
    ok(member.submit(f"{workers}/moderators", {"invite": "0"}))
    # a statement published (public), then a new draft endorsed and revised (private)
    ok(member.submit(f"{workers}/statement", {"text": f"We agree: {public_marker}"}))
    published = _draft(db, round_.id)
    ok(second.submit(f"{workers}/statement/endorse", {"statement_id": str(published)}))
    ok(member.submit(f"{workers}/statement/publish", {"statement_id": str(published)}))
    ok(member.submit(f"{workers}/statement", {"text": f"Draft: {markers['draft']}"}))
    draft = _draft(db, round_.id)
    ok(second.submit(f"{workers}/statement/endorse", {"statement_id": str(draft)}))
    ok(
        member.submit(
            f"{workers}/statement",
            {"statement_id": str(draft), "text": f"{markers['draft']} {markers['revised draft']}"},
        )
    )
    ok(member.submit(f"{workers}/statement/endorse", {"statement_id": str(draft)}))
    withdraw = {"statement_id": str(draft), "action": "withdraw"}
    ok(second.submit(f"{workers}/statement/endorse", withdraw))
    # a caucus file, uploaded as a browser does (multipart), then a new version of it: a marker
    # in its title, its file names and (a Word file's text, extracted at upload) its text
    markers |= {
        "file title": marker("filetitle"),
        "file name": marker("filename"),
        "file text": marker("filetext"),
        "second version's text": marker("filetext2"),
    }
    added = ok(
        member.submit(
            f"/rounds/{round_.id}/attachments",
            {"title": f"Tactics {markers['file title']}", "place": "caucus", "language": "en"},
            files={"file": _word(f"{markers['file name']}-1", markers["file text"])},
        )
    )
    caucus_file = int(added.headers["location"].rsplit("#attachment-", 1)[1])
    ok(
        second.submit(
            f"/attachments/{caucus_file}/versions",
            files={"file": _word(f"{markers['file name']}-2", markers["second version's text"])},
        )
    )
    # a round's document beside it (a moderator's): everyone invited reads it
    round_file_marker = marker("roundfile")
    moderator = factories.signed_in(make_client, db, people["moderator"])
    added = ok(
        moderator.submit(
            f"/rounds/{round_.id}/attachments",
            {"title": "Background study", "place": "round", "language": "en"},
            files={"file": _word("background", round_file_marker)},
        )
    )
    round_file = int(added.headers["location"].rsplit("#attachment-", 1)[1])
    # another caucus's message: the employers'
    employers = f"/rounds/{round_.id}/caucus/employers/posts"
    ok(clients["employers_rep"].submit(employers, {"body": markers["employers message"]}))
    # a public event of the round (as the lifecycle writes them): what shows an audit output
    canary = f"round.{marker('canary')}"
    record(db, None, canary, "round", round_.id)
    db.commit()
    return Caucused(
        round_.id,
        round_.consultation_id,
        position.id,
        comment.id,
        orgs[Group.WORKERS].id,
        markers,
        draft,
        published,
        canary,
        public_marker,
        position_marker,
        clients,
        members,
        caucus_file,
        round_file,
        round_file_marker,
    )


def _word(name: str, text: str) -> tuple[str, bytes, str]:
    """A Word file (built with python-docx) as a browser uploads it."""
    return (f"{name}.docx", docx_with("Our line in the caucus.", text), "application/octet-stream")


def _draft(db: Session, round_id: int) -> int:
    return db.scalars(
        select(GroupStatement.id).where(
            GroupStatement.round_id == round_id, GroupStatement.published_at.is_(None)
        )
    ).one()


def readable(response: Any) -> str:
    """What a response says, downloads decoded (XLSX cells, PDF text)."""
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    if "wordprocessingml" in kind or "opendocument.text" in kind:
        return document_text(response.content)
    if "pdf" in kind:
        reader = PdfReader(io.BytesIO(response.content))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return response.content.decode("utf-8", errors="replace")


def document_text(body: bytes) -> str:
    """The text of a .docx or .odt, read from the XML of its zip archive (every part)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8", errors="replace")
            for name in archive.namelist()
            if name.endswith(".xml")
        )


#: Path parameters this suite fills in for pages it finds in the route table.
def _params(world: Caucused) -> dict[str, str]:
    return {
        "round_id": str(world.round_id),
        "consultation_id": str(world.consultation_id),
        "position_id": str(world.position_id),
        "comment_id": str(world.comment_id),
        "organisation_id": str(world.workers_org),
        "country": "Ardenia",
        "year": str(utcnow().year),
        "attachment_id": str(world.caucus_file),
        "number": "2",
    }


def every_output(world: Caucused, app: Any) -> list[str]:
    """The pages, fragments, downloads and API answers about the round, and every other GET
    page whose address can be filled in (caucus addresses aside: they are tested below)."""
    r = world.round_id
    urls = [
        f"/rounds/{r}",
        f"/rounds/{r}?order=balanced",
        f"/rounds/{r}?order=balanced&group=workers",
        f"/rounds/{r}/live?version=0",
        f"/rounds/{r}/stream?version=0",  # the live stream's catch-up (served: test_live_stream)
        f"/rounds/{r}/comments?page=1",
        f"/rounds/{r}/comments?order=balanced&page=1",
        # the first screen's folded parts, unfolded (app/rounds/page_cache.py keeps pages)
        f"/rounds/{r}?replies=all&statements=all",
        f"/rounds/{r}/comments?replies=all&page=1",
        f"/rounds/{r}/comments?thread=1",
        f"/rounds/{r}/summary",
        *(f"/rounds/{r}/summary.{fmt}" for fmt in DOWNLOADS),
        *(f"/rounds/{r}/{paper}.{fmt}" for paper in DOCUMENTS for fmt in WORD_FORMATS),
        "/audit",
        "/audit?format=csv",
        "/audit?action=caucus",
        "/audit?action=group_statement&format=csv",
        "/notifications",
        "/notifications/count",
        "/moderation",
        "/",
        f"/consultations/{world.consultation_id}",
        f"/organisations/{world.workers_org}",
        f"/rounds/{r}/positions/{world.position_id}/history",
        "/api/v1/consultations",
        f"/api/v1/consultations/{world.consultation_id}",
        "/api/v1/rounds",
        f"/api/v1/rounds?consultation_id={world.consultation_id}",
        f"/api/v1/rounds/{r}",
        f"/api/v1/rounds/{r}/summary",
        f"/api/v1/rounds/{r}/positions",
        f"/api/v1/rounds/{r}/comments",
        # the round's documents: the list (no file named), then each file's addresses by id
        f"/rounds/{r}/attachments",
        *(
            f"/attachments/{file}{version}"
            for file in (world.caucus_file, world.round_file)
            for version in ("", "/versions/1", "/versions/2")
        ),
        # the search: results, counts, snippets, facets and "did you mean" for each marker
        *(
            url
            for value in world.markers.values()
            for url in searching.addresses(value, searching.CAUCUS_KINDS)
        ),
    ]
    params = _params(world)
    for method, template in app_routes(app):
        if method != "GET" or "{group}" in template or template == "/static":
            continue
        path = template.replace("{fmt}", "csv")
        for name, value in params.items():
            path = path.replace(f"{{{name}}}", value)
        if "{" not in path and path not in urls:
            urls.append(path)
    return urls


def fragmentary(url: str) -> bool:
    """Pages that answer htmx with a fragment of their own (the round's, notifications, the
    search's results)."""
    path = url.split("?")[0]
    return path.startswith(("/rounds/", "/notifications", "/search")) and not path.endswith(
        DOWNLOADS + WORD_FORMATS
    )


def variants(url: str) -> list[dict[str, str]]:
    """The headers each output is asked with: a browser's, and htmx's where the page answers
    it with a fragment (the search form's own request for its results)."""
    if searching.asked(url) is not None:
        return list(searching.VARIANTS)
    return [{}, {"HX-Request": "true"}] if fragmentary(url) else [{}]


#: Markers an outsider to the workers' caucus may find all the same: their own caucus's.
OWN_MARKERS = {"employers_rep": {"employers message"}}


def statement_ids(text: str) -> set[int]:
    """The statement ids an audit output names (page, CSV, XLSX cells: tags and quoting aside)."""
    return {int(n) for n in re.findall(r"statement_id\W{0,12}(\d+)", text)}


@dataclass
class Read:
    count: int
    #: (role, url) of every output that showed the canary audit event: the audit outputs.
    audit_outputs: set[tuple[str, str]]


def assert_nothing_leaks(world: Caucused) -> Read:
    """Every output as every outsider, with and without htmx: no marker, no private caucus
    action; in every audit output, no statement id but the published one's. A search for a
    marker answers as a search for a word nothing holds (its echo of the words aside)."""
    app = world.clients["anonymous"].app.fastapi_app
    urls = every_output(world, app)
    leaks = []
    read = Read(0, set())
    misses: dict[tuple[int, str, str], str] = {}
    for role in OUTSIDERS:
        client = world.clients[role]
        own = {world.markers[what] for what in OWN_MARKERS.get(role, ())}
        for url in urls:
            word = searching.asked(url)
            if word is not None and any(value in word for value in own):
                continue  # their own caucus's words (found: test_members_find_...)
            for headers in variants(url):
                where = f"on {url} {headers or ''} as {role}"
                if word is not None:
                    found = searching.probe(client, url, headers, misses)
                    text, html = found.text, True
                    if not found.like_a_miss:
                        leaks.append(f"an answer unlike a miss's {where}")
                else:
                    response = client.get(url, headers=headers)
                    assert response.status_code < 500, (role, url, response.status_code)
                    text = readable(response)
                    html = "html" in response.headers.get("content-type", "")
                read.count += 1
                leaks += [
                    f"{what} {where}" for what, value in world.markers.items() if value in text
                ]
                leaks += [f"audit event {a} {where}" for a in PRIVATE_ACTIONS if a in text]
                if world.audit_canary in text:
                    read.audit_outputs.add((role, url.split("?")[0]))
                    plain = text_of(text) if html else text
                    named = statement_ids(plain) - {world.published_id}
                    leaks += [f"statement id {n} {where}" for n in sorted(named)]
    assert not leaks, "\n".join(leaks)
    return read


def caucus_addresses(world: Caucused) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/rounds/{world.round_id}/caucus/workers"
    statement = {"statement_id": "1", "text": "Let me in.", "action": "endorse"}
    file = f"/attachments/{world.caucus_file}"
    return [
        ("GET", base, {}),
        ("GET", f"{base}/posts?after=0", {}),
        ("POST", f"{base}/posts", {"body": "Let me in."}),
        ("POST", f"{base}/moderators", {"invite": "1"}),
        ("POST", f"{base}/statement", statement),
        ("POST", f"{base}/statement/endorse", statement),
        ("POST", f"{base}/statement/publish", statement),
        # the caucus's file: its download, each version's, and a new version (with a file)
        ("GET", file, {}),
        ("GET", f"{file}/versions/1", {}),
        ("GET", f"{file}/versions/2", {}),
        ("POST", f"{file}/versions", {}),
    ]


#: What an outsider sends as a new version of the caucus's file.
INTRUDING_FILE = {"file": ("mine.docx", docx_with("Let me in."), "application/octet-stream")}


def test_nothing_said_in_a_caucus_reaches_anyone_outside_it(make_client, db):
    """Every output as every outsider, open and closed. Even the caucus events earlier
    versions wrote to the append-only log (they cannot be deleted) are left out of every audit
    output, for every outsider."""
    world = build(db, make_client)
    for action in PRIVATE_ACTIONS:  # as they were written before
        db.add(
            AuditEvent(
                actor_id=None,
                action=action,
                subject_type="round",
                subject_id=world.round_id,
                details=json.dumps({"group": "workers", "statement_id": world.draft_id}),
            )
        )
    db.commit()
    # the members themselves read it all (the markers are real), and the published statement
    # is on the round page for everyone
    caucus_page = world.members["member"].get(f"/rounds/{world.round_id}/caucus/workers").text
    for what in ("message", "reply", "draft", "revised draft"):
        assert world.markers[what] in caucus_page, what
    assert world.markers["employers message"] not in caucus_page  # another group's caucus
    round_page = world.clients["employers_rep"].get(f"/rounds/{world.round_id}").text
    assert world.public_marker in round_page
    assert "group_statement.published" in world.clients["observer"].get("/audit").text
    # the round's document is read, downloads decoded, by those who may (so the sweep reads it)
    study = world.clients["observer"].get(f"/attachments/{world.round_file}")
    assert world.round_file_marker in readable(study)
    read = assert_nothing_leaks(world)
    assert {("observer", "/audit"), ("moderator", "/audit")} <= read.audit_outputs
    # closed: the summary and its downloads exist now; still nothing
    closed = world.clients["moderator"].submit(
        f"/rounds/{world.round_id}/close", {"outcome": "The groups were heard."}
    )
    assert closed.status_code == 303, closed.text
    summary = world.clients["observer"].get(f"/rounds/{world.round_id}/summary.pdf")
    assert world.position_marker in readable(summary)  # the PDF's text is really read
    workbook = world.clients["observer"].get(f"/rounds/{world.round_id}/summary.xlsx")
    assert world.position_marker in readable(workbook)
    read = assert_nothing_leaks(world)
    assert read.count > 500
    # the audit outputs were found, and read, as each of their readers
    xlsx = f"/rounds/{world.round_id}/summary.xlsx"
    for role in ("observer", "moderator", "admin"):
        assert {(role, "/audit"), (role, xlsx)} <= read.audit_outputs, role


def test_caucus_addresses_answer_404_to_everyone_outside_it(make_client, db):
    world = build(db, make_client)
    wrong = []
    for role in OUTSIDERS:
        client = world.clients[role]
        for method, path, data in caucus_addresses(world):
            if method == "GET":
                response = client.get(path)
            elif path.endswith("/versions"):
                response = client.submit(path, data, files=INTRUDING_FILE)
            else:
                response = client.submit(path, data)
            signed_out = role in ("anonymous", "token")
            expected = "/login" if signed_out else 404
            got = response.status_code
            if signed_out:
                if got != 303 or "/login" not in response.headers.get("location", ""):
                    wrong.append(f"{method} {path} as {role}: {got}")
            elif got != expected:
                wrong.append(f"{method} {path} as {role}: {got}")
            leaked = [m for m in world.markers.values() if m in readable(response)]
            if leaked:
                wrong.append(f"{method} {path} as {role} shows {leaked}")
    assert not wrong, "\n".join(wrong)
    # no outsider's version was stored: the file still has the members' two
    db.expire_all()
    numbers = db.scalars(
        select(AttachmentVersion.number).where(AttachmentVersion.attachment_id == world.caucus_file)
    ).all()
    assert sorted(numbers) == [1, 2]


def test_the_caucus_leaves_only_its_publication_in_the_audit_log_and_tells_only_its_group(
    make_client, db
):
    world = build(db, make_client)
    events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action.startswith("caucus.") | AuditEvent.action.startswith("group_")
        )
    ).all()
    # inviting the moderators, drafting, revising, endorsing and withdrawing: no trace
    assert [e.action for e in events] == ["group_statement.published"]
    details = json.loads(events[0].details)
    assert set(details) == {"group", "organisations", "statement_id"}
    assert details["statement_id"] == world.published_id
    everything = json.dumps([e.details for e in db.scalars(select(AuditEvent))])
    assert not [what for what, value in world.markers.items() if value in everything]
    assert world.public_marker not in everything  # not even the published text: ids only
    # and no code path may write a private caucus action to the shared log
    for action in PRIVATE_ACTIONS:
        with pytest.raises(ValueError):
            record(db, None, action, "round", world.round_id)
    # notifications from the caucus: the workers' own people, and never its text
    told = db.scalars(select(Notification).where(Notification.kind.startswith("caucus."))).all()
    assert told, "drafting and publishing tell the group"
    workers = set(group_members(db, world.round_id, Group.WORKERS))
    assert len(workers) == 2
    assert {n.user_id for n in told} <= workers
    texts = " ".join(n.message for n in db.scalars(select(Notification)))
    assert not [what for what, value in world.markers.items() if value in texts]
    # and the notifications pages of everyone outside show none of it (nor the count)
    for role in OUTSIDERS:
        if role in ("anonymous", "token"):
            continue
        page = world.clients[role].get("/notifications").text
        # what the page says of the person's own last action (the employers' representative
        # posted in the employers' caucus) is theirs; the rest must not mention a caucus
        told_here = soup(page)
        own = told_here.select_one("#flash")
        assert own is not None
        own.decompose()
        assert "caucus" not in str(told_here).lower(), role


def test_the_published_statement_is_the_only_thing_the_round_page_gains(make_client, db):
    world = build(db, make_client)
    page = world.clients["government_rep"].get(f"/rounds/{world.round_id}").text
    assert world.public_marker in page
    assert "Signed by" in page
    # the round's version (polled by every open round page) moved for the publication only:
    # messages, drafts and endorsements do not show through it
    before = db.scalar(select(Round.version).where(Round.id == world.round_id))
    member = world.members["member"]
    base = f"/rounds/{world.round_id}/caucus/workers"
    assert member.submit(f"{base}/posts", {"body": "One more, quietly."}).status_code == 303
    draft = _draft(db, world.round_id)
    assert (
        member.submit(
            f"{base}/statement/endorse", {"statement_id": str(draft), "action": "withdraw"}
        ).status_code
        == 303
    )
    db.expire_all()
    assert db.scalar(select(Round.version).where(Round.id == world.round_id)) == before


def test_a_caucus_file_is_for_its_members_alone_and_leaves_no_audit_event(make_client, db):
    world = build(db, make_client)
    file = f"/attachments/{world.caucus_file}"
    for name, member in world.members.items():
        listed = member.get(f"/rounds/{world.round_id}/attachments")
        assert listed.status_code == 200
        item = soup(listed.text).select_one(f"#attachment-{world.caucus_file}")
        assert item is not None, name
        # its title, and its first version's file name (the earlier versions are listed)
        assert world.markers["file title"] in item.text
        assert f"{world.markers['file name']}-1.docx" in item.text
        current = member.get(file)
        assert current.status_code == 200
        assert world.markers["second version's text"] in readable(current)
        first = member.get(f"{file}/versions/1")
        assert first.status_code == 200
        assert world.markers["file text"] in readable(first)
        assert f"{world.markers['file name']}-1.docx" in first.headers["content-disposition"]
    # the text extracted at upload (for search) is the file's own
    texts = db.scalars(
        select(AttachmentVersion.text)
        .where(AttachmentVersion.attachment_id == world.caucus_file)
        .order_by(AttachmentVersion.number)
    ).all()
    assert world.markers["file text"] in texts[0]
    assert world.markers["second version's text"] in texts[1]
    attachment = db.get(Attachment, world.caucus_file)
    assert attachment is not None and attachment.current_version == 2
    # another group's representative reads the documents page: the round's document, not this
    page = world.clients["employers_rep"].get(f"/rounds/{world.round_id}/attachments").text
    assert "Background study" in page
    assert world.markers["file title"] not in page
    # the shared audit log: the round's document was added (recorded), the caucus's file never
    events = db.scalars(select(AuditEvent).where(AuditEvent.action.startswith("attachment."))).all()
    assert [(e.action, json.loads(e.details)["attachment"]) for e in events] == [
        ("attachment.added", world.round_file)
    ]
    everything = json.dumps([e.details for e in db.scalars(select(AuditEvent))])
    assert not [what for what, value in world.markers.items() if value in everything]


#: The caucus's markers its members find through search: every indexed text's (a file's name
#: is not indexed, nor the text of a file's earlier version: its current version's is).
FOUND_BY_MEMBERS = ("message", "reply", "draft", "revised draft", "file title")
FOUND_IN_FILES = ("second version's text",)


def search_results(response: Any) -> list[Any]:
    assert response.status_code == 200, response.status_code
    return soup(response.text).select("#search-results li.search-result")


def test_the_group_s_members_find_its_texts_through_search(make_client, db):
    """The positive control of the sweep above: the markers are there to be found, by the
    group's members, each at its place (and the other group's by that group alone)."""
    world = build(db, make_client)
    for name, member in world.members.items():
        for what in FOUND_BY_MEMBERS + FOUND_IN_FILES:
            value = world.markers[what]
            for url in searching.addresses(value, searching.CAUCUS_KINDS)[:3]:
                for headers in searching.VARIANTS:
                    found = search_results(member.get(url, headers=headers))
                    assert len(found) == 1, (name, what, url, headers)
                    assert value in found[0].get_text(), (name, what, url)
            href = found[0].select_one("a[href]")["href"]
            target = member.get(href)
            assert target.status_code == 200, (name, what, href)
            if what in FOUND_BY_MEMBERS:
                assert value in target.text, (name, what, href)
        # the employers' caucus is not theirs
        employers = world.markers["employers message"]
        assert not search_results(member.get(f"/search?q={employers}")), name
    employers = world.clients["employers_rep"]
    found = search_results(employers.get(f"/search?q={world.markers['employers message']}"))
    assert len(found) == 1
    # once the round is closed the members still find their caucus's texts
    closed = world.clients["moderator"].submit(
        f"/rounds/{world.round_id}/close", {"outcome": "The groups were heard."}
    )
    assert closed.status_code == 303, closed.text
    member = world.members["member"]
    assert len(search_results(member.get(f"/search?q={world.markers['message']}"))) == 1


def _timed(client: Any, db: Session, word: str) -> tuple[list[str], float]:
    with counted_queries(db) as statements:
        start = time.perf_counter()
        response = client.get(f"/search?q={word}")
        took = time.perf_counter() - start
    assert response.status_code in (200, 303), response.status_code
    return list(statements), took


#: Searches per word and role, interleaved with a miss's; and how many times the timing may be
#: measured again on a busy machine before it counts (the statements must be equal every time).
TIMED = 30
ATTEMPTS = 3


def test_a_caucus_word_answers_an_outsider_as_a_miss_does(make_client, db):
    """Timing: an outsider's search for a word only the caucus holds runs the statements a
    search for a random word nothing holds runs (the text of each, parameters aside: the same
    partitions scanned, the same joins), and takes as long (the medians of interleaved
    searches within max(3 ms, 25 %))."""
    world = build(db, make_client)
    secret = world.markers["message"]
    # the members' search does find it (so the outsiders' really is a caucus word's)
    assert search_results(world.members["member"].get(f"/search?q={secret}"))
    slow = []
    for role in OUTSIDERS:
        client = world.clients[role]
        _timed(client, db, secret)  # warm (the first request of a client does more)
        _timed(client, db, marker("miss"))
        for _attempt in range(ATTEMPTS):
            caucus, misses = [], []
            for n in range(TIMED):
                pair = [("caucus", secret), ("miss", marker("miss"))]
                for kind, word in pair if n % 2 else reversed(pair):
                    statements, took = _timed(client, db, word)
                    (caucus if kind == "caucus" else misses).append(took)
                    if kind == "caucus":
                        asked_caucus = statements
                    else:
                        asked_miss = statements
                assert asked_caucus == asked_miss, (role, asked_caucus, asked_miss)
            a, b = statistics.median(caucus), statistics.median(misses)
            if abs(a - b) < max(0.003, 0.25 * b):
                break
        else:
            slow.append(f"{role}: caucus word {a * 1000:.1f} ms, a miss {b * 1000:.1f} ms")
    assert not slow, "\n".join(slow)
