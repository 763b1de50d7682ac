"""One computation feeds every output: for hypothesis-generated rounds, the summary page, the
JSON export, the CSV (recomputed from its rows), the XLSX and the API give the same figures."""

import csv
import io
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.api import tokens
from app.summaries.tally import PositionFact, tally
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance, Weighting
from tests import factories
from tests.factories import signed_in
from tests.helpers import soup

stances = st.lists(st.sampled_from(list(Stance)), max_size=4)
rounds = st.fixed_dictionaries({g: stances for g in Group})


def build(db, by_group, weighting):
    orgs = {g: [factories.organisation(db, g) for _ in by_group[g]] for g in Group}
    spare = {g: factories.organisation(db, g) for g in Group}  # invited, silent
    round_ = factories.consultation_round(
        db,
        [o for g in Group for o in orgs[g]] + list(spare.values()),
        status=RoundStatus.CLOSED,
        weighting=weighting,
    )
    for g in Group:
        for org, stance in zip(orgs[g], by_group[g], strict=True):
            author = factories.member(db, org)
            factories.position(db, round_, org, author, stance, f"{stance.value} because")
    db.commit()
    return round_


def figures_from_rows(rows, weighting):
    """The summary's figures recomputed from the CSV's rows alone."""
    facts = [
        PositionFact(Group(r["group"]), r["organisation"], Stance(r["stance"]))
        for r in rows
        if r["kind"] == "position"
    ]
    result = tally(facts, weighting)
    counts = {g.value: {s.value: result.groups[g].counts[s] for s in Stance} for g in Group}
    shares = {s.value: float(v) for s, v in result.overall.items()}
    return counts, shares, float(result.not_expressed)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(by_group=rounds, weighting=st.sampled_from(list(Weighting)))
def test_every_output_gives_the_same_figures(make_client, db, by_group, weighting):
    round_ = build(db, by_group, weighting)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    _token, plain = tokens.create(db, "consistency", None)
    db.commit()

    exported = observer.get(f"/rounds/{round_.id}/summary.json").json()
    counts = {g: exported["groups"][g]["stances"] for g in exported["groups"]}
    shares = exported["tally"]
    not_expressed = exported["not_expressed"]

    # the figures are right: the exact tally of what was generated
    expected = tally(
        [PositionFact(g, f"{g.value}{i}", s) for g in Group for i, s in enumerate(by_group[g])],
        weighting,
    )
    for s in Stance:
        assert abs(shares[s.value] - float(expected.overall[s])) < 1e-6
    assert abs(not_expressed - float(expected.not_expressed)) < 1e-6
    assert abs(sum(shares.values()) + not_expressed - 1) < 1e-6
    assert Fraction(not_expressed).limit_denominator(12) in {Fraction(k, 4) for k in range(5)} | {
        Fraction(k, 3) for k in range(4)
    }

    # the API: the same summary
    api = make_client().get(
        f"/api/v1/rounds/{round_.id}/summary", headers={"Authorization": f"Bearer {plain}"}
    )
    api_summary = api.json()
    assert {g: api_summary["groups"][g]["stances"] for g in api_summary["groups"]} == counts
    assert api_summary["tally"] == shares and api_summary["not_expressed"] == not_expressed
    assert api_summary["fingerprint"] == exported["fingerprint"]

    # the CSV: recomputed from its rows
    text = observer.get(f"/rounds/{round_.id}/summary.csv").content.decode("utf-8-sig")
    csv_counts, csv_shares, csv_not_expressed = figures_from_rows(
        list(csv.DictReader(io.StringIO(text))), weighting
    )
    assert csv_counts == counts
    assert all(abs(csv_shares[s] - shares[s]) < 1e-6 for s in shares)
    assert abs(csv_not_expressed - not_expressed) < 1e-6

    # the XLSX summary sheet
    book = load_workbook(
        io.BytesIO(observer.get(f"/rounds/{round_.id}/summary.xlsx").content), read_only=True
    )
    sheet = [row for row in book["summary"].values]
    header = next(i for i, row in enumerate(sheet) if row[0] == "Group")
    for row in sheet[header + 1 : header + 4]:  # labelled in words, the group's code last
        assert dict(zip([s.value for s in Stance], row[4:9], strict=True)) == counts[row[12]]
    tally_rows = {row[3]: row[1] for row in sheet if len(row) > 3 and row[3] in shares}
    assert all(abs(tally_rows[s] - shares[s]) < 1e-6 for s in shares)
    assert next(row[1] for row in sheet if row[0] == "Not expressed") == not_expressed
    assert next(row[1] for row in sheet if row[0] == "Fingerprint") == exported["fingerprint"]

    # the page: counts per group, and the tally as displayed (one decimal)
    page = soup(observer.get(f"/rounds/{round_.id}/summary").text)
    for g, by_stance in counts.items():
        responded = sum(by_stance.values())
        for s, n in by_stance.items():
            cell = page.select_one(f'td[data-group="{g}"][data-stance="{s}"]').get_text(strip=True)
            assert cell == (str(n) if responded else "—")
    for s, share in [*shares.items(), ("not_expressed", not_expressed)]:
        shown = page.select_one(f'td[data-tally="{s}"]').get_text(strip=True)
        assert shown == f"{share * 100:.1f}%"
    assert exported["fingerprint"] in page.get_text()
