"""What an uploaded file is and whether it is safe: each kind told by its bytes, each refusal
naming its problem."""

from __future__ import annotations

import io
import time

import pytest

from app.documents.checks import (
    FileKind,
    check_file_name,
    check_safe,
    check_upload,
    identify,
    safe_download_name,
)
from app.errors import DomainError
from tests import files


def refusal(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.field == "file"
    return caught.value.message


@pytest.mark.parametrize(
    "name, problem",
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("../etc/passwd", "folder path"),
        ("minutes/2026.pdf", "folder path"),
        ("C:\\minutes.pdf", "folder path"),
        ("..", "folder path"),
        ("minutes\x00.pdf", "control characters"),
        ("minutes\n.pdf", "control characters"),
        ("minutes\x85.pdf", "control characters"),
        ("report\u202efdp.exe", "text-direction"),
        ("report\u2066.pdf", "text-direction"),
        ("report\u200f.pdf", "text-direction"),
        ("a" * 197 + ".pdf", "longer than 200"),
    ],
)
def test_refused_file_names_say_why(name, problem):
    assert problem in refusal(check_file_name, name)


def test_a_file_name_is_kept_nfc_and_stripped():
    assert check_file_name("  Re\u0301sume\u0301 v2..final.pdf ") == "Résumé v2..final.pdf"
    assert check_file_name("a" * 196 + ".pdf") == "a" * 196 + ".pdf"


@pytest.mark.parametrize(
    "build, kind",
    [
        (files.pdf, FileKind.PDF),
        (files.docx_file, FileKind.DOCX),
        (files.odt_file, FileKind.ODT),
        (files.xlsx_file, FileKind.XLSX),
        (files.ods_file, FileKind.ODS),
        (files.image, FileKind.PNG),
        (lambda: files.image("JPEG"), FileKind.JPEG),
    ],
)
def test_each_kind_is_told_by_its_bytes_and_passes_the_checks(build, kind):
    source = io.BytesIO(build())
    source.seek(7)
    assert identify(source) is kind
    assert source.tell() == 0
    check_safe(source, kind)
    assert source.tell() == 0


@pytest.mark.parametrize(
    "data, problem",
    [
        (files.HTML, "web page (HTML)"),
        (files.SVG, "SVG image"),
        (files.EXE, "a program"),
        (files.plain_zip(), "zip archive"),
        (files.GIF, "not accepted."),
        (files.OLD_WORD, "old-format Office file"),
        (b"", "empty"),
        (b"PK\x03\x04 not really a zip", "damaged"),
    ],
)
def test_other_files_are_refused_naming_what_is_accepted(data, problem):
    message = refusal(identify, io.BytesIO(data))
    assert problem in message
    if "not accepted" in message:
        assert "PDF" in message and ".docx" in message and "PNG or JPEG" in message


def test_office_files_of_other_kinds_are_refused():
    def with_main_type(content_type: str) -> bytes:
        kept = []
        for m in files.members(files.docx_file()):
            if m.name == "[Content_Types].xml":
                xml = b"".join([b"<Types xmlns='x'><Override PartName='/word/document.xml' "])
                xml += f"ContentType='{content_type}'/></Types>".encode()
                m = files.member(m.name, xml)
            kept.append(m)
        return files.raw_zip(kept)

    slides = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
    assert "another kind" in refusal(identify, io.BytesIO(with_main_type(slides)))
    macros = "application/vnd.ms-word.document.macroEnabled.main+xml"
    assert "macros" in refusal(identify, io.BytesIO(with_main_type(macros)))
    slides_odf = files.raw_zip(
        [files.member("mimetype", b"application/vnd.oasis.opendocument.presentation")]
    )
    assert "OpenDocument file of another kind" in refusal(identify, io.BytesIO(slides_odf))


def test_a_gigabyte_zip_bomb_is_refused_without_inflating_it():
    bomb = io.BytesIO(files.zip_bomb())
    assert len(bomb.getvalue()) < 2_000_000
    assert identify(bomb) is FileKind.DOCX
    started = time.monotonic()
    assert "more than 200 MB" in refusal(check_safe, bomb, FileKind.DOCX)
    assert time.monotonic() - started < 1


def test_a_big_member_compressed_over_100_to_1_is_refused():
    bomb = io.BytesIO(files.zip_bomb(20_000_000))
    assert "compressed far more" in refusal(check_safe, bomb, FileKind.DOCX)


def test_the_limit_on_unpacked_size_is_the_callers():
    data = io.BytesIO(files.docx_file())
    assert "more than 0 MB" in refusal(check_safe, data, FileKind.DOCX, max_unpacked=1000)


def test_a_zip_whose_headers_lie_about_sizes_is_refused_after_reading_what_they_claim():
    started = time.monotonic()
    message = refusal(check_safe, io.BytesIO(files.lying_zip_bomb()), FileKind.DOCX)
    assert "damaged" in message
    assert time.monotonic() - started < 2


def test_too_many_entries_are_refused():
    many = [files.member(f"word/media/{n}.txt", b"x") for n in range(5001)]
    data = files.with_members(files.docx_file(), *many)
    assert "more than 5000 parts" in refusal(check_safe, io.BytesIO(data), FileKind.DOCX)


@pytest.mark.parametrize(
    "name, payload",
    [
        ("word/embeddings/inner.zip", files.plain_zip()),
        ("word/embeddings/sheet.xlsx", files.xlsx_file()),
        ("word/vbaProject.bin", files.OLD_WORD),
    ],
)
def test_nested_archives_and_ole_objects_are_refused(name, payload):
    data = files.with_members(files.docx_file(), files.member(name, payload))
    message = refusal(check_safe, io.BytesIO(data), FileKind.DOCX)
    assert "holds another file inside it" in message and name in message


def test_opendocument_macros_are_refused():
    module = files.member("Basic/Standard/Module1.xml", b"<module/>")
    data = files.with_members(files.odt_file(), module)
    assert "macros" in refusal(check_safe, io.BytesIO(data), FileKind.ODT)
    index = files.member("Basic/script-lc.xml", b"<libraries/>")
    check_safe(io.BytesIO(files.with_members(files.odt_file(), index)), FileKind.ODT)


def test_an_encrypted_zip_is_refused():
    data = io.BytesIO(files.encrypted_zip())
    assert "encrypted" in refusal(check_safe, data, FileKind.DOCX)


@pytest.mark.parametrize(
    "build, problem",
    [
        (files.pdf_with_javascript, "JavaScript"),
        (files.pdf_with_javascript_in_names, "JavaScript"),
        (files.pdf_with_javascript_link, "JavaScript"),
        (files.pdf_with_launch, "starts another program"),
        (files.pdf_with_attachment, "files attached or embedded"),
        (files.encrypted_pdf, "encrypted"),
        (files.damaged_pdf, "cannot be read"),
    ],
)
def test_unsafe_or_unreadable_pdfs_are_refused(build, problem):
    data = io.BytesIO(build())
    assert identify(data) is FileKind.PDF
    assert problem in refusal(check_safe, data, FileKind.PDF)
    assert data.tell() == 0


def test_check_upload_checks_the_name_first_then_the_kind_then_safety():
    assert "folder path" in refusal(check_upload, io.BytesIO(files.HTML), "../x.pdf")
    assert "HTML" in refusal(check_upload, io.BytesIO(files.HTML), "minutes.pdf")
    assert "JavaScript" in refusal(
        check_upload, io.BytesIO(files.pdf_with_javascript()), "minutes.pdf"
    )


def test_check_upload_returns_the_kind_and_a_name_ending_as_the_kind_does():
    source = io.BytesIO(files.docx_file())
    assert check_upload(source, " Minutes.DOCX ") == (FileKind.DOCX, "Minutes.DOCX")
    assert source.tell() == 0
    assert check_upload(source, "minutes.pdf") == (FileKind.DOCX, "minutes.pdf.docx")
    jpeg = io.BytesIO(files.image("JPEG"))
    assert check_upload(jpeg, "photo.jpeg") == (FileKind.JPEG, "photo.jpeg")
    kind, name = check_upload(source, "a" * 200)
    assert len(name) == 200 and name.endswith(".docx")


@pytest.mark.parametrize(
    "title, kind, ascii_name, utf8_name",
    [
        ("Minutes", FileKind.PDF, "Minutes.pdf", "Minutes.pdf"),
        (
            "Procès-verbal n°3",
            FileKind.DOCX,
            "Proces-verbal n3.docx",
            "Proc%C3%A8s-verbal%20n%C2%B03.docx",
        ),
        ("Photo.JPG", FileKind.JPEG, "Photo.JPG", "Photo.JPG"),
        ('a"b\r\nc/d\u202e', FileKind.ODT, "a_b c-d.odt", "a%22b%20c-d.odt"),
        ("会议纪要", FileKind.XLSX, "document.xlsx", "%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81.xlsx"),
        ("  ", FileKind.PNG, "document.png", "document.png"),
    ],
)
def test_download_names_have_an_ascii_fallback_and_the_exact_name(
    title, kind, ascii_name, utf8_name
):
    header = safe_download_name(title, kind)
    assert header == f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"
    assert header.isascii() and "\n" not in header and "\r" not in header


def test_kinds_carry_their_media_type_and_extension():
    assert FileKind.DOCX.media_type.endswith("wordprocessingml.document")
    assert FileKind.JPEG.extension == "jpg" and FileKind.ODS.extension == "ods"
