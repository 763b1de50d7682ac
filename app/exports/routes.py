"""A round's documents for word processors: the draft with its amendments, the revised draft
with its changes tracked, and the outcome record, each as Word (.docx) or OpenDocument (.odt)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.db import DbSession
from app.errors import NotFound
from app.exports import gather, odt, word
from app.exports.papers import file_name
from app.i18n import gettext as _

router = APIRouter()

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
WRITERS: dict[str, dict[str, Callable[[Any], bytes]]] = {
    "draft": {"docx": word.draft_docx, "odt": odt.draft_odt},
    "revised": {"docx": word.revised_docx, "odt": odt.revised_odt},
    "record": {"docx": word.record_docx, "odt": odt.record_odt},
}


def _format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise NotFound(
            _("There is no “%(format)s” document: choose docx or odt.") % {"format": fmt[:20]}
        )
    return fmt


def _document(paper: Any, kind: str, round_id: int, fmt: str) -> Response:
    name = file_name(paper.front.title, round_id, kind, fmt)
    return Response(
        WRITERS[kind][fmt](paper),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/rounds/{round_id}/draft.{fmt}", name="documents.draft")
def draft_document(db: DbSession, viewer: CurrentViewer, round_id: int, fmt: str) -> Response:
    """The round's draft text with its amendments and their equal-weight support."""
    fmt = _format(fmt)
    return _document(gather.draft_paper(db, viewer, round_id), "draft", round_id, fmt)


@router.get("/rounds/{round_id}/revised.{fmt}", name="documents.revised")
def revised_document(db: DbSession, viewer: CurrentViewer, round_id: int, fmt: str) -> Response:
    """The next round's draft, the changes from this round's text tracked."""
    fmt = _format(fmt)
    return _document(gather.revised_paper(db, viewer, round_id), "revised", round_id, fmt)


@router.get("/rounds/{round_id}/record.{fmt}", name="documents.record")
def record_document(db: DbSession, viewer: CurrentViewer, round_id: int, fmt: str) -> Response:
    """The outcome record, once the round has closed (the summary's rules)."""
    fmt = _format(fmt)
    return _document(gather.record_paper(db, viewer, round_id), "record", round_id, fmt)
