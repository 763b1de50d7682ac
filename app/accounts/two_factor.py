"""Two-factor sign-in (TOTP, RFC 6238) with one-time recovery codes.

Available to everyone, required for moderators and administrators (OWASP ASVS 5.0 level 2):
they cannot open any page until they have enrolled. A code is accepted once (the last accepted
time step is kept) and failed codes count towards the sign-in rate limit.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.accounts import rules
from app.accounts.credentials import hash_token
from app.accounts.models import LoginAttempt, RecoveryCode, User, UserSession
from app.audit.service import record
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden, NotFound, TooManyAttempts
from app.i18n import gettext as _
from app.recorder import Recorder

ISSUER = "Tripartite"
STEP_SECONDS = 30
RECOVERY_CODES = 10
#: The demo's moderator and administrator share this published secret (demo data only).
DEMO_SECRET = "TRIPARTITEDEMOTOTPSECRETABCDEFGH"


def new_secret() -> str:
    return pyotp.random_base32()


def current_code(secret: str, now: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(now or utcnow())


def matching_step(secret: str, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step a six-digit code belongs to (now, or one step either side for clock
    drift), if it was not used before."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // STEP_SECONDS
    for candidate in (step, step - 1, step + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code as inline SVG (generated here from our own data)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#111111", light="#ffffff", title=_("QR code to add Tripartite to your app")
    )
    return Markup(svg)


def _normalised_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(db: Session, user_id: int) -> list[str]:
    """Ten fresh one-time codes (the old ones stop working); shown once, stored hashed."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _index in range(RECOVERY_CODES):
        # 24 base-32 characters: 120 bits (ASVS asks for at least 112 for such a secret, which
        # then needs no slow hash)
        raw = base64.b32encode(secrets.token_bytes(15)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 24, 4)))
        db.add(RecoveryCode(user_id=user_id, code_hash=hash_token(_normalised_recovery(raw))))
    return codes


def remaining_recovery_codes(db: Session, user_id: int) -> int:
    return len(
        db.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def begin_enrolment(db: Session, user: User) -> str:
    """The secret to show (kept until confirmed; a new one if none is pending)."""
    if user.totp_enabled_at is not None:
        raise Conflict(_("Two-factor sign-in is already on for this account."))
    if user.totp_secret is None:
        user.totp_secret = new_secret()
    return user.totp_secret


def confirm_enrolment(
    db: Session,
    user: User,
    code: str,
    password: str,
    settings: Settings,
    address: str,
    recorder: Recorder,
) -> list[str]:
    """Turn two-factor sign-in on once the app shows the right code and the person gives their
    password (it changes how they sign in, and ends their other sessions: a session alone,
    perhaps left open on a shared computer, is not enough); the recovery codes. A wrong
    password counts towards the sign-in limits (the recorder keeps it)."""
    from app.accounts.service import reverify_password

    if user.totp_enabled_at is not None:
        raise Conflict(_("Two-factor sign-in is already on for this account."))
    if user.totp_secret is None:
        raise DomainError(_("Start again: open the two-factor page to get a new code."))
    reverify_password(db, user, password, settings, address, "password", recorder)
    step = matching_step(user.totp_secret, code, None, utcnow())
    if step is None:
        raise DomainError(
            _(
                "That code does not match. Check that your phone's clock is right and enter the "
                "six digits your app shows now."
            ),
            field="code",
        )
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    record(db, user.id, "account.two_factor_enabled", "user", user.id)
    return new_recovery_codes(db, user.id)


def turn_off(
    db: Session, user: User, password: str, settings: Settings, address: str, recorder: Recorder
) -> None:
    from app.accounts.service import reverify_password

    role = rules.platform_role_of(user.platform_role)
    if rules.two_factor_required(role):
        raise Forbidden(_("Moderators and administrators must keep two-factor sign-in on."))
    reverify_password(db, user, password, settings, address, "password", recorder)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(db, user.id, "account.two_factor_disabled", "user", user.id)


def pending_user(db: Session, token: str) -> User | None:
    """The person whose password was accepted by this session, awaiting the second factor."""
    return db.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == hash_token(token),
            UserSession.two_factor_pending.is_(True),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
            User.is_active.is_(True),
        )
    )


def verify_second_factor(
    db: Session, user: User, code: str, address: str, settings: Settings, recorder: Recorder
) -> None:
    """Accept a current TOTP code or an unused recovery code; every failure is recorded (by
    the recorder, whatever becomes of the request) and counts towards the sign-in limits (so
    guessing codes is as slow as guessing passwords)."""
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    failures = db.scalars(
        select(LoginAttempt.attempted_at).where(
            LoginAttempt.email == user.email,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.attempted_at > now - window,
        )
    ).all()
    limits = rules.LoginLimits(
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window=window,
    )
    wait = rules.login_retry_after(list(failures), [], limits, now)
    if wait is not None:
        raise TooManyAttempts(
            _("Too many wrong codes. Please wait a few minutes and try again."), retry_after=wait
        )
    secret = user.totp_secret
    step = matching_step(secret, code, user.totp_last_step, now) if secret else None
    used_recovery = False
    if step is None:
        used_recovery = _use_recovery_code(db, user.id, code, now)
    ok = step is not None or used_recovery
    recorder.add(LoginAttempt(email=user.email, address=address, attempted_at=now, succeeded=ok))
    if not ok:
        raise DomainError(
            _(
                "That code is not right (or was already used). Enter the six digits your app "
                "shows now, or one of your recovery codes."
            ),
            field="code",
        )
    if step is not None:
        # compare-and-set: of two requests racing with the same code, one wins
        claimed = db.execute(
            update(User)
            .where(
                User.id == user.id,
                (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            raise DomainError(_("That code was just used. Wait for the next one."), field="code")
    if used_recovery:
        record(db, user.id, "account.recovery_code_used", "user", user.id)


def _use_recovery_code(db: Session, user_id: int, code: str, now: datetime) -> bool:
    digest = hash_token(_normalised_recovery(code))
    used = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(used.rowcount)  # type: ignore[attr-defined]


def user_or_404(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    return user
