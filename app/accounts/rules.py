"""Who is speaking and what they may do. Pure: plain data in, decisions out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.vocabulary import Group, MandateRole, PlatformRole


@dataclass(frozen=True)
class Speaking:
    """An active mandate: the viewer may speak for this organisation."""

    mandate_id: int
    organisation_id: int
    organisation_name: str
    group: Group
    role: MandateRole


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, with the mandates that are active right now."""

    user_id: int
    name: str
    email: str
    platform_role: PlatformRole | None
    mandates: tuple[Speaking, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.platform_role is PlatformRole.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.platform_role is PlatformRole.MODERATOR

    @property
    def is_observer(self) -> bool:
        return self.platform_role is PlatformRole.OBSERVER

    @property
    def may_moderate(self) -> bool:
        """Moderators and administrators run rounds and moderate."""
        return self.is_moderator or self.is_admin

    @property
    def may_oversee(self) -> bool:
        """Moderators, administrators and observers read the records (audit log, cycle)."""
        return self.may_moderate or self.is_observer

    @property
    def organisation(self) -> Speaking | None:
        """The organisation this person speaks for (one at a time)."""
        return self.mandates[0] if self.mandates else None

    @property
    def role(self) -> str:
        """The role shown to people: a platform role, else the strongest mandate."""
        if self.platform_role is not None:
            return self.platform_role.value
        if any(m.role is MandateRole.FOCAL_POINT for m in self.mandates):
            return MandateRole.FOCAL_POINT.value
        if self.mandates:
            return MandateRole.REPRESENTATIVE.value
        return "no_mandate"

    def speaks_for(self, organisation_id: int) -> bool:
        return any(m.organisation_id == organisation_id for m in self.mandates)

    def is_focal_point_of(self, organisation_id: int) -> bool:
        return any(
            m.organisation_id == organisation_id and m.role is MandateRole.FOCAL_POINT
            for m in self.mandates
        )


#: Roles that must sign in with a second factor (OWASP ASVS 5.0 level 2).
TWO_FACTOR_REQUIRED = frozenset({PlatformRole.MODERATOR, PlatformRole.ADMIN})


def platform_role_of(value: str | None) -> PlatformRole | None:
    return PlatformRole(value) if value else None


def two_factor_required(role: PlatformRole | None) -> bool:
    return role in TWO_FACTOR_REQUIRED


#: Role names as written in English; each lookup answers in the reader's language.
ROLE_LABELS = Labels(
    {
        "admin": N_("Administrator"),
        "moderator": N_("Moderator"),
        "observer": N_("Observer (agency)"),
        "focal_point": N_("Focal point"),
        "representative": N_("Representative"),
        "no_mandate": N_("No active mandate"),
    }
)


def may_administer(viewer: Viewer) -> bool:
    """Only administrators register organisations and manage platform accounts."""
    return viewer.is_admin


def may_manage_mandates(viewer: Viewer, organisation_id: int) -> bool:
    """An organisation chooses its own representatives (C144 art. 3(1)): its focal point does."""
    return viewer.is_focal_point_of(organisation_id)


def may_name_first_focal_point(viewer: Viewer, organisation_has_focal_point: bool) -> bool:
    """An admin names a focal point only while the organisation has none (its first, or after
    the last one left); from then on the organisation chooses for itself."""
    return viewer.is_admin and not organisation_has_focal_point


def mandate_is_active(
    starts_at: datetime, expires_at: datetime | None, revoked_at: datetime | None, now: datetime
) -> bool:
    """A revoked or expired mandate, or one not yet started, cannot speak for the organisation."""
    if revoked_at is not None and revoked_at <= now:
        return False
    if expires_at is not None and expires_at <= now:
        return False
    return starts_at <= now


def invitation_state(
    expires_at: datetime,
    accepted_at: datetime | None,
    cancelled_at: datetime | None,
    now: datetime,
) -> str:
    """``valid``, ``used``, ``cancelled`` or ``expired``: a link works once, before it expires."""
    if accepted_at is not None:
        return "used"
    if cancelled_at is not None:
        return "cancelled"
    if expires_at <= now:
        return "expired"
    return "valid"


def password_problem(password: str, *, min_length: int, email: str = "") -> str | None:
    """Why a new password is refused, or None (NIST 800-63B: length, not composition rules)."""
    if len(password) < min_length:
        return _("Use at least %(count)s characters.") % {"count": min_length}
    if len(password) > 256:
        return _("Use at most %(count)s characters.") % {"count": 256}
    if email and password.strip().lower() == email.strip().lower():
        return _("Your password cannot be your email address.")
    if len(set(password)) < 4:
        return _("This password is too easy to guess.")
    return None


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window: timedelta


def login_retry_after(
    failures_for_account: list[datetime],
    failures_from_address: list[datetime],
    limits: LoginLimits,
    now: datetime,
) -> int | None:
    """Seconds to wait before another sign-in attempt, or None when one is allowed.

    Each list holds the times of recent failed attempts (any order) for the account and from
    the address; when either reaches its limit within the window, the wait lasts until the
    oldest counted failure leaves the window.
    """
    waits = []
    for failures, limit in (
        (failures_for_account, limits.per_account),
        (failures_from_address, limits.per_address),
    ):
        recent = sorted(t for t in failures if now - t < limits.window)
        if len(recent) >= limit:
            oldest_counted = recent[-limit]
            waits.append(int((oldest_counted + limits.window - now).total_seconds()) + 1)
    return max(waits) if waits else None
