"""Posting and revising an organisation's position: the page, the refusals, htmx and no-JS."""

from datetime import timedelta

from sqlalchemy import func, select, update

from app.db import utcnow
from app.organisations.models import Mandate
from app.positions.models import Position, PositionVersion
from app.rounds.models import Round, RoundInvitation
from app.vocabulary import Group, PlatformRole, Weighting
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import HTMX, soup


def post(browser, round_id, stance="support", statement="", base_version=0, key="", **kwargs):
    return browser.submit(
        f"/rounds/{round_id}/positions",
        {
            "stance": stance,
            "statement": statement,
            "base_version": str(base_version),
            "idempotency_key": key,
        },
        **kwargs,
    )


def card(html, org):
    found = soup(html).select_one(f"#position-org-{org.id}")
    assert found is not None, f"no card for {org.name}"
    return found


def textarea(html):
    found = soup(html).select_one("textarea#statement")
    assert found is not None, "the position form is not shown"
    return found.text


def form_data(form):
    """What a browser sends for this form as it stands (hidden fields, checked radio, text)."""
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    checked = form.select_one("input[type=radio][checked]")
    if checked is not None:
        data[checked["name"]] = checked["value"]
    for area in form.select("textarea"):
        data[area["name"]] = area.text
    return data


def versions(db, org):
    return db.scalar(
        select(func.count())
        .select_from(PositionVersion)
        .join(Position, Position.id == PositionVersion.position_id)
        .where(Position.organisation_id == org.id)
    )


def test_a_representative_posts_the_position_without_javascript(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = post(
        workers, round_.id, "oppose", "We **oppose** the quota.", key="Yc4Hq0k1Z9vJb3Xo2TtR1w"
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/rounds/{round_.id}#your-position")
    page = workers.get(f"/rounds/{round_.id}").text
    shown = card(page, orgs[Group.WORKERS])
    assert "Oppose" in text_of(str(shown))
    assert "We oppose the quota." in text_of(str(shown))
    assert shown.select_one("strong").text == "oppose"
    assert f"Last edited by {reps[Group.WORKERS].name}" in text_of(str(shown))
    # the other organisations have not posted; the participation bar counts one workers' post
    assert "No position yet." in text_of(str(card(page, orgs[Group.EMPLOYERS])))
    participation = text_of(str(soup(page).select_one("#participation")))
    assert "Workers 1 of 1 invited organisation responded" in participation
    assert "Employers 0 of 1 invited organisation responded" in participation
    # another organisation's representative sees it too
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    other_view = employers.get(f"/rounds/{round_.id}").text
    assert "We oppose the quota." in text_of(str(card(other_view, orgs[Group.WORKERS])))


def revise_twice(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert post(workers, round_.id, "support", "First thoughts.").status_code == 303
    page = workers.get(f"/rounds/{round_.id}").text
    form = soup(page).select_one("#your-position form")
    assert form.select_one("input[name=base_version]")["value"] == "1"
    assert textarea(page) == "First thoughts."
    revised = post(
        workers, round_.id, "support_with_reservations", "Second thoughts.", base_version=1
    )
    assert revised.status_code == 303
    return round_, orgs, workers


def test_a_revision_is_a_new_version(make_client, db):
    round_, orgs, workers = revise_twice(make_client, db)
    page = workers.get(f"/rounds/{round_.id}").text
    shown = text_of(str(card(page, orgs[Group.WORKERS])))
    assert "Support with reservations" in shown and "Second thoughts." in shown
    assert "First thoughts." not in shown
    assert card(page, orgs[Group.WORKERS]).find("a", string="2 versions") is not None
    assert soup(page).select_one("#your-position").find("a", string="history") is not None
    assert versions(db, orgs[Group.WORKERS]) == 2


def test_the_history_page_lists_every_version(make_client, db):
    round_, orgs, workers = revise_twice(make_client, db)
    page = workers.get(f"/rounds/{round_.id}").text
    link = card(page, orgs[Group.WORKERS]).find("a", string="2 versions")
    history = workers.get(link["href"])
    assert history.status_code == 200
    items = [text_of(str(li)) for li in soup(history.text).select("ol.history > li")]
    assert len(items) == 2
    assert "Version 2" in items[0] and "Second thoughts." in items[0]
    assert "Support with reservations" in items[0]
    assert "Version 1" in items[1] and "First thoughts." in items[1] and "Support" in items[1]


def test_representatives_of_one_organisation_share_one_position(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    union = orgs[Group.WORKERS]
    colleague = factories.member(db, union, name="Tomás Ruiz")
    first = signed_in(make_client, db, reps[Group.WORKERS])
    second = signed_in(make_client, db, colleague)
    assert post(first, round_.id, "support", "Drafted by the first.").status_code == 303
    # the colleague finds the organisation's position in their own form, ready to revise
    page = second.get(f"/rounds/{round_.id}").text
    assert textarea(page) == "Drafted by the first."
    assert "Representatives of the same organisation share one position" in text_of(page)
    assert (
        post(second, round_.id, "neutral", "Revised by Tomás.", base_version=1).status_code == 303
    )
    page = first.get(f"/rounds/{round_.id}").text
    shown = text_of(str(card(page, union)))
    assert "Last edited by Tomás Ruiz" in shown
    assert "Neutral" in shown and "Revised by Tomás." in shown
    assert (
        db.scalar(
            select(func.count()).select_from(Position).where(Position.organisation_id == union.id)
        )
        == 1
    )


def test_a_stale_edit_is_refused_showing_both_texts_and_losing_neither(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    union = orgs[Group.WORKERS]
    colleague = factories.member(db, union, name="Tomás Ruiz")
    first = signed_in(make_client, db, reps[Group.WORKERS])
    second = signed_in(make_client, db, colleague)
    assert post(first, round_.id, "support", "Version one.").status_code == 303
    # both open the form at version 1; the colleague saves first
    assert (
        post(second, round_.id, "oppose", "The colleague's text.", base_version=1).status_code
        == 303
    )
    stale = post(first, round_.id, "support", "My careful rewrite.", base_version=1)
    assert stale.status_code == 409
    page = text_of(stale.text)
    assert "Someone else in your organisation revised this position" in page
    assert "The colleague's text." in page
    assert textarea(stale.text) == "My careful rewrite."
    # posting again now means overwriting version 2, knowingly
    assert soup(stale.text).select_one("#your-position input[name=base_version]")["value"] == "2"
    position = db.scalar(select(Position).where(Position.organisation_id == union.id))
    assert position.version == 2 and position.statement == "The colleague's text."
    # under htmx the same answer replaces the form in place
    again = post(first, round_.id, "support", "My careful rewrite.", base_version=1, headers=HTMX)
    assert again.status_code == 409
    assert "<html" not in again.text
    assert again.headers["HX-Retarget"] == "#your-position"
    assert "The colleague's text." in again.text and "My careful rewrite." in again.text
    # sending the form as it came back overwrites version 2 knowingly: version 3 is mine
    form = soup(stale.text).select_one("#your-position form")
    resent = first.post(form["action"], data=form_data(form))
    assert resent.status_code == 303
    db.refresh(position)
    assert position.version == 3 and position.statement == "My careful rewrite."


def test_a_statement_is_required_to_oppose(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = post(workers, round_.id, "oppose", "   ")
    assert response.status_code == 422
    form = soup(response.text).select_one("#your-position")
    error = form.select_one("#statement-error")
    assert error is not None and "A statement is required with “Oppose”" in error.text
    assert form.select_one("textarea#statement")["aria-invalid"] == "true"
    assert form.select_one("input[name=stance][value=oppose]").has_attr("checked")
    assert versions(db, orgs[Group.WORKERS]) == 0
    # the same with reservations, and with htmx the error comes back beside the field
    again = post(workers, round_.id, "support_with_reservations", "", headers=HTMX)
    assert again.status_code == 422
    assert "<html" not in again.text
    assert again.headers["HX-Retarget"] == "#your-position"
    assert "A statement is required with “Support with reservations”" in text_of(again.text)


def test_an_unknown_stance_is_refused_with_the_text_kept(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = post(workers, round_.id, "veto", "We veto it.")
    assert response.status_code == 422
    error = soup(response.text).select_one("#stance-error")
    assert error is not None and "Choose a stance from the list." in error.text
    assert textarea(response.text) == "We veto it."
    assert versions(db, orgs[Group.WORKERS]) == 0


def test_an_over_long_statement_is_refused_with_the_text_kept(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    long_text = "word " * 4_000 + "x"  # 20,001 characters
    response = post(workers, round_.id, "support", long_text)
    assert response.status_code == 422
    error = soup(response.text).select_one("#statement-error")
    assert error is not None
    assert "20,001 characters long; the limit is 20,000" in error.text
    assert textarea(response.text) == long_text
    assert versions(db, orgs[Group.WORKERS]) == 0


def test_a_nul_character_is_refused_cleanly_on_every_database(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = post(workers, round_.id, "support", "We agree\x00 with the draft.")
    assert response.status_code == 422
    error = soup(response.text).select_one("#statement-error")
    assert error is not None and "control characters" in error.text
    assert "We agree" in textarea(response.text) and "with the draft." in textarea(response.text)
    # the session is still usable: a clean post goes through afterwards
    assert post(workers, round_.id, "support", "We agree with the draft.").status_code == 303
    assert versions(db, orgs[Group.WORKERS]) == 1


def test_a_nul_character_in_the_idempotency_key_is_not_a_server_error(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = post(workers, round_.id, "support", "Fine.", key="form-key-0001\x00")
    assert response.status_code in (303, 422)
    assert versions(db, orgs[Group.WORKERS]) <= 1


def past_deadline(db, round_):
    db.execute(
        update(Round).where(Round.id == round_.id).values(closes_at=utcnow() - timedelta(minutes=1))
    )
    db.commit()


def test_posting_after_the_deadline_is_refused_with_a_clear_message(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert post(workers, round_.id, "support", "In time.").status_code == 303
    past_deadline(db, round_)
    late = post(workers, round_.id, "oppose", "Too late.", base_version=1)
    assert late.status_code == 409
    assert "This round is closed: nothing more can be posted." in text_of(late.text)
    position = db.scalar(select(Position).where(Position.organisation_id == orgs[Group.WORKERS].id))
    assert position.version == 1 and position.statement == "In time."
    # the page is read-only now: no form to post with
    page = workers.get(f"/rounds/{round_.id}").text
    assert "This round is read-only." in text_of(page)
    assert soup(page).select_one("textarea#statement") is None
    # a first post from another organisation is refused too
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    assert post(employers, round_.id, "support", "Late.").status_code == 409
    assert versions(db, orgs[Group.EMPLOYERS]) == 0


def test_a_post_refused_at_the_deadline_keeps_the_typed_text(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert post(workers, round_.id, "support", "In time.").status_code == 303
    past_deadline(db, round_)
    late = post(workers, round_.id, "oppose", "Our late but careful words.", base_version=1)
    assert late.status_code == 409
    assert "Our late but careful words." in late.text


def test_a_first_post_after_the_deadline_says_why_it_is_refused(make_client, db):
    round_, _orgs, reps = factories.three_groups_round(db)
    past_deadline(db, round_)
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    late = post(employers, round_.id, "support", "Late.")
    assert late.status_code == 409
    assert "This round is closed: nothing more can be posted." in text_of(late.text)


def outsiders(make_client, db):
    """A representative of an uninvited union, an observer and a moderator."""
    union = factories.organisation(db, Group.WORKERS, name="Uninvited Union")
    people = [
        factories.member(db, union),
        factories.user(db, platform_role=PlatformRole.OBSERVER),
        factories.user(db, platform_role=PlatformRole.MODERATOR),
    ]
    return union, [signed_in(make_client, db, person) for person in people]


def test_organisations_not_invited_observers_and_moderators_read_but_never_post(make_client, db):
    round_, _orgs, _reps = factories.three_groups_round(db)
    union, browsers = outsiders(make_client, db)
    for browser in browsers:
        page = browser.get(f"/rounds/{round_.id}")
        assert page.status_code == 200  # reading is fine
        assert soup(page.text).select_one("textarea#statement") is None
        assert post(browser, round_.id, "support", "Let us in.").status_code == 403
        assert post(browser, round_.id, "support", "Again.", headers=HTMX).status_code == 403
    assert versions(db, union) == 0
    assert db.scalar(select(func.count()).select_from(Position)) == 0


def test_a_refused_outsider_is_told_why(make_client, db):
    round_, _orgs, _reps = factories.three_groups_round(db)
    _union, (representative, observer, moderator) = outsiders(make_client, db)
    refused = post(representative, round_.id, "support", "Let us in.")
    assert refused.status_code == 403
    assert "Your organisation is not invited to this round" in text_of(refused.text)
    for browser in (observer, moderator):
        refused = post(browser, round_.id, "support", "An outside view.")
        assert refused.status_code == 403
        assert "moderators, observers and administrators read" in text_of(refused.text)


def form_key(browser, round_):
    page = soup(browser.get(f"/rounds/{round_.id}").text)
    return page.select_one("#your-position input[name=idempotency_key]")["value"]


def test_the_same_idempotency_key_twice_makes_one_version(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    key = form_key(workers, round_)
    first = post(workers, round_.id, "support", "Double click.", key=key)
    second = post(workers, round_.id, "support", "Double click.", key=key)
    assert first.status_code == second.status_code == 303
    assert versions(db, orgs[Group.WORKERS]) == 1
    # a retry of a revision is recognised as well (the form comes with a new key)
    key = form_key(workers, round_)
    assert post(workers, round_.id, "neutral", "Retry me.", 1, key=key).status_code == 303
    assert post(workers, round_.id, "neutral", "Retry me.", 1, key=key).status_code == 303
    assert versions(db, orgs[Group.WORKERS]) == 2
    position = db.scalar(select(Position).where(Position.organisation_id == orgs[Group.WORKERS].id))
    assert position.version == 2 and position.stance == "neutral"


def test_with_htmx_the_post_answers_a_fragment_with_the_columns(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    response = post(workers, round_.id, "support", "Posted in place.", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    fragment = soup(response.text)
    columns = fragment.select_one("#columns")
    assert columns is not None
    assert "Posted in place." in text_of(
        str(columns.select_one(f"#position-org-{orgs[Group.WORKERS].id}"))
    )
    # the tally and participation bar are refreshed out of band, and the form says it is saved
    assert fragment.select_one("#tally[hx-swap-oob]") is not None
    assert fragment.select_one("#participation[hx-swap-oob]") is not None
    assert "Your organisation's position is saved." in text_of(response.text)
    # the form comes back ready for the next revision: version 1 as its base, a fresh key
    form = fragment.select_one("#your-position[hx-swap-oob] form")
    assert form is not None
    assert form.select_one("input[name=base_version]")["value"] == "1"
    data = form_data(form)
    data.update(stance="neutral", statement="Revised in place.")
    revised = workers.post(form["hx-post"], data=data, headers=HTMX)
    assert revised.status_code == 200
    assert "Revised in place." in revised.text
    assert versions(db, orgs[Group.WORKERS]) == 2


UNSAFE = (
    "We **support** it.\n\n"
    "<script>alert('x')</script>\n\n"
    "[click me](javascript:alert(1)) and [the draft](https://example.org/draft)\n\n"
    '<img src=x onerror="alert(2)"> <a href="javascript:alert(3)" onclick="alert(4)">raw</a>'
)


def assert_safe(element):
    """Rendered markdown: no script or image elements, no event handlers, no javascript: links
    (the text of what was typed may stay, as harmless text)."""
    assert element.select_one("script") is None
    assert element.select_one("img") is None
    for tag in element.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"event handler {name} on <{tag.name}>"
            values = value if isinstance(value, list) else [value]
            assert not any("javascript:" in v.lower() for v in values), f"{name}={value}"
    assert element.select_one("strong").text == "support"
    assert element.find("a", href="https://example.org/draft") is not None


def test_markdown_in_statements_is_rendered_safely(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert post(workers, round_.id, "support", UNSAFE).status_code == 303
    page = workers.get(f"/rounds/{round_.id}").text
    assert_safe(card(page, orgs[Group.WORKERS]))
    # what was typed comes back verbatim (escaped) for the next revision
    assert textarea(page) == UNSAFE


def test_markdown_on_the_history_page_is_rendered_safely(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    assert post(workers, round_.id, "support", UNSAFE).status_code == 303
    assert post(workers, round_.id, "support", UNSAFE + "\n\nAgain.", 1).status_code == 303
    position = db.scalar(select(Position).where(Position.organisation_id == orgs[Group.WORKERS].id))
    history = workers.get(f"/rounds/{round_.id}/positions/{position.id}/history")
    assert history.status_code == 200
    items = soup(history.text).select("ol.history > li")
    assert len(items) == 2
    for item in items:
        assert_safe(item.select_one(".prose"))


def test_sealed_positions_are_shown_only_to_their_own_organisation(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db, sealed=True)
    workers = signed_in(make_client, db, reps[Group.WORKERS])
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    assert post(workers, round_.id, "oppose", "The workers' sealed view.").status_code == 303
    assert post(employers, round_.id, "support", "The employers' sealed view.").status_code == 303
    # the workers look first (a page seen by one organisation is never served to another)
    assert "The workers' sealed view." in workers.get(f"/rounds/{round_.id}").text
    page = employers.get(f"/rounds/{round_.id}").text
    assert "The employers' sealed view." in text_of(str(card(page, orgs[Group.EMPLOYERS])))
    assert "The workers' sealed view." not in page
    their_card = text_of(str(card(page, orgs[Group.WORKERS])))
    assert "Position posted; sealed until the round closes." in their_card
    assert "Oppose" not in their_card
    assert "the tally appears when the round closes" in text_of(page)
    # nor can it be read through the history page, nor by an observer
    position = db.scalar(select(Position).where(Position.organisation_id == orgs[Group.WORKERS].id))
    history = employers.get(f"/rounds/{round_.id}/positions/{position.id}/history")
    assert history.status_code == 404
    assert "The workers' sealed view." not in history.text
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    assert "sealed view." not in observer.get(f"/rounds/{round_.id}").text
    # once the round closes, everyone sees every position
    db.execute(
        update(Round).where(Round.id == round_.id).values(closes_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    page = employers.get(f"/rounds/{round_.id}").text
    assert "The workers' sealed view." in text_of(str(card(page, orgs[Group.WORKERS])))


def test_a_sealed_view_for_two_organisations_is_not_served_to_either_alone(make_client, db):
    """Someone mandated by two invited organisations sees both their positions; a colleague
    mandated by only one of them must not be shown the other's (however pages are reused)."""
    round_, orgs, reps = factories.three_groups_round(db, sealed=True)
    union, federation = orgs[Group.WORKERS], orgs[Group.EMPLOYERS]
    both = factories.member(db, union, name="Two Hats")
    db.add(Mandate(user_id=both.id, organisation_id=federation.id, role="representative"))
    db.flush()
    employers = signed_in(make_client, db, reps[Group.EMPLOYERS])
    assert post(employers, round_.id, "support", "The federation's sealed view.").status_code == 303
    two_hats = signed_in(make_client, db, both)
    page = two_hats.get(f"/rounds/{round_.id}").text
    assert "The federation's sealed view." in text_of(str(card(page, federation)))
    union_only = signed_in(make_client, db, reps[Group.WORKERS])
    page = union_only.get(f"/rounds/{round_.id}").text
    assert "The federation's sealed view." not in page
    assert "sealed until the round closes" in text_of(str(card(page, federation)))


def tally_table(html):
    table = soup(html).select_one("#tally table")
    assert table is not None, "no tally shown"
    headers = [text_of(str(th)) for th in table.select("thead th")]
    rows = {}
    for tr in table.select("tbody tr"):
        label = text_of(str(tr.find("th")))
        rows[label] = dict(
            zip(headers[1:], [text_of(str(td)) for td in tr.find_all("td")], strict=True)
        )
    return rows


def test_the_tally_gives_each_group_equal_weight_and_shows_silence(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    second_union = factories.organisation(db, Group.WORKERS, name="Second Union")
    db.add(RoundInvitation(round_id=round_.id, organisation_id=second_union.id))
    second_rep = factories.member(db, second_union)
    db.flush()
    for person, stance, statement in (
        (reps[Group.WORKERS], "support", ""),
        (second_rep, "support", ""),
        (reps[Group.EMPLOYERS], "oppose", "Costs."),
    ):
        assert (
            post(signed_in(make_client, db, person), round_.id, stance, statement).status_code
            == 303
        )
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    page = observer.get(f"/rounds/{round_.id}").text
    rows = tally_table(page)
    overall = next(h for h in rows["Support"] if h.startswith("Weighted overall"))
    assert rows["Support"][overall] == "33.3%"
    assert rows["Oppose"][overall] == "33.3%"
    assert rows["Neutral"][overall] == "0.0%"
    assert rows["Not expressed"][overall] == "33.3%"
    # raw counts beside them: two unions, one federation
    assert rows["Support"]["Raw count"] == "2"
    assert rows["Oppose"]["Raw count"] == "1"
    workers_col = next(h for h in rows["Support"] if h.startswith("Workers"))
    government_col = next(h for h in rows["Support"] if h.startswith("Government"))
    assert rows["Support"][workers_col].startswith("2 of 2")
    assert rows["Not expressed"][government_col] == "silent"
    assert "(weight 33.3%)" in workers_col


def test_the_plenary_weighting_is_printed_with_the_result(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db, weighting=Weighting.PLENARY)
    for group, stance, statement in (
        (Group.GOVERNMENT, "support", ""),
        (Group.EMPLOYERS, "oppose", "Too costly."),
        (Group.WORKERS, "oppose", "Too little."),
    ):
        browser = signed_in(make_client, db, reps[group])
        assert post(browser, round_.id, stance, statement).status_code == 303
    page = browser.get(f"/rounds/{round_.id}").text
    assert "Group weighting 2:1:1" in text_of(page)
    rows = tally_table(page)
    overall = next(h for h in rows["Support"] if h.startswith("Weighted overall"))
    government = next(h for h in rows["Support"] if h.startswith("Government"))
    assert "(weight 50.0%)" in government
    # one government outweighs an employers' and a workers' organisation together: 50 / 50
    assert rows["Support"][overall] == "50.0%"
    assert rows["Oppose"][overall] == "50.0%"
    assert rows["Not expressed"][overall] == "0.0%"
