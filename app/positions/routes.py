"""Posting a position (inline with htmx, Post/Redirect/Get without) and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.confirmations import confirm
from app.db import DbSession
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.positions import service
from app.positions.models import Position
from app.rounds import page as round_page
from app.rounds.rules import STANCE_LABELS
from app.web import is_htmx, new_key, refusal, render, see_other, url_path

router = APIRouter()


@router.post("/rounds/{round_id}/positions", name="positions.post")
def post_position(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    stance: Annotated[str, Form(max_length=40)] = "",
    statement: Annotated[str, Form(max_length=40_000)] = "",
    base_version: Annotated[int, Form(ge=0)] = 0,
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    data = service.PositionInput(stance, statement, base_version, idempotency_key, language)
    try:
        service.post(db, viewer, round_id, data)
    except DomainError as error:
        stale = error.current if isinstance(error, service.StalePosition) else None
        form = {
            "stance": stance,
            "statement": statement,
            "base_version": stale.version if stale else base_version,
            "key": new_key(),
            "language": language,
        }
        errors = {error.field or "form": error.message}

        def again() -> Response:
            context = round_page.build(
                request,
                db,
                viewer,
                round_id,
                position_form=form,
                position_errors=errors,
                stale=stale,
            )
            return render(request, "positions/_form.html", context, page="rounds/show.html")

        return refusal(request, db, error, again, target="#your-position")
    db.commit()
    url = url_path(request, "rounds.show", round_id=round_id) + "#your-position"
    confirm(request, _("Your organisation's position is saved."))
    if not is_htmx(request):
        return see_other(request, url)
    # under htmx the form swapped in says so itself, beside the position (and the status region)
    context = round_page.build(request, db, viewer, round_id, position_saved=True)
    return render(request, "positions/_posted.html", context)


@router.get("/rounds/{round_id}/positions/{position_id}/history", name="positions.history")
def position_history(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, position_id: int
) -> Response:
    info = round_page.load_round(db, round_id, viewer)
    position = db.get(Position, position_id)
    if position is None or position.round_id != round_id:
        raise NotFound(_("There is no such position in this round."))
    from app.rounds import rules

    if not rules.positions_visible(info.sealed, info.status) and not viewer.speaks_for(
        position.organisation_id
    ):
        raise NotFound(_("Positions in this round are sealed until it closes."))
    versions = service.history(db, position_id)
    authors = round_page.user_names(db, {v.author_id for v in versions})
    return render(
        request,
        "positions/history.html",
        {
            "round": info,
            "position": position,
            "versions": versions,
            "authors": authors,
            "organisation": round_page.organisation_name(db, position.organisation_id),
            "stance_labels": STANCE_LABELS,
        },
    )
