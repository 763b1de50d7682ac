"""Search as a person uses it (both backends): found across languages, filtered, sorted,
paged with a total and facets, each hit with its exact place, in a constant number of
statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from app.accounts.rules import Speaking, Viewer
from app.db import make_sessionmaker, open_session, utcnow
from app.organisations.models import Organisation
from app.rounds import page as round_page
from app.rounds.models import RoundInvitation
from app.search import service
from app.search.service import PER_PAGE, SearchQuery
from app.vocabulary import Group, MandateRole, PlatformRole, SearchKind
from tests import factories


def viewer_of(person, *orgs: Organisation, role: PlatformRole | None = None) -> Viewer:  # type: ignore[no-untyped-def]
    return Viewer(
        person.id,
        person.name,
        person.email,
        role,
        tuple(
            Speaking(n + 1, o.id, o.name, Group(o.group_name), MandateRole.REPRESENTATIVE)
            for n, o in enumerate(orgs)
        ),
    )


def _search(db, viewer, text, **options):  # type: ignore[no-untyped-def]
    return service.search(db, viewer, SearchQuery(text, **options), utcnow())


def _holiday_comment_and_its_reader(db):  # type: ignore[no-untyped-def]
    """A workers' comment, "Holiday pay", and an employers' representative who may find it."""
    round_, orgs, reps = factories.three_groups_round(db)
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Holiday pay")
    db.flush()
    return viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])


def _kinds_ids(results) -> set[tuple[SearchKind, int]]:  # type: ignore[no-untyped-def]
    return {(hit.kind, hit.source_id) for hit in results.hits}


def test_the_page_size_and_threads_per_page_are_the_pages_own():
    assert service.THREADS_PER_PAGE == round_page.THREADS_PER_PAGE
    assert PER_PAGE == 20


def test_every_entry_is_in_one_window_and_holds_one_of_its_periods():
    """PostgreSQL reads a word's newest matches window by window (service._windows), each asking
    the index for the window's period lexemes: whatever the moment of the search (a day, a week,
    a month or a year turning included) and of the entry (a second, a day, years before, or
    after it), exactly one window takes the entry, as their conditions read (the future: from
    its start; the last days: from their start, holding one of their days' lexemes, with no
    later bound; the others: from their start to the next newer window's, holding one of their
    lexemes; the rest: before the last start)."""
    from app.search import schema

    searches = [datetime(2026, 12, 30, 23, 59, 59, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)]
    searches += [datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC), datetime(2024, 2, 29, 12, tzinfo=UTC)]
    searches += [datetime(2026, 12, 10, tzinfo=UTC) + timedelta(hours=7 * n) for n in range(30)]
    ages = [timedelta(seconds=-1), timedelta(days=-1), timedelta(days=-2), timedelta(days=-3)]
    ages += [timedelta(hours=-h) for h in range(1, 24 * 9, 5)]
    ages += [timedelta(days=-30), timedelta(0)]
    ages += [timedelta(hours=h) for h in range(0, 24 * 800, 13)]
    named = [name for name in service._WINDOWS if name is not None]
    for now in searches:
        windows = service._windows(now)
        assert len(windows) == len(named)
        for age in ages:
            made = now - age
            held = set(schema.period_lexemes(made))
            taking = []
            for n, (name, (start, lexemes)) in enumerate(zip(named, windows, strict=True)):
                newer = windows[n - 1][0] if n and name != "days" else None
                if made >= start and (newer is None or made < newer):
                    if not lexemes or held & set(lexemes):
                        taking.append(name)
            if made < windows[-1][0]:
                taking.append("rest")
            assert len(taking) == 1, (now, made, taking)
    starts = [start for start, _ in service._windows(searches[0])]
    assert starts == sorted(starts, reverse=True)


def test_a_word_postgresql_reads_as_blank_finds_nothing(db):
    """A word the index keeps but PostgreSQL's parser reads as blank ("༪") makes an empty query:
    it finds nothing, in every window and in a year (ANDed with a window's periods, an empty
    query would have been the periods alone: every entry of the window)."""
    round_, orgs, reps = factories.three_groups_round(db)
    now = utcnow()
    for age in (0, 1, 5, 20, 100, 500):
        factories.comment(
            db,
            round_,
            reps[Group.WORKERS],
            orgs[Group.WORKERS],
            "Portability rules",
            created_at=now - timedelta(days=age),
        )
    db.flush()
    reader = viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])
    assert _search(db, reader, "portability").total == 6
    for words in ("༪", "༪ ৴"):
        assert _search(db, reader, words).total == 0, words
        assert _search(db, reader, words, year=now.year).total == 0, words


def test_found_across_languages(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    french = factories.comment(db, round_, reps[Group.WORKERS], w, "Les travailleurs migrants.")
    french.language = "fr"
    spanish = factories.comment(db, round_, reps[Group.WORKERS], w, "La migración laboral.")
    spanish.language = "es"
    english = factories.comment(db, round_, reps[Group.WORKERS], w, "Portability of benefits.")
    english.language = "en"
    db.flush()
    reader = viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])

    found = _search(db, reader, "travailleur")
    assert _kinds_ids(found) == {(SearchKind.COMMENT, french.id)}
    assert "fr" in found.languages
    hit = found.hits[0]
    assert hit.snippet == (("Les ", False), ("travailleurs", True), (" migrants", False))
    assert hit.round_id == round_.id and hit.round_title == round_.title
    assert hit.organisation_name == w.name and hit.group is Group.WORKERS
    assert hit.language == "fr"
    assert hit.url == f"/rounds/{round_.id}?page=1&replies=all#comment-{french.id}"

    assert _kinds_ids(_search(db, reader, "migracion")) == {(SearchKind.COMMENT, spanish.id)}
    portable = _search(db, reader, "portable")
    assert _kinds_ids(portable) == {(SearchKind.COMMENT, english.id)}
    assert portable.languages == ("en",)  # the language it is written in, not every stemmer's
    assert _search(db, reader, "a").total == 0  # a stopword in all three: nothing


def test_filters_by_kind_group_organisation_consultation_and_year(db):
    round_, orgs, reps = factories.three_groups_round(db, title="Pension reform")
    other, other_orgs, other_reps = factories.three_groups_round(db)
    last_year = datetime(utcnow().year - 1, 6, 1, tzinfo=UTC)
    w, e = orgs[Group.WORKERS], orgs[Group.EMPLOYERS]
    workers = factories.comment(db, round_, reps[Group.WORKERS], w, "Pension age")
    employers = factories.comment(
        db, round_, reps[Group.EMPLOYERS], e, "Pension funds", created_at=last_year
    )
    position = factories.position(
        db, round_, e, reps[Group.EMPLOYERS], statement="Pensions must be funded"
    )
    elsewhere = factories.comment(
        db, other, other_reps[Group.WORKERS], other_orgs[Group.WORKERS], "Pension elsewhere"
    )
    reader = viewer_of(reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT])

    everything = _search(db, reader, "pension")
    assert _kinds_ids(everything) == {
        (SearchKind.ROUND, round_.id),
        (SearchKind.COMMENT, workers.id),
        (SearchKind.COMMENT, employers.id),
        (SearchKind.COMMENT, elsewhere.id),
        (SearchKind.POSITION, position.id),
    }
    assert everything.total == 5
    assert dict(everything.facets["kind"]) == {"comment": 3, "position": 1, "round": 1}
    assert all(
        type(value) is str for name in everything.facets for value, _ in everything.facets[name]
    )
    assert dict(everything.facets["group"]) == {"workers": 2, "employers": 2}
    assert sum(n for _, n in everything.facets["year"]) == 5
    assert dict(everything.facets["year"])[str(last_year.year)] == 1

    kinds = _search(db, reader, "pension", kinds=frozenset({SearchKind.POSITION}))
    assert _kinds_ids(kinds) == {(SearchKind.POSITION, position.id)}
    groups = _search(db, reader, "pension", group=Group.EMPLOYERS)
    assert _kinds_ids(groups) == {
        (SearchKind.COMMENT, employers.id),
        (SearchKind.POSITION, position.id),
    }
    assert dict(groups.facets["group"]) == {"employers": 2}
    by_org = _search(db, reader, "pension", organisation_id=w.id)
    assert _kinds_ids(by_org) == {(SearchKind.COMMENT, workers.id)}
    consultation = _search(db, reader, "pension", consultation_id=other.consultation_id)
    assert _kinds_ids(consultation) == {(SearchKind.COMMENT, elsewhere.id)}
    year = _search(db, reader, "pension", year=last_year.year)
    assert _kinds_ids(year) == {(SearchKind.COMMENT, employers.id)}
    assert year.total == 1
    stance = _search(db, reader, "pension", stance="support")
    assert _kinds_ids(stance) == {(SearchKind.POSITION, position.id)}
    assert _search(db, reader, "pension", stance="oppose").total == 0


def test_sorted_by_date_newest_first(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    start = utcnow() - timedelta(days=10)
    made = [
        factories.comment(
            db,
            round_,
            reps[Group.WORKERS],
            w,
            "Overtime " * (n + 1),
            created_at=start + timedelta(days=d),
        )
        for n, d in enumerate((3, 1, 5, 2))
    ]
    reader = viewer_of(reps[Group.WORKERS], w)
    by_date = _search(db, reader, "overtime", sort="date")
    expected = [c.id for c in sorted(made, key=lambda c: c.created_at, reverse=True)]
    assert [hit.source_id for hit in by_date.hits] == expected
    by_relevance = _search(db, reader, "overtime")
    assert {hit.source_id for hit in by_relevance.hits} == set(expected)


def _statements(db, run):  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, seen


def test_pages_of_twenty_with_a_total_in_a_constant_number_of_statements(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    start = utcnow() - timedelta(days=1)
    made = [
        factories.comment(
            db,
            round_,
            reps[Group.WORKERS],
            w,
            f"Holiday pay {n}",
            created_at=start + timedelta(minutes=n),
        )
        for n in range(PER_PAGE + 5)
    ]
    reader = viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])
    db.flush()

    first, first_statements = _statements(db, lambda: _search(db, reader, "holiday", sort="date"))
    assert first.total == PER_PAGE + 5 and not first.total_capped
    assert first.pages == 2
    assert len(first.hits) == PER_PAGE
    second = _search(db, reader, "holiday", sort="date", page=2)
    assert len(second.hits) == 5
    assert {h.source_id for h in first.hits} | {h.source_id for h in second.hits} == {
        c.id for c in made
    }
    assert _search(db, reader, "holiday", page=3).hits == ()

    few, few_statements = _statements(db, lambda: _search(db, reader, "holiday 3"))
    assert 0 < few.total < PER_PAGE
    # the candidates (on PostgreSQL between setting and resetting a row's cost), their
    # visibility, the page's texts
    around = 2 if db.get_bind().dialect.name == "postgresql" else 0
    assert len(first_statements) == len(few_statements) == 3 + around
    none, none_statements = _statements(db, lambda: _search(db, reader, "nowhere"))
    assert none.total == 0 and len(none_statements) == 2 + around


def test_only_the_candidates_statement_is_planned_for_its_values(db):
    """PostgreSQL: the candidates statement is sent unprepared each time (planned for its
    words: a generic plan cannot tell a frequent word from a rare one); the visibility's and
    the display's are prepared once used five times, as the app's other statements are, and the
    connection's settings are left as they were."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    reader = _holiday_comment_and_its_reader(db)
    settings = text(
        "SELECT current_setting('plan_cache_mode'), current_setting('random_page_cost'), "
        "current_setting('cpu_index_tuple_cost')"
    )
    before = db.execute(settings).one()
    driver = db.connection().connection.driver_connection
    threshold = driver.prepare_threshold
    for _ in range(threshold + 2):
        assert _search(db, reader, "holiday").total == 1
    assert driver.prepare_threshold == threshold
    # a row's cost, as read from memory, for the candidates statement alone
    _, statements = _statements(db, lambda: _search(db, reader, "holiday"))
    assert "set_config('random_page_cost', '1.1', false)" in statements[0]
    assert "set_config('cpu_index_tuple_cost', '0.1', false)" in statements[0]
    assert "search_entries.document @@" in statements[1]
    assert "set_config('random_page_cost', NULL, false)" in statements[2]
    assert "set_config('cpu_index_tuple_cost', NULL, false)" in statements[2]
    assert all("document @@" not in s for s in statements[3:])
    assert db.execute(settings).one() == before
    prepared = db.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert not [s for s in prepared if "search_entries.document @@" in s]
    assert [s for s in prepared if "unnest(" in s and "JOIN comments" in s], prepared
    assert [s for s in prepared if "AS tag" in s], prepared


def test_a_failing_candidates_statement_is_reported_as_itself(db, monkeypatch):
    """PostgreSQL: when the candidates statement fails, its own error is raised (the reset of a
    row's cost after it fails too in the aborted transaction, and is not what is reported)."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    reader = _holiday_comment_and_its_reader(db)
    monkeypatch.setattr(service.rules, "tsquery_words", lambda query, code: "holiday & & pay")
    with pytest.raises(DBAPIError, match="syntax error in tsquery"):
        _search(db, reader, "holiday")


def test_a_read_request_s_connection_goes_back_as_it_came(engine, monkeypatch):
    """PostgreSQL, as ``GET /search`` runs (the app's read session, in autocommit): the row
    cost set for the candidates statement is reset after it, whether it answered or failed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    factory = make_sessionmaker(engine)
    reader = Viewer(1, "Reader", "reader@example.org", None, ())

    def settings_after(run):  # type: ignore[no-untyped-def]
        db = open_session(factory, write=False)
        try:
            run(db)
            driver = db.connection().connection.driver_connection
            costs = text(
                "SELECT current_setting('random_page_cost'), "
                "current_setting('cpu_index_tuple_cost')"
            )
            return tuple(db.execute(costs).one()), driver.prepare_threshold
        finally:
            db.close()

    default = settings_after(lambda db: None)
    assert settings_after(lambda db: _search(db, reader, "holiday")) == default

    def failing(db):  # type: ignore[no-untyped-def]
        with pytest.raises(DBAPIError, match="syntax error in tsquery"):
            _search(db, reader, "holiday")

    monkeypatch.setattr(service.rules, "tsquery_words", lambda query, code: "holiday & & pay")
    assert settings_after(failing) == default


def test_the_candidates_columns_come_in_the_order_they_are_read(db):
    dialect = db.get_bind().dialect.name
    round_, orgs, reps = factories.three_groups_round(db)
    reader = viewer_of(reps[Group.WORKERS], orgs[Group.WORKERS])
    f = service.v.facts(reader, utcnow())
    for query in (SearchQuery("holiday"), SearchQuery("holiday pay", year=2026)):
        parsed = service.rules.parse_query(query.text)
        statement = service._candidates_statement(dialect, parsed, query, f, 0)
        assert tuple(statement.selected_columns.keys()) == service._CANDIDATE_COLUMNS
    assert service._Candidate._fields == (*service._CANDIDATE_COLUMNS, "x1", "x2")


def test_a_search_statements_are_converted_once(db):
    """PostgreSQL: psycopg keeps the search's long statements converted (app.db raises its
    limits of 4 KB and 50 parameters): the same search again converts nothing anew."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("psycopg's statements")
    from psycopg import _queries

    reader = _holiday_comment_and_its_reader(db)
    _, statements = _statements(db, lambda: _search(db, reader, "holiday"))
    assert max(len(s) for s in statements) > 4096  # longer than psycopg's own limit
    before = _queries._query2pg.cache_info()
    assert _search(db, reader, "holiday").total == 1
    after = _queries._query2pg.cache_info()
    assert after.misses == before.misses and after.hits >= before.hits + len(statements)


def test_the_search_indexes_keep_a_short_pending_list(db):
    """PostgreSQL: every search GIN index keeps at most 64 kB of new entries unmerged (migration
    0019), not the default 4 MB a search would read again and again until a vacuum."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's GIN indexes")
    options = dict(
        db.execute(
            text(
                "SELECT relname, reloptions FROM pg_class WHERE relname LIKE "
                "'ix_search_entries_document_%' AND relam = (SELECT oid FROM pg_am "
                "WHERE amname = 'gin')"
            )
        ).all()
    )
    assert set(options) == set(service.schema.gin_indexes())
    assert all(found == ["gin_pending_list_limit=64"] for found in options.values()), options


def test_comment_pages_and_anchors(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    roots = [
        factories.comment(db, round_, reps[Group.WORKERS], w, f"Thread {n}")
        for n in range(round_page.THREADS_PER_PAGE + 1)
    ]
    reply = factories.comment(
        db,
        round_,
        reps[Group.EMPLOYERS],
        orgs[Group.EMPLOYERS],
        "Quarantine reply",
        parent=roots[-1],
    )
    paragraphs = factories.draft(db, round_, "Quarantine rules.")
    reader = viewer_of(reps[Group.WORKERS], w)
    found = {h.kind: h for h in _search(db, reader, "quarantine").hits}
    assert found[SearchKind.COMMENT].url == (
        f"/rounds/{round_.id}?page=2&replies=all#comment-{reply.id}"
    )
    assert found[SearchKind.PARAGRAPH].url == (
        f"/rounds/{round_.id}#paragraph-{paragraphs[0].number}"
    )


def test_a_comment_page_counts_the_threads_each_viewer_is_shown(db):
    """The page statement is kept for viewers of one shape: the author of a pending thread
    counts it before the result (it is shown to them), anyone else does not."""
    round_, orgs, reps = factories.three_groups_round(db)
    w, e = orgs[Group.WORKERS], orgs[Group.EMPLOYERS]
    for n in range(round_page.THREADS_PER_PAGE - 1):
        factories.comment(db, round_, reps[Group.WORKERS], w, f"Thread {n}")
    pending = factories.comment(db, round_, reps[Group.EMPLOYERS], e, "Awaiting approval")
    pending.visibility = "pending"
    found = factories.comment(db, round_, reps[Group.WORKERS], w, "Quarantine rules")
    db.flush()
    government = viewer_of(reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT])
    author = viewer_of(reps[Group.EMPLOYERS], e)
    for reader, page in ((government, 1), (author, 2), (government, 1)):
        (hit,) = _search(db, reader, "quarantine").hits
        assert hit.url == f"/rounds/{round_.id}?page={page}&replies=all#comment-{found.id}"


def test_new_matches_are_counted_above_a_watermark(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    reader = viewer_of(reps[Group.WORKERS], w)
    factories.comment(db, round_, reps[Group.WORKERS], w, "Telework first")
    count, mark = service.count_new(db, reader, SearchQuery("telework"), 0, utcnow())
    assert count == 1 and mark > 0
    assert service.count_new(db, reader, SearchQuery("telework"), mark, utcnow()) == (0, mark)
    factories.comment(db, round_, reps[Group.WORKERS], w, "Telework again")
    count, higher = service.count_new(db, reader, SearchQuery("telework"), mark, utcnow())
    assert count == 1 and higher > mark


def test_beyond_the_cap_the_newest_are_ranked_and_what_is_hidden_stays_out(db, monkeypatch):
    """A word found more often than COUNT_CAP: the newest COUNT_CAP + 1 open matches are
    ranked and counted ("more than"), the rest is never read; entries not open (a hidden
    comment) are found by whom the rules allow, whatever the cap, and never counted for
    anyone else."""
    monkeypatch.setattr(service, "COUNT_CAP", 4)
    round_, orgs, reps = factories.three_groups_round(db)
    w, rep = orgs[Group.WORKERS], reps[Group.WORKERS]
    now = utcnow()
    ages = (700, 500, 300, 100, 40, 10, 1)  # days: across PostgreSQL's windows (service._windows)
    visible = [
        factories.comment(
            db, round_, rep, w, f"Portability {n}", created_at=now - timedelta(days=age)
        )
        for n, age in enumerate(ages)
    ]
    hidden = factories.comment(db, round_, rep, w, "Portability hidden")
    hidden.visibility = "hidden"
    db.flush()
    employer = viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])
    author = viewer_of(rep, w)

    found = _search(db, employer, "portability", sort="date")
    assert found.total_capped and found.total == 4
    newest = [c.id for c in reversed(visible)][:5]
    assert [hit.source_id for hit in found.hits] == newest
    assert hidden.id not in {hit.source_id for hit in found.hits}
    assert sum(count for _, count in found.facets["kind"]) == 5  # of the candidates

    mine = _search(db, author, "portability", sort="date")
    assert hidden.id in {hit.source_id for hit in mine.hits}
    assert _search(db, author, "hidden").total == 1
    assert _search(db, employer, "hidden").total == 0

    few = _search(db, employer, "portability 3")  # under the cap: exact
    assert not few.total_capped and few.total == 1


def test_a_year_or_several_words_find_the_newest_across_every_age(db, monkeypatch):
    """PostgreSQL reads one word without a year by age windows; a year filter or several
    words read the open entries as one window. Either way: the newest COUNT_CAP + 1 matches,
    in every age, and a year's only."""
    monkeypatch.setattr(service, "COUNT_CAP", 4)
    round_, orgs, reps = factories.three_groups_round(db)
    w, rep = orgs[Group.WORKERS], reps[Group.WORKERS]
    now = utcnow()
    ages = (900, 700, 500, 300, 100, 40, 10, 1)  # days: across service._windows
    dense = 5  # 40 days old: among the newest, neither the first nor the last
    made = [
        factories.comment(
            db,
            round_,
            rep,
            w,
            f"Portability rules {n}"
            + (", portability first, portability rules always" if n == dense else ""),
            created_at=now - timedelta(days=age),
        )
        for n, age in enumerate(ages)
    ]
    db.flush()
    reader = viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS])
    newest = [c.id for c in reversed(made)][:5]
    postgresql = db.get_bind().dialect.name == "postgresql"
    # by relevance, the newest are ranked by their own scores (reckoned once they are taken)
    for words in ("portability", "portability rules"):
        ranked = _search(db, reader, words)
        assert [hit.source_id for hit in ranked.hits][0] == made[dense].id, words
        assert {hit.source_id for hit in ranked.hits} == set(newest), words

    def windowed(statements: list[str]) -> bool:
        return any("window_0" in statement for statement in statements)

    for words in ("portability", "portability rules"):
        found, statements = _statements(db, lambda w=words: _search(db, reader, w, sort="date"))
        assert found.total_capped and [hit.source_id for hit in found.hits] == newest, words
        assert windowed(statements) == (postgresql and words == "portability")
    year = (now - timedelta(days=500)).year
    of_year = [c.id for c in reversed(made) if c.created_at.year == year]
    for words in ("portability", "portability rules"):
        found, statements = _statements(
            db, lambda w=words: _search(db, reader, w, sort="date", year=year)
        )
        assert [hit.source_id for hit in found.hits] == of_year[:5], words
        assert found.total == min(len(of_year), 4) and found.total_capped == (len(of_year) > 4)
        assert not windowed(statements)


def test_a_statement_kept_for_one_viewer_serves_another_of_the_same_shape_with_their_values(db):
    """Two workers' representatives of different organisations: the statement built for the
    first is kept and run for the second, who finds their own hidden comment and sealed
    position, never the first's; run with the placeholder's values it finds neither."""
    round_, orgs, reps = factories.three_groups_round(db, sealed=True)
    first_org, first = orgs[Group.WORKERS], reps[Group.WORKERS]
    second_org = factories.organisation(db, Group.WORKERS, name="Second union")
    second = factories.member(db, second_org, name="Second representative")
    db.add(RoundInvitation(round_id=round_.id, organisation_id=second_org.id))
    mine = {}
    for org, person in ((first_org, first), (second_org, second)):
        comment = factories.comment(db, round_, person, org, "Overtime hidden")
        comment.visibility = "hidden"
        position = factories.position(db, round_, org, person, statement="Overtime sealed")
        mine[person.id] = {(SearchKind.COMMENT, comment.id), (SearchKind.POSITION, position.id)}
    db.flush()
    service._BUILT.clear()
    as_first = _kinds_ids(_search(db, viewer_of(first, first_org), "overtime"))
    kept = dict(service._BUILT)
    as_second = _kinds_ids(_search(db, viewer_of(second, second_org), "overtime"))
    assert service._BUILT == kept  # the same statement, not built again
    assert as_first == mine[first.id]
    assert as_second == mine[second.id]

    f = service.v.facts(viewer_of(second, second_org), utcnow())
    query = SearchQuery("overtime")
    parsed = service.rules.parse_query(query.text)
    dialect = db.get_bind().dialect.name
    placeholder = f.placeholder
    values = {**service._params(parsed, query, placeholder, 0), "viewer_now": utcnow()}
    candidates = db.execute(
        service._candidates_statement(dialect, parsed, query, f, 0), values
    ).all()
    assert {row.kind for row in candidates} == {SearchKind.POSITION.value}  # sealed: not open
    given = service._given_params(dialect, candidates)
    visible = service._visible_statement(dialect, query, f)
    assert db.execute(visible, {**values, "f_stance": "", **given}).all() == []
