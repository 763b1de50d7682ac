"""The moderators' form naming a round's officers; the officers' line on the round page."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.confirmations import confirm
from app.db import DbSession
from app.errors import DomainError
from app.i18n import gettext as _
from app.officers import service
from app.officers.rules import OfficerRole
from app.rounds import page as round_page
from app.rounds.service import require_moderator
from app.vocabulary import RoundStatus
from app.web import refusal, render, see_other, url_path

router = APIRouter()


def _form_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    form: service.OfficersForm,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    info = round_page.load_round(db, round_id, viewer)
    return render(
        request,
        "officers/edit.html",
        {
            "round": info,
            "form": form,
            "errors": errors,
            "candidates": service.candidates(db, round_id),
            "roles": OfficerRole,
            "final": info.status is RoundStatus.PUBLISHED,
        },
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/officers", name="officers.edit")
def edit(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
    require_moderator(viewer)
    return _form_page(request, db, viewer, round_id, service.current_form(db, round_id), {})


@router.post("/rounds/{round_id}/officers", name="officers.save")
def save(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    chair_user: Annotated[str, Form(max_length=20)] = "",
    chair_name: Annotated[str, Form(max_length=1000)] = "",
    vice_chair_employers: Annotated[str, Form(max_length=20)] = "",
    vice_chair_workers: Annotated[str, Form(max_length=20)] = "",
    social_partners_first: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = service.OfficersForm(
        chair_user,
        chair_name,
        vice_chair_employers,
        vice_chair_workers,
        bool(social_partners_first),
    )
    try:
        service.save(db, viewer, round_id, form)
    except DomainError as error:
        errors = getattr(error, "errors", None) or {error.field or "form": error.message}
        again = partial(_form_page, request, db, viewer, round_id, form, errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(request, _("The round's officers are saved."))
    return see_other(request, url_path(request, "rounds.show", round_id=round_id) + "#officers")
