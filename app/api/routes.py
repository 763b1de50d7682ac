"""The read-only JSON API for agencies: ``/api/v1``, authenticated by bearer tokens.

Listings are cursor-paginated (``?limit=&cursor=``, in id order); every answer carries an
``ETag`` and a matching ``If-None-Match`` gets ``304 Not Modified``. A token reads what an
observer reads: every round past draft, positions once they are not sealed, comments without
the text of hidden ones, and summaries of closed rounds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.api import records, schemas, tokens
from app.comments.models import Comment
from app.db import DbSession, read, utcnow
from app.errors import Conflict, NotFound
from app.organisations.models import Organisation
from app.positions.models import Position
from app.recorder import Recording
from app.rounds import rules
from app.rounds.models import Consultation, Round, RoundInvitation
from app.summaries.service import audience_for, load_header, round_summary
from app.vocabulary import RoundStatus, Visibility

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A token an administrator created (Administration › API tokens, or "
    "`tripartite api-token create NAME`).",
)
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.ErrorOut, "description": text}
    for status, text in {
        401: "No token, or a malformed, unknown or revoked one",
        404: "No such resource",
        409: "Not available in the round's current state",
        422: "A parameter out of range, or a malformed cursor",
    }.items()
}


def api_token(
    request: Request,
    db: DbSession,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    recorder: Recording,
) -> int:
    return tokens.authenticate(db, request.headers.get("authorization"), recorder)


router = APIRouter(
    prefix="/api/v1", tags=["read-only API"], dependencies=[Depends(api_token)], responses=ERRORS
)

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1-500).")]
Cursor = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{1,12}$",
        description="The next_cursor of the previous page (keyset pagination: a page starts "
        "after the item the cursor names, so items added meanwhile are neither skipped nor "
        "repeated).",
    ),
]


MAX_ID = 2**31 - 1


def _after(cursor: str | None) -> int:
    # ids are 32-bit: a cursor beyond the last possible id names the end
    return min(int(cursor), MAX_ID) if cursor else 0


def _cursor(last_id: int) -> str:
    return str(last_id)


def _page(rows: Sequence[Any], limit: int) -> tuple[Sequence[Any], str | None]:
    if len(rows) > limit:
        return rows[:limit], _cursor(rows[limit - 1].id)
    return rows, None


def answer(request: Request, payload: Any, etag: str | None = None) -> Response:
    """JSON with an ETag: strong (the body's hash) unless one is given, which is weak (the same
    data, though the body may differ, e.g. in ``generated_at``); 304 when the client has it."""
    body = json.dumps(jsonable_encoder(payload), ensure_ascii=False, separators=(",", ":"))
    data = body.encode()
    tag = f'W/"{etag}"' if etag else '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    matches = request.headers.get("if-none-match", "")
    theirs = {t.strip().removeprefix("W/") for t in matches.split(",")}
    if tag.removeprefix("W/") in theirs or matches.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/json", headers=headers)


def _status(row: Any) -> str:
    return rules.effective_status(
        RoundStatus(row.status), row.opens_at, row.closes_at, utcnow()
    ).value


@router.get("/consultations", response_model=schemas.ConsultationPage)
def consultations(
    request: Request, db: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """Consultations in the order they were created, with their rounds (past draft)."""
    rows = read(
        db,
        select(
            Consultation.id,
            Consultation.title,
            Consultation.brief,
            Consultation.country,
            Consultation.created_at,
        )
        .where(Consultation.id > _after(cursor), _announced())
        .order_by(Consultation.id)
        .limit(limit + 1),
    ).all()
    page, next_cursor = _page(rows, limit)
    rounds = _round_briefs(db, [r.id for r in page])
    items = [
        {
            "id": r.id,
            "title": r.title,
            "brief": r.brief,
            "country": r.country,
            "created_at": r.created_at,
            "rounds": rounds.get(r.id, []),
        }
        for r in page
    ]
    return answer(request, {"items": items, "next_cursor": next_cursor})


def _announced() -> Any:
    """Consultations with a round past draft: what people who are not moderators see."""
    return (
        select(Round.id)
        .where(Round.consultation_id == Consultation.id, Round.status != RoundStatus.DRAFT.value)
        .exists()
    )


def _round_briefs(db: Session, consultation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    briefs: dict[int, list[dict[str, Any]]] = {}
    if not consultation_ids:
        return briefs
    for r in read(
        db,
        select(
            Round.id,
            Round.consultation_id,
            Round.number,
            Round.title,
            Round.status,
            Round.opens_at,
            Round.closes_at,
        )
        .where(
            Round.consultation_id.in_(consultation_ids),
            Round.status != RoundStatus.DRAFT.value,
        )
        .order_by(Round.number),
    ):
        briefs.setdefault(r.consultation_id, []).append(
            {"id": r.id, "number": r.number, "title": r.title, "status": _status(r)}
        )
    return briefs


@router.get("/consultations/{consultation_id}", response_model=schemas.ConsultationOut)
def consultation(request: Request, db: DbSession, consultation_id: int) -> Response:
    row = read(
        db,
        select(
            Consultation.id,
            Consultation.title,
            Consultation.brief,
            Consultation.country,
            Consultation.created_at,
        ).where(Consultation.id == consultation_id, _announced()),
    ).one_or_none()
    if row is None:
        raise NotFound("There is no such consultation.")
    item = dict(row._mapping) | {"rounds": _round_briefs(db, [row.id]).get(row.id, [])}
    return answer(request, item)


_ROUND_COLUMNS = (
    Round.id,
    Round.consultation_id,
    Round.number,
    Round.title,
    Round.brief,
    Round.status,
    Round.weighting,
    Round.sealed,
    Round.opens_at,
    Round.closes_at,
    Round.closed_at,
    Round.published_at,
    Round.outcome,
)


def _rounds_out(db: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    invited: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for r in read(
            db,
            select(
                RoundInvitation.round_id,
                Organisation.id,
                Organisation.name,
                Organisation.group_name,
            )
            .join(Organisation, Organisation.id == RoundInvitation.organisation_id)
            .where(RoundInvitation.round_id.in_([row.id for row in rows]))
            .order_by(Organisation.name),
        ):
            invited.setdefault(r.round_id, []).append(
                {"id": r.id, "name": r.name, "group": r.group_name}
            )
    items = []
    for r in rows:
        status = _status(r)
        closed = status in (RoundStatus.CLOSED.value, RoundStatus.PUBLISHED.value)
        items.append(
            {
                "id": r.id,
                "consultation_id": r.consultation_id,
                "number": r.number,
                "title": r.title,
                "brief": r.brief,
                "status": status,
                "weighting": r.weighting,
                "sealed": r.sealed,
                "opens_at": r.opens_at,
                "closes_at": r.closes_at,
                "closed_at": r.closed_at,
                "published_at": r.published_at,
                "outcome": r.outcome if closed else None,
                "invited": invited.get(r.id, []),
            }
        )
    return items


@router.get("/rounds", response_model=schemas.RoundPage)
def rounds(
    request: Request,
    db: DbSession,
    limit: Limit = 50,
    cursor: Cursor = None,
    consultation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Rounds past draft, optionally of one consultation."""
    query = (
        select(*_ROUND_COLUMNS)
        .where(Round.status != RoundStatus.DRAFT.value, Round.id > _after(cursor))
        .order_by(Round.id)
        .limit(limit + 1)
    )
    if consultation_id is not None:
        query = query.where(Round.consultation_id == consultation_id)
    page, next_cursor = _page(read(db, query).all(), limit)
    return answer(request, {"items": _rounds_out(db, page), "next_cursor": next_cursor})


def _round_row(db: Session, round_id: int) -> Any:
    row = read(db, select(*_ROUND_COLUMNS).where(Round.id == round_id)).one_or_none()
    if row is None or row.status == RoundStatus.DRAFT.value:
        raise NotFound("There is no such round.")
    return row


@router.get("/rounds/{round_id}", response_model=schemas.RoundOut)
def round_(request: Request, db: DbSession, round_id: int) -> Response:
    return answer(request, _rounds_out(db, [_round_row(db, round_id)])[0])


@router.get("/rounds/{round_id}/summary", response_model=schemas.Summary)
def summary(request: Request, db: DbSession, round_id: int) -> Response:
    """The equal-weight summary of a closed or published round (409 before it closes)."""
    header = load_header(db, round_id)
    audience_for(header, None)
    data = round_summary(db, header)
    etag = data["fingerprint"].removeprefix("sha256:")[:32] + "-" + header.status.value
    return answer(request, data, etag)


@router.get("/rounds/{round_id}/positions", response_model=schemas.PositionPage)
def positions(
    request: Request, db: DbSession, round_id: int, limit: Limit = 100, cursor: Cursor = None
) -> Response:
    """Each organisation's current position (409 while a sealed round is open)."""
    row = _round_row(db, round_id)
    if not rules.positions_visible(row.sealed, RoundStatus(_status(row))):
        raise Conflict("This round's positions are sealed until it closes.")
    rows = read(
        db,
        select(
            Position.id,
            Position.round_id,
            Organisation.name.label("organisation"),
            Organisation.group_name.label("group"),
            Position.stance,
            Position.statement,
            Position.version,
            Position.created_at,
            Position.updated_at,
        )
        .join(Organisation, Organisation.id == Position.organisation_id)
        .where(Position.round_id == round_id, Position.id > _after(cursor))
        .order_by(Position.id)
        .limit(limit + 1),
    ).all()
    page, next_cursor = _page(rows, limit)
    return answer(request, {"items": [dict(r._mapping) for r in page], "next_cursor": next_cursor})


@router.get("/rounds/{round_id}/comments", response_model=schemas.CommentPage)
def comments(
    request: Request, db: DbSession, round_id: int, limit: Limit = 100, cursor: Cursor = None
) -> Response:
    """Comments in posting order; a hidden or unapproved comment keeps its place, not its text."""
    _round_row(db, round_id)
    rows = read(
        db,
        select(
            Comment.id,
            Comment.round_id,
            Comment.parent_id,
            Comment.position_id,
            Organisation.name.label("organisation"),
            Organisation.group_name.label("group"),
            User.name.label("author"),
            Comment.body,
            Comment.visibility,
            Comment.created_at,
            Comment.edited_at,
        )
        .join(Organisation, Organisation.id == Comment.organisation_id)
        .join(User, User.id == Comment.author_id)
        .where(Comment.round_id == round_id, Comment.id > _after(cursor))
        .order_by(Comment.id)
        .limit(limit + 1),
    ).all()
    page, next_cursor = _page(rows, limit)
    items = [
        dict(r._mapping) | {"body": r.body if r.visibility == Visibility.VISIBLE.value else None}
        for r in page
    ]
    return answer(request, {"items": items, "next_cursor": next_cursor})


# --- tripartite bodies, their meetings and decisions -------------------------------------------


def token_owner(db: DbSession, token_id: Annotated[int, Depends(api_token)]) -> Viewer | None:
    """The person who made the token: restricted agenda items are read as they may."""
    return records.token_owner(db, token_id)


Owner = Annotated[Viewer | None, Depends(token_owner)]
BodyId = int  # (an id out of range is not found: 404, as every other path answers)


def _listing(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    if len(items) > limit:
        return {"items": items[:limit], "next_cursor": _cursor(items[limit - 1]["id"])}
    return {"items": items, "next_cursor": None}


@router.get("/bodies", response_model=schemas.BodyPage)
def bodies(request: Request, db: DbSession, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """Tripartite bodies (councils, C144 commissions, task teams) with their rules and seats
    per group."""
    return answer(request, _listing(records.bodies(db, _after(cursor), limit + 1), limit))


@router.get("/bodies/{body_id}/meetings", response_model=schemas.MeetingPage)
def body_meetings(
    request: Request,
    db: DbSession,
    owner: Owner,
    body_id: BodyId,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """A body's meetings with their attendance, whether they are quorate now, and the agenda
    items the token's owner may see (restricted items they may not see are absent)."""
    items = records.meetings(db, owner, body_id, _after(cursor), limit + 1)
    return answer(request, _listing(items, limit))


@router.get("/bodies/{body_id}/decisions", response_model=schemas.DecisionPage)
def body_decisions(
    request: Request,
    db: DbSession,
    owner: Owner,
    body_id: BodyId,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """A body's recorded decisions (the register): method, attendance, votes by organisation
    and group, result, divergent positions and the state of their actions. Decisions on agenda
    items the token's owner may not see are absent."""
    items = records.decisions(db, owner, body_id, _after(cursor), limit + 1)
    return answer(request, _listing(items, limit))


schema_router = APIRouter(prefix="/api/v1", tags=["schemas"])


@schema_router.get("/schema/summary.json", response_model=dict[str, Any])
def summary_schema() -> JSONResponse:
    """The JSON Schema of the summary, as ``/api/v1/rounds/{id}/summary`` answers it."""
    return JSONResponse(summary_json_schema())


@schema_router.get("/schema/summary-export.json", response_model=dict[str, Any])
def summary_export_schema() -> JSONResponse:
    """The JSON Schema of the JSON download: the summary plus ``audience`` and ``items``."""
    return JSONResponse(export_json_schema())


def _schema(model: type[schemas.Strict], title: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def summary_json_schema() -> dict[str, Any]:
    return _schema(schemas.Summary, "Tripartite round summary")


def export_json_schema() -> dict[str, Any]:
    return _schema(schemas.SummaryExport, "Tripartite round summary with its items (JSON export)")


#: The published schemas of a body's records: name -> (model, title).
RECORD_SCHEMAS: dict[str, tuple[type[schemas.Strict], str]] = {
    "body": (schemas.BodyOut, "Tripartite body"),
    "meeting": (schemas.MeetingOut, "Tripartite body's meeting"),
    "decision": (schemas.DecisionOut, "Tripartite body's decision"),
}


def record_json_schema(name: str) -> dict[str, Any]:
    model, title = RECORD_SCHEMAS[name]
    return _schema(model, title)


@schema_router.get("/schema/body.json", response_model=dict[str, Any])
def body_schema() -> JSONResponse:
    """The JSON Schema of a body, as ``/api/v1/bodies`` lists them."""
    return JSONResponse(record_json_schema("body"))


@schema_router.get("/schema/meeting.json", response_model=dict[str, Any])
def meeting_schema() -> JSONResponse:
    """The JSON Schema of a meeting, as ``/api/v1/bodies/{id}/meetings`` lists them."""
    return JSONResponse(record_json_schema("meeting"))


@schema_router.get("/schema/decision.json", response_model=dict[str, Any])
def decision_schema() -> JSONResponse:
    """The JSON Schema of a recorded decision, as ``/api/v1/bodies/{id}/decisions`` lists them."""
    return JSONResponse(record_json_schema("decision"))
