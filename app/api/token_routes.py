"""The administrators' page for API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import AdminViewer
from app.api import tokens
from app.confirmations import confirm, isolate
from app.db import DbSession
from app.errors import DomainError
from app.i18n import gettext as _
from app.web import render, see_other, url_path

router = APIRouter()


def _page(
    request: Request,
    db: DbSession,
    *,
    name: str = "",
    error: str | None = None,
    issued: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": tokens.listing(db),
            "form": {"name": name},
            "errors": {"name": error} if error else {},
            "issued": issued,
        },
        status_code=status_code,
    )


@router.get("/admin/api-tokens", name="admin.api_tokens")
def api_tokens(request: Request, db: DbSession, admin: AdminViewer) -> Response:
    return _page(request, db)


@router.post("/admin/api-tokens", name="admin.api_tokens.create")
def create_api_token(
    request: Request,
    db: DbSession,
    admin: AdminViewer,
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        token, plain = tokens.create(db, name, admin.user_id)
    except DomainError as error:
        return _page(request, db, name=name, error=error.message, status_code=422)
    db.commit()
    confirm(
        request,
        _("API token “%(name)s” created: copy it now, it is shown only once.")
        % {"name": isolate(token.name)},
    )
    # answered with the page (not a redirect): the token is shown this once and never stored
    response = _page(request, db, issued=plain)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/api-tokens/{token_id}/revoke", name="admin.api_tokens.revoke")
def revoke_api_token(
    request: Request, db: DbSession, admin: AdminViewer, token_id: int
) -> Response:
    token = tokens.revoke(db, token_id, admin.user_id)
    db.commit()
    confirm(
        request,
        _("API token “%(name)s” revoked: it no longer opens the API.")
        % {"name": isolate(token.name)},
    )
    return see_other(request, url_path(request, "admin.api_tokens"))
