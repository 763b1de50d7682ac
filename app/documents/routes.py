"""A round's documents: the list (and the form that adds one), new versions, downloads."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.confirmations import confirm
from app.db import DbSession
from app.documents import rules, service
from app.documents.checks import safe_download_name
from app.documents.storage import file_store
from app.errors import DomainError
from app.i18n import gettext as _
from app.web import refusal, render, see_other, url_path

router = APIRouter()

#: What a download may do in the browser: nothing (no script, no plugin, no frame of ours).
DOWNLOAD_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"


def _page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    version_errors: dict[int, str] | None = None,
) -> Response:
    listing = service.listing(db, viewer, round_id)
    return render(
        request,
        "documents/list.html",
        {
            "listing": listing,
            "round": listing.round,
            "place_labels": rules.PLACE_LABELS,
            "kind_labels": rules.KIND_LABELS,
            "form": form or {},
            "errors": errors or {},
            "version_errors": version_errors or {},
            "max_mb": f"{request.app.state.settings.attachment_max_bytes / 1_000_000:.0f}",
        },
    )


@router.get("/rounds/{round_id}/attachments", name="documents.list")
def attachments(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
    """The round's documents (the consultation's, the round's, the position papers and, for its
    members, the group's caucus files), and the form that adds one."""
    return _page(request, db, viewer, round_id)


def _upload(file: UploadFile | None) -> service.Upload:
    if file is None or not file.filename:
        raise DomainError(_("Choose a file to upload."), field="file")
    return service.Upload(file.file, file.filename)


def _checked(request: Request, file: UploadFile | None) -> service.Checked:
    settings = request.app.state.settings
    return service.store_upload(_upload(file), file_store(settings), settings.attachment_max_bytes)


@router.post("/rounds/{round_id}/attachments", name="documents.add")
def add(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    title: Annotated[str, Form(max_length=1000)] = "",
    place: Annotated[str, Form(max_length=20)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    folder: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {"title": title, "place": place, "language": language, "folder": folder}
    try:
        # who may add there, asked first (403 whatever the form holds), then the form
        service.check_place(db, viewer, round_id, place)
        described = rules.check_description(title, language, folder)
        checked = _checked(request, file)
        attachment = service.add(db, viewer, round_id, place, described, checked)
    except DomainError as error:
        errors = {error.field or "file": error.message}
        again = partial(_page, request, db, viewer, round_id, form=form, errors=errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("“%(title)s” is attached (%(file)s): it is listed below, version 1.")
        % {"title": attachment.title, "file": checked.file_name},
    )
    url = url_path(request, "documents.list", round_id=round_id)
    return see_other(request, f"{url}#attachment-{attachment.id}")


@router.post("/attachments/{attachment_id}/versions", name="documents.add_version")
def add_version(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    attachment_id: int,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    where = service.round_of(db, viewer, attachment_id)
    try:
        checked = _checked(request, file)
        attachment = service.add_version(db, viewer, attachment_id, checked)
    except DomainError as error:
        errors = {attachment_id: error.message}
        again = partial(_page, request, db, viewer, where, version_errors=errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _(
            "Version %(number)d of “%(title)s” is uploaded and is now the current one; the "
            "earlier versions are kept."
        )
        % {"number": attachment.current_version, "title": attachment.title},
    )
    url = url_path(request, "documents.list", round_id=where)
    return see_other(request, f"{url}#attachment-{attachment.id}")


def _send(request: Request, found: service.Download) -> Response:
    store = file_store(request.app.state.settings)
    headers: dict[str, Any] = {
        "Content-Disposition": safe_download_name(found.file_name, found.kind),
        "Content-Length": str(found.size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "Cache-Control": "private, no-cache",
        "ETag": f'"{found.sha256}"',
    }
    # the bytes are streamed from the store after the session is closed: a long download
    # holds no database connection
    return StreamingResponse(
        store.open(found.sha256), media_type=found.kind.media_type, headers=headers
    )


@router.get("/attachments/{attachment_id}", name="documents.download")
def download(
    request: Request, db: DbSession, viewer: CurrentViewer, attachment_id: int
) -> Response:
    """The current version of an attachment, to those who may see what it hangs on."""
    found = service.download(db, viewer, attachment_id)
    db.commit()
    return _send(request, found)


@router.get("/attachments/{attachment_id}/versions/{number}", name="documents.download_version")
def download_version(
    request: Request, db: DbSession, viewer: CurrentViewer, attachment_id: int, number: int
) -> Response:
    """An earlier (or the current) version of an attachment."""
    found = service.download(db, viewer, attachment_id, number)
    db.commit()
    return _send(request, found)
