"""The search page: everything this person may see, found by its words."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.db import DbSession, utcnow
from app.search import page
from app.web import is_htmx, render, url_path

router = APIRouter()


@router.get("/search", name="search.page")
def search_page(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    """The search form and what it found; under htmx, the results alone."""
    base = url_path(request, "search.page")
    built = page.build(db, viewer, request.query_params.multi_items(), utcnow(), base)
    context = {"search": built, **page.labels()}
    if is_htmx(request) and request.headers.get("HX-Target") == "search-results":
        response = render(request, "search/_results.html", context)
        # the address shown is the query's own, without the form's empty fields
        response.headers["HX-Push-Url"] = (
            f"{base}?{page.query_string(built.query, page=built.query.page)}"
        )
    else:
        response = render(request, "search/page.html", context)
    # what is found depends on who asks, and changes with every write
    response.headers["Cache-Control"] = "private, no-store"
    return response
