"""The audit log told as sentences (app.audit.rules): pure, without web or database."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import i18n
from app.audit import rules

APP = Path(__file__).resolve().parents[2] / "app"
NAMES = rules.Names(
    users={1: "Elena Rossi", 2: "Kofi Mensah", 3: "Ana Pérez"},
    organisations={10: "National Union of Domestic Workers", 11: "Ministry of Labour"},
    rounds={5: "Domestic work fees"},
)
AT = datetime(2026, 12, 2, 20, 11, 5, 890693, tzinfo=UTC)
ISO_MICROSECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+")


def event(action: str, subject_type: str = "round", subject_id: int | None = 5, **details: Any):
    return rules.Event(action, "Elena Rossi", subject_type, subject_id, AT, details)


def closed_early() -> rules.Event:
    state = {"status": "open", "closes_at": "2026-12-16T12:00:00+00:00"}
    after = {"status": "closed", "closes_at": AT.isoformat()}
    return event("round.closed", before=state, after=after, early=True)


def test_an_early_close_says_who_how_early_and_the_deadline_it_had():
    told = rules.tell(closed_early(), NAMES)
    assert told.sentence == (
        "Elena Rossi closed the round “Domestic work fees” early, 13 days before its "
        "deadline of 16 Dec 2026."
    )
    changes = {c.label: (c.before, c.after) for c in told.changes}
    assert changes["Status"] == ("open", "closed")
    assert changes["Deadline"] == ("16 Dec 2026, 12:00 UTC", "02 Dec 2026, 20:11 UTC")
    assert not told.facts  # "early: True" is in the sentence, not shown again


def test_the_sentence_is_in_the_readers_language_and_time_zone():
    with i18n.speaking("fr", "Europe/Paris"):
        told = rules.tell(closed_early(), NAMES)
    assert told.sentence == (
        "Elena Rossi a clos le tour « Domestic work fees » de manière anticipée, 13 jours "
        "avant son échéance du 16 déc. 2026."
    )
    changes = {c.label: (c.before, c.after) for c in told.changes}
    assert changes["Statut"] == ("ouvert", "clos")
    assert changes["Date limite"][1] == "02 déc. 2026, 21:11 UTC+01:00"
    with i18n.speaking("fr"):
        confirmed = rules.tell(event("signoff.confirmed", group="workers"), NAMES)
    assert confirmed.sentence == (  # "de le tour" contracted, as French writes it
        "Elena Rossi a confirmé le résultat du tour « Domestic work fees » pour le groupe des "
        "travailleurs."
    )


def test_ids_are_names_and_none_and_booleans_are_words():
    told = rules.tell(
        event(
            "round.signoff_requested",
            deadline="2026-12-20T17:00:00+00:00",
            spokespersons={"government": 2, "workers": None, "employers": 3},
        ),
        NAMES,
    )
    assert told.sentence == (
        "Elena Rossi asked the groups to sign off the round “Domestic work fees” by "
        "20 Dec 2026, 17:00 UTC."
    )
    facts = {f.label: f.value for f in told.facts}
    assert facts["Spokespersons"] == "Government: Kofi Mensah; Workers: none; Employers: Ana Pérez"
    signoff = rules.tell(event("signoff.confirmed", group="workers", reservation=None), NAMES)
    assert signoff.sentence == (
        "Elena Rossi confirmed the outcome of the round “Domestic work fees” for the workers group."
    )
    assert signoff.facts == ()  # "reservation: None" is left out
    officers = rules.tell(
        event(
            "round.officers_set",
            social_partners_first=True,
            chair={"user_id": 2, "name": "Kofi Mensah", "organisation_id": 11},
            vice_chair_workers=None,
        ),
        NAMES,
    )
    facts = {f.label: f.value for f in officers.facts}
    assert facts["Chair"] == "Kofi Mensah (Ministry of Labour)"
    assert facts["Vice-chair (workers)"] == "none"
    assert facts["Social partners speak first"] == "yes"


def test_organisations_and_rounds_are_named_in_the_sentence():
    told = rules.tell(
        event("position.posted", "position", 40, round_id=5, organisation_id=10, version=2),
        NAMES,
    )
    assert told.sentence == (
        "Elena Rossi posted the position of National Union of Domestic Workers in the round "
        "“Domestic work fees”."
    )
    assert [(f.label, f.value) for f in told.facts] == [("Version", "2")]


def test_a_comments_visibility_change_reads_as_words():
    told = rules.tell(
        event(
            "comment.restored",
            "comment",
            7,
            round_id=5,
            reason="Said in error",
            before="hidden (pending)",
            after="visible",
        ),
        NAMES,
    )
    assert told.sentence == (
        "Elena Rossi showed comment 7 in the round “Domestic work fees” again."
    )
    assert told.changes == (
        rules.Change("Visibility", "hidden (was awaiting approval)", "visible"),
    )
    assert told.facts == (rules.Fact("Reason", "Said in error"),)


def test_a_revised_outcome_reads_as_text_old_and_new():
    told = rules.tell(
        event(
            "round.outcome_revised",
            before="The groups **agree**.",
            after="The groups agree:\n\n- from 2027",
            confirmations_reset=True,
        ),
        NAMES,
    )
    assert told.sentence == "Elena Rossi revised the outcome of the round “Domestic work fees”."
    assert told.changes == (
        rules.Change("Outcome", "The groups agree.", "The groups agree:\n• from 2027"),
    )
    assert told.facts == (rules.Fact("Confirmations asked again", "yes"),)


def test_an_unknown_code_is_said_plainly_with_its_code():
    told = rules.tell(event("round.teleported"), NAMES)
    assert "round.teleported" in told.sentence and "Elena Rossi" in told.sentence


def test_the_names_wanted_are_gathered_from_every_event():
    events = [
        closed_early(),
        event("position.posted", "position", 40, round_id=6, organisation_id=10),
        event("round.signoff_requested", spokespersons={"workers": 3, "employers": None}),
        event("round.officers_set", chair={"user_id": 2, "organisation_id": 11}),
    ]
    users, organisations, rounds = rules.wanted(events)
    assert users == {2, 3} and organisations == {10, 11} and rounds == {5, 6}


def recorded_actions() -> set[str]:
    """Every literal action code written with ``record(...)`` in the application."""
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "record"
                and len(node.args) >= 3
            ):
                for part in ast.walk(node.args[2]):
                    if isinstance(part, ast.Constant) and "." in str(part.value):
                        found.add(part.value)
    return found


def test_every_action_the_code_records_has_a_sentence():
    found = recorded_actions()
    assert "round.closed" in found and "account.created" in found  # the scan works
    dynamic = {  # built by the code: checked through their variants below
        "denied.round.": ["denied.round.close"],
        "round.premoderation_": ["round.premoderation_on", "round.premoderation_off"],
        "signoff.": ["signoff.confirmed", "signoff.reservation"],
    }
    missing = []
    for code in sorted(found):
        for action in dynamic.get(code, [code]):
            if rules.sentence_code(action, {}) not in rules.SENTENCES:
                missing.append(action)
    assert not missing, missing


def test_no_sentence_shows_codes_dictionaries_or_iso_times():
    samples = {
        "round.published": {
            "before": {"status": "closed", "closes_at": "2026-12-02T20:11:05.890693+00:00"},
            "after": {"status": "published", "closes_at": "2026-12-02T20:11:05.890693+00:00"},
            "signoff": {"government": "confirmed", "workers": "reservation"},
            "no_answer_by_signoff_deadline": ["employers"],
        },
        "round.scheduled": {"opens_at": "2026-12-10T08:00:00.123456+00:00"},
        "round.created": {
            "title": "Fees",
            "weighting": "1:1:1",
            "sealed": False,
            "organisations": [10, 11],
        },
    }
    for language in ("en", "fr", "es"):
        with i18n.speaking(language):
            for action, details in samples.items():
                told = rules.tell(event(action, **details), NAMES)
                text = " ".join(
                    [told.sentence]
                    + [f"{c.label} {c.before} {c.after}" for c in told.changes]
                    + [f"{f.label} {f.value}" for f in told.facts]
                )
                assert "None" not in text and "{'" not in text and "True" not in text, text
                assert not ISO_MICROSECONDS.search(text), text
                assert action not in text, text


def test_every_sentence_is_written_in_every_language_even_without_its_data():
    for language in ("en", "fr", "es"):
        with i18n.speaking(language):
            for code in rules.SENTENCES:
                for details in ({}, {"round_id": 5, "organisation_id": 10, "group": "workers"}):
                    told = rules.tell(event(code, **details), NAMES)
                    assert told.sentence and "%(" not in told.sentence, (language, code)
                    assert code not in told.sentence and "None" not in told.sentence
