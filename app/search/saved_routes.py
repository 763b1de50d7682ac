"""A person's saved searches: the list with each one's link, keeping a search under a name,
and forgetting one (their own only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.confirmations import confirm, isolate
from app.db import DbSession
from app.errors import DomainError
from app.i18n import gettext as _
from app.search import query as search_query
from app.search import saved
from app.web import refusal, render, see_other, url_path

router = APIRouter()

#: The search's parameters a save form carries, beside ``q`` (hidden fields).
FILTERS = ("country", "consultation", "subject", "group", "organisation", "stance", "year", "sort")

Field = Annotated[str, Form(max_length=1000)]


def _page(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    searches = saved.listing(db, viewer.user_id)
    return render(
        request,
        "search/saved.html",
        {
            "searches": [(s, saved.link(s)) for s in searches],
            "form": form,
            "filters": [pair for pair in form["pairs"] if pair[0] != "q"],
            "errors": errors or {},
            "max_name": saved.MAX_NAME,
        },
    )


def _form(name: str, params: Any) -> dict[str, Any]:
    """The save form filled in with a search: its name, its words, its filters."""
    query = search_query.parse(params)
    return {"name": name, "q": query.text, "pairs": search_query.pairs(query)}


@router.get("/search/saved", name="search.saved")
def index(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    """The person's saved searches; with a search's parameters, the form to save it."""
    return _page(request, db, viewer, _form("", request.query_params))


@router.post("/search/saved", name="search.saved.create")
def create(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    name: Field = "",
    q: Field = "",
    kind: Annotated[list[str] | None, Form()] = None,
    country: Field = "",
    consultation: Field = "",
    subject: Field = "",
    group: Field = "",
    organisation: Field = "",
    stance: Field = "",
    year: Field = "",
    sort: Field = "",
) -> Response:
    params: dict[str, Any] = {
        "q": q,
        "kind": kind or [],
        "country": country,
        "consultation": consultation,
        "subject": subject,
        "group": group,
        "organisation": organisation,
        "stance": stance,
        "year": year,
        "sort": sort,
    }
    try:
        search, fresh = saved.save(db, viewer, name, params)
    except DomainError as error:
        errors = {error.field or "name": error.message}
        return refusal(
            request, db, error, lambda: _page(request, db, viewer, _form(name, params), errors)
        )
    db.commit()
    if fresh:
        message = _("Search saved as “%(name)s”: you are told when it finds something new.")
    else:
        message = _("You had saved this search already, as “%(name)s”.")
    confirm(request, message % {"name": isolate(search.name)})
    return see_other(request, url_path(request, "search.saved"))


@router.post("/search/saved/{saved_id}/delete", name="search.saved.delete")
def delete(request: Request, db: DbSession, viewer: CurrentViewer, saved_id: int) -> Response:
    search = saved.delete(db, viewer, saved_id)
    db.commit()
    confirm(
        request,
        _("Saved search “%(name)s” deleted: it tells you nothing more.")
        % {"name": isolate(search.name)},
    )
    return see_other(request, url_path(request, "search.saved"))
