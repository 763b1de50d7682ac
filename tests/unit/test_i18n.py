"""Languages and time zones, without a server: which brief a reader gets, how times are
written, and that labels follow the request's language."""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- dates at the ends of the calendar -------------------------------------------------------

#: Every zone a person can choose, and the two furthest from UTC (UTC+14, UTC-12; the latter
#: is no place's zone, so it is set directly).
ZONES = (*i18n.time_zones(), "Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12")
EXTREMES = (
    datetime.min,
    datetime.max,
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))),
)


def date_helpers():
    """Every date-formatting helper and template filter (the app's filters whose signature
    names a datetime), each called the ways templates call it."""
    from app import web

    now = datetime(2026, 5, 1, tzinfo=UTC)
    helpers = {
        "i18n.format_datetime": lambda v: i18n.format_datetime(v),
        "i18n.format_datetime(date only)": lambda v: i18n.format_datetime(v, with_time=False),
        "i18n.zone_label": lambda v: i18n.zone_label(v if v.tzinfo else v.replace(tzinfo=UTC)),
    }
    calls = {
        web.datetime_format: {"": lambda f, v: f(v), "('%d %b %Y')": lambda f, v: f(v, "%d %b %Y")},
        web.time_left: {"(now)": lambda f, v: f(v, now), " (as now)": lambda f, v: f(now, v)},
    }
    for name, template_filter in web.templates.env.filters.items():
        module = getattr(template_filter, "__module__", "") or ""
        if not module.startswith("app.") or "datetime" not in str(
            inspect.signature(template_filter)
        ):
            continue
        assert template_filter in calls, f"a date filter this test does not call yet: |{name}"
        for suffix, call in calls[template_filter].items():
            helpers[f"|{name}{suffix}"] = lambda v, f=template_filter, c=call: c(f, v)
    return helpers


def test_the_date_helpers_found_include_the_templates_filters():
    found = date_helpers()
    assert {"|datetime", "|time_left(now)"} <= found.keys()


@contextmanager
def in_zone(language, zone):
    """Like ``i18n.speaking``, for any IANA zone (``speaking`` keeps to the ones people choose)."""
    with i18n.speaking(language):
        token = i18n._zone.set(zone)
        try:
            yield
        finally:
            i18n._zone.reset(token)


@pytest.mark.parametrize("language", sorted(i18n.LANGUAGES))
def test_extreme_dates_are_written_in_every_zone_and_language(language):
    failures = []
    helpers = date_helpers()
    for zone in ZONES:
        with in_zone(language, zone):
            for value in EXTREMES:
                for name, helper in helpers.items():
                    try:
                        written = helper(value)
                    except Exception as error:  # noqa: BLE001 - what this looks for
                        failures.append(f"{name}({value!r}) in {zone}: {error!r}")
                        continue
                    assert isinstance(written, str)
    assert not failures, "\n".join(failures[:20])


def test_the_last_minute_of_9999_east_of_utc_is_written_in_utc():
    with in_zone("en", "Pacific/Kiritimati"):
        written = i18n.format_datetime(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    assert written == "31 Dec 9999, 23:59 UTC"


@settings(max_examples=300, deadline=None)
@given(
    value=st.datetimes(
        min_value=datetime.min,
        max_value=datetime.max,
        timezones=st.one_of(
            st.none(),
            st.just(UTC),
            st.builds(
                timezone,
                st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)),
            ),
        ),
    ),
    zone=st.sampled_from(ZONES),
    language=st.sampled_from(sorted(i18n.LANGUAGES)),
)
def test_no_date_helper_ever_raises(value, zone, language):
    with in_zone(language, zone):
        for helper in date_helpers().values():
            assert isinstance(helper(value), str)
