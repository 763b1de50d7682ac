"""The round's documents as OpenDocument text (.odt), built with odfpy: named styles (Title,
Subtitle, Heading 1 and 2, Text body), the page number in the footer (text:page-number), the
title in the document's metadata, and a revised draft's changes as ODF tracked changes
(text:tracked-changes with an insertion or deletion per text:changed-region, marked in the text
by text:change-start/end and text:change) that LibreOffice and Word accept or reject.
Pure: plain data in (app/exports/papers.py), bytes out."""

from __future__ import annotations

import io
from itertools import count
from typing import Any

from odf import dc, teletype  # type: ignore[import-untyped]
from odf.namespaces import TEXTNS, XMLNS  # type: ignore[import-untyped]
from odf.office import ChangeInfo  # type: ignore[import-untyped]
from odf.opendocument import OpenDocumentText  # type: ignore[import-untyped]
from odf.style import (  # type: ignore[import-untyped]
    Footer,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableColumnProperties,
    TableProperties,
    TextProperties,
)
from odf.table import Table, TableCell, TableColumn, TableRow  # type: ignore[import-untyped]
from odf.text import (  # type: ignore[import-untyped]
    Change,
    ChangedRegion,
    ChangeEnd,
    ChangeStart,
    Deletion,
    H,
    Insertion,
    P,
    PageNumber,
    TrackedChanges,
)

from app.exports.papers import DraftPaper, Front, RecordPaper, RevisedPaper

SERIF, SANS = "Liberation Serif", "Liberation Sans"


def _styles(document: OpenDocumentText) -> None:
    """The named styles a word processor shows (Title, Heading 1, Text body...)."""
    standard = Style(name="Standard", displayname="Default Paragraph Style", family="paragraph")
    standard.addElement(TextProperties(fontname=SERIF, fontfamily=SERIF, fontsize="11pt"))
    document.styles.addElement(standard)
    for name, display, size, bold, extra in (
        ("Title", "Title", "24pt", True, {"textalign": "center", "marginbottom": "0.1in"}),
        ("Subtitle", "Subtitle", "14pt", False, {"textalign": "center", "marginbottom": "0.2in"}),
        ("Heading_20_1", "Heading 1", "16pt", True, {"margintop": "0.25in"}),
        ("Heading_20_2", "Heading 2", "13pt", True, {"margintop": "0.15in"}),
    ):
        style = Style(
            name=name, displayname=display, family="paragraph", parentstylename="Standard"
        )
        if name.startswith("Heading"):
            style.setAttribute("defaultoutlinelevel", name[-1])
        style.addElement(ParagraphProperties(**({"marginbottom": "0.08in"} | extra)))
        properties = {"fontname": SANS, "fontfamily": SANS, "fontsize": size}
        style.addElement(TextProperties(fontweight="bold" if bold else "normal", **properties))
        document.styles.addElement(style)
    for name, display, props in (
        ("Text_20_body", "Text body", {}),
        ("Quotations", "Quotations", {"marginleft": "0.4in", "marginright": "0.4in"}),
        ("Footer", "Footer", {"textalign": "center"}),
        ("List_20_Contents", "List Contents", {"marginleft": "0.3in"}),
    ):
        style = Style(
            name=name, displayname=display, family="paragraph", parentstylename="Standard"
        )
        style.addElement(ParagraphProperties(marginbottom="0.08in", **props))
        document.styles.addElement(style)
    for name, props in (
        ("Emphasis", {"fontstyle": "italic"}),
        ("Strong_20_Emphasis", {"fontweight": "bold"}),
        ("Source_20_Text", {"fontname": "Liberation Mono", "fontfamily": "Liberation Mono"}),
    ):
        style = Style(name=name, displayname=name.replace("_20_", " "), family="text")
        style.addElement(TextProperties(**props))
        document.styles.addElement(style)
    table = Style(name="Tally", family="table")
    table.addElement(TableProperties(width="6.5in", align="left"))
    document.automaticstyles.addElement(table)
    column = Style(name="TallyColumn", family="table-column")
    column.addElement(TableColumnProperties(columnwidth="1.6in"))
    document.automaticstyles.addElement(column)


def _document(front: Front) -> OpenDocumentText:
    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text=f"{front.kind}: {front.title}"))
    document.meta.addElement(dc.Subject(text=front.consultation))
    document.meta.addElement(dc.Language(text=front.language))
    _styles(document)
    layout = PageLayout(name="Page")
    layout.addElement(
        PageLayoutProperties(
            pagewidth="8.27in", pageheight="11.69in", margin="0.9in", printorientation="portrait"
        )
    )
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    footer = Footer()
    line = P(stylename="Footer", text=f"{front.title} · {front.page} ")
    line.addElement(PageNumber(selectpage="current", text="1"))
    footer.addElement(line)
    master.addElement(footer)
    document.masterstyles.addElement(master)
    document.text.addElement(P(stylename="Title", text=front.title))
    document.text.addElement(P(stylename="Subtitle", text=front.subtitle))
    document.text.addElement(P(stylename="Text_20_body", text=f"{front.kind} · {front.date}"))
    return document


def _paragraph(style: str, text: str) -> P:
    """A paragraph holding ``text``, its spaces kept and its newlines as line breaks."""
    paragraph = P(stylename=style)
    teletype.addTextToElement(paragraph, text)
    return paragraph


def _heading(level: int, text: str) -> H:
    return H(outlinelevel=level, stylename=f"Heading_20_{level}", text=text)


def _save(document: OpenDocumentText) -> bytes:
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def draft_odt(paper: DraftPaper) -> bytes:
    document = _document(paper.front)
    body = document.text
    body.addElement(_heading(1, paper.heading))
    for paragraph in paper.paragraphs:
        body.addElement(_heading(2, paragraph.heading))
        body.addElement(_paragraph("Text_20_body", paragraph.text))
        if not paragraph.amendments:
            body.addElement(_paragraph("Quotations", paper.no_amendment))
        for amendment in paragraph.amendments:
            label = P(stylename="Text_20_body")
            label.addElement(_span("Strong_20_Emphasis", amendment.label))
            body.addElement(label)
            body.addElement(_paragraph("Quotations", amendment.text))
            if amendment.reason:
                body.addElement(_paragraph("Text_20_body", amendment.reason))
            body.addElement(_paragraph("Text_20_body", amendment.support))
            for line in amendment.groups:
                body.addElement(_paragraph("List_20_Contents", "• " + line))
    return _save(document)


def _span(style: str, text: str) -> Any:
    from odf.text import Span

    span = Span(stylename=style)
    teletype.addTextToElement(span, text)
    return span


class _Regions:
    """The document's text:tracked-changes, one text:changed-region per change."""

    def __init__(self, document: OpenDocumentText, author: str, date: str) -> None:
        self.author, self.date, self.ids = author, date.removesuffix("Z"), count(1)
        self.changes = TrackedChanges(trackchanges="false")
        body = document.text
        body.insertBefore(self.changes, body.childNodes[0])  # first in the text, as ODF asks

    def region(self, kind: type[Any], *removed: P) -> str:
        name = f"ct{next(self.ids)}"
        # text:id is what LibreOffice and Word read; xml:id what ODF 1.2 and later ask for
        region = ChangedRegion(qattributes={(XMLNS, "id"): name, (TEXTNS, "id"): name})
        change = kind()
        info = ChangeInfo()
        info.addElement(dc.Creator(text=self.author))
        info.addElement(dc.Date(text=self.date))
        change.addElement(info)
        for paragraph in removed:
            change.addElement(paragraph)
        region.addElement(change)
        self.changes.addElement(region)
        return name


def revised_odt(paper: RevisedPaper) -> bytes:
    document = _document(paper.front)
    body = document.text
    regions = _Regions(document, paper.author, paper.date)
    body.addElement(_heading(1, paper.heading))
    previous = _paragraph("Quotations", paper.note)
    body.addElement(previous)
    for tracked in paper.paragraphs:
        if tracked.removed:
            # the paragraph break before it and its text: a deletion marked at the end of the
            # paragraph before (rejecting it puts the paragraph back in its place)
            text = "".join(p.text for p in tracked.pieces)
            name = regions.region(Deletion, P(), _paragraph("Text_20_body", text))
            previous.addElement(Change(changeid=name))
            continue
        paragraph = P(stylename="Text_20_body")
        if tracked.added:
            # likewise an added paragraph is the break before it and its text
            name = regions.region(Insertion)
            previous.addElement(ChangeStart(changeid=name))
            teletype.addTextToElement(paragraph, "".join(p.text for p in tracked.pieces))
            paragraph.addElement(ChangeEnd(changeid=name))
        else:
            for piece in tracked.pieces:
                if piece.kind == "equal":
                    teletype.addTextToElement(paragraph, piece.text)
                elif piece.kind == "insert":
                    name = regions.region(Insertion)
                    paragraph.addElement(ChangeStart(changeid=name))
                    teletype.addTextToElement(paragraph, piece.text)
                    paragraph.addElement(ChangeEnd(changeid=name))
                else:
                    name = regions.region(Deletion, _paragraph("Text_20_body", piece.text))
                    paragraph.addElement(Change(changeid=name))
        body.addElement(paragraph)
        previous = paragraph
    body.addElement(_paragraph("Footer", "—"))
    return _save(document)


def _table(rows: tuple[tuple[str, ...], ...]) -> Table:
    table = Table(name="Tally", stylename="Tally")
    table.addElement(TableColumn(numbercolumnsrepeated=len(rows[0]), stylename="TallyColumn"))
    for n, values in enumerate(rows):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            paragraph = P(stylename="Text_20_body")
            if n == 0:
                paragraph.addElement(_span("Strong_20_Emphasis", value))
            else:
                teletype.addTextToElement(paragraph, value)
            cell.addElement(paragraph)
            row.addElement(cell)
        table.addElement(row)
    return table


def record_odt(paper: RecordPaper) -> bytes:
    document = _document(paper.front)
    body = document.text
    for heading, paragraphs in paper.sections:
        body.addElement(_heading(1, heading))
        for text in paragraphs:
            body.addElement(_paragraph("Text_20_body", text))
    body.addElement(_heading(1, paper.table_heading))
    body.addElement(_table(paper.table))
    body.addElement(_heading(2, paper.groups_heading))
    groups = _table(paper.groups_table)
    groups.setAttribute("name", "Groups")
    body.addElement(groups)
    body.addElement(_heading(2, paper.fingerprint_label))
    line = P(stylename="Text_20_body")
    line.addElement(_span("Source_20_Text", paper.fingerprint))
    body.addElement(line)
    return _save(document)
