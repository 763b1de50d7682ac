"""The round's brief in other languages: a page for moderators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app import i18n
from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.confirmations import confirm
from app.db import DbSession
from app.errors import DomainError
from app.i18n import gettext as _
from app.rounds import briefs
from app.web import render, see_other, url_path

router = APIRouter()


def _page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    round_ = briefs.load(db, viewer, round_id)
    saved = briefs.versions(db, round_id)
    texts = {code: saved.get(code, "") for code in i18n.LANGUAGES} | (form or {})
    return render(
        request,
        "rounds/briefs.html",
        {
            "round": round_,
            "texts": texts,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/briefs", name="rounds.briefs")
def brief_versions(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int
) -> Response:
    return _page(request, db, viewer, round_id)


@router.post("/rounds/{round_id}/briefs", name="rounds.briefs.save")
def save_brief_version(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    language: Annotated[str, Form(max_length=10)] = "",
    brief: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    try:
        briefs.save_version(db, viewer, round_id, language, brief)
    except DomainError as error:
        db.rollback()
        if error.status_code != 422 or language not in i18n.LANGUAGES:
            raise
        field = f"brief-{language}"
        return _page(
            request,
            db,
            viewer,
            round_id,
            {language: brief},
            {field: error.message},
            status_code=422,
        )
    db.commit()
    name = i18n.LANGUAGES[language]
    if brief.strip():
        confirm(request, _("The brief in %(language)s is saved.") % {"language": name})
    else:
        confirm(request, _("The brief in %(language)s is removed.") % {"language": name})
    return see_other(request, url_path(request, "rounds.briefs", round_id=round_id))


@router.post("/rounds/{round_id}/briefs/language", name="rounds.briefs.language")
def brief_language(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    original_language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    briefs.set_original_language(db, viewer, round_id, original_language)
    db.commit()
    confirm(
        request,
        _("The brief's original language is now %(language)s.")
        % {"language": i18n.LANGUAGES[original_language]},
    )
    return see_other(request, url_path(request, "rounds.briefs", round_id=round_id))
