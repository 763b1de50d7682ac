"""The annual report on the working of the procedures (C144 art. 6): its figures are the sums
of its rounds' summaries, on its page, in its PDF and in its XLSX."""

import io
from datetime import timedelta
from urllib.parse import quote

from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from app.cli import cli
from app.cycle import service
from app.db import utcnow
from app.i18n import format_percent
from app.summaries.service import load_header, round_summary
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance
from tests import factories
from tests.conftest import text_of
from tests.factories import CountryYear, signed_in
from tests.helpers import soup

YEAR = CountryYear.YEAR


def path(country, year=YEAR, suffix=""):
    return f"/cycle/{quote(country, safe='')}/{year}/report{suffix}"


def observer(make_client, db):
    return signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))


def without_time(summary):
    return {k: v for k, v in summary.items() if k != "generated_at"}


def summaries_of(db, world):
    """Each round's summary built exactly as its summary page builds it."""
    return {r.id: round_summary(db, load_header(db, r.id)) for r in world.rounds}


def test_the_reports_figures_are_the_sums_of_its_rounds_summaries(db):
    world = CountryYear(db)
    report = service.annual_report(db, world.country, YEAR, utcnow())
    expected = summaries_of(db, world)
    # the rounds opened in 2025, in order; not those of 2024 or 2026, a draft, or elsewhere
    assert [r.id for r in report.rounds] == [r.id for r in world.rounds]
    for r in report.rounds:
        assert without_time(dict(r.summary)) == without_time(expected[r.id])
        assert r.summary["tally"] == expected[r.id]["tally"]
    for g in Group:
        invited = sum(s["groups"][g.value]["invited"] for s in expected.values())
        responded = sum(s["groups"][g.value]["responded"] for s in expected.values())
        assert (report.totals[g].invited, report.totals[g].responded) == (invited, responded)
    assert report.totals[Group.WORKERS].invited == 3 + 2 + 3
    assert report.totals[Group.WORKERS].responded == 3
    assert report.reservations == {Group.GOVERNMENT: 0, Group.WORKERS: 1, Group.EMPLOYERS: 0}
    assert report.subjects == {"article_22_reports": 1, "ilo_questionnaire": 1, "general": 1}


def test_the_report_page_shows_each_rounds_summary_figures(make_client, db):
    world = CountryYear(db)
    expected = summaries_of(db, world)
    page = observer(make_client, db).get(path(world.country))
    assert page.status_code == 200
    html = soup(page.text)
    for g in Group:
        invited = sum(s["groups"][g.value]["invited"] for s in expected.values())
        responded = sum(s["groups"][g.value]["responded"] for s in expected.values())
        assert html.select_one(f'[data-total-invited="{g.value}"]').text == str(invited)
        assert html.select_one(f'[data-total-responded="{g.value}"]').text == str(responded)
    for round_id, summary in expected.items():
        table = html.select_one(f'table[data-round="{round_id}"]')
        for stance in Stance:
            shown = table.select_one(f'[data-tally="{stance.value}"]').text
            assert shown == format_percent(summary["tally"][stance.value])
    text = text_of(page.text)
    assert "Annual report on the working of the procedures: Republic of Ardenia, 2025" in text
    assert "Reports to the ILO under article 22 of the Constitution" in text
    assert "C144, Article 5(1)(d)" in text
    assert "Workers group : No transition period." in text  # the reservation, on the record
    assert "Opened in 2024" not in text and "Opened in 2026" not in text
    assert "Elsewhere" not in text and "A draft" not in text
    assert f"{path(world.country, suffix='.pdf')}" in page.text
    assert f"{path(world.country, suffix='.xlsx')}" in page.text


def test_the_spreadsheet_holds_the_same_figures_as_the_summaries(make_client, db):
    world = CountryYear(db)
    expected = summaries_of(db, world)
    response = observer(make_client, db).get(path(world.country, suffix=".xlsx"))
    assert response.status_code == 200
    assert (
        "tripartite-annual-report-republic-of-ardenia-2025.xlsx"
        in response.headers["content-disposition"]
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["report", "rounds", "reservations", "meetings", "decisions"]
    rows = list(book["rounds"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body] == [r.id for r in world.rounds]
    for row in body:
        summary = expected[row[0]]
        cells = dict(zip(header, row, strict=True))
        for g in Group:
            name = {"government": "Government", "workers": "Workers", "employers": "Employers"}
            assert cells[f"{name[g.value]} group: invited"] == summary["groups"][g.value]["invited"]
            assert (
                cells[f"{name[g.value]} group: responded"]
                == summary["groups"][g.value]["responded"]
            )
        for stance, label in (("support", "Support"), ("oppose", "Oppose")):
            assert cells[f"Equal-weight tally: {label}"] == summary["tally"][stance]
        assert cells["Summary fingerprint"] == summary["fingerprint"]
    # a title that looks like a formula stays text
    titles = [row[header.index("Title")] for row in body]
    assert titles[1].startswith("'=HYPERLINK")
    totals = {row[0]: row[1:] for row in book["report"].iter_rows(values_only=True) if row[0]}
    order = totals["Totals per group"]
    for g in Group:
        column = order.index(f"{g.label} group")
        invited = sum(s["groups"][g.value]["invited"] for s in expected.values())
        assert totals["Organisations invited"][column] == invited
    reservations = list(book["reservations"].iter_rows(values_only=True))[1:]
    assert reservations == [
        (world.rounds[0].id, world.rounds[0].title, "Workers group", "No transition period.")
    ]


def test_the_pdf_is_written_from_the_same_partials(make_client, db):
    world = CountryYear(db)
    response = observer(make_client, db).get(path(world.country, suffix=".pdf"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "Annual report on the working of the procedures" in text
    assert "Reports on Conventions Nos 87 and 98" in text
    assert "Participation per group" in text and "No transition period." in text


def test_an_open_round_is_counted_but_its_tally_waits_for_the_close(make_client, db):
    orgs = {g: factories.organisation(db, g) for g in Group}
    consultation = factories.country_consultation(db, "Ardenia")
    now = utcnow()
    open_round = factories.held_round(
        db,
        consultation,
        orgs.values(),
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        status=RoundStatus.OPEN,
        title="Still open",
    )
    rep = factories.member(db, orgs[Group.WORKERS])
    factories.position(db, open_round, orgs[Group.WORKERS], rep, Stance.OPPOSE)
    page = observer(make_client, db).get(path("Ardenia", now.year))
    assert page.status_code == 200
    html = soup(page.text)
    assert html.select_one('[data-total-responded="workers"]').text == "1"
    assert html.select_one(f'table[data-round="{open_round.id}"] [data-tally]') is None
    assert "has not closed yet" in text_of(page.text)


def test_a_year_without_rounds_says_so(make_client, db):
    factories.country_consultation(db, "Ardenia")
    page = observer(make_client, db).get(path("Ardenia", 2019))
    assert page.status_code == 200
    assert "No round of tripartite consultation opened in Ardenia in 2019" in text_of(page.text)


def test_who_reads_the_report(make_client, db):
    world = CountryYear(db)
    org = world.orgs[Group.WORKERS][0]
    representative = signed_in(make_client, db, world.reps[org.id])
    for suffix in ("", ".pdf", ".xlsx"):
        assert representative.get(path(world.country, suffix=suffix)).status_code == 403
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    assert moderator.get(path(world.country)).status_code == 200
    assert moderator.get(path("Nowhere")).status_code == 404
    assert moderator.get(path(world.country, 1900)).status_code == 404


runner = CliRunner()


def test_the_command_line_writes_the_report(fresh_url, tmp_path):
    env = {
        "TRIPARTITE_DATABASE_URL": fresh_url,
        "TRIPARTITE_DATA_DIR": str(tmp_path),
        "TRIPARTITE_DEMO_PASSWORD": "demo-password-for-tests",
    }
    runner.invoke(cli, ["db", "upgrade"], env=env)
    assert runner.invoke(cli, ["demo"], env=env).exit_code == 0
    year = str(utcnow().year)
    for fmt in ("pdf", "xlsx"):
        target = tmp_path / f"report.{fmt}"
        args = ["annual-report", "Republic of Ardenia", year, "--format", fmt, "-o", str(target)]
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 1000
    assert load_workbook(tmp_path / "report.xlsx").sheetnames == [
        "report",
        "rounds",
        "reservations",
        "meetings",
        "decisions",
    ]
    refused = runner.invoke(cli, ["annual-report", "Nowhere", year, "-o", "x.pdf"], env=env)
    assert refused.exit_code == 2 and "no consultation in this country" in refused.output
    bad = runner.invoke(cli, ["annual-report", "Ardenia", year, "--format", "docx"], env=env)
    assert bad.exit_code == 2 and "unknown format" in bad.output


# --- the year's meetings and decisions of the country's tripartite bodies (issue 18) ---------


def _bodies_year(db, country, meetings=2, decisions_per_meeting=1):
    """A council of ``country`` with ``meetings`` meetings held in the report's year (all three
    groups present at each but the second, where the employers are absent), one cancelled,
    one of the next year, a meeting not public, and a council of another country; decisions on
    public items (consensus, adopted; group-equal vote, not adopted) with actions, and one on
    a members-only item that the report leaves out."""
    from datetime import UTC, date, datetime

    from app.decisions.models import Action, ActionConfirmation, ActionNote, Decision
    from app.meetings.models import AgendaItem
    from app.vocabulary import (
        ActionOwner,
        ActionStatus,
        Confidentiality,
        DecisionMethod,
        Presence,
        Verdict,
    )

    body, _orgs, _holders, _alternates, seats = factories.seated_body(db, country=country)
    secretary = factories.user(db, platform_role=PlatformRole.MODERATOR)

    def meeting(month, day, **kw):
        starts = datetime(YEAR, month, day, 9, tzinfo=UTC) if month else kw.pop("starts_at")
        return factories.meeting(
            db,
            kw.pop("body", body),
            starts_at=starts,
            title=kw.pop("title", f"Plenary {month}/{day}"),
        )

    def decide(m, title, method, adopted, confidentiality=Confidentiality.PUBLIC):
        item = AgendaItem(meeting_id=m.id, number=1, title=title, confidentiality=confidentiality)
        db.add(item)
        db.flush()
        d = Decision(
            meeting_id=m.id,
            agenda_item_id=item.id,
            text="Agreed.",
            method=method,
            opened_by_id=secretary.id,
            recorded_by_id=secretary.id,
            recorded_at=m.starts_at,
            adopted=adopted,
            quorate=True,
        )
        db.add(d)
        db.flush()
        return d

    held = []
    for n in range(meetings):
        m = meeting(3 + n % 9, 1 + n)
        for group, seat in seats.items():
            absent = n == 1 and group is Group.EMPLOYERS
            factories.attend(db, m, seat, Presence.ABSENT if absent else Presence.HOLDER, secretary)
        held.append(m)
        for k in range(decisions_per_meeting):
            method = (
                DecisionMethod.CONSENSUS if (n + k) % 2 == 0 else DecisionMethod.GROUP_EQUAL_VOTE
            )
            d = decide(m, f"Public item {n}.{k}", method, (n + k) % 2 == 0)
            done = Action(
                decision_id=d.id,
                what="Publish",
                owner=ActionOwner.GOVERNMENT,
                status=ActionStatus.DONE,
                created_by_id=secretary.id,
            )
            late = Action(
                decision_id=d.id,
                what="Inspect",
                owner=ActionOwner.SECRETARIAT,
                status=ActionStatus.IN_PROGRESS,
                due_on=date(YEAR, 1, 1),
                created_by_id=secretary.id,
            )
            db.add_all([done, late])
            db.flush()
            note = ActionNote(
                action_id=late.id,
                text="Begun",
                status=ActionStatus.IN_PROGRESS,
                written_by_id=secretary.id,
            )
            db.add(note)
            db.flush()
            db.add(
                ActionConfirmation(
                    action_id=late.id,
                    note_id=note.id,
                    group_name=Group.WORKERS,
                    verdict=Verdict.DISPUTED,
                    reason="Not begun",
                    given_by_id=secretary.id,
                )
            )
            db.flush()
    decide(held[0], "Secret item", DecisionMethod.CONSENSUS, True, Confidentiality.MEMBERS)
    cancelled = meeting(11, 20, title="Cancelled plenary")
    cancelled.cancelled_at = cancelled.starts_at - timedelta(days=2)
    meeting(None, None, starts_at=datetime(YEAR + 1, 1, 5, tzinfo=UTC), title="Next year's plenary")
    hidden = meeting(12, 1, title="Closed-door plenary")
    hidden.public = False
    elsewhere = factories.body(db, country="Elsewhere")
    meeting(5, 5, body=elsewhere, title="Another country's plenary")
    db.flush()
    return body


def test_the_report_adds_the_years_meetings_and_decisions_of_the_countrys_bodies(make_client, db):
    world = CountryYear(db)
    _bodies_year(db, world.country)
    db.commit()
    report = service.annual_report(db, world.country, YEAR, utcnow())
    b = report.bodies
    assert [m.title for m in b.meetings] == ["Plenary 3/1", "Plenary 4/2", "Cancelled plenary"]
    assert b.held == 2 and b.quorate == 1
    assert b.attendance == {
        Group.GOVERNMENT: (2, 2),
        Group.WORKERS: (2, 2),
        Group.EMPLOYERS: (1, 2),
    }
    assert [d.item for d in b.decisions] == ["Public item 0.0", "Public item 1.0"]
    assert (b.adopted, b.not_adopted) == (1, 1)
    assert b.by_method["consensus"] == 1 and b.by_method["group_equal_vote"] == 1
    assert b.actions == {"planned": 0, "in_progress": 2, "done": 2, "dropped": 0}
    assert b.overdue == 2 and b.disputed == 2

    page = soup(observer(make_client, db).get(path(world.country)).text)
    text = page.get_text(" ")
    assert "Secret item" not in text and "Closed-door plenary" not in text
    assert "Another country's plenary" not in text and "Next year's plenary" not in text
    section = page.select_one(".report-bodies")
    assert section.select_one("[data-meetings-held]")["data-meetings-held"] == "2"
    assert section.select_one("[data-attendance=employers]").get_text(strip=True) == "1 of 2"
    assert section.select_one("[data-actions=overdue]").get_text(strip=True) == "2"
    assert "Held without quorum." in section.get_text(" ") and "Cancelled." in section.get_text(" ")

    book = load_workbook(
        io.BytesIO(observer(make_client, db).get(path(world.country, suffix=".xlsx")).content)
    )
    assert [row[2] for row in book["meetings"].iter_rows(min_row=2, values_only=True)] == [
        "Plenary 3/1",
        "Plenary 4/2",
        "Cancelled plenary",
    ]
    assert [row[3] for row in book["decisions"].iter_rows(min_row=2, values_only=True)] == [
        "Public item 0.0",
        "Public item 1.0",
    ]


def test_a_year_without_meetings_says_so(make_client, db):
    world = CountryYear(db)
    db.commit()
    text = text_of(observer(make_client, db).get(path(world.country)))
    assert "No meeting of a tripartite body of Republic of Ardenia is on the public record" in text


def test_the_reports_bodies_part_costs_the_same_queries_for_two_or_ten_decisions(make_client, db):
    from tests.helpers import counted_queries

    counts = {}
    for country, meetings in (("Small", 2), ("Big", 10)):
        factories.country_consultation(db, country)
        _bodies_year(db, country, meetings=meetings)
        with counted_queries(db) as statements:
            built = service.bodies_of_year(db, country, YEAR, utcnow())
        assert len(built.decisions) == meetings
        counts[country] = len(statements)
    assert counts["Small"] == counts["Big"], counts
