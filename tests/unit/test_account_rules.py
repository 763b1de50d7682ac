from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.rules import (
    LoginLimits,
    Speaking,
    Viewer,
    invitation_state,
    login_retry_after,
    mandate_is_active,
    may_manage_mandates,
    may_name_first_focal_point,
    password_problem,
)
from app.vocabulary import Group, MandateRole, PlatformRole

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("starts", "expires", "revoked", "active"),
    [
        (NOW - HOUR, None, None, True),
        (NOW - HOUR, NOW + HOUR, None, True),
        (NOW - HOUR, NOW - timedelta(seconds=1), None, False),  # expired
        (NOW - HOUR, NOW, None, False),  # expires at this instant
        (NOW - HOUR, None, NOW - timedelta(minutes=1), False),  # revoked
        (NOW + HOUR, None, None, False),  # not started yet
    ],
)
def test_mandate_is_active(starts, expires, revoked, active):
    assert mandate_is_active(starts, expires, revoked, NOW) is active


@pytest.mark.parametrize(
    ("expires", "accepted", "cancelled", "state"),
    [
        (NOW + HOUR, None, None, "valid"),
        (NOW - HOUR, None, None, "expired"),
        (NOW + HOUR, NOW - HOUR, None, "used"),
        (NOW - HOUR, NOW - 2 * HOUR, None, "used"),
        (NOW + HOUR, None, NOW - HOUR, "cancelled"),
    ],
)
def test_invitation_state(expires, accepted, cancelled, state):
    assert invitation_state(expires, accepted, cancelled, NOW) == state


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("short", True),
        ("a" * 12, True),  # too few distinct characters
        ("me@example.org", True),  # the email itself
        ("correct horse battery", False),
        ("x" * 300, True),
    ],
)
def test_password_problem(password, refused):
    assert (
        password_problem(password, min_length=12, email="me@example.org") is not None
    ) is refused


LIMITS = LoginLimits(per_account=3, per_address=5, window=timedelta(minutes=15))


def test_login_allowed_below_the_limit():
    failures = [NOW - timedelta(minutes=1)] * 2
    assert login_retry_after(failures, failures, LIMITS, NOW) is None


def test_login_blocked_at_the_account_limit_until_the_oldest_failure_leaves_the_window():
    failures = [NOW - timedelta(minutes=10), NOW - timedelta(minutes=5), NOW - timedelta(minutes=1)]
    wait = login_retry_after(failures, [], LIMITS, NOW)
    assert wait is not None and 290 <= wait <= 301


def test_old_failures_do_not_count():
    failures = [NOW - timedelta(minutes=20)] * 10
    assert login_retry_after(failures, failures, LIMITS, NOW) is None


def test_login_blocked_by_address_across_accounts():
    assert login_retry_after([], [NOW - timedelta(seconds=30)] * 5, LIMITS, NOW) is not None


def _speaking(org: int, role: MandateRole) -> Speaking:
    return Speaking(org, org, f"Org {org}", Group.WORKERS, role)


def test_only_an_organisations_focal_point_manages_its_mandates():
    focal = Viewer(1, "F", "f@x", None, (_speaking(7, MandateRole.FOCAL_POINT),))
    rep = Viewer(2, "R", "r@x", None, (_speaking(7, MandateRole.REPRESENTATIVE),))
    admin = Viewer(3, "A", "a@x", PlatformRole.ADMIN)
    assert may_manage_mandates(focal, 7)
    assert not may_manage_mandates(focal, 8)
    assert not may_manage_mandates(rep, 7)
    assert not may_manage_mandates(admin, 7)  # the organisation chooses, not the platform


def test_admin_names_a_focal_point_only_while_the_organisation_has_none():
    admin = Viewer(3, "A", "a@x", PlatformRole.ADMIN)
    assert may_name_first_focal_point(admin, organisation_has_focal_point=False)
    assert not may_name_first_focal_point(admin, organisation_has_focal_point=True)


@pytest.mark.parametrize(
    ("platform_role", "mandates", "role"),
    [
        (PlatformRole.MODERATOR, (), "moderator"),
        (None, (_speaking(1, MandateRole.REPRESENTATIVE),), "representative"),
        (None, (_speaking(1, MandateRole.FOCAL_POINT),), "focal_point"),
        (None, (), "no_mandate"),
    ],
)
def test_viewer_role(platform_role, mandates, role):
    assert Viewer(1, "n", "e", platform_role, mandates).role == role
