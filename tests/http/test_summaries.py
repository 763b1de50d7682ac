"""The summary page and its downloads: who sees what, in every format, with the same figures."""

import csv
import io
import json
import re

import jsonschema
from openpyxl import load_workbook
from pypdf import PdfReader

from app.api.routes import export_json_schema
from app.db import utcnow
from app.exports.items import ITEM_COLUMNS
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance, Visibility
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in

CONTRACT_COLUMNS = [
    "kind", "round_id", "group", "organisation", "author", "stance", "text", "created_at",
    "edited_at", "visibility",
]  # fmt: skip


def closed_round(db, **options):
    """A closed round: government supports, workers oppose (with a formula-looking statement),
    employers silent; one visible and one hidden comment."""
    options.setdefault("status", RoundStatus.CLOSED)
    round_, orgs, reps = factories.three_groups_round(db, title="Minimum wage review", **options)
    round_.closed_at = utcnow()
    government, workers = Group.GOVERNMENT, Group.WORKERS
    factories.position(
        db, round_, orgs[government], reps[government], Stance.SUPPORT, "We support a rise of 5%."
    )
    factories.position(
        db,
        round_,
        orgs[workers],
        reps[workers],
        Stance.OPPOSE,
        '=HYPERLINK("http://evil") 5% is too little, say "10%"',
    )
    factories.comment(db, round_, reps[workers], orgs[workers], "+1, line one\nline two")
    hidden = factories.comment(
        db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "Insulting words"
    )
    hidden.visibility = Visibility.HIDDEN.value
    hidden.moderation_reason = "Personal attack"
    db.flush()
    return round_, orgs, reps


def observer(make_client, db):
    return signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))


def moderator(make_client, db):
    return signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))


def test_the_summary_page_shows_the_equal_weight_figures_and_the_chart(make_client, db):
    round_, _orgs, _reps = closed_round(db)
    page = observer(make_client, db).get(f"/rounds/{round_.id}/summary")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Summary: Minimum wage review" in text
    assert "<svg" in page.text and "<desc" in page.text  # a chart with a text alternative
    assert "Employers: silent." in page.text
    assert "33.3%" in text  # support: government's third; oppose: workers' third
    assert "No stance is the majority of two groups" in text
    assert "Employers: Silent (no position)" in text and "Workers: Oppose" in text
    assert "sha256:" in text and "Provenance" in text
    for fmt in ("csv", "json", "xlsx", "pdf"):
        assert f"/rounds/{round_.id}/summary.{fmt}" in page.text
    # the round page links to it
    assert (
        f"/rounds/{round_.id}/summary" in observer(make_client, db).get(f"/rounds/{round_.id}").text
    )


def test_no_summary_before_the_close_except_a_moderators_preview(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    representative = signed_in(make_client, db, reps[Group.WORKERS])
    refused = representative.get(f"/rounds/{round_.id}/summary")
    assert refused.status_code == 409
    assert "available once the round has closed" in text_of(refused.text)
    assert representative.get(f"/rounds/{round_.id}/summary.csv").status_code == 409
    preview = moderator(make_client, db).get(f"/rounds/{round_.id}/summary")
    assert preview.status_code == 200 and "Preview for moderators" in preview.text
    sealed, _o, _r = factories.three_groups_round(db, sealed=True)
    assert moderator(make_client, db).get(f"/rounds/{sealed.id}/summary").status_code == 409
    draft, _o, _r = factories.three_groups_round(db, status=RoundStatus.DRAFT)
    assert observer(make_client, db).get(f"/rounds/{draft.id}/summary").status_code == 404
    assert observer(make_client, db).get("/rounds/999999/summary").status_code == 404
    anonymous = make_client().get(f"/rounds/{round_.id}/summary")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_unknown_format_is_a_clear_404(make_client, db):
    round_, _o, _r = closed_round(db)
    answer = observer(make_client, db).get(f"/rounds/{round_.id}/summary.docx")
    assert answer.status_code == 404
    assert "choose csv, json, xlsx or pdf" in text_of(answer.text)


def read_csv(response):
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_the_contract_columns_and_neutralises_formulas(make_client, db):
    round_, _orgs, _reps = closed_round(db)
    response = observer(make_client, db).get(f"/rounds/{round_.id}/summary.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    rows = read_csv(response)
    assert list(rows[0])[:10] == CONTRACT_COLUMNS
    assert [r["kind"] for r in rows] == ["position", "position", "comment", "comment"]
    workers = next(r for r in rows if r["kind"] == "position" and r["group"] == "workers")
    assert workers["text"].startswith("'=HYPERLINK")  # inert in a spreadsheet
    assert '"10%"' in workers["text"]  # RFC 4180 quoting round-trips quotes
    assert workers["stance"] == "oppose" and workers["round_id"] == str(round_.id)
    visible, hidden = (r for r in rows if r["kind"] == "comment")
    assert visible["text"] == "'+1, line one\nline two" and visible["stance"] == ""
    assert hidden["visibility"] == "hidden" and hidden["text"] == ""
    assert hidden["moderation_reason"] == ""


def test_a_moderators_export_includes_hidden_text_marked(make_client, db):
    round_, _orgs, _reps = closed_round(db)
    rows = read_csv(moderator(make_client, db).get(f"/rounds/{round_.id}/summary.csv"))
    hidden = next(r for r in rows if r["visibility"] == "hidden")
    assert hidden["text"] == "Insulting words"
    assert hidden["moderation_reason"] == "Personal attack"


def test_json_export_follows_the_published_schema(make_client, db):
    round_, _orgs, _reps = closed_round(db)
    response = observer(make_client, db).get(f"/rounds/{round_.id}/summary.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    jsonschema.validate(document, export_json_schema())
    assert document["fingerprint"].startswith("sha256:")
    assert document["groups"]["employers"]["majority"] is None  # silent
    assert document["groups"]["workers"]["majority"] == "oppose"
    assert abs(document["tally"]["support"] - 1 / 3) < 1e-6
    assert abs(document["not_expressed"] - 1 / 3) < 1e-6
    assert document["audience"] == "public"
    assert [i["kind"] for i in document["items"]] == ["position"] * 2 + ["comment"] * 2
    assert document["items"][3]["text"] == ""  # hidden, public export
    assert set(document["items"][0]) == set(ITEM_COLUMNS)


def test_xlsx_has_its_four_sheets_with_neutralised_cells(make_client, db):
    round_, _orgs, _reps = closed_round(db)
    response = observer(make_client, db).get(f"/rounds/{round_.id}/summary.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["summary", "positions", "comments", "audit"]
    positions = list(book["positions"].values)
    assert list(positions[0])[:10] == CONTRACT_COLUMNS
    texts = [row[6] for row in positions[1:]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    for sheet in book.worksheets:
        for row in sheet.values:
            for cell in row:
                assert not (isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t"))
    comments = list(book["comments"].values)
    assert len(comments) == 3 and "Insulting words" not in {c for row in comments for c in row}


def test_pdf_is_a_printable_report_with_the_figures(make_client, db):
    round_, _orgs, _reps = closed_round(db)
    response = observer(make_client, db).get(f"/rounds/{round_.id}/summary.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Minimum wage review" in text and "Equal-weight tally" in text
    assert "33.3%" in text and "sha256:" in text


def test_downloads_are_prepared_a_few_at_a_time_and_others_told_to_come_back(make_client, db):
    from app.exports.stream import ExportSlots

    round_, _orgs, _reps = closed_round(db)
    browser = observer(make_client, db)
    slots = ExportSlots(1)
    browser.app.fastapi_app.state.export_slots = slots
    for fmt in ("csv", "json", "xlsx", "pdf"):  # each frees its slot when done
        assert browser.get(f"/rounds/{round_.id}/summary.{fmt}").status_code == 200
    release = slots.take()  # another download in progress
    busy = browser.get(f"/rounds/{round_.id}/summary.csv")
    assert busy.status_code == 503 and "try again in a minute" in text_of(busy.text)
    release()
    release()  # releasing twice frees one slot only
    assert browser.get(f"/rounds/{round_.id}/summary.csv").status_code == 200
    slots.take()
    import pytest

    with pytest.raises(Exception, match="try again"):
        slots.take()


def test_the_public_audit_sheet_holds_the_rounds_lifecycle_only(make_client, db):
    from app.audit.service import record

    round_, _orgs, reps = closed_round(db)
    record(db, reps[Group.WORKERS].id, "denied.round.publish", "round", round_.id)
    record(db, None, "round.closed", "round", round_.id)
    db.commit()
    for browser, expected in (
        (observer, {"round.closed"}),
        (moderator, {"round.closed", "denied.round.publish"}),
    ):
        book = load_workbook(
            io.BytesIO(browser(make_client, db).get(f"/rounds/{round_.id}/summary.xlsx").content),
            read_only=True,
        )
        actions = {row[3] for row in list(book["audit"].values)[1:]}
        assert actions == expected


def test_xlsx_cells_are_typed_and_labelled_in_words_with_codes_beside(make_client, db):
    from datetime import datetime

    from app.audit.service import record

    round_, _orgs, _reps = closed_round(db)
    round_.outcome = "The **rise** is agreed.\n\n- in 2027\n- by 5%"
    chair = factories.user(db, platform_role=PlatformRole.MODERATOR, name="Elena Rossi")
    record(
        db,
        chair.id,
        "round.closed",
        "round",
        round_.id,
        before={"status": "open", "closes_at": "2026-12-16T12:00:00+00:00"},
        after={"status": "closed", "closes_at": "2026-12-02T20:11:05.890693+00:00"},
        early=True,
    )
    response = observer(make_client, db).get(
        f"/rounds/{round_.id}/summary.xlsx", headers={"Accept-Language": "fr"}
    )
    book = load_workbook(io.BytesIO(response.content))
    summary = book["summary"]
    rows = {row[0].value: row for row in summary.iter_rows() if row and row[0].value}
    assert rows["Statut"][1].value == "clos" and rows["Statut"][2].value == "closed"
    generated = rows["Date de génération"][1]
    assert isinstance(generated.value, datetime) and generated.number_format == "dd mmm yyyy hh:mm"
    assert rows["Résultat"][1].value == "The rise is agreed.\n• in 2027\n• by 5%"
    government = rows["Gouvernement"]
    assert government[1].value == 1 / 3 and government[1].number_format == "0.0%"
    assert government[9].value == "Soutien" and government[13].value == "support"
    assert government[12].value == "government"
    support = next(r for r in summary.iter_rows() if len(r) > 3 and r[3].value == "support")
    assert support[0].value == "Soutien" and support[1].number_format == "0.0%"
    assert abs(support[1].value - 1 / 3) < 1e-6
    positions = [list(r) for r in book["positions"].iter_rows()]
    header = [c.value for c in positions[0]]
    assert header[:10] == CONTRACT_COLUMNS  # the contract's columns, then words
    first = {name: c for name, c in zip(header, positions[1], strict=False)}
    assert isinstance(first["created_at"].value, datetime)
    assert first["created_at"].number_format == "dd mmm yyyy hh:mm"
    assert first["stance"].value == "support" and first["Position (en mots)"].value == "Soutien"
    audit = [[c.value for c in r] for r in book["audit"].iter_rows()]
    assert audit[0] == [
        "id", "at", "actor", "action", "subject_type", "subject_id", "Ce qui s’est passé",
        "Changements et détails",
    ]  # fmt: skip
    closed = next(r for r in audit if r[3] == "round.closed")
    assert isinstance(closed[1], datetime) and closed[2] == "Elena Rossi"
    assert re.fullmatch(  # how early: counted from when the event was recorded (now)
        r"Elena Rossi a clos le tour « Minimum wage review » de manière anticipée, \d+ jours? "
        r"avant son échéance du 16 déc\. 2026\.",
        closed[6],
    )
    assert "Statut\u00a0: ouvert → clos" in closed[7]
    assert "Date limite\u00a0: 16 déc. 2026, 12:00 UTC → 02 déc. 2026, 20:11 UTC" in closed[7]
    for row in audit:
        assert not any(isinstance(v, str) and ("{" in v or "None" in v) for v in row), row


def test_the_pdf_and_the_page_print_times_and_markdown_as_a_person_reads_them(make_client, db):
    round_, orgs, reps = factories.three_groups_round(
        db, title="Fees review", status=RoundStatus.CLOSED
    )
    round_.closed_at = utcnow()
    factories.position(
        db,
        round_,
        orgs[Group.EMPLOYERS],
        reps[Group.EMPLOYERS],
        Stance.SUPPORT_WITH_RESERVATIONS,
        "We agree **in principle**, if:\n\n- fees end in 2027\n- small firms get help",
    )
    factories.draft(db, round_, "Recruitment fees are **banned**.")
    browser = observer(make_client, db)
    response = browser.get(f"/rounds/{round_.id}/summary.pdf", headers={"Accept-Language": "fr"})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "**" not in text
    assert "We agree in principle, if:" in " ".join(text.split())
    lines = [line.strip() for line in text.splitlines()]
    # the bullet list keeps an item per line
    assert any(line.endswith("fees end in 2027") for line in lines), lines
    assert any(line.endswith("small firms get help") for line in lines), lines
    today = utcnow()
    months = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
              "nov.", "déc."]  # fmt: skip
    assert f"{today:%d} {months[today.month - 1]} {today:%Y}" in text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", text)
    page = browser.get(f"/rounds/{round_.id}/summary")
    shown = text_of(page.text)
    assert "**" not in shown
    assert "Paragraph 1 Recruitment fees are banned" in shown
    assert "<strong>banned</strong>" in page.text
    assert f"{today:%d %b %Y}" in shown and not re.search(r"\d{4}-\d\d-\d\dT", shown)
