"""Every page of the demo, and every download meant for people, reads like a record: no
``None``, no Python dictionary (``{'``), no ISO timestamp with microseconds, no raw markdown
(``**bold**``), in English, French and Spanish, for a moderator, an administrator and a
representative.

The pages come from the route table (every GET route, its path parameters filled from the
demo's data); machine outputs (the API, CSV and JSON) are left out: their codes and ISO
times are their contract. What a page shows on demand as technical details (the audit log's
codes and raw data) is left out too, and so is a text box's content (the markdown its writer
edits)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import iter_route_contexts
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Route

from app import demo
from app.accounts.models import User
from app.bodies.models import Body
from app.comments.models import Comment
from app.config import Settings
from app.decisions.models import Action, Decision
from app.main import create_app
from app.meetings.models import Meeting, Minutes
from app.organisations.models import Mandate, Organisation
from app.positions.models import Position
from app.rounds.models import Consultation, Round
from app.vocabulary import Group, MandateRole, PlatformRole
from tests.factories import signed_in

LANGUAGES = ("en", "fr", "es")
#: What never belongs in what a person reads.
UNREADABLE = {
    "None": re.compile(r"\bNone\b"),
    "a Python dictionary": re.compile(r"\{'"),
    "an ISO time with microseconds": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+"),
    "raw markdown": re.compile(r"\*\*\S[^*]*\*\*|__\S[^_]*__"),
}
#: Machine outputs: their codes and ISO times are the contract.
MACHINE = re.compile(r"^/api/|^/healthz$|\.json$|\.csv$")
#: Pages of the demo that need what the demo does not hold (an invitation's secret token).
UNREACHABLE = {"/invitations/{token}"}


def get_routes(folder: Path) -> list[str]:
    app = create_app(Settings(data_dir=folder, secret_key="routes"))  # its route table only
    paths = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Route) and "GET" in (route.methods or ()):
            paths.append(str(context.path))
    return paths


def unreadable(text: str) -> list[str]:
    found = []
    for what, pattern in UNREADABLE.items():
        match = pattern.search(text)
        if match:
            found.append(f"{what}: …{text[max(0, match.start() - 60) : match.end() + 60]}…")
    return found


def page_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    # a form's text box holds what its writer typed (markdown, which they edit as such)
    for hidden in soup.select("details.technical, script, style, template, textarea"):
        hidden.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


class Demo:
    """The demo's ids, to fill the route table's path parameters."""

    def __init__(self, db: Session) -> None:
        self.rounds = list(db.scalars(select(Round.id).order_by(Round.id)))
        self.consultations = list(db.scalars(select(Consultation.id)))
        self.organisations = list(db.scalars(select(Organisation.id).order_by(Organisation.id)))
        self.country = db.scalar(select(Consultation.country)) or ""
        self.year = max(r.year for r in db.scalars(select(Round.opens_at)) if r)
        self.positions = {
            r: list(db.scalars(select(Position.id).where(Position.round_id == r).limit(1)))
            for r in self.rounds
        }
        self.comments = {
            r: list(db.scalars(select(Comment.id).where(Comment.round_id == r).limit(1)))
            for r in self.rounds
        }
        # the tripartite bodies' pages (issue 18): every body, meeting, decision, minutes, action
        self.body_parts = {
            "body_id": list(db.scalars(select(Body.id))),
            "meeting_id": list(db.scalars(select(Meeting.id))),
            "decision_id": list(db.scalars(select(Decision.id))),
            "minutes_id": list(db.scalars(select(Minutes.id))),
            "action_id": list(db.scalars(select(Action.id))),
        }

    def urls(self, path: str) -> Iterator[str]:
        params = set(re.findall(r"\{(\w+)\}", path))
        if path == "/search":  # what the demo's words find, all of it and by kind, newest first
            yield "/search?q=migrant"
            yield "/search?q=migrant%20workers&kind=comment&kind=position&sort=date"
            yield "/search?q=migrnt"  # a typo: the empty state (and "did you mean")
            return
        if not params:
            yield path
            return
        if params == {"consultation_id"}:
            for c in self.consultations:
                yield path.format(consultation_id=c)
            return
        if params == {"organisation_id"}:
            for o in self.organisations[:2]:
                yield path.format(organisation_id=o)
            return
        if params == {"country", "year"}:
            yield path.format(country=self.country, year=self.year)
            return
        if len(params) == 1 and next(iter(params)) in self.body_parts:
            (name,) = params
            for value in self.body_parts[name]:
                yield path.format(**{name: value})
            return
        if params & {"item_id", "seat_id", "document_id", "file_id", "token", "kind", "row_id"}:
            return  # forms' targets, files people uploaded and secret addresses: not pages
        if "attachment_id" in params:
            return  # an attachment's download is the file people uploaded, not our words
        for r in self.rounds:
            values: dict[str, Any] = {"round_id": r}
            if "fmt" in params:
                for fmt in ("xlsx", "pdf"):  # the downloads meant for people
                    yield path.format(round_id=r, fmt=fmt)
                continue
            if "position_id" in params:
                values["position_id"] = (self.positions[r] or [None])[0]
            if "comment_id" in params:
                values["comment_id"] = (self.comments[r] or [None])[0]
            if None in values.values():
                continue
            if "group" in params:
                for g in Group:
                    yield path.format(**values, group=g.value)
                continue
            yield path.format(**values)


@pytest.fixture
def demo_world(db: Session) -> dict[str, User]:
    demo.load(db, "demo-password-for-tests")
    db.flush()
    by_role = {
        "moderator": db.scalars(
            select(User).where(User.platform_role == PlatformRole.MODERATOR)
        ).first(),
        "admin": db.scalars(select(User).where(User.platform_role == PlatformRole.ADMIN)).first(),
        "representative": db.scalars(
            select(User)
            .join(Mandate, Mandate.user_id == User.id)
            .where(Mandate.role == MandateRole.REPRESENTATIVE)
            .order_by(User.id)
        ).first(),
    }
    assert all(by_role.values()), by_role
    return by_role  # type: ignore[return-value]


def test_no_page_or_document_of_the_demo_shows_codes_dictionaries_or_raw_times(
    make_client, db, demo_world, tmp_path
):
    ids = Demo(db)
    paths = [p for p in get_routes(tmp_path) if not MACHINE.search(p) and p not in UNREACHABLE]
    assert "/audit" in paths and "/rounds/{round_id}/summary.{fmt}" in paths  # the finder works
    problems: list[str] = []
    read = {"page": 0, "pdf": 0, "xlsx": 0}
    for role, person in demo_world.items():
        browser = signed_in(make_client, db, person)
        for language in LANGUAGES:
            browser.cookies.set("tripartite_lang", language)
            for path in paths:
                documents = role == "moderator"  # each download read once per language
                for url in ids.urls(path):
                    if url.endswith((".pdf", ".xlsx")) and not documents:
                        continue
                    response = browser.get(url)
                    if response.status_code != 200:
                        continue  # not for this person, or not in this round's state
                    kind = response.headers.get("content-type", "")
                    if "pdf" in kind:
                        reader = PdfReader(io.BytesIO(response.content))
                        text = " ".join(p.extract_text() for p in reader.pages)
                        read["pdf"] += 1
                    elif "spreadsheet" in kind:
                        book = load_workbook(io.BytesIO(response.content), read_only=True)
                        text = " ".join(
                            str(v)
                            for sheet in book.worksheets
                            for row in sheet.values
                            for v in row
                            if isinstance(v, str)
                        )
                        read["xlsx"] += 1
                    elif "html" in kind:
                        text = page_text(response.text)
                        read["page"] += 1
                    else:
                        continue
                    problems += [f"{url} ({role}, {language}): {p}" for p in unreadable(text)]
    assert read["page"] > 60 and read["pdf"] >= 3 and read["xlsx"] >= 3, read
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_it_looks_for():
    html = (
        "<p>Before: None</p><p>{'status': 'open'}</p><p>2026-12-02T20:11:05.890693+00:00</p>"
        "<p>**bold**</p><details class='technical'>2026-12-02T20:11:05.890693+00:00</details>"
    )
    found = {p.split(":")[0] for p in unreadable(page_text(html))}
    assert found == set(UNREADABLE)
    assert not unreadable(page_text("<p>None of the groups</p>"))[1:]  # one word, one finding
    clean = "<p>02 Dec 2026, 20:11 UTC</p><details class='technical'>{'a': None}</details>"
    assert not unreadable(page_text(clean))
