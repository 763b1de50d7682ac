"""Languages and time zones, without a server: which brief a reader gets, how times are
written, and that labels follow the request's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import i18n
from app.rounds.briefs import choose
from app.rounds.rules import STANCE_LABELS
from app.vocabulary import Group, Stance

VERSIONS = {"fr": "Note en français"}


@pytest.mark.parametrize(
    ("reader", "text", "language", "in_reader_language"),
    [
        ("en", "Brief in English", "en", True),
        ("fr", "Note en français", "fr", True),
        ("es", "Brief in English", "en", False),
    ],
)
def test_the_reader_gets_the_brief_in_their_language_when_there_is_one(
    reader, text, language, in_reader_language
):
    chosen = choose(reader, "en", "Brief in English", VERSIONS)
    assert (chosen.text, chosen.language, chosen.in_reader_language) == (
        text,
        language,
        in_reader_language,
    )


def test_an_empty_version_counts_as_missing():
    assert not choose("fr", "en", "Original", {"fr": ""}).in_reader_language


WHEN = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("en", "UTC", "28 Nov 2026, 09:30 UTC"),
        ("fr", "Europe/Paris", "28 nov. 2026, 10:30 UTC+01:00"),
        ("es", "America/Bogota", "28 nov 2026, 04:30 UTC-05:00"),
        ("en", "Asia/Kolkata", "28 Nov 2026, 15:00 UTC+05:30"),
        ("en", "Not/AZone", "28 Nov 2026, 09:30 UTC"),
    ],
)
def test_times_are_written_in_the_readers_language_and_zone_and_say_which(language, zone, expected):
    with i18n.speaking(language, zone):
        assert i18n.format_datetime(WHEN) == expected
    assert i18n.current_language() == "en" and i18n.current_zone() == "UTC"  # restored


def test_naive_times_from_the_database_are_utc():
    with i18n.speaking("en", "Africa/Nairobi"):
        assert i18n.format_datetime(WHEN.replace(tzinfo=None)) == "28 Nov 2026, 12:30 UTC+03:00"


def test_the_choice_of_zones_is_utc_and_named_places():
    zones = i18n.time_zones()
    assert zones[0] == "UTC" and "Europe/Zurich" in zones and "America/Bogota" in zones
    assert not any(z.startswith("Etc/") for z in zones)
    assert i18n.is_time_zone("Asia/Manila") and not i18n.is_time_zone("Mars/Olympus")


def test_labels_follow_the_language_of_the_moment():
    assert STANCE_LABELS[Stance.OPPOSE] == "Oppose"
    with i18n.speaking("fr"):
        assert STANCE_LABELS[Stance.OPPOSE] != "Oppose"
        assert Group.WORKERS.label != "Workers"
    with i18n.speaking("es"):
        assert Group.EMPLOYERS.label != "Employers"
    assert STANCE_LABELS.english(Stance.OPPOSE) == "Oppose"


def test_percentages_follow_the_language():
    with i18n.speaking("fr"):
        assert i18n.format_percent(2 / 3) == "66,7\u00a0%" or i18n.format_percent(2 / 3).startswith(
            "66,7"
        )
    assert i18n.format_percent(2 / 3) == "66.7%"
