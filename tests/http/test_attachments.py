"""Attachments over HTTP, on both databases and both file stores (a directory, and an
S3-compatible server the suite starts): adding a document and new versions of it, who may
download what (exactly who may see what it hangs on), and every bad file refused with its
message beside the field and nothing stored."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import func, select

from app.config import Settings
from app.db import utcnow
from app.documents.models import Attachment, AttachmentVersion
from app.documents.storage import file_store
from app.vocabulary import Group, PlatformRole, RoundStatus
from tests import factories
from tests.factories import signed_in
from tests.helpers import soup
from tests.storage_server import s3_settings


@pytest.fixture(params=["local", "s3"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Each test once with files on disk, once in the S3-compatible server."""
    return settings if request.param == "local" else s3_settings(settings)


def word_file(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload(browser, url: str, name: str, content: bytes, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrftoken": browser.csrf(), **fields}
    return browser.post(url, data=data, files={"file": (name, content, "application/pdf")})


class World:
    def __init__(self, db, *, status=RoundStatus.OPEN, sealed=False):  # type: ignore[no-untyped-def]
        self.orgs = {
            "union": factories.organisation(db, Group.WORKERS, name="Union A"),
            "union2": factories.organisation(db, Group.WORKERS, name="Union B"),
            "employers": factories.organisation(db, Group.EMPLOYERS, name="Federation"),
            "ministry": factories.organisation(db, Group.GOVERNMENT, name="Ministry"),
        }
        kwargs = {}
        if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
            now = utcnow()
            kwargs = {"opens_at": now - timedelta(days=9), "closes_at": now - timedelta(days=1)}
        self.round = factories.consultation_round(
            db, self.orgs.values(), status=status, sealed=sealed, **kwargs
        )
        self.people = {
            key: factories.member(db, org, name=f"Rep of {org.name}")
            for key, org in self.orgs.items()
        }
        self.people["moderator"] = factories.user(db, platform_role=PlatformRole.MODERATOR)
        self.people["observer"] = factories.user(db, platform_role=PlatformRole.OBSERVER)
        self.people["plain"] = factories.user(db)

    @property
    def url(self) -> str:
        return f"/rounds/{self.round.id}/attachments"


def stored_count(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(AttachmentVersion.id))) or 0


def test_a_moderator_attaches_a_document_and_everyone_invited_downloads_it(
    make_client, db, settings
):
    w = World(db)
    moderator = signed_in(make_client, db, w.people["moderator"])
    page = moderator.get(w.url)
    assert page.status_code == 200
    form = soup(page.text).select_one("form[enctype='multipart/form-data']")
    assert form is not None and form["action"] == w.url
    assert form.select_one("input[type=file][name=file]") is not None
    assert form.select_one("input[name=title]") is not None

    content = word_file("Draft Convention on fair recruitment.", "Article 1. Scope.")
    sent = upload(
        moderator,
        w.url,
        "draft-convention.docx",
        content,
        title="Draft Convention",
        place="round",
        language="en",
        folder="Draft instrument",
    )
    assert sent.status_code == 303, sent.text
    listed = soup(moderator.get(sent.headers["location"]).text)
    assert "is attached" in listed.select_one("[role=status]").text
    item = listed.select_one("li.card[id^=attachment-]")
    assert "Draft Convention" in item.text
    assert "Version 1 (current)" in item.text
    assert "Draft instrument" in listed.select_one("h3.folder").text
    link = item.select_one("a")["href"]

    # a representative of an invited organisation downloads it, byte for byte
    rep = signed_in(make_client, db, w.people["employers"])
    got = rep.get(link)
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "draft-convention.docx" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    # its text was extracted once, at upload, for search
    version = db.scalars(select(AttachmentVersion)).one()
    assert "fair recruitment" in version.text
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert file_store(settings).verify(version.sha256)
    # an anonymous visitor is sent to sign in
    assert make_client().get(link).status_code == 303


def test_a_new_version_becomes_current_and_the_older_ones_stay(make_client, db, settings):
    w = World(db)
    moderator = signed_in(make_client, db, w.people["moderator"])
    first, second = word_file("First text."), word_file("Second text.")
    upload(moderator, w.url, "study.docx", first, title="Study", place="round", language="fr")
    attachment = db.scalars(select(Attachment)).one()
    again = upload(moderator, f"/attachments/{attachment.id}/versions", "study-v2.docx", second)
    assert again.status_code == 303, again.text
    page = soup(moderator.get(again.headers["location"]).text)
    assert "Version 2" in page.select_one("[role=status]").text
    item = page.select_one(f"#attachment-{attachment.id}")
    assert "Version 2 (current)" in item.text
    assert "1 earlier version" in item.select_one("details summary").text
    rep = signed_in(make_client, db, w.people["union"])
    assert rep.get(f"/attachments/{attachment.id}").content == second
    assert rep.get(f"/attachments/{attachment.id}/versions/1").content == first
    assert rep.get(f"/attachments/{attachment.id}/versions/3").status_code == 404
    # a representative may not replace the round's document
    refused = upload(rep, f"/attachments/{attachment.id}/versions", "mine.docx", first)
    assert refused.status_code == 403


def test_a_representative_attaches_a_position_paper_not_a_round_document(make_client, db, settings):
    w = World(db)
    rep = signed_in(make_client, db, w.people["union"])
    places = [o["value"] for o in soup(rep.get(w.url).text).select("select[name=place] option")]
    assert places == ["position"]
    paper = word_file("Our position on wages.")
    refused = upload(rep, w.url, "p.docx", paper, title="Ours", place="round", language="en")
    assert refused.status_code == 403
    sent = upload(
        rep, w.url, "p.docx", paper, title="Position paper", place="position", language="en"
    )
    assert sent.status_code == 303, sent.text
    attachment = db.scalars(select(Attachment)).one()
    assert attachment.organisation_id == w.orgs["union"].id
    other = signed_in(make_client, db, w.people["ministry"])
    listed = soup(other.get(w.url).text)
    assert "Position paper of Union A" in listed.text
    assert other.get(f"/attachments/{attachment.id}").content == paper


def test_a_sealed_positions_paper_is_its_organisations_alone_until_the_round_closes(
    make_client, db, settings
):
    w = World(db, sealed=True)
    rep = signed_in(make_client, db, w.people["union"])
    upload(
        rep,
        w.url,
        "p.docx",
        word_file("Sealed."),
        title="Sealed paper",
        place="position",
        language="en",
    )
    attachment = db.scalars(select(Attachment)).one()
    for key in ("union2", "ministry", "moderator", "observer"):
        other = signed_in(make_client, db, w.people[key])
        assert other.get(f"/attachments/{attachment.id}").status_code == 404, key
        assert "Sealed paper" not in other.get(w.url).text, key
    assert rep.get(f"/attachments/{attachment.id}").status_code == 200
    w.round.status = RoundStatus.CLOSED.value
    w.round.closes_at = utcnow() - timedelta(minutes=1)
    db.commit()
    other = signed_in(make_client, db, w.people["ministry"])
    assert other.get(f"/attachments/{attachment.id}").status_code == 200


def test_a_caucus_file_is_for_the_groups_members_alone(make_client, db, settings):
    w = World(db)
    rep = signed_in(make_client, db, w.people["union"])
    sent = upload(
        rep,
        w.url,
        "tactics.docx",
        word_file("Caucus only."),
        title="Our tactics",
        place="caucus",
        language="en",
    )
    assert sent.status_code == 303, sent.text
    attachment = db.scalars(select(Attachment)).one()
    assert attachment.group_name is Group.WORKERS
    colleague = signed_in(make_client, db, w.people["union2"])
    assert colleague.get(f"/attachments/{attachment.id}").status_code == 200
    assert "Our tactics" in colleague.get(w.url).text
    for key in ("employers", "ministry", "moderator", "observer", "plain"):
        other = signed_in(make_client, db, w.people[key])
        assert other.get(f"/attachments/{attachment.id}").status_code == 404, key
        assert other.get(f"/attachments/{attachment.id}/versions/1").status_code == 404, key
        assert "Our tactics" not in other.get(w.url).text, key
    # nor is it in the shared audit log
    from app.audit.models import AuditEvent

    actions = set(db.scalars(select(AuditEvent.action)))
    assert "attachment.added" not in actions


def test_a_draft_rounds_documents_are_for_moderators(make_client, db, settings):
    w = World(db, status=RoundStatus.DRAFT)
    moderator = signed_in(make_client, db, w.people["moderator"])
    upload(
        moderator,
        w.url,
        "q.docx",
        word_file("Questionnaire."),
        title="Questionnaire",
        place="round",
        language="en",
    )
    attachment = db.scalars(select(Attachment)).one()
    rep = signed_in(make_client, db, w.people["union"])
    assert rep.get(f"/attachments/{attachment.id}").status_code == 404
    assert rep.get(w.url).status_code == 404
    assert moderator.get(f"/attachments/{attachment.id}").status_code == 200


HTML = b"<!doctype html><html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("report.pdf", HTML, "accept"),
        ("drawing.pdf", SVG, "accept"),
        ("../../etc/passwd.docx", None, "folder"),
        ("bad\x00name.docx", None, "name"),
        ("evil\u202excod.docx", None, "name"),
        ("x" * 300 + ".docx", None, "200"),
        ("empty.docx", b"", "empty"),
    ],
)
def test_a_bad_file_is_refused_beside_the_field_and_nothing_is_stored(
    make_client, db, settings, name, content, words
):
    w = World(db)
    moderator = signed_in(make_client, db, w.people["moderator"])
    body = word_file("Fine.") if content is None else content
    refused = upload(
        moderator,
        w.url,
        name,
        body,
        title="Kept title",
        place="round",
        language="en",
        folder="Kept",
    )
    assert refused.status_code in (400, 422), refused.text
    page = soup(refused.text)
    error = page.select_one("#f-file-error")
    assert error is not None and words in error.text.lower(), page.text
    assert page.select_one("input[name=title]")["value"] == "Kept title"
    assert page.select_one("input[name=folder]")["value"] == "Kept"
    assert stored_count(db) == 0
    if settings.file_store == "local":
        files = settings.data_dir / "files"
        assert not files.exists() or not [p for p in files.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_cut_off_and_nothing_is_stored(make_client, db, settings):
    settings.attachment_max_bytes = 200_000
    w = World(db)
    moderator = signed_in(make_client, db, w.people["moderator"])
    # past the limit (and the room for the form's fields): cut off as it arrives
    big = word_file("Big.") + b"\0" * 300_000
    refused = upload(moderator, w.url, "big.docx", big, title="Big", place="round", language="en")
    assert refused.status_code == 413
    assert "too large" in refused.text
    assert stored_count(db) == 0
    # just over the limit, within that room: the page says so beside the field
    over = word_file("Over.") + b"\0" * 10_000
    settings.attachment_max_bytes = len(over) - 1
    moderator = signed_in(make_client, db, w.people["moderator"])
    refused = upload(
        moderator, w.url, "over.docx", over, title="Over", place="round", language="en"
    )
    assert refused.status_code == 413
    assert "too large" in soup(refused.text).select_one("#f-file-error").text
    assert stored_count(db) == 0


def test_a_title_is_required_and_the_form_comes_back_filled(make_client, db, settings):
    w = World(db)
    moderator = signed_in(make_client, db, w.people["moderator"])
    refused = upload(
        moderator,
        w.url,
        "a.docx",
        word_file("A."),
        title=" ",
        place="round",
        language="es",
        folder="F",
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    assert "title" in page.select_one("#f-title-error").text
    assert page.select_one("select[name=language] option[selected]")["value"] == "es"
    assert stored_count(db) == 0
