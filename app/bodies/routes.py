"""Tripartite bodies: the list (public), a body's page, its settings and seats (the secretariat),
and the calendar feeds (a person's private one, a body's public one)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer, OptionalViewer
from app.bodies import calendar, page, service
from app.bodies.models import Body, Seat
from app.confirmations import confirm, isolate
from app.db import DbSession
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.meetings import page as meeting_page
from app.web import absolute_url, refusal, render, see_other, url_path

router = APIRouter()

Line = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=40_000)]
Small = Annotated[str, Form(max_length=100)]

#: The settings' fields, as the form names them.
SETTINGS_FIELDS = (
    "name",
    "country",
    "kind",
    "parent",
    "notice_days",
    "quorum_overall",
    "quorum_per_group",
    "without_quorum",
    "agenda_change",
    "weighting",
    "mandate",
)
DEFAULTS = {
    "name": "",
    "country": "",
    "kind": "council",
    "parent": "",
    "notice_days": "5",
    "quorum_overall": "3",
    "quorum_per_group": "1",
    "without_quorum": "refuse",
    "agenda_change": "unanimity",
    "weighting": "1:1:1",
    "mandate": "",
}


def _form_of(body: Body) -> dict[str, str]:
    return {
        "name": body.name,
        "country": body.country,
        "kind": body.kind.value,
        "parent": str(body.parent_id or ""),
        "notice_days": str(body.notice_days),
        "quorum_overall": str(body.quorum_overall),
        "quorum_per_group": str(body.quorum_per_group),
        "without_quorum": body.without_quorum.value,
        "agenda_change": body.agenda_change.value,
        "weighting": body.weighting.value,
        "mandate": body.mandate,
    }


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": meeting_page.BODY_KIND_LABELS,
        "without_quorum_labels": meeting_page.WITHOUT_QUORUM_LABELS,
        "agenda_change_labels": meeting_page.AGENDA_CHANGE_LABELS,
        "weighting_labels": meeting_page.WEIGHTING_LABELS,
    }


@router.get("/bodies", name="bodies.list")
def listing(request: Request, db: DbSession, viewer: OptionalViewer) -> Response:
    """Every tripartite body by country (their names, countries and kinds are public)."""
    return render(request, "bodies/list.html", {"by_country": page.listing(db), **_labels()})


def _new_page(
    request: Request, db: DbSession, form: dict[str, str], errors: dict[str, str]
) -> Response:
    context = {"form": form, "errors": errors, "parents": page.parents(db), **_labels()}
    return render(request, "bodies/new.html", context)


@router.get("/bodies/new", name="bodies.new")
def new(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    service.require_secretariat(viewer)
    return _new_page(request, db, dict(DEFAULTS), {})


@router.post("/bodies", name="bodies.create")
def create(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    name: Line = "",
    country: Line = "",
    kind: Small = "",
    parent: Small = "",
    notice_days: Small = "",
    quorum_overall: Small = "",
    quorum_per_group: Small = "",
    without_quorum: Small = "",
    agenda_change: Small = "",
    weighting: Small = "",
    mandate: Long = "",
) -> Response:
    service.require_secretariat(viewer)
    form = {
        "name": name,
        "country": country,
        "kind": kind,
        "parent": parent,
        "notice_days": notice_days,
        "quorum_overall": quorum_overall,
        "quorum_per_group": quorum_per_group,
        "without_quorum": without_quorum,
        "agenda_change": agenda_change,
        "weighting": weighting,
        "mandate": mandate,
    }
    try:
        body = service.create(db, viewer, service.check_settings(db, form))
    except DomainError as error:
        errors = {error.field or "name": error.message}
        return refusal(request, db, error, partial(_new_page, request, db, form, errors))
    db.commit()
    confirm(
        request,
        _("The body “%(name)s” is created: give its organisations their seats below.")
        % {"name": isolate(body.name)},
    )
    return see_other(request, url_path(request, "bodies.show", body_id=body.id))


def _show(
    request: Request,
    db: DbSession,
    viewer: Any,
    body_id: int,
    *,
    forms: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
) -> Response:
    built = page.build(db, viewer, body_id)
    forms = dict(forms or {})
    forms.setdefault("settings", _form_of(built.body))
    context = {
        "page": built,
        "body": built.body,
        "forms": forms,
        "errors": errors or {},
        **_labels(),
    }
    return render(request, "bodies/show.html", context)


@router.get("/bodies/{body_id}", name="bodies.show")
def show(request: Request, db: DbSession, viewer: OptionalViewer, body_id: int) -> Response:
    """A body's composition, rules, sub-bodies and meetings."""
    return _show(request, db, viewer, body_id)


@router.post("/bodies/{body_id}/settings", name="bodies.settings")
def settings(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    name: Line = "",
    country: Line = "",
    kind: Small = "",
    parent: Small = "",
    notice_days: Small = "",
    quorum_overall: Small = "",
    quorum_per_group: Small = "",
    without_quorum: Small = "",
    agenda_change: Small = "",
    weighting: Small = "",
    mandate: Long = "",
) -> Response:
    service.require_secretariat(viewer)
    service.body(db, body_id)
    form = {
        "name": name,
        "country": country,
        "kind": kind,
        "parent": parent,
        "notice_days": notice_days,
        "quorum_overall": quorum_overall,
        "quorum_per_group": quorum_per_group,
        "without_quorum": without_quorum,
        "agenda_change": agenda_change,
        "weighting": weighting,
        "mandate": mandate,
    }
    try:
        body = service.change_settings(
            db, viewer, body_id, service.check_settings(db, form, body_id)
        )
    except DomainError as error:
        errors = {"settings": {error.field or "name": error.message}}
        again = partial(
            _show, request, db, viewer, body_id, forms={"settings": form}, errors=errors
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(request, _("The rules of “%(name)s” are saved.") % {"name": isolate(body.name)})
    return see_other(request, url_path(request, "bodies.show", body_id=body_id) + "#rules")


@router.post("/bodies/{body_id}/seats", name="bodies.add_seat")
def add_seat(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    organisation: Small = "",
    holder: Small = "",
    alternate: Small = "",
) -> Response:
    service.require_secretariat(viewer)
    service.body(db, body_id)
    form = {"organisation": organisation, "holder": holder, "alternate": alternate}
    try:
        seat, org = service.add_seat(db, viewer, body_id, organisation, holder, alternate)
    except DomainError as error:
        errors = {"seat": {error.field or "organisation": error.message}}
        again = partial(_show, request, db, viewer, body_id, forms={"seat": form}, errors=errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("%(organisation)s now has a seat on this body.") % {"organisation": isolate(org.name)},
    )
    url = url_path(request, "bodies.show", body_id=body_id)
    return see_other(request, f"{url}#seat-{seat.id}")


@router.post("/seats/{seat_id}", name="bodies.change_seat")
def change_seat(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    seat_id: int,
    holder: Small = "",
    alternate: Small = "",
) -> Response:
    service.require_secretariat(viewer)
    found = db.get(Seat, seat_id)
    if found is None:
        raise NotFound(_("There is no such seat."))
    body_id = found.body_id
    try:
        seat, org = service.change_seat(db, viewer, seat_id, holder, alternate)
    except DomainError as error:
        errors = {f"seat-{seat_id}": {error.field or "holder": error.message}}
        form = {f"seat-{seat_id}": {"holder": holder, "alternate": alternate}}
        again = partial(_show, request, db, viewer, body_id, forms=form, errors=errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("The seat of %(organisation)s is updated: its holder and alternate are saved.")
        % {"organisation": isolate(org.name)},
    )
    url = url_path(request, "bodies.show", body_id=seat.body_id)
    return see_other(request, f"{url}#seat-{seat.id}")


# -- calendars ---------------------------------------------------------------------------------

ICS = "text/calendar; charset=utf-8"


def _calendar_page(
    request: Request, db: DbSession, viewer: Any, issued: str | None = None
) -> Response:
    feed = calendar.active_feed(db, viewer.user_id)
    settings = request.app.state.settings
    context = {
        "feed": feed,
        "issued": absolute_url(settings, f"/calendar/{issued}.ics") if issued else None,
    }
    response = render(request, "bodies/calendar.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/calendar", name="calendar.show")
def calendar_page(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    """The person's private calendar feed: create it (shown once), or revoke it."""
    return _calendar_page(request, db, viewer)


@router.post("/calendar/feed", name="calendar.create")
def create_feed(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    _feed, plain = calendar.create_feed(db, viewer)
    db.commit()
    confirm(
        request,
        _(
            "Your private calendar feed is created: copy its address now, it is shown only "
            "once. Any earlier address stops working."
        ),
    )
    # answered with the page (not a redirect): the secret is shown this once and never stored
    return _calendar_page(request, db, viewer, issued=plain)


@router.post("/calendar/feed/revoke", name="calendar.revoke")
def revoke_feed(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    revoked = calendar.revoke_feed(db, viewer)
    db.commit()
    if revoked:
        confirm(request, _("Your private calendar feed is revoked: its address no longer works."))
    else:
        confirm(request, _("You had no private calendar feed: there was nothing to revoke."))
    return see_other(request, url_path(request, "calendar.show"))


def _ics(content: bytes, name: str, private: bool) -> Response:
    return Response(
        content,
        media_type=ICS,
        headers={
            "Content-Disposition": f'inline; filename="{name}.ics"',
            "Cache-Control": "private, no-store" if private else "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/calendar/{token}.ics", name="calendar.feed")
def person_feed(request: Request, db: DbSession, token: str) -> Response:
    """A person's private feed, by its secret address (no session needed)."""
    site = request.app.state.settings.site_url()
    content = calendar.person_feed(db, token[:200], site)
    db.commit()
    return _ics(content, "tripartite", private=True)


@router.get("/bodies/{body_id}/calendar.ics", name="bodies.calendar")
def body_feed(request: Request, db: DbSession, body_id: int) -> Response:
    """A body's public calendar: its public meetings."""
    site = request.app.state.settings.site_url()
    content = calendar.body_feed(db, body_id, site)
    db.commit()
    return _ics(content, f"body-{body_id}", private=False)
