"""Figures that cannot mislead, read as a person reads them (issue 14, section 6): each group's
participation bar in its own colour and in words, every fraction saying what it is a fraction
of, quoted statements saying whether they are the group's majority or dissent, and an
abstention never reported as a consensus."""

from __future__ import annotations

from app.db import utcnow
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance, Visibility
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import soup

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS


def round_with(db, stances, *, status=RoundStatus.OPEN, statements=None):
    """A round inviting, per group, one organisation for each entry of ``stances[group]``: a
    stance it posted, or None (it has not answered)."""
    statements = statements or {}
    orgs, reps = {}, {}
    for group, entries in stances.items():
        for i, _stance in enumerate(entries):
            org = factories.organisation(db, group, name=f"{group.label} org {i + 1}")
            orgs[group, i] = org
            reps[group, i] = factories.member(db, org)
    round_ = factories.consultation_round(db, orgs.values(), status=status, title="Night work")
    if status is not RoundStatus.OPEN:
        round_.closed_at = utcnow()
    for group, entries in stances.items():
        for i, stance in enumerate(entries):
            if stance is not None:
                text = statements.get((group, i), "")
                factories.position(db, round_, orgs[group, i], reps[group, i], stance, text)
    db.flush()
    return round_, orgs, reps


def observer(make_client, db):
    return signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))


def bar(html, group):
    return soup(html).select_one(f'#participation [data-group="{group.value}"]')


def test_each_groups_bar_shows_how_many_of_its_invited_organisations_responded(make_client, db):
    round_, orgs, reps = round_with(
        db,
        {W: [Stance.SUPPORT, Stance.OPPOSE, Stance.ABSTAIN, None], G: [Stance.SUPPORT], E: [None]},
    )
    hidden = factories.comment(db, round_, reps[W, 0], orgs[W, 0], "Out of order")
    hidden.visibility = Visibility.HIDDEN.value
    db.flush()
    page = observer(make_client, db).get(f"/rounds/{round_.id}").text
    workers = bar(page, W)
    # in words, with what the fraction is of (an abstention is a response)
    assert text_of(str(workers)) == (
        "Workers 3 of 4 invited organisations responded 1 comment hidden by moderators"
    )
    # the bar is three quarters long, in the workers' own colour; the employers' is empty
    fill = workers.select_one("svg rect.meter-fill")
    assert fill["width"] == "75" and "meter-workers" in fill["class"]
    assert workers.select_one("svg")["aria-hidden"] == "true"  # the words carry it for readers
    assert bar(page, G).select_one("rect.meter-fill")["width"] == "100"
    employers = bar(page, E)
    assert employers.select_one("rect.meter-fill") is None
    # zero counts are left out
    assert text_of(str(employers)) == "Employers 0 of 1 invited organisation responded"
    assert "0 comments hidden" not in text_of(page)
    # the group's name is a label beside its bar, not a full-width coloured block
    assert employers.select_one(".badge") is None


def test_the_tally_and_an_amendment_say_what_their_fractions_are_of(make_client, db):
    round_, orgs, reps = round_with(
        db, {W: [Stance.SUPPORT, Stance.OPPOSE, None, None], G: [Stance.SUPPORT], E: [None]}
    )
    paragraph = factories.draft(db, round_, "Night work is paid double.")[0]
    factories.amendment(db, paragraph, orgs[W, 0], reps[W, 0], "Night work is paid triple.")
    page = soup(observer(make_client, db).get(f"/rounds/{round_.id}").text)
    rows = {
        r.select_one("th").get_text(strip=True): [text_of(str(td)) for td in r("td")]
        for r in page.select("#tally tbody tr")
    }
    headers = [text_of(str(th)) for th in page.select("#tally thead th")]
    workers = next(i for i, h in enumerate(headers) if h.startswith("Workers")) - 1
    # of the organisations that posted (2), not of those invited (4)
    assert rows["Support"][workers] == "1 of 2 organisations that posted a position (50.0%)"
    employers = next(i for i, h in enumerate(headers) if h.startswith("Employers")) - 1
    assert rows["Support"][employers] == "—"  # silent: no fraction at all
    assert rows["Neutral"][workers] == "0"  # a zero is a zero, not "0 of 2 …"
    # the amendment's support is of the invited organisations, and says so
    tally = page.select_one("#paragraph-1-live .amendment-tally")
    support = {
        r.select_one("th").get_text(strip=True): [text_of(str(td)) for td in r("td")]
        for r in tally.select("tbody tr")
    }
    assert support["Workers"][-1] == "1 of 4 invited organisations (25.0%)"
    assert support["Government"][-1] == "0 of 1 invited organisation (0.0%)"
    line = text_of(str(page.select_one("#paragraph-1-live .amendment-support")))
    assert "(1 of 6 invited organisations;" in line


def test_quoted_statements_say_whether_they_are_the_majority_or_dissent(make_client, db):
    round_, _orgs, _reps = round_with(
        db,
        {W: [Stance.OPPOSE, Stance.SUPPORT, Stance.SUPPORT], G: [Stance.SUPPORT], E: [None]},
        status=RoundStatus.CLOSED,
        statements={
            (W, 0): "We oppose night work altogether.",
            (W, 1): "Night work needs double pay.",
            (W, 2): "Double pay, and a rest day.",
            (G, 0): "The ministry supports it.",
        },
    )
    page = soup(observer(make_client, db).get(f"/rounds/{round_.id}/summary").text)
    quotes = [
        (text_of(str(q.p)), text_of(str(q.footer)))
        for q in page.select("section[aria-labelledby=quotes-workers] blockquote")
    ]
    # the other groups wrote one statement: one quote each; the workers' majority comes first
    assert quotes == [
        ("Night work needs double pay.", "— Workers org 2, Support: the group's majority")
    ]
    government = text_of(str(page.select_one("section[aria-labelledby=quotes-government]")))
    assert "— Government org 1, Support: the group's majority" in government


def test_a_dissent_is_quoted_after_the_majority_and_labelled(make_client, db):
    statements = {(W, i): f"Workers statement {i}." for i in range(3)}
    statements |= {(G, i): f"Government statement {i}." for i in range(3)}
    round_, _orgs, _reps = round_with(
        db,
        {W: [Stance.OPPOSE, Stance.SUPPORT, Stance.SUPPORT], G: [Stance.SUPPORT] * 3, E: [None]},
        status=RoundStatus.CLOSED,
        statements=statements,
    )
    page = soup(observer(make_client, db).get(f"/rounds/{round_.id}/summary").text)
    footers = [
        text_of(str(q.footer))
        for q in page.select("section[aria-labelledby=quotes-workers] blockquote")
    ]
    assert footers == [
        "— Workers org 2, Support: the group's majority",
        "— Workers org 3, Support: the group's majority",
        "— Workers org 1, Oppose: dissent from the group's majority (support)",
    ]


def test_an_all_abstain_round_is_not_a_consensus(make_client, db):
    round_, _orgs, _reps = round_with(
        db,
        {W: [Stance.ABSTAIN, Stance.ABSTAIN], G: [Stance.ABSTAIN], E: [Stance.ABSTAIN]},
        status=RoundStatus.CLOSED,
    )
    browser = observer(make_client, db)
    page = browser.get(f"/rounds/{round_.id}/summary").text
    text = text_of(page)
    assert "Tripartite consensus" not in text and "Two groups agree" not in text
    findings = text_of(str(soup(page).select_one(".findings")))
    assert "No stance is the majority of two groups" in findings
    assert "Workers: Abstained (every organisation that responded abstained)" in findings
    assert (
        "4 organisations abstained. An abstention counts as a response and has its share in the "
        "tally, but it is not a stance: it never makes a group's majority, and groups that "
        "abstain do not agree with anyone."
    ) in findings
    assert "No organisation departs from its group's majority." in findings
    # abstentions are responses: every group responded, and the tally is all abstention
    responded = soup(page).select_one('[data-responded="workers"]')
    assert text_of(str(responded)) == "2 of 2 invited organisations"
    assert text_of(str(soup(page).select_one('[data-tally="abstain"]'))) == "100.0%"
    # the published record keeps its shape: no majority stance is "divided", never "abstain"
    document = browser.get(f"/rounds/{round_.id}/summary.json").json()
    assert document["convergence"] == {"kind": "divergence", "stance": None, "groups": []}
    assert {g["majority"] for g in document["groups"].values()} == {"divided"}
    assert document["groups"]["workers"]["responded"] == 2


def test_two_groups_abstaining_do_not_agree(make_client, db):
    round_, _orgs, _reps = round_with(
        db,
        {W: [Stance.ABSTAIN], G: [Stance.ABSTAIN], E: [Stance.SUPPORT]},
        status=RoundStatus.CLOSED,
    )
    page = observer(make_client, db).get(f"/rounds/{round_.id}/summary").text
    findings = text_of(str(soup(page).select_one(".findings")))
    assert "Two groups agree" not in findings
    assert "No stance is the majority of two groups" in findings
    assert "Employers: Support" in findings
    assert "Government: Abstained (every organisation that responded abstained)" in findings
    assert "2 organisations abstained." in findings


def test_no_abstention_no_note(make_client, db):
    round_, _orgs, _reps = round_with(
        db,
        {W: [Stance.SUPPORT], G: [Stance.SUPPORT], E: [Stance.OPPOSE]},
        status=RoundStatus.CLOSED,
    )
    page = observer(make_client, db).get(f"/rounds/{round_.id}/summary").text
    findings = text_of(str(soup(page).select_one(".findings")))
    assert "Two groups agree : Support (government, workers)." in findings
    assert "abstained" not in findings
