"""Builders of test files, made in code and deterministic: real PDFs, Word, OpenDocument and
Excel files, images, and the hostile ones (zip bombs, PDFs with scripts, HTML renamed .pdf…).
Each returns the file's bytes; wrap them in ``io.BytesIO`` to upload."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import docx
from odf import table as odf_table
from odf import text as odf_text
from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

WHEN = (2026, 1, 1, 0, 0, 0)
GIGABYTE = 1 << 30


# --- zips, written deterministically ----------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A zip member as written: its raw deflate stream and what the headers say of it."""

    name: str
    deflated: bytes
    size: int
    crc: int
    flags: int = 0


def member(name: str, data: bytes, flags: int = 0) -> Member:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = squeeze.compress(data) + squeeze.flush()
    return Member(name, deflated, len(data), zlib.crc32(data), flags)


@cache
def zeros(size: int) -> Member:
    """``size`` zero bytes deflated in a moment: full flushes make every MiB's output
    identical, so it is compressed once and repeated."""
    mebibyte = bytes(1 << 20)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = squeeze.compress(mebibyte) + squeeze.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(size, 1 << 20)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mebibyte, crc)
    crc = zlib.crc32(bytes(rest), crc)
    deflated = block * count + squeeze.compress(bytes(rest)) + squeeze.flush()
    return Member("zeros.bin", deflated, size, crc)


def raw_zip(members: Iterable[Member]) -> bytes:
    """A zip written field by field (sizes under 4 GiB), so that a test can make its headers
    say what it likes."""
    out = io.BytesIO()
    central = io.BytesIO()
    count = 0
    for m in members:
        name = m.name.encode()
        offset = out.tell()
        fields = (20, m.flags, 8, 0, 0x21, m.crc, len(m.deflated), m.size, len(name), 0)
        out.write(b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + name + m.deflated)
        central.write(
            b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, *fields, 0, 0, 0, 0, offset) + name
        )
        count += 1
    start = out.tell()
    size = central.tell()
    out.write(central.getvalue())
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, size, start, 0))
    return out.getvalue()


def members(data: bytes) -> list[Member]:
    """The members of a zip, to be written again (with others) by ``raw_zip``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [member(i.filename, archive.read(i)) for i in archive.infolist()]


def fixed(data: bytes) -> bytes:
    """A zip written again with every date fixed (the libraries write the time of day)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, WHEN)
            copy.compress_type = info.compress_type
            target.writestr(copy, source.read(info))
    return out.getvalue()


# --- ordinary files -----------------------------------------------------------------------------


def pdf_writer(*lines: str) -> PdfWriter:
    """A one-page PDF showing ``lines`` in Helvetica."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    shown = b"".join(
        b"(" + line.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj T* "
        for line in lines
    )
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 12 Tf 14 TL 72 760 Td " + shown + b"ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    return writer


def written(writer: PdfWriter) -> bytes:
    writer._ID = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf(*lines: str) -> bytes:
    return written(pdf_writer(*(lines or ("Minutes of the tripartite meeting",))))


def docx_file(
    paragraphs: Iterable[str] = ("A report",), rows: Iterable[Iterable[str]] = ()
) -> bytes:
    document = docx.Document()
    document.core_properties.created = datetime(2026, 1, 1)
    document.core_properties.modified = datetime(2026, 1, 1)
    for text in paragraphs:
        document.add_paragraph(text)
    grid = [list(r) for r in rows]
    if grid:
        table = document.add_table(rows=len(grid), cols=len(grid[0]))
        for cells, values in zip(table.rows, grid, strict=True):
            for cell, value in zip(cells.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return fixed(out.getvalue())


def odt_file(
    heading: str = "A report",
    paragraphs: Iterable[str] = ("A paragraph",),
    rows: Iterable[Iterable[str]] = (),
    items: Iterable[str] = (),
) -> bytes:
    document = OpenDocumentText()
    document.text.addElement(odf_text.H(outlinelevel=1, text=heading))
    for text in paragraphs:
        document.text.addElement(odf_text.P(text=text))
    listed = list(items)
    if listed:
        bullets = odf_text.List()
        for text in listed:
            item = odf_text.ListItem()
            item.addElement(odf_text.P(text=text))
            bullets.addElement(item)
        document.text.addElement(bullets)
    grid = [list(r) for r in rows]
    if grid:
        document.text.addElement(_odf_table(grid))
    return _odf_bytes(document)


def ods_file(rows: Iterable[Iterable[str]] = (("Organisation", "Stance"),)) -> bytes:
    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(_odf_table([list(r) for r in rows]))
    return _odf_bytes(document)


def _odf_table(grid: list[list[str]]) -> odf_table.Table:
    sheet = odf_table.Table(name="Sheet1")
    sheet.addElement(odf_table.TableColumn(numbercolumnsrepeated=len(grid[0])))
    for values in grid:
        row = odf_table.TableRow()
        for value in values:
            cell = odf_table.TableCell(valuetype="string")
            cell.addElement(odf_text.P(text=value))
            row.addElement(cell)
        sheet.addElement(row)
    return sheet


def _odf_bytes(document: OpenDocumentText | OpenDocumentSpreadsheet) -> bytes:
    document._now = WHEN
    out = io.BytesIO()
    document.write(out)
    return fixed(out.getvalue())


def xlsx_file(rows: Iterable[Iterable[object]] = (("Organisation", "Stance"),)) -> bytes:
    book = Workbook()
    book.properties.created = book.properties.modified = datetime(2026, 1, 1)
    sheet = book.active
    assert sheet is not None
    for values in rows:
        sheet.append(list(values))
    out = io.BytesIO()
    book.save(out)
    return fixed(out.getvalue())


def image(kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, kind)
    return out.getvalue()


# --- hostile files --------------------------------------------------------------------------


def with_members(data: bytes, *extra: Member) -> bytes:
    """An office file (zip) with ``extra`` members added."""
    return raw_zip([*members(data), *extra])


@cache
def zip_bomb(size: int = GIGABYTE) -> bytes:
    """A Word-shaped file whose ``word/media/zeros.bin`` inflates to ``size`` bytes
    (a gigabyte: about 1 MB of zip)."""
    bomb = zeros(size)
    return with_members(
        docx_file(), Member("word/media/zeros.bin", bomb.deflated, bomb.size, bomb.crc)
    )


def lying_zip_bomb() -> bytes:
    """A gigabyte of zeros whose headers claim a thousand bytes."""
    bomb = zeros(GIGABYTE)
    return with_members(docx_file(), Member("word/media/zeros.bin", bomb.deflated, 1000, 0))


def encrypted_zip() -> bytes:
    """A Word file whose main part is marked encrypted (the flag alone is enough to refuse)."""
    return raw_zip(
        [
            member(m.name, b"x", flags=1) if m.name == "word/document.xml" else m
            for m in members(docx_file())
        ]
    )


def odt_with_text_xml(body: str) -> bytes:
    """An ODT whose content.xml office:text holds ``body`` (raw XML)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    kept = [m for m in members(odt_file()) if m.name != "content.xml"]
    return raw_zip([*kept, member("content.xml", content.encode())])


def pdf_with(entries: dict[str, DictionaryObject], *lines: str) -> bytes:
    """A PDF whose catalogue has ``entries`` added (an /OpenAction, /AA…)."""
    writer = pdf_writer(*(lines or ("Hello",)))
    for key, value in entries.items():
        writer._root_object[NameObject(key)] = value
    return written(writer)


def action(kind: str, **entries: str) -> DictionaryObject:
    found = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        found[NameObject(f"/{key}")] = TextStringObject(value)
    return found


def pdf_with_javascript() -> bytes:
    return pdf_with({"/OpenAction": action("/JavaScript", JS="app.alert('hi')")})


def pdf_with_javascript_in_names() -> bytes:
    """A script in the catalogue's /Names /JavaScript tree (run when the PDF opens)."""
    script = action("/JavaScript", JS="app.alert('hi');")
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("opening"), script])}
    )
    return pdf_with({"/Names": DictionaryObject({NameObject("/JavaScript"): tree})})


def pdf_with_javascript_link() -> bytes:
    """A link annotation on the page whose action is a script."""
    writer = pdf_writer("Hello")
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 700, 200, 720)]),
            NameObject("/A"): action("/JavaScript", JS="this.exportDataObject({})"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return written(writer)


def pdf_with_launch() -> bytes:
    return pdf_with({"/OpenAction": action("/Launch", F="C:\\Windows\\System32\\calc.exe")})


def pdf_with_attachment() -> bytes:
    writer = pdf_writer("Hello")
    writer.add_attachment("payload.exe", b"MZ" + bytes(100))
    return written(writer)


def encrypted_pdf() -> bytes:
    writer = pdf_writer("Secret")
    writer.encrypt("user", "owner", algorithm="RC4-128")
    return written(writer)


def damaged_pdf() -> bytes:
    return b"%PDF-1.7\n" + b"this is not a PDF body at all\n" * 20


HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(120)
OLD_WORD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def plain_zip() -> bytes:
    return raw_zip([member("notes.txt", b"hello")])
