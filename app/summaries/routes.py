"""The summary page of a round and its downloads (CSV, JSON, XLSX, PDF)."""

from __future__ import annotations

import os
import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from app.accounts.deps import CurrentViewer
from app.db import DbSession
from app.drafts.page import summary_paragraphs
from app.errors import NotFound
from app.exports import stream
from app.exports.formats import FORMATS, MEDIA_TYPES
from app.i18n import gettext as _
from app.summaries.access import Audience
from app.summaries.service import audience_for, load_header, round_summary
from app.summaries.view import view_context
from app.web import render

router = APIRouter()


def filename(title: str, round_id: int, fmt: str, audience: Audience) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "round"
    suffix = "-moderator" if audience is Audience.MODERATOR else ""
    return f"tripartite-round-{round_id}-{slug}{suffix}.{fmt}"


@router.get("/rounds/{round_id}/summary", name="summaries.show")
def show_summary(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
    header = load_header(db, round_id)
    audience = audience_for(header, viewer)
    summary = round_summary(db, header)
    context = view_context(summary) | {
        "header": header,
        "audience": audience,
        "formats": FORMATS,
        "draft_paragraphs": summary_paragraphs(db, round_id),  # app.drafts: amendments
    }
    return render(request, "summaries/show.html", context)


@router.get("/rounds/{round_id}/summary.{fmt}", name="summaries.download")
def download(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    connections: stream.ExportConnections,
    round_id: int,
    fmt: str,
) -> Response:
    if fmt not in FORMATS:
        raise NotFound(
            _("There is no “%(format)s” export: choose csv, json, xlsx or pdf.")
            % {"format": fmt[:20]}
        )
    header = load_header(db, round_id)
    audience = audience_for(header, viewer)
    db.commit()  # the export reads on a connection of its own
    slots: stream.ExportSlots = request.app.state.export_slots
    release = slots.take()
    disposition = {
        "Content-Disposition": (
            f'attachment; filename="{filename(header.title, round_id, fmt, audience)}"'
        ),
        "Cache-Control": "private, no-store",
    }
    if fmt in ("csv", "json"):
        return StreamingResponse(
            stream.in_threadpool(
                lambda: stream.chunks(connections, fmt, round_id, audience), release
            ),
            media_type=MEDIA_TYPES[fmt],
            headers=disposition,
            background=BackgroundTask(release),  # if the body was never started
        )
    try:
        if fmt == "xlsx":
            path = stream.xlsx_file(connections, round_id, audience)
            return FileResponse(
                path,
                media_type=MEDIA_TYPES[fmt],
                headers=disposition,
                background=BackgroundTask(os.unlink, path),
            )
        pdf = stream.pdf_bytes(connections, round_id)
    finally:
        release()
    return Response(pdf, media_type=MEDIA_TYPES[fmt], headers=disposition)
