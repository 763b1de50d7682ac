"""The round's documents as Word (.docx) files, built with python-docx: real styles (Title,
Subtitle, Heading 1 and 2, body text), the page number in the footer (a PAGE field), the title
in the document's properties, and a revised draft's changes as Word's own tracked changes
(w:ins and w:del runs, paragraph marks included) that Word and LibreOffice accept or reject.
Pure: plain data in (app/exports/papers.py), bytes out."""

from __future__ import annotations

import io
from itertools import count
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from app.drafts.rules import DiffPiece
from app.exports.papers import DraftPaper, Front, RecordPaper, RevisedPaper, TrackedParagraph


def _document(front: Front) -> DocxDocument:
    """A document with the paper's front matter: title, subtitle, date, and the footer."""
    document = Document()
    properties = document.core_properties
    properties.title = f"{front.kind}: {front.title}"
    properties.subject = front.consultation
    properties.author = "Tripartite"
    properties.language = front.language
    normal = document.styles["Normal"]
    normal.font.name = "Liberation Serif"
    normal.font.size = Pt(11)
    document.add_paragraph(front.title, style="Title")
    document.add_paragraph(front.subtitle, style="Subtitle")
    document.add_paragraph(f"{front.kind} · {front.date}")
    _footer(document, front)
    return document


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A field (``PAGE``) in ``paragraph``, as Word writes one: begin, instruction, end."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind is not None:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
        elif text == instruction:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = f" {instruction} "
            run._r.append(code)
        else:
            run.text = text or ""
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _footer(document: DocxDocument, front: Front) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{front.title} · {front.page} ")
    _field(paragraph, "PAGE")


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _lines(paragraph: Paragraph, text: str) -> None:
    """``text`` in ``paragraph``, its newlines as line breaks (a list item per line)."""
    for n, line in enumerate(text.split("\n")):
        run = paragraph.add_run(line)
        if n:
            run._r.insert(0, OxmlElement("w:br"))


def draft_docx(paper: DraftPaper) -> bytes:
    document = _document(paper.front)
    document.add_heading(paper.heading, level=1)
    for paragraph in paper.paragraphs:
        document.add_heading(paragraph.heading, level=2)
        _lines(document.add_paragraph(), paragraph.text)
        if not paragraph.amendments:
            document.add_paragraph().add_run(paper.no_amendment).italic = True
        for amendment in paragraph.amendments:
            document.add_paragraph().add_run(amendment.label).bold = True
            _lines(document.add_paragraph(style="Quote"), amendment.text)
            if amendment.reason:
                _lines(document.add_paragraph(), amendment.reason)
            document.add_paragraph(amendment.support)
            for line in amendment.groups:
                document.add_paragraph(line, style="List Bullet")
    return _save(document)


class _Changes:
    """Numbers each tracked change (w:id) and marks it with the author and date."""

    def __init__(self, author: str, date: str) -> None:
        self.author, self.date, self.ids = author, date, count(1)

    def mark(self, tag: str) -> Any:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(next(self.ids)))
        element.set(qn("w:author"), self.author)
        element.set(qn("w:date"), self.date)
        return element


def _runs(piece: DiffPiece) -> list[Any]:
    """A piece's text as runs, its newlines as line breaks; removed text as w:delText."""
    tag = "w:delText" if piece.kind == "delete" else "w:t"
    runs = []
    for n, line in enumerate(piece.text.split("\n")):
        run = OxmlElement("w:r")
        if n:
            run.append(OxmlElement("w:br"))
        if line:
            text = OxmlElement(tag)
            text.set(qn("xml:space"), "preserve")
            text.text = line
            run.append(text)
        runs.append(run)
    return runs


def _tracked(
    paragraph: Paragraph, tracked: TrackedParagraph, previous: Paragraph, changes: _Changes
) -> None:
    for piece in tracked.pieces:
        if piece.kind == "equal":
            holder = paragraph._p
        else:
            holder = changes.mark("w:ins" if piece.kind == "insert" else "w:del")
            paragraph._p.append(holder)
        for run in _runs(piece):
            holder.append(run)
    if tracked.added or tracked.removed:
        # a paragraph added (or removed) whole is the break before it and its text, as Word
        # records a paragraph typed after another: the mark of the paragraph before is the
        # change, so that accepting or rejecting leaves no empty paragraph and joins no other
        marks = OxmlElement("w:rPr")
        marks.append(changes.mark("w:ins" if tracked.added else "w:del"))
        previous._p.get_or_add_pPr().append(marks)


def revised_docx(paper: RevisedPaper) -> bytes:
    document = _document(paper.front)
    document.add_heading(paper.heading, level=1)
    previous = document.add_paragraph()
    previous.add_run(paper.note).italic = True
    changes = _Changes(paper.author, paper.date)
    for tracked in paper.paragraphs:
        paragraph = document.add_paragraph()
        _tracked(paragraph, tracked, previous, changes)
        previous = paragraph
    document.add_paragraph("—", style="Normal").alignment = WD_ALIGN_PARAGRAPH.CENTER
    return _save(document)


def _table(document: DocxDocument, rows: tuple[tuple[str, ...], ...]) -> None:
    table = document.add_table(rows=0, cols=len(rows[0]))
    table.style = "Light List Accent 1"
    for n, values in enumerate(rows):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
            if n == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def record_docx(paper: RecordPaper) -> bytes:
    document = _document(paper.front)
    for heading, paragraphs in paper.sections:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    document.add_heading(paper.table_heading, level=1)
    _table(document, paper.table)
    document.add_heading(paper.groups_heading, level=2)
    _table(document, paper.groups_table)
    document.add_heading(paper.fingerprint_label, level=2)
    fingerprint = document.add_paragraph().add_run(paper.fingerprint)
    fingerprint.font.name = "Liberation Mono"
    fingerprint.font.size = Pt(9)
    return _save(document)
