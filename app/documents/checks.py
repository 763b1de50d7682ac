"""What an uploaded file is, whether it is safe to keep and hand out, and the name it goes by.
Pure: bytes and names in, a ``FileKind``, a clean name or a refusal out (no web, no database).

**Kinds** (``FileKind``). PDF, Word (.docx) and OpenDocument (.odt) texts, Excel (.xlsx) and
OpenDocument (.ods) spreadsheets, PNG and JPEG images. Slides (.pptx, .odp) are not accepted:
they are shared as PDF. A file is told by its bytes (``identify``), never by its name nor by
what the browser claims: the PDF header, the PNG and JPEG signatures, and for a zip the
OpenDocument ``mimetype`` entry or the OOXML main part that ``_rels/.rels`` names and
``[Content_Types].xml`` types. Macro-enabled Office files (.docm, .xlsm), old binary Office
files (.doc, .xls: also what a password-protected .docx is), HTML, SVG, programs and plain
archives are refused with a sentence naming what is accepted.

**Safety** (``check_safe``). A zip-based file is refused when it is encrypted, holds too many
entries, declares more than ``max_unpacked`` bytes in all, has a big member compressed more
than 100:1, holds another archive or an OLE container (an embedded object, a VBA project) or
OpenDocument macros; then every member is read through once, in chunks, counting what it
really inflates to (never more than ``max_unpacked``) and checking its CRC. A PDF is refused
when pypdf cannot read it, when it is encrypted, or when anything reachable from its catalogue
(OpenAction, additional actions, the names trees, pages, annotations, form fields) is a
JavaScript or launch action, an XFA form, an embedded or attached file or rich media.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from enum import StrEnum
from typing import IO, BinaryIO
from urllib.parse import quote
from xml.etree import ElementTree

import filetype  # type: ignore[import-untyped]
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from app.errors import DomainError
from app.i18n import N_
from app.i18n import gettext as _
from app.text_rules import BIDI_CONTROLS

FIELD = "file"
NAME_MAX = 200
#: What an office file may unpack to in all, by default.
MAX_UNPACKED = 200_000_000
MAX_ENTRIES = 5_000
#: A member bigger than this, compressed more than ``MAX_RATIO``:1, is a zip bomb's member.
BIG_MEMBER = 5_000_000
MAX_RATIO = 100
#: Objects of a PDF walked at most (a long report has tens of thousands).
MAX_PDF_OBJECTS = 300_000
_CHUNK = 1 << 20
_HEAD = 4096
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


class FileKind(StrEnum):
    """The kinds of file people may attach."""

    PDF = "pdf"
    DOCX = "docx"
    ODT = "odt"
    XLSX = "xlsx"
    ODS = "ods"
    PNG = "png"
    JPEG = "jpeg"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        """The extension a file of this kind is saved with (no dot)."""
        return "jpg" if self is FileKind.JPEG else self.value

    @property
    def is_zip(self) -> bool:
        return self in {FileKind.DOCX, FileKind.ODT, FileKind.XLSX, FileKind.ODS}


_MEDIA_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.ODT: "application/vnd.oasis.opendocument.text",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
}
_ODF = {FileKind.ODT.media_type: FileKind.ODT, FileKind.ODS.media_type: FileKind.ODS}
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        FileKind.DOCX
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": FileKind.XLSX,
}
#: What a refused file looks like, when we can tell.
_LOOKS_LIKE = {
    "html": N_("a web page (HTML)"),
    "svg": N_("an SVG image"),
    "program": N_("a program"),
    "zip": N_("a zip archive"),
    "office": N_("an Office file of another kind (such as slides or a template)"),
    "opendocument": N_("an OpenDocument file of another kind (such as slides or a drawing)"),
}


def refusal(message: str) -> DomainError:
    return DomainError(message, field=FIELD)


# --- names ---------------------------------------------------------------------------------


def check_file_name(name: str) -> str:
    """The name as kept: NFC and stripped. Refuses an empty or overlong name, a folder path,
    control characters and bidirectional formatting characters (which can make
    ``report‮fdp.exe`` show as ``reportexe.pdf``)."""
    name = unicodedata.normalize("NFC", name)
    if _CONTROL.search(name):
        raise refusal(_("The file name contains control characters: rename the file."))
    if _BIDI.search(name):
        raise refusal(
            _(
                "The file name contains invisible text-direction characters, which can disguise "
                "what a file is: rename the file."
            )
        )
    name = name.strip()
    if not name:
        raise refusal(_("The file needs a name."))
    if "/" in name or "\\" in name or not name.strip("."):
        raise refusal(_("A file name cannot be a folder path (/, \\ or ..): rename the file."))
    if len(name) > NAME_MAX:
        raise refusal(
            _("The file name is longer than %(limit)s characters: shorten it.")
            % {"limit": NAME_MAX}
        )
    return name


def safe_download_name(title: str, kind: FileKind) -> str:
    """A ``Content-Disposition`` value that saves the file as ``title`` with its kind's
    extension: an ASCII ``filename`` for old clients and the exact name in ``filename*``."""
    name = " ".join(_BIDI.sub("", _CONTROL.sub(" ", unicodedata.normalize("NFC", title))).split())
    name = re.sub(r"[/\\]", "-", name).strip(" .")[:150].rstrip(" .") or "document"
    if not name.lower().endswith(_extensions(kind)):
        name = f"{name}.{kind.extension}"
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9 ._()+,-]", "_", plain)
    plain = re.sub(r"_{2,}", "_", plain).strip(" ._")
    if not plain.lower().endswith(_extensions(kind)) or plain.startswith("."):
        plain = f"document.{kind.extension}"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _extensions(kind: FileKind) -> tuple[str, ...]:
    return (".jpg", ".jpeg") if kind is FileKind.JPEG else (f".{kind.extension}",)


# --- what a file is -------------------------------------------------------------------------


def identify(source: BinaryIO) -> FileKind:
    """The kind of file ``source`` holds, told by its bytes alone."""
    source.seek(0)
    head = source.read(_HEAD)
    source.seek(0)
    if not head:
        raise refusal(_("The file is empty."))
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(_OLE):
        raise refusal(
            _(
                "This is an old-format Office file (.doc, .xls) or a password-protected one: "
                "save it as .docx, .xlsx or PDF, without a password, and upload that."
            )
        )
    if head.startswith(_ZIP):
        try:
            return _identify_zip(source)
        finally:
            source.seek(0)
    raise not_accepted(_looks_like(head))


def not_accepted(looks_like: str | None = None) -> DomainError:
    accepted = _(
        "Upload a PDF, a Word (.docx) or OpenDocument (.odt) text, an Excel (.xlsx) or "
        "OpenDocument (.ods) spreadsheet, or a PNG or JPEG image."
    )
    if looks_like is None:
        return refusal(_("This kind of file is not accepted.") + " " + accepted)
    sentence = _("This kind of file is not accepted (it looks like %(what)s).")
    return refusal(sentence % {"what": _(_LOOKS_LIKE[looks_like])} + " " + accepted)


def _looks_like(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "html"
    if text.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in text:
        return "svg"
    guess = filetype.guess(head)
    if guess is not None and guess.extension in {"exe", "elf", "dmg", "macho", "deb", "rpm"}:
        return "program"
    return None


def _open_zip(source: BinaryIO) -> zipfile.ZipFile:
    source.seek(0)
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise _damaged() from error


def _damaged() -> DomainError:
    return refusal(_("The file cannot be read: it may be damaged. Save it again and upload it."))


def _encrypted() -> DomainError:
    return refusal(
        _("The file is encrypted or password-protected: upload a copy without a password.")
    )


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 1_000_000) -> bytes:
    """A small member (a manifest), read whole; a big or encrypted one is refused."""
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise _encrypted()
    if info.file_size > limit:
        raise _damaged()
    try:
        return archive.read(info)[:limit]
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError) as error:
        raise _damaged() from error


def _identify_zip(source: BinaryIO) -> FileKind:
    with _open_zip(source) as archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            mimetype = _read_small(archive, "mimetype", 200).decode("ascii", "replace").strip()
            if mimetype in _ODF:
                return _ODF[mimetype]
            raise not_accepted("opendocument")
        if "[Content_Types].xml" in names and "_rels/.rels" in names:
            content_type = _ooxml_main_type(archive, names)
            if content_type in _OOXML:
                return _OOXML[content_type]
            if "macroenabled" in content_type.lower():
                raise refusal(
                    _(
                        "Office files with macros (.docm, .xlsm) are not accepted: save it as "
                        ".docx, .xlsx or PDF and upload that."
                    )
                )
            raise not_accepted("office")
        raise not_accepted("zip")


def _ooxml_main_type(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The content type of the part ``_rels/.rels`` names as the office document."""
    try:
        rels = ElementTree.fromstring(_read_small(archive, "_rels/.rels"))
        types = ElementTree.fromstring(_read_small(archive, "[Content_Types].xml"))
    except ElementTree.ParseError as error:
        raise _damaged() from error
    targets = [
        r.get("Target", "").lstrip("/")
        for r in rels
        if r.get("Type", "").endswith("/officeDocument") and r.get("TargetMode") != "External"
    ]
    if len(targets) != 1 or targets[0] not in names:
        return ""
    part = "/" + targets[0]
    for entry in types:
        if _local(entry.tag) == "Override" and entry.get("PartName", "").lower() == part.lower():
            return entry.get("ContentType", "")
    return ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- whether it is safe ---------------------------------------------------------------------


def check_safe(source: BinaryIO, kind: FileKind, *, max_unpacked: int = MAX_UNPACKED) -> None:
    """Refuses a file of ``kind`` that is a zip bomb, encrypted, carries scripts, macros or
    embedded files, or cannot be read. Leaves ``source`` rewound."""
    try:
        if kind is FileKind.PDF:
            _check_pdf(source)
        elif kind.is_zip:
            _check_zip(source, kind, max_unpacked)
    finally:
        source.seek(0)


def check_upload(source: BinaryIO, name: str) -> tuple[FileKind, str]:
    """An upload checked in order: its name, its kind, its safety. Returns the kind and the
    name as kept, ending with the kind's extension (``report.pdf`` holding a Word text is kept
    as ``report.pdf.docx``). Leaves ``source`` rewound."""
    name = check_file_name(name)
    kind = identify(source)
    check_safe(source, kind)
    if not name.lower().endswith(_extensions(kind)):
        suffix = f".{kind.extension}"
        name = name[: NAME_MAX - len(suffix)].rstrip() + suffix
    return kind, name


def unpacked_size(archive: zipfile.ZipFile) -> int:
    """What the members of ``archive`` say they unpack to, in all."""
    return sum(info.file_size for info in archive.infolist())


def _check_zip(source: BinaryIO, kind: FileKind, max_unpacked: int) -> None:
    with _open_zip(source) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise refusal(
                _("The file holds more than %(limit)s parts: it cannot be accepted.")
                % {"limit": MAX_ENTRIES}
            )
        if any(info.flag_bits & 0x1 for info in infos):
            raise _encrypted()
        if len({info.filename for info in infos}) != len(infos):
            raise _damaged()
        if unpacked_size(archive) > max_unpacked:
            raise _too_big(max_unpacked)
        for info in infos:
            if info.file_size > BIG_MEMBER and info.file_size > MAX_RATIO * info.compress_size:
                raise refusal(
                    _(
                        "The file is compressed far more than a document can be (a part of it "
                        "unpacks to over %(ratio)s times its size): it cannot be accepted."
                    )
                    % {"ratio": MAX_RATIO}
                )
            if kind in {FileKind.ODT, FileKind.ODS} and _is_odf_macro(info.filename):
                raise _macros()
        _read_through(archive, infos, max_unpacked)


def _read_through(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_unpacked: int
) -> None:
    """Inflates every member once, in chunks, never past ``max_unpacked`` in all: what they
    really hold, whatever their headers say, and whether their CRCs match."""
    total = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as member:
                for number, chunk in enumerate(_chunks(member)):
                    if number == 0 and chunk.startswith((_ZIP, _OLE)):
                        raise _embedded(info.filename)
                    total += len(chunk)
                    if total > max_unpacked:
                        raise _too_big(max_unpacked)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError) as error:
        raise _damaged() from error


def _chunks(member: IO[bytes]) -> Iterator[bytes]:
    while chunk := member.read(_CHUNK):
        yield chunk


def _is_odf_macro(name: str) -> bool:
    """A Basic module (``Basic/Standard/Module1.xml``) or a script (``Scripts/…``); the
    library indexes (``Basic/script-lc.xml``) alone hold no code."""
    return name.startswith("Scripts/") or (name.startswith("Basic/") and name.count("/") > 1)


def _too_big(limit: int) -> DomainError:
    return refusal(
        _("The file unpacks to more than %(megabytes)s MB: it cannot be accepted.")
        % {"megabytes": limit // 1_000_000}
    )


def _macros() -> DomainError:
    return refusal(
        _("Documents with macros are not accepted: save a copy without macros, or as PDF.")
    )


def _embedded(name: str) -> DomainError:
    return refusal(
        _(
            "The file holds another file inside it (%(name)s): embedded files, archives and "
            "macros are not accepted. Remove the embedded object, or save it as PDF, and "
            "upload that."
        )
        % {"name": name}
    )


def _check_pdf(source: BinaryIO) -> None:
    source.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(source, strict=False)
            encrypted = reader.is_encrypted
            problem = None if encrypted else _pdf_problem(reader)
            pages = 0 if encrypted else len(reader.pages)
        except DomainError:
            raise
        except Exception as error:  # pypdf raises many kinds on a damaged file
            raise _unreadable_pdf() from error
    if encrypted:
        raise _encrypted()
    if problem is not None:
        raise refusal(_(_PDF_PROBLEMS[problem]))
    if pages == 0:
        raise _unreadable_pdf()


def _unreadable_pdf() -> DomainError:
    return refusal(
        _("This PDF cannot be read: it may be damaged. Print it to a new PDF and upload that.")
    )


_PDF_PROBLEMS = {
    "javascript": N_(
        "This PDF contains JavaScript, which is not accepted: print it to a new PDF (which "
        "leaves scripts out) and upload that."
    ),
    "launch": N_(
        "This PDF contains an action that starts another program, which is not accepted: "
        "print it to a new PDF and upload that."
    ),
    "embedded": N_(
        "This PDF has files attached or embedded in it, which are not accepted: upload them "
        "on their own, and print the PDF to a new PDF without them."
    ),
}


def _pdf_problem(reader: PdfReader) -> str | None:
    """The first script, launch action or embedded file reachable from the catalogue (its
    OpenAction and actions, names trees, pages, annotations, form fields…), or None."""
    pending: list[PdfObject] = [reader.trailer.raw_get("/Root")]
    seen: set[tuple[int, int]] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            if len(seen) > MAX_PDF_OBJECTS:
                raise refusal(_("This PDF is too complex to check: print it to a new PDF."))
            resolved = item.get_object()
            if resolved is None:
                continue
            item = resolved
        if isinstance(item, DictionaryObject):
            problem = _pdf_dictionary_problem(item)
            if problem is not None:
                return problem
            pending.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            pending.extend(list.__iter__(item))
    return None


def _pdf_dictionary_problem(entry: DictionaryObject) -> str | None:
    action = entry.get("/S")
    if action == "/JavaScript" or "/JS" in entry or "/XFA" in entry:
        return "javascript"
    if action == "/Launch":
        return "launch"
    if (
        entry.get("/Type") == "/EmbeddedFile"
        or "/EF" in entry
        or "/EmbeddedFiles" in entry
        or entry.get("/Subtype") in {"/FileAttachment", "/RichMedia"}
    ):
        return "embedded"
    return None
