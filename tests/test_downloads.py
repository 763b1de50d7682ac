"""Every download the application offers, fetched whole through a real server on both
databases: each request on a session and connection of its own, as in production (the shared,
rolled-back session of ``make_client`` keeps every read inside one transaction, and hid a
PostgreSQL server-side cursor opened outside any transaction).

The downloads are found from the route table: a GET whose path ends in a file extension (or
``.{fmt}``), or whose endpoint takes a ``format`` parameter. A download this table does not
know fails the suite, by name.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi.routing import iter_route_contexts
from icalendar import Calendar
from odf.opendocument import load as load_odt
from odf.text import P
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import Route

from app.accounts.credentials import hash_token, new_token
from app.accounts.rules import Viewer
from app.audit.models import AuditEvent
from app.audit.service import record
from app.bodies.calendar import PREFIX
from app.bodies.models import CalendarFeed
from app.config import Settings
from app.decisions import service as decisions
from app.decisions.register import CSV_COLUMNS
from app.main import create_app
from app.meetings.models import AgendaItem
from app.migrate import upgrade
from app.organisations.models import Organisation
from app.rounds.models import Round
from app.vocabulary import AgendaItemStatus, DecisionMethod, PlatformRole, RoundStatus
from tests import factories
from tests.conftest import _fresh_url
from tests.live import LiveApp, served_world
from tests.security.world import World

EXTENSION = re.compile(r"\.(\{\w+\}|[a-z]+)$")
#: Enough audit events that the audit CSV spans many of its chunks (and database batches).
AUDIT_EVENTS = 1_500
#: Enough comments that a round's CSV and JSON stream in several parts.
COMMENTS = 400


def download_routes(folder: Path) -> set[str]:
    """GET paths that answer a file: an extension in the path or a ``format`` parameter."""
    app = create_app(Settings(data_dir=folder, secret_key="routes"))  # its route table only
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        takes_format = "format" in inspect.signature(route.endpoint).parameters
        if EXTENSION.search(str(context.path)) or takes_format:
            found.add(str(context.path))
    return found


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(body: bytes) -> dict[str, int]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {sheet.title: sum(1 for _row in sheet.iter_rows()) for sheet in book.worksheets}


def _pdf(body: bytes) -> None:
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")


@dataclass
class Fetch:
    role: str
    path: str
    check: Callable[[bytes, World], None]


def _audit_csv(body: bytes, world: World) -> None:
    rows = _csv(body)
    assert rows[0] == ["id", "at", "actor", "action", "subject_type", "subject_id", "details"]
    assert len(rows) - 1 == world.ids["audit_events"]  # every event, to the last one
    assert rows[-1][0] == str(world.ids["first_event"])  # newest first: the oldest ends it


def _round_csv(body: bytes, world: World) -> None:
    rows = _csv(body)
    assert rows[0][:2] and len(rows) - 1 >= COMMENTS
    assert any(f"Comment number {COMMENTS - 1}." in cell for row in rows for cell in row)


def _round_json(body: bytes, world: World) -> None:
    data = json.loads(body)
    assert len(data["items"]) >= COMMENTS
    # one item per line, as scripts reading the items line by line have always had them
    item_lines = [line for line in body.split(b"\n") if line.startswith(b'{"kind"')]
    assert len(item_lines) == len(data["items"])


def _round_xlsx(body: bytes, world: World) -> None:
    sheets = _xlsx(body)
    assert sheets["comments"] > COMMENTS


def _report_xlsx(body: bytes, world: World) -> None:
    assert _xlsx(body)


def _register_csv(body: bytes, world: World) -> None:
    rows = _csv(body)
    assert tuple(rows[0]) == CSV_COLUMNS
    decision = rows[0].index("decision_id")
    # every decision of the body, the open one too, newest first
    expected = [world.ids["recorded_decision"], world.ids["dec_decision"]]
    assert [row[decision] for row in rows[1:]] == [str(d) for d in sorted(expected, reverse=True)]


def _register_xlsx(body: bytes, world: World) -> None:
    assert max(_xlsx(body).values()) >= 2  # a heading and the recorded decision


def _calendar(*titles: str) -> Callable[[bytes, World], None]:
    def check(body: bytes, world: World) -> None:
        calendar = Calendar.from_ical(body)
        found = {str(event.get("summary")) for event in calendar.walk("VEVENT")}
        assert all(any(title in summary for summary in found) for title in titles), found

    return check


def _json(body: bytes, world: World) -> None:
    assert json.loads(body)


def _pdf_check(body: bytes, world: World) -> None:
    _pdf(body)


def _docx(body: bytes, world: World) -> None:
    document = Document(io.BytesIO(body))
    assert document.paragraphs[0].style.name == "Title" and document.core_properties.title


def _odt(body: bytes, world: World) -> None:
    document = load_odt(io.BytesIO(body))
    assert document.mimetype == "application/vnd.oasis.opendocument.text"
    assert document.getElementsByType(P)


def _documents(paper: str, round_key: str) -> list[Fetch]:
    return [
        Fetch(role, f"/rounds/{{{round_key}}}/{paper}.{fmt}", check)
        for fmt, check in (("docx", _docx), ("odt", _odt))
        for role in ("rep", "moderator")
    ]


#: Each download, as who fetches it and what a whole one holds.
DOWNLOADS: dict[str, list[Fetch]] = {
    "/audit": [Fetch("observer", "/audit?format=csv", _audit_csv)],
    "/rounds/{round_id}/summary.{fmt}": [
        Fetch(role, "/rounds/{closed}/summary." + fmt, check)
        for fmt, check in (
            ("csv", _round_csv),
            ("json", _round_json),
            ("xlsx", _round_xlsx),
            ("pdf", _pdf_check),
        )
        for role in ("rep", "moderator")
    ],
    "/rounds/{round_id}/draft.{fmt}": _documents("draft", "round"),
    "/rounds/{round_id}/revised.{fmt}": _documents("revised", "closed"),
    "/rounds/{round_id}/record.{fmt}": _documents("record", "closed"),
    "/cycle/{country}/{year}/report.pdf": [
        Fetch("observer", "/cycle/Ardenia/{year}/report.pdf", _pdf_check)
    ],
    "/cycle/{country}/{year}/report.xlsx": [
        Fetch("observer", "/cycle/Ardenia/{year}/report.xlsx", _report_xlsx)
    ],
    "/api/openapi.json": [Fetch("anonymous", "/api/openapi.json", _json)],
    "/api/v1/schema/summary.json": [Fetch("anonymous", "/api/v1/schema/summary.json", _json)],
    "/api/v1/schema/summary-export.json": [
        Fetch("anonymous", "/api/v1/schema/summary-export.json", _json)
    ],
    **{
        f"/api/v1/schema/{name}.json": [Fetch("anonymous", f"/api/v1/schema/{name}.json", _json)]
        for name in ("body", "meeting", "decision")
    },
    "/bodies/{body_id}/calendar.ics": [
        Fetch("anonymous", "/bodies/{body}/calendar.ics", _calendar("Security plenary"))
    ],
    "/calendar/{token}.ics": [
        Fetch("anonymous", "/calendar/{calendar_token}.ics", _calendar("Security plenary"))
    ],
    "/bodies/{body_id}/decisions.csv": [
        Fetch(role, "/bodies/{dec_body}/decisions.csv", _register_csv)
        for role in ("observer", "rep")
    ],
    "/bodies/{body_id}/decisions.xlsx": [
        Fetch("observer", "/bodies/{dec_body}/decisions.xlsx", _register_xlsx)
    ],
    "/bodies/{body_id}/decisions.pdf": [
        Fetch("observer", "/bodies/{dec_body}/decisions.pdf", _pdf_check)
    ],
}


def test_every_download_is_in_the_table(tmp_path):
    found = download_routes(tmp_path)
    assert "/audit" in found and "/rounds/{round_id}/summary.{fmt}" in found  # the finder works
    assert found == set(DOWNLOADS), (
        f"downloads missing from DOWNLOADS: {sorted(found - set(DOWNLOADS))}; "
        f"no longer routes: {sorted(set(DOWNLOADS) - found)}"
    )


@dataclass
class Served:
    app: LiveApp
    world: World
    clients: dict[str, Any]


def _long_round_and_log(db: Session, world: World) -> None:
    """A published round with many comments, and a long audit log."""
    closed = db.get_one(Round, world.ids["closed"])
    closed.published_at = closed.closes_at
    org = db.get_one(Organisation, world.ids["organisation"])
    for n in range(COMMENTS):
        factories.comment(db, closed, world.people["rep"], org, f"Comment number {n}.")
    _recorded_decision_and_feed(db, world)
    for n in range(AUDIT_EVENTS):
        record(db, world.people["moderator"].id, "test.filler", "round", closed.id, n=n)
    db.flush()
    world.ids["audit_events"] = db.scalar(select(func.count(AuditEvent.id))) or 0
    world.ids["first_event"] = db.scalar(select(func.min(AuditEvent.id))) or 0
    world.ids["year"] = closed.opens_at.year
    revision = Round(
        consultation_id=closed.consultation_id,
        number=2,
        title="Closed round, revised",
        brief="The revised draft.",
        status=RoundStatus.OPEN.value,
        weighting=closed.weighting,
        opens_at=closed.closes_at,
        closes_at=closed.closes_at + timedelta(days=30),
        previous_round_id=closed.id,
    )
    db.add(revision)
    db.flush()
    factories.draft(db, revision, "The revised draft's first paragraph.", "Its second one.")


def _recorded_decision_and_feed(db: Session, world: World) -> None:
    """A decision recorded by consensus in the decisions' body, and the rep's private feed."""
    moderator = world.people["moderator"]
    secretariat = Viewer(moderator.id, moderator.name, moderator.email, PlatformRole.MODERATOR)
    item = db.get_one(AgendaItem, world.ids["dec_item"])
    item.status = AgendaItemStatus.ACCEPTED
    opening = decisions.Opening(
        "Raise the minimum wage.", DecisionMethod.CONSENSUS, Fraction(1, 2), None, None
    )
    decision = decisions.open_decision(db, secretariat, item.id, opening)
    decisions.record_decision(db, secretariat, decision.id, consensus="yes")
    world.ids["recorded_decision"] = decision.id
    secret, _hash = new_token()
    db.add(CalendarFeed(user_id=world.people["rep"].id, token_hash=hash_token(PREFIX + secret)))
    world.ids["calendar_token"] = PREFIX + secret  # type: ignore[assignment]


@pytest.fixture(scope="module")
def served_downloads(
    backend: str, postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The security suite's world, with a long published round and a long audit log, in a
    database of its own, served for real."""
    folder = tmp_path_factory.mktemp(f"downloads-{backend}")
    url = _fresh_url(backend, postgres_server, folder)
    upgrade(url)
    with served_world(url, folder, _long_round_and_log) as (app, world):
        clients = {"anonymous": app.browser()}
        for role in ("rep", "observer", "moderator"):
            clients[role] = app.browser(world.people[role])
        yield Served(app, world, clients)
        for client in clients.values():
            client.close()


CASES = [(template, fetch) for template, fetches in DOWNLOADS.items() for fetch in fetches]


@pytest.mark.parametrize(
    ("template", "fetch"), CASES, ids=[f"{f.role}:{f.path}" for _t, f in CASES]
)
def test_every_download_completes(served_downloads: Served, template: str, fetch: Fetch) -> None:
    world = served_downloads.world
    path = fetch.path.format(**{k: v for k, v in world.ids.items()})
    client = served_downloads.clients[fetch.role]
    with client.stream("GET", path) as response:
        body = b"".join(response.iter_bytes())  # a stream broken midway raises here
    assert response.status_code == 200, body[:2000]
    fetch.check(body, world)
