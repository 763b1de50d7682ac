"""A round's Word and ODT documents over HTTP, on both databases: the draft with its amendments
and their equal-weight support, the revised draft with its changes tracked, and the outcome
record with the summary's fingerprint; who may download each, and the 404s and 409s."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from docx import Document
from odf import teletype
from odf.opendocument import load
from odf.text import H, P

from app.db import utcnow
from app.drafts.models import DraftParagraph
from app.rounds.models import GroupSignoff, Round, RoundInvitation
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance
from tests import factories
from tests.factories import signed_in

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


def docx_text(body: bytes) -> list[str]:
    document = Document(io.BytesIO(body))
    return [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    ]


def odt_text(body: bytes) -> list[str]:
    document = load(io.BytesIO(body))
    return [teletype.extractText(e) for e in document.getElementsByType(P)] + [
        teletype.extractText(e) for e in document.getElementsByType(H)
    ]


def text_of(fmt: str, body: bytes) -> str:
    return "\n".join(docx_text(body) if fmt == "docx" else odt_text(body))


def people(make_client, db):
    def as_role(role):
        return signed_in(make_client, db, factories.user(db, platform_role=role))

    return as_role


def drafted_round(db, status=RoundStatus.OPEN):
    """A round of the three groups with a draft text of two paragraphs; the workers' amendment
    to the first, supported by the employers."""
    round_, orgs, reps = factories.three_groups_round(
        db, title="Pension portability", status=status
    )
    first, _second = factories.draft(
        db, round_, "Each agreement covers **pensions**.", "Periods are added together."
    )
    amendment = factories.amendment(
        db,
        first,
        orgs[Group.WORKERS],
        reps[Group.WORKERS],
        "Each agreement covers pensions and invalidity benefits.",
        supporters=[orgs[Group.EMPLOYERS]],
    )
    amendment.reason = "Invalidity is left out."
    db.flush()
    return round_, orgs, reps


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_the_draft_holds_its_paragraphs_and_amendments_with_their_support(make_client, db, fmt):
    round_, orgs, reps = drafted_round(db)
    response = signed_in(make_client, db, reps[Group.GOVERNMENT]).get(
        f"/rounds/{round_.id}/draft.{fmt}"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == (DOCX if fmt == "docx" else ODT)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="tripartite-round-{round_.id}-pension-portability-draft.{fmt}"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    text = text_of(fmt, response.content)
    assert "Pension portability" in text and "Paragraph 1" in text and "Paragraph 2" in text
    assert "Each agreement covers pensions." in text  # markdown's marks left out
    assert f"Amendment 1.1, proposed by {orgs[Group.WORKERS].name}" in text
    assert "Each agreement covers pensions and invalidity benefits." in text
    assert "Reason: Invalidity is left out." in text
    # two of three groups fully support it: two thirds of the equal-weight whole
    assert "Equal-weight support: 66.7% (2 of 3 invited organisations)" in text
    assert "No amendment was proposed to this paragraph." in text


def test_the_docx_is_a_document_a_ministry_would_send(make_client, db):
    round_, _orgs, reps = drafted_round(db)
    body = signed_in(make_client, db, reps[Group.WORKERS]).get(f"/rounds/{round_.id}/draft.docx")
    document = Document(io.BytesIO(body.content))
    styles = [p.style.name for p in document.paragraphs]
    assert styles[0] == "Title" and "Heading 1" in styles and "Heading 2" in styles
    assert document.core_properties.title == "Draft text: Pension portability"
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "fldChar" in footer


def test_the_odt_has_named_styles_a_page_number_and_a_title(make_client, db):
    round_, _orgs, reps = drafted_round(db)
    body = signed_in(make_client, db, reps[Group.WORKERS]).get(f"/rounds/{round_.id}/draft.odt")
    with zipfile.ZipFile(io.BytesIO(body.content)) as archive:
        assert archive.read("mimetype") == ODT.encode()
        styles = archive.read("styles.xml").decode()
        meta = archive.read("meta.xml").decode()
    assert "text:page-number" in styles and 'style:name="Heading_20_1"' in styles
    assert "<dc:title>Draft text: Pension portability</dc:title>" in meta


def test_the_draft_is_in_the_readers_language(make_client, db):
    round_, _orgs, reps = drafted_round(db)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    body = browser.get(f"/rounds/{round_.id}/draft.docx", headers={"Accept-Language": "fr"})
    text = text_of("docx", body.content)
    assert "Paragraphe 1" in text and "Paragraph 1" not in text


def test_no_draft_text_no_revision_no_document(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    for paper in ("draft", "revised"):
        response = browser.get(f"/rounds/{round_.id}/{paper}.docx")
        assert response.status_code == 404
    assert browser.get(f"/rounds/{round_.id}/draft.pdf").status_code == 404
    assert browser.get("/rounds/999999/draft.odt").status_code == 404


def test_a_draft_rounds_documents_are_for_moderators_only(make_client, db):
    round_, _orgs, reps = drafted_round(db, status=RoundStatus.DRAFT)
    as_role = people(make_client, db)
    assert (
        signed_in(make_client, db, reps[Group.WORKERS])
        .get(f"/rounds/{round_.id}/draft.docx")
        .status_code
        == 404
    )
    assert as_role(PlatformRole.OBSERVER).get(f"/rounds/{round_.id}/draft.odt").status_code == 404
    assert as_role(PlatformRole.MODERATOR).get(f"/rounds/{round_.id}/draft.odt").status_code == 200
    anonymous = make_client().get(f"/rounds/{round_.id}/draft.docx", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


def revised(db, next_status=RoundStatus.OPEN):
    """A closed round with a draft, and the next round revising it (its own paragraphs)."""
    round_, orgs, reps = drafted_round(db, status=RoundStatus.CLOSED)
    round_.closes_at = utcnow() - timedelta(days=1)
    following = Round(
        consultation_id=round_.consultation_id,
        number=2,
        title="Pension portability, revised",
        brief="The revised text.",
        status=next_status.value,
        weighting=round_.weighting,
        opens_at=utcnow() - timedelta(hours=1),
        closes_at=utcnow() + timedelta(days=7),
        previous_round_id=round_.id,
    )
    db.add(following)
    db.flush()
    db.add_all(RoundInvitation(round_id=following.id, organisation_id=o.id) for o in orgs.values())
    db.add_all(
        DraftParagraph(round_id=following.id, number=n, text=text)
        for n, text in enumerate(
            ["Each agreement covers pensions and invalidity benefits.", "A new paragraph."], 1
        )
    )
    db.flush()
    return round_, following, reps


def test_the_revised_docx_tracks_the_changes_natively(make_client, db):
    round_, _following, reps = revised(db)
    response = signed_in(make_client, db, reps[Group.WORKERS]).get(
        f"/rounds/{round_.id}/revised.docx"
    )
    assert response.status_code == 200 and response.headers["content-type"] == DOCX
    xml = Document(io.BytesIO(response.content)).element.body.xml
    assert 'w:author="Tripartite secretariat"' in xml and "w:date=" in xml
    assert "<w:ins " in xml and "<w:del " in xml
    assert '<w:delText xml:space="preserve">Periods are added together.</w:delText>' in xml
    assert "Pension portability, revised" in text_of("docx", response.content)


def test_the_revised_odt_tracks_the_changes_natively(make_client, db):
    round_, _following, reps = revised(db)
    response = signed_in(make_client, db, reps[Group.WORKERS]).get(
        f"/rounds/{round_.id}/revised.odt"
    )
    assert response.status_code == 200 and response.headers["content-type"] == ODT
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        content = archive.read("content.xml").decode()
    assert "<text:tracked-changes" in content and "<text:changed-region" in content
    assert "<text:insertion>" in content and "<text:deletion>" in content
    assert "<dc:creator>Tripartite secretariat</dc:creator>" in content
    assert "<text:change-start" in content and "<text:change " in content


def test_a_revision_still_a_draft_is_for_moderators_only(make_client, db):
    round_, _following, reps = revised(db, next_status=RoundStatus.DRAFT)
    as_role = people(make_client, db)
    rep = signed_in(make_client, db, reps[Group.WORKERS])
    assert rep.get(f"/rounds/{round_.id}/revised.docx").status_code == 404
    assert (
        as_role(PlatformRole.MODERATOR).get(f"/rounds/{round_.id}/revised.odt").status_code == 200
    )


def closed_with_outcome(db, sealed=False, status=RoundStatus.CLOSED):
    round_, orgs, reps = factories.three_groups_round(
        db, title="Minimum wage review", status=status, sealed=sealed
    )
    round_.closed_at = utcnow()
    round_.outcome = "The groups agreed on a rise of 5%."
    factories.position(db, round_, orgs[Group.GOVERNMENT], reps[Group.GOVERNMENT], Stance.SUPPORT)
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS], Stance.OPPOSE)
    for group, status_, reservation in (
        (Group.GOVERNMENT, "confirmed", None),
        (Group.WORKERS, "reservation", "We hold that 5% is too little."),
    ):
        db.add(
            GroupSignoff(
                round_id=round_.id,
                group_name=group.value,
                spokesperson_id=reps[group].id,
                organisation_id=orgs[group].id,
                status=status_,
                reservation=reservation,
                decided_at=utcnow(),
            )
        )
    db.flush()
    return round_, orgs, reps


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_the_record_holds_the_outcome_signoffs_tally_and_the_summarys_fingerprint(
    make_client, db, fmt
):
    round_, _orgs, _reps = closed_with_outcome(db)
    browser = people(make_client, db)(PlatformRole.OBSERVER)
    response = browser.get(f"/rounds/{round_.id}/record.{fmt}")
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'-record.{fmt}"')
    summary = json.loads(browser.get(f"/rounds/{round_.id}/summary.json").content)
    text = text_of(fmt, response.content)
    assert "The groups agreed on a rise of 5%." in text
    assert "Government group: Confirmed the outcome." in text
    assert "Workers group: Reservation: We hold that 5% is too little." in text
    assert "Employers group: No sign-off was asked of this group." in text
    assert summary["fingerprint"].startswith("sha256:") and summary["fingerprint"] in text
    assert "33.3%" in text  # the government's support: one third of the equal-weight whole


def test_no_record_before_the_close(make_client, db):
    round_, _orgs, reps = closed_with_outcome(db, status=RoundStatus.OPEN, sealed=True)
    round_.closes_at = utcnow() + timedelta(days=2)
    rep = signed_in(make_client, db, reps[Group.WORKERS])
    refused = rep.get(f"/rounds/{round_.id}/record.docx")
    summary = rep.get(f"/rounds/{round_.id}/summary.pdf")
    assert refused.status_code == summary.status_code == 409
    moderator = people(make_client, db)(PlatformRole.MODERATOR)
    assert moderator.get(f"/rounds/{round_.id}/record.odt").status_code == 409  # sealed


def test_documents_leave_out_comments_and_caucus_messages(make_client, db):
    round_, orgs, reps = drafted_round(db)
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "A comment here.")
    factories.caucus_post(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Between us.")
    browser = signed_in(make_client, db, reps[Group.WORKERS])
    for fmt in ("docx", "odt"):
        text = text_of(fmt, browser.get(f"/rounds/{round_.id}/draft.{fmt}").content)
        assert "A comment here." not in text and "Between us." not in text
