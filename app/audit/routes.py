"""The audit log page (moderators, administrators and observers), filterable, as CSV too."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Generator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Connection, Select, select
from starlette.background import BackgroundTask

from app.accounts.deps import CurrentViewer
from app.accounts.models import User
from app.audit import rules
from app.audit.models import AuditEvent
from app.audit.service import shared
from app.db import DbSession, read
from app.errors import Forbidden
from app.exports import stream
from app.exports.cells import spreadsheet_safe
from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.organisations.models import Organisation
from app.rounds.models import Round
from app.web import render

router = APIRouter()
AnySelect = Select[*tuple[Any, ...]]
PAGE_SIZE = 100
CSV_COLUMNS = ["id", "at", "actor", "action", "subject_type", "subject_id", "details"]
#: What an event can be about, as the filter offers it and the page names it (the codes stay
#: as they are in the log and its CSV export).
SUBJECT_TYPES = Labels(
    {
        "round": N_("round"),
        "comment": N_("comment"),
        "position": N_("position"),
        "mandate": N_("mandate"),
        "invitation": N_("invitation"),
        "organisation": N_("organisation"),
        "user": N_("user"),
        "consultation": N_("consultation"),
        "amendment": N_("amendment"),
        "api_token": N_("API token"),
    }
)


def _query(action: str, subject_type: str, subject_id: int | None) -> AnySelect:
    query: AnySelect = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.action,
            AuditEvent.subject_type,
            AuditEvent.subject_id,
            AuditEvent.details,
            User.name.label("actor"),
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(shared())  # what a caucus did stays in it (app.audit.rules)
        .order_by(AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if subject_type:
        query = query.where(AuditEvent.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    return query


@router.get("/audit", name="audit.index")
def audit_log(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    connections: stream.ExportConnections,
    action: Annotated[str, Query(max_length=60)] = "",
    subject_type: Annotated[str, Query(max_length=40)] = "",
    subject_id: Annotated[int | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    format: Annotated[str, Query(max_length=10)] = "html",
) -> Response:
    if not viewer.may_oversee:
        raise Forbidden(_("The audit log is for moderators, administrators and observers."))
    query = _query(action, subject_type, subject_id)
    if format == "csv":
        # like every download: read from a snapshot connection of its own, in a transaction
        # (a streamed read needs one on PostgreSQL), one of the few download slots
        db.commit()
        slots: stream.ExportSlots = request.app.state.export_slots
        release = slots.take()
        return StreamingResponse(
            stream.in_threadpool(lambda: _csv_chunks(connections, query), release),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="tripartite-audit.csv"',
                "Cache-Control": "private, no-store",
            },
            background=BackgroundTask(release),  # if the body was never started
        )
    rows = read(db, query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    events = [
        rules.Event(
            action=r.action,
            actor=r.actor,
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            at=r.at,
            details=_details(r.details),
        )
        for r in rows[:PAGE_SIZE]
    ]
    names = _names(db, events)
    shown = [
        {
            "id": r.id,
            "at": r.at,
            "told": rules.tell(e, names),
            "action": r.action,
            "subject_type": r.subject_type,
            "subject_id": r.subject_id,
            "raw": r.details or "{}",
        }
        for r, e in zip(rows, events, strict=False)
    ]
    return render(
        request,
        "audit/index.html",
        {
            "events": shown,
            "has_more": len(rows) > PAGE_SIZE,
            "page": page,
            "subject_types": SUBJECT_TYPES,
            "filters": {
                "action": action,
                "subject_type": subject_type,
                "subject_id": "" if subject_id is None else subject_id,
            },
        },
    )


def _details(raw: str | None) -> dict[str, Any]:
    try:
        details = json.loads(raw or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _names(db: DbSession, events: list[rules.Event]) -> rules.Names:
    """The names every event of the page mentions: one query per kind, whatever the rows."""
    users, organisations, rounds = rules.wanted(events)
    return rules.Names(
        users=_by_id(db, select(User.id, User.name).where(User.id.in_(users)), users),
        organisations=_by_id(
            db,
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisations)),
            organisations,
        ),
        rounds=_by_id(db, select(Round.id, Round.title).where(Round.id.in_(rounds)), rounds),
    )


def _by_id(db: DbSession, query: AnySelect, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row[0]: row[1] for row in read(db, query).all()}


def _csv_chunks(source: stream.ConnectionSource, query: AnySelect) -> Generator[bytes, None, None]:
    with source() as conn:
        for text in _csv_rows(conn, query):
            yield text.encode()


def _csv_rows(conn: Connection, query: AnySelect) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in conn.execute(query.execution_options(yield_per=500)):
        writer.writerow(
            [
                spreadsheet_safe(v)
                for v in (
                    row.id,
                    row.at.isoformat(),
                    row.actor or "system",
                    row.action,
                    row.subject_type,
                    row.subject_id,
                    row.details,
                )
            ]
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
