"""A meeting's pages and actions: convening, the agenda (proposals, issue, changes), attendance
and the live quorum box, the meeting's documents.

Every route reaches the meeting through ``service.enter``: a meeting that is not public does
not exist for those outside its body (404)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from app import text_rules
from app.accounts.deps import CurrentViewer, OptionalViewer
from app.accounts.rules import Viewer
from app.bodies import service as bodies
from app.bodies.models import Seat
from app.confirmations import confirm, isolate
from app.db import DbSession, utcnow
from app.documents import rules as document_rules
from app.documents.checks import FileKind, safe_download_name
from app.documents.service import Upload, store_upload
from app.documents.storage import file_store
from app.errors import DomainError
from app.i18n import gettext as _
from app.meetings import page as meeting_page
from app.meetings import service
from app.meetings.models import AgendaItem
from app.rounds.models import Round
from app.text_rules import parse_deadline
from app.vocabulary import AgendaChangeRule, AgendaItemStatus
from app.web import is_htmx, refusal, render, see_other, url_path

router = APIRouter()

#: What a download may do in the browser: nothing (as a round's attachments).
DOWNLOAD_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"

Line = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=40_000)]
Small = Annotated[str, Form(max_length=100)]


def _meeting_url(request: Request, meeting_id: int, anchor: str = "") -> str:
    url = url_path(request, "meetings.show", meeting_id=meeting_id)
    return f"{url}#{anchor}" if anchor else url


def _rounds(db: DbSession) -> list[tuple[int, str]]:
    query = select(Round.id, Round.title).order_by(Round.id.desc()).limit(200)
    return [(r.id, r.title) for r in db.execute(query)]


def _show(
    request: Request,
    db: DbSession,
    viewer: Viewer | None,
    meeting_id: int,
    *,
    forms: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
) -> Response:
    place = service.enter(db, viewer, meeting_id)
    built = meeting_page.build(db, viewer, place)
    context = {
        "page": built,
        "meeting": built.meeting,
        "body": built.body,
        "body_viewer": built.body_viewer,
        "quorum": built.quorum,
        "forms": forms or {},
        "errors": errors or {},
        "rounds": _rounds(db) if (built.secretariat or built.may_propose) else [],
        "presence_labels": meeting_page.PRESENCE_LABELS,
        "mark_labels": meeting_page.MARK_LABELS,
        "minutes": built.minutes,
        "csrf_token": request.scope.get("csrftoken", lambda: "")(),
        "max_mb": f"{request.app.state.settings.attachment_max_bytes / 1_000_000:.0f}",
    }
    return render(request, "meetings/show.html", context)


# -- convening ---------------------------------------------------------------------------------


def _new_page(
    request: Request,
    db: DbSession,
    body_id: int,
    form: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    body = bodies.body(db, body_id)
    return render(request, "meetings/new.html", {"body": body, "form": form, "errors": errors})


@router.get("/bodies/{body_id}/meetings/new", name="meetings.new")
def new(request: Request, db: DbSession, viewer: CurrentViewer, body_id: int) -> Response:
    bodies.require_secretariat(viewer)
    form = {"public": True, "place": "", "link": "", "title": ""}
    return _new_page(request, db, body_id, form, {})


@router.post("/bodies/{body_id}/meetings", name="meetings.convene")
def convene(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    title: Line = "",
    starts_at: Small = "",
    ends_at: Small = "",
    place: Line = "",
    link: Line = "",
    public: Small = "",
    proposals_until: Small = "",
) -> Response:
    bodies.require_secretariat(viewer)
    bodies.body(db, body_id)
    form = {
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "link": link,
        "public": bool(public),
        "proposals_until": proposals_until,
    }
    try:
        now = utcnow()
        convening = service.check_convening(
            title,
            parse_deadline(starts_at, "starts_at", now),
            parse_deadline(ends_at, "ends_at", now),
            place,
            link,
            bool(public),
            parse_deadline(proposals_until, "proposals_until", now),
        )
        meeting = service.convene(db, viewer, body_id, convening)
    except DomainError as error:
        errors = {error.field or "title": error.message}
        return refusal(request, db, error, partial(_new_page, request, db, body_id, form, errors))
    db.commit()
    body = bodies.body(db, body_id)
    sentence = _("The meeting “%(title)s” is convened.") % {"title": isolate(meeting.title)}
    if meeting.short_notice:
        sentence += " " + _(
            "It is marked as convened at short notice: the body's rules ask for %(days)d days."
        ) % {"days": body.notice_days}
    confirm(request, sentence)
    return see_other(request, _meeting_url(request, meeting.id))


# -- the page and its quorum box ---------------------------------------------------------------


@router.get("/meetings/{meeting_id}", name="meetings.show")
def show(request: Request, db: DbSession, viewer: OptionalViewer, meeting_id: int) -> Response:
    """Where and when, the viewer's own task, the quorum, attendance, the agenda with its
    decisions, the documents and the minutes."""
    return _show(request, db, viewer, meeting_id)


@router.get("/meetings/{meeting_id}/quorum", name="meetings.quorum")
def quorum(
    request: Request,
    db: DbSession,
    viewer: OptionalViewer,
    meeting_id: int,
    seen: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
) -> Response:
    """The quorum box alone (the meeting page polls it every 3 seconds): 204 while the meeting
    has not changed since the version the page shows (``seen``)."""
    place = service.enter(db, viewer, meeting_id)
    if not is_htmx(request):
        return see_other(request, _meeting_url(request, meeting_id, "quorum"))
    if seen and seen == place.meeting.version:
        return Response(status_code=204)
    box = meeting_page.quorum_only(db, place)
    return render(
        request,
        "meetings/_quorum.html",
        {"quorum": box, "meeting": place.meeting, "body": place.body},
    )


# -- the agenda --------------------------------------------------------------------------------


def _release(release_at: str) -> Any:
    return parse_deadline(release_at, "release_at", utcnow())


@router.post("/meetings/{meeting_id}/agenda", name="meetings.add_item")
def add_item(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    meeting_id: int,
    title: Line = "",
    description: Long = "",
    round_id: Small = "",
    confidentiality: Small = "members",
    group: Small = "",
    release_at: Small = "",
    release_event: Line = "",
) -> Response:
    place = service.enter(db, viewer, meeting_id)
    form = {
        "title": title,
        "description": description,
        "round_id": round_id,
        "confidentiality": confidentiality,
        "group": group,
        "release_at": release_at,
        "release_event": release_event,
    }
    try:
        checked = service.check_item(
            db,
            place.viewer,
            title=title,
            description=description,
            round_id=round_id,
            confidentiality=confidentiality,
            group=group,
            release_at=_release(release_at),
            release_event=release_event,
        )
        item = service.add_item(db, viewer, place, checked)
    except DomainError as error:
        again = partial(
            _show,
            request,
            db,
            viewer,
            meeting_id,
            forms={"item": form},
            errors={"item": {error.field or "title": error.message}},
        )
        return refusal(request, db, error, again)
    db.commit()
    if item.status is AgendaItemStatus.PROPOSED:
        sentence = _(
            "Your proposal “%(title)s” is recorded: the secretariat will accept it on the "
            "agenda or decline it."
        )
    else:
        sentence = _("Item %(number)d, “%(title)s”, is on the agenda.")
    confirm(request, sentence % {"title": isolate(item.title), "number": item.number})
    return see_other(request, _meeting_url(request, meeting_id, f"item-{item.id}"))


def _decide(
    request: Request, db: DbSession, viewer: Viewer, item_id: int, accept: bool
) -> Response:
    try:
        item = service.decide_proposal(db, viewer, item_id, accept)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        db.rollback()
        place_item = service._item_for_secretariat(db, viewer, item_id)[0]
        again = partial(
            _show,
            request,
            db,
            viewer,
            place_item.meeting_id,
            errors={"proposals": {"item": error.message}},
        )
        return refusal(request, db, error, again)
    db.commit()
    if accept:
        sentence = _("“%(title)s” is accepted on the agenda as item %(number)d.")
    else:
        sentence = _("The proposal “%(title)s” is declined: it stays listed as declined.")
    confirm(request, sentence % {"title": isolate(item.title), "number": item.number})
    return see_other(request, _meeting_url(request, item.meeting_id, "agenda"))


@router.post("/agenda-items/{item_id}/accept", name="meetings.accept_item")
def accept_item(request: Request, db: DbSession, viewer: CurrentViewer, item_id: int) -> Response:
    return _decide(request, db, viewer, item_id, True)


@router.post("/agenda-items/{item_id}/decline", name="meetings.decline_item")
def decline_item(request: Request, db: DbSession, viewer: CurrentViewer, item_id: int) -> Response:
    return _decide(request, db, viewer, item_id, False)


@router.post("/meetings/{meeting_id}/agenda/issue", name="meetings.issue")
def issue(request: Request, db: DbSession, viewer: CurrentViewer, meeting_id: int) -> Response:
    place = service.enter(db, viewer, meeting_id)
    try:
        service.issue(db, viewer, place)
    except DomainError as error:
        again = partial(
            _show, request, db, viewer, meeting_id, errors={"issue": {"issue": error.message}}
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _(
            "The agenda of “%(title)s” is issued: from now on it changes only with the "
            "agreement the body's rules require."
        )
        % {"title": isolate(place.meeting.title)},
    )
    return see_other(request, _meeting_url(request, meeting_id, "agenda"))


@router.post("/meetings/{meeting_id}/agenda/changes", name="meetings.change_agenda")
def change_agenda(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    meeting_id: int,
    change: Small = "add",
    withdraw: Small = "",
    title: Line = "",
    description: Long = "",
    round_id: Small = "",
    confidentiality: Small = "members",
    release_at: Small = "",
    release_event: Line = "",
    groups: Annotated[list[str], Form()] = [],  # noqa: B006
    chair: Small = "",
) -> Response:
    place = service.enter(db, viewer, meeting_id)
    bodies.require_secretariat(viewer)
    form = {
        "change": change,
        "withdraw": withdraw,
        "title": title,
        "description": description,
        "round_id": round_id,
        "confidentiality": confidentiality,
        "release_at": release_at,
        "release_event": release_event,
        "groups": groups,
        "chair": bool(chair),
    }
    try:
        agreement = service.parse_agreement(groups, chair)
        withdrawn: int | None = None
        checked = None
        if change == "withdraw":
            withdrawn = service.form_id(withdraw)
            if withdrawn is None:
                raise DomainError(_("Choose an item of the agenda to withdraw."), field="withdraw")
        else:
            checked = service.check_item(
                db,
                place.viewer,
                title=title,
                description=description,
                round_id=round_id,
                confidentiality=confidentiality,
                group="",
                release_at=_release(release_at),
                release_event=release_event,
            )
        recorded = service.change_agenda(
            db, viewer, place, withdraw=withdrawn, form=checked, agreement=agreement
        )
    except DomainError as error:
        again = partial(
            _show,
            request,
            db,
            viewer,
            meeting_id,
            forms={"change": form},
            errors={"change": {error.field or "title": error.message}},
        )
        return refusal(request, db, error, again)
    db.commit()
    item_number = recorded.agenda_item_id
    item = db.get(AgendaItem, item_number)
    assert item is not None
    if place.body.agenda_change is AgendaChangeRule.CHAIR:
        agreed = _("with the chair's agreement")
    else:
        agreed = _("with the agreement of the three groups")
    if recorded.description == "withdrawn":
        sentence = _("Item %(number)d, “%(title)s”, is withdrawn from the agenda %(agreed)s.")
    else:
        sentence = _("Item %(number)d, “%(title)s”, is added to the agenda %(agreed)s.")
    confirm(
        request,
        sentence % {"number": item.number, "title": isolate(item.title), "agreed": agreed},
    )
    return see_other(request, _meeting_url(request, meeting_id, "agenda"))


# -- attendance --------------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/attendance", name="meetings.attendance")
def attendance(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    meeting_id: int,
    seat_id: Small = "",
    status: Small = "",
) -> Response:
    place = service.enter(db, viewer, meeting_id)
    try:
        text = seat_id.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            raise DomainError(_("Choose a seat."), field="seat_id")
        row, organisation = service.mark(db, viewer, place, int(text), status)
        seat = db.get(Seat, row.seat_id)
        assert seat is not None
    except DomainError as error:
        again = partial(
            _show,
            request,
            db,
            viewer,
            meeting_id,
            errors={"attendance": {"status": error.message}},
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("The seat of %(organisation)s is recorded as %(status)s.")
        % {
            "organisation": isolate(organisation.name),
            "status": meeting_page.PRESENCE_LABELS[row.status],
        },
    )
    # a person marking their own seat comes back to it (their part of the page, the quorum
    # just below); the secretariat marking another seat, to that seat in the list
    own = viewer.user_id in (seat.holder_id, seat.alternate_id)
    anchor = "your-part" if own else f"attendance-seat-{seat.id}"
    return see_other(request, _meeting_url(request, meeting_id, anchor))


# -- documents ---------------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/documents", name="meetings.add_document")
def add_document(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    meeting_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    title: Line = "",
    language: Small = "",
    agenda_item: Small = "",
    confidentiality: Small = "members",
    release_at: Small = "",
    release_event: Line = "",
) -> Response:
    place = service.enter(db, viewer, meeting_id)
    bodies.require_secretariat(viewer)
    form = {
        "title": title,
        "language": language,
        "agenda_item": agenda_item,
        "confidentiality": confidentiality,
        "release_at": release_at,
        "release_event": release_event,
    }
    try:
        described = document_rules.check_description(title, language, "")
        level, group = service.check_restriction(place.viewer, confidentiality, "")
        released = _release(release_at)
        release_event = text_rules.clean_line(release_event, "release_event")[:200]
        if file is None or not file.filename:
            raise DomainError(_("Choose a file to upload."), field="file")
        settings = request.app.state.settings
        checked = store_upload(
            Upload(file.file, file.filename), file_store(settings), settings.attachment_max_bytes
        )
        document = service.add_document(
            db,
            viewer,
            place,
            title=described.title,
            language=described.language,
            agenda_item=agenda_item,
            confidentiality=level,
            group=group,
            release_at=released,
            release_event=release_event.strip()[:200],
            checked=checked,
        )
    except DomainError as error:
        again = partial(
            _show,
            request,
            db,
            viewer,
            meeting_id,
            forms={"document": form},
            errors={"document": {error.field or "file": error.message}},
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("“%(title)s” is added to the meeting's documents (%(file)s).")
        % {"title": isolate(document.title), "file": document.file_name},
    )
    return see_other(request, _meeting_url(request, meeting_id, f"document-{document.id}"))


@router.get("/meeting-documents/{document_id}", name="meetings.document")
def download_document(
    request: Request, db: DbSession, viewer: OptionalViewer, document_id: int
) -> Response:
    """A meeting's document, to those who may see the meeting and the document."""
    found = service.document(db, viewer, document_id)
    kind = FileKind(found.kind)
    sha256, size, file_name = found.sha256, found.size, found.file_name
    db.commit()
    store = file_store(request.app.state.settings)
    # the same headers as a round's attachments (app/documents/routes.py)
    headers: dict[str, Any] = {
        "Content-Disposition": safe_download_name(file_name, kind),
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "Cache-Control": "private, no-cache",
        "ETag": f'"{sha256}"',
    }
    return StreamingResponse(store.open(sha256), media_type=kind.media_type, headers=headers)
