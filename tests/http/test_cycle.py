"""The Convention 144 cycle in the browser: subjects on the new-round form and wherever a round
is shown, the countries, a country's year (participation and timeliness per group) and the
Article 5(2) warning."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cycle import subjects
from app.db import utcnow
from app.rounds.models import Round
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance
from tests import factories
from tests.conftest import text_of
from tests.factories import CountryYear, signed_in
from tests.helpers import counted_queries, days_ahead, soup

COUNTRY = "Republic of Ardenia"


def year_path(country, year):
    return f"/cycle/{quote(country, safe='')}/{year}"


def person(make_client, db, role):
    return signed_in(make_client, db, factories.user(db, platform_role=role))


# --- subjects on the new-round form -------------------------------------------------------------


def new_round_form(consultation_id, **fields):
    return {
        "title": "Reply to the questionnaire on biological hazards",
        "brief": "",
        "closes_at": days_ahead(20),
        "weighting": "1:1:1",
        "kind": "ilo_questionnaire",
        **fields,
    }


def test_the_template_fills_an_empty_brief_without_javascript(make_client, db):
    consultation = factories.country_consultation(db, COUNTRY)
    moderator = person(make_client, db, PlatformRole.MODERATOR)
    form = moderator.get(f"/consultations/{consultation.id}/rounds/new")
    options = [o["value"] for o in soup(form.text).select("select#f-kind option")]
    assert options == list(subjects.KINDS)
    assert soup(form.text).select_one('button[name="use_template"]') is not None
    before = db.scalar(select(func.count(Round.id)))
    page = moderator.submit(
        f"/consultations/{consultation.id}/rounds",
        {**new_round_form(consultation.id), "use_template": "1"},
    )
    assert page.status_code == 200
    assert "<html" in page.text  # the whole form again, filled in
    html = soup(page.text)
    assert html.select_one("textarea#f-brief").text == subjects.template("ilo_questionnaire")
    assert html.select_one("select#f-kind option[selected]")["value"] == "ilo_questionnaire"
    assert html.select_one("input#f-title")["value"].startswith("Reply to the questionnaire")
    assert "now holds the suggested brief" in text_of(page.text)
    assert db.scalar(select(func.count(Round.id))) == before  # nothing created


def test_the_template_never_replaces_what_was_written(make_client, db):
    consultation = factories.country_consultation(db, COUNTRY)
    moderator = person(make_client, db, PlatformRole.MODERATOR)
    page = moderator.submit(
        f"/consultations/{consultation.id}/rounds",
        {**new_round_form(consultation.id, brief="Our own question."), "use_template": "1"},
    )
    assert page.status_code == 200
    assert soup(page.text).select_one("textarea#f-brief").text == "Our own question."
    assert "The brief is not empty, so it was kept" in text_of(page.text)


def test_choosing_a_subject_with_htmx_fetches_the_brief_field_alone(make_client, db):
    consultation = factories.country_consultation(db, COUNTRY)
    moderator = person(make_client, db, PlatformRole.MODERATOR)
    fragment = moderator.submit(
        f"/consultations/{consultation.id}/rounds",
        {**new_round_form(consultation.id, kind="denunciation"), "use_template": "1"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    field = soup(fragment.text).select_one("#brief-field")
    assert field.select_one("textarea#f-brief").text == subjects.template("denunciation")
    assert field.select_one("[data-announce]") is not None  # read out after the swap


def test_a_round_is_created_with_its_subject_and_shows_it(make_client, db):
    consultation = factories.country_consultation(db, COUNTRY)
    orgs = [factories.organisation(db, g) for g in Group]
    moderator = person(make_client, db, PlatformRole.MODERATOR)
    created = moderator.submit(
        f"/consultations/{consultation.id}/rounds",
        {
            **new_round_form(consultation.id, brief=subjects.template("ilo_questionnaire")),
            "organisations": [str(o.id) for o in orgs],
        },
    )
    assert created.status_code == 303, created.text
    round_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert db.get(Round, round_id).kind == "ilo_questionnaire"
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "round.created", AuditEvent.subject_id == round_id
        )
    ).one()
    assert json.loads(event.details)["kind"] == "ilo_questionnaire"
    label = "Reply to an ILO questionnaire on a Conference agenda item"
    assert label in text_of(moderator.get(f"/rounds/{round_id}").text)
    assert label in text_of(moderator.get(f"/consultations/{consultation.id}").text)


def test_an_unknown_subject_is_refused_next_to_its_field(make_client, db):
    consultation = factories.country_consultation(db, COUNTRY)
    moderator = person(make_client, db, PlatformRole.MODERATOR)
    for extra in ({}, {"use_template": "1"}):
        refused = moderator.submit(
            f"/consultations/{consultation.id}/rounds",
            {**new_round_form(consultation.id, kind="abolition", brief="Text."), **extra},
        )
        assert refused.status_code == 422
        select_ = soup(refused.text).select_one("select#f-kind")
        assert select_["aria-invalid"] == "true"
        assert "f-kind-error" in select_["aria-describedby"]
        assert "Choose a subject from the list." in text_of(refused.text)


def test_only_moderators_use_the_new_round_form(make_client, db):
    consultation = factories.country_consultation(db, COUNTRY)
    org = factories.organisation(db, Group.WORKERS)
    representative = signed_in(make_client, db, factories.member(db, org))
    refused = representative.submit(
        f"/consultations/{consultation.id}/rounds",
        {**new_round_form(consultation.id), "use_template": "1"},
    )
    assert refused.status_code == 403


def test_the_summary_page_and_its_pdf_name_the_subject(make_client, db):
    round_, _orgs, _reps = factories.three_groups_round(db, status=RoundStatus.CLOSED)
    round_.kind = "submission_of_instruments"
    round_.closes_at = utcnow() - timedelta(hours=1)
    db.flush()
    reader = person(make_client, db, PlatformRole.OBSERVER)
    label = "Submission of instruments adopted by the Conference to the competent authority"
    assert label in text_of(reader.get(f"/rounds/{round_.id}/summary").text)
    pdf = reader.get(f"/rounds/{round_.id}/summary.pdf")
    assert pdf.status_code == 200
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf.content)).pages
    )
    assert "Submission of instruments adopted by the Conference" in text
    # the summary's data and fingerprint do not carry it
    summary = reader.get(f"/rounds/{round_.id}/summary.json").json()
    assert "kind" not in summary["round"] and "submission" not in json.dumps(summary)


# --- the countries and their years -------------------------------------------------------------


def test_only_moderators_administrators_and_observers_read_the_cycle(make_client, db):
    world = CountryYear(db)
    org = world.orgs[Group.WORKERS][0]
    representative = signed_in(make_client, db, world.reps[org.id])
    for path in ("/cycle", year_path(COUNTRY, 2025)):
        assert representative.get(path).status_code == 403
        for role in (PlatformRole.OBSERVER, PlatformRole.MODERATOR, PlatformRole.ADMIN):
            assert person(make_client, db, role).get(path).status_code == 200
    # the header links to it for them, not for representatives
    assert "/cycle" in person(make_client, db, PlatformRole.OBSERVER).get("/").text
    assert 'href="/cycle"' not in representative.get("/").text


def test_the_countries_are_listed_with_their_last_round(make_client, db):
    now = utcnow()
    recent = factories.country_consultation(db, "Ardenia")
    factories.held_round(
        db, recent, [], opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=10)
    )
    late = factories.country_consultation(db, "Borduria")
    factories.held_round(
        db, late, [], opens_at=now - timedelta(days=400), closes_at=now - timedelta(days=380)
    )
    factories.country_consultation(db, "Syldavia")  # nothing held yet
    factories.consultation_round(db)  # a consultation naming no country
    page = person(make_client, db, PlatformRole.OBSERVER).get("/cycle")
    assert page.status_code == 200
    rows = {
        row.select_one("th").get_text(" ", strip=True): text_of(str(row))
        for row in soup(page.text).select("table tbody tr")
    }
    assert "Overdue" not in rows["Ardenia"] and "Overdue" in rows["Borduria"]
    assert "never" in rows["Syldavia"] and "Overdue" in rows["Syldavia"]
    banner = text_of(str(soup(page.text).select_one(".cycle-due")))
    assert "Borduria" in banner and "Syldavia" in banner and "Ardenia:" not in banner
    assert "name no country" in text_of(page.text) or "names no country" in text_of(page.text)
    link = soup(page.text).find("a", string="Ardenia")["href"]
    assert link.endswith(f"/cycle/Ardenia/{now.year}")


def test_a_countrys_year_shows_rounds_subjects_participation_and_timeliness(make_client, db):
    world = CountryYear(db)
    page = person(make_client, db, PlatformRole.OBSERVER).get(year_path(COUNTRY, 2025))
    assert page.status_code == 200
    html = soup(page.text)
    text = text_of(page.text)
    assert "Republic of Ardenia: consultations in 2025" in text
    titles = [a.text for a in html.select("table tbody th a")]
    assert titles == [r.title for r in world.rounds]
    assert "Reports to the ILO under article 22 of the Constitution" in text
    one, two, _three = world.rounds
    cell = html.select_one(f'[data-round="{one.id}"][data-group="workers"]').text
    assert cell == "3 of 3"
    assert html.select_one(f'[data-round="{two.id}"][data-group="workers"]').text == "0 of 2"
    assert html.select_one('[data-total="workers"]').text.startswith("3 of 8")
    assert html.select_one('[data-total="employers"]').text.startswith("4 of 6")
    # the workers' position of 25 February came after the announced deadline (20 February),
    # though before the extended one
    assert html.select_one('[data-on-time="workers"]').text == "2 of 3 (66.7%)"
    assert html.select_one('[data-on-time="employers"]').text == "4 of 4 (100.0%)"
    # workers: 17, 5 and -5 days before 20 February; the median is 5.0
    assert html.select_one('[data-median="workers"]').text == "5.0"
    # its last round opened on 1 January 2026: the warning waits for twelve months after
    assert ("Consultation overdue" in text) is (utcnow() >= datetime(2027, 1, 1, tzinfo=UTC))


def test_twelve_months_without_a_round_bring_the_warning(make_client, db):
    now = utcnow()
    consultation = factories.country_consultation(db, "Ardenia")
    last = factories.held_round(
        db,
        consultation,
        [],
        opens_at=now - timedelta(days=367),
        closes_at=now - timedelta(days=340),
    )
    observer = person(make_client, db, PlatformRole.OBSERVER)
    page = observer.get(year_path("Ardenia", now.year))
    warning = soup(page.text).select_one(".cycle-due")
    assert warning is not None and warning["role"] == "alert"
    assert "No round has opened in Ardenia since" in text_of(str(warning))
    assert "No round opened in Ardenia in" in text_of(page.text)
    # the moderation dashboard carries it too, linked to the country's year
    dashboard = person(make_client, db, PlatformRole.MODERATOR).get("/moderation")
    banner = soup(dashboard.text).select_one(".cycle-due")
    assert banner is not None and "Ardenia" in text_of(str(banner))
    assert soup(dashboard.text).select_one('a[href$="/cycle"]') is not None
    # a round opened since: no more warning
    last.opens_at, last.closes_at = now - timedelta(days=300), now - timedelta(days=280)
    db.commit()
    assert soup(observer.get(year_path("Ardenia", now.year)).text).select_one(".cycle-due") is None
    dashboard = person(make_client, db, PlatformRole.MODERATOR).get("/moderation")
    assert soup(dashboard.text).select_one(".cycle-due") is None


def test_what_is_not_there_is_not_found(make_client, db):
    factories.country_consultation(db, "Ardenia")
    observer = person(make_client, db, PlatformRole.OBSERVER)
    assert observer.get(year_path("Nowhere", 2025)).status_code == 404
    assert observer.get(year_path("Ardenia", 1900)).status_code == 404
    assert observer.get(year_path("Ardenia", 99999)).status_code == 404
    assert observer.get(year_path("A" * 300, 2025)).status_code == 404
    assert observer.get("/cycle/Ardenia/next").status_code == 422


def test_the_year_views_query_count_does_not_grow_with_its_rounds(make_client, db):
    june = datetime(2024, 6, 30, tzinfo=UTC)
    orgs = [factories.organisation(db, g) for g in Group for _ in range(2)]
    reps = {o.id: factories.member(db, o) for o in orgs}
    counts = {}
    for country, rounds in (("Small", 1), ("Big", 6)):
        consultation = factories.country_consultation(db, country)
        for n in range(rounds):
            round_ = factories.held_round(
                db,
                consultation,
                orgs,
                opens_at=june - timedelta(days=30 - n),
                closes_at=june - timedelta(days=10 - n),
            )
            for org in orgs[: 2 + n % 4]:
                factories.position(db, round_, org, reps[org.id], Stance.SUPPORT)
    observer = person(make_client, db, PlatformRole.OBSERVER)
    for country in ("Small", "Big"):
        with counted_queries(db) as statements:
            assert observer.get(year_path(country, 2024)).status_code == 200
        counts[country] = len(statements)
    assert counts["Small"] == counts["Big"], counts


def test_a_consultation_names_its_country_when_it_is_created(make_client, db):
    moderator = person(make_client, db, PlatformRole.MODERATOR)
    form = moderator.get("/consultations/new")
    assert soup(form.text).select_one("input#f-country") is not None
    too_long = moderator.submit(
        "/consultations", {"title": "Wages 2027", "brief": "", "country": "X" * 101}
    )
    assert too_long.status_code == 422
    field = soup(too_long.text).select_one("input#f-country")
    assert field["aria-invalid"] == "true" and field["value"] == "X" * 101
    created = moderator.submit(
        "/consultations", {"title": "Wages 2027", "brief": "", "country": "  Syldavia "}
    )
    assert created.status_code == 303
    cycle = moderator.get("/cycle")
    assert soup(cycle.text).find("a", string="Syldavia") is not None
    # without a country, as before
    assert moderator.submit("/consultations", {"title": "Pensions"}).status_code == 303
