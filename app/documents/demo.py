"""The demo's documents: the background study a moderator attached to the consultation, and
the trade union confederation's position paper in the open round. Real Word files, made here,
checked and stored as every upload is."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy.orm import Session

from app.documents.rules import Described
from app.documents.service import Checked, Upload, hang, store_upload
from app.documents.storage import FileStore
from app.vocabulary import Place

STUDY = (
    "Background study: labour migration and social security",
    "Ardenia's workers abroad: 412,000 in 2026, two thirds in the three partner countries.",
    "Fewer than one in five return with a pension right recognised by the country of work.",
    "Bilateral social security agreements add periods of insurance together and pay pensions "
    "abroad; this study compares the ILO model provisions with the partner countries' laws.",
)
PAPER = (
    "Position paper of the Ardenia Trade Union Confederation",
    "Pensions must be paid in full to workers who return, without reduction or suspension.",
    "Periods of insurance completed abroad must count, whatever the sector of work, "
    "domestic work included.",
)


def _word(lines: tuple[str, ...]) -> bytes:
    document = Document()
    document.core_properties.title = lines[0]
    document.add_heading(lines[0], level=1)
    for line in lines[1:]:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _stored(store: FileStore, lines: tuple[str, ...], file_name: str) -> Checked:
    return store_upload(Upload(io.BytesIO(_word(lines)), file_name), store, 10_000_000)


def add_demo_documents(
    db: Session,
    store: FileStore,
    *,
    round_id: int,
    consultation_id: int,
    moderator_id: int,
    organisation_id: int,
    representative_id: int,
) -> None:
    """Attach the demo's two documents (the caller commits)."""
    for place, title, lines, file_name, uploader, organisation in (
        (
            Place.CONSULTATION,
            "Background study: labour migration and social security",
            STUDY,
            "background-study.docx",
            moderator_id,
            None,
        ),
        (
            Place.POSITION,
            "Position paper on pensions paid abroad",
            PAPER,
            "atuc-position-paper.docx",
            representative_id,
            organisation_id,
        ),
    ):
        hang(
            db,
            consultation_id=consultation_id,
            round_id=round_id,
            place=place,
            described=Described(title, "en", "Background" if place is Place.CONSULTATION else ""),
            checked=_stored(store, lines, file_name),
            uploader_id=uploader,
            organisation_id=organisation,
        )
    db.flush()
