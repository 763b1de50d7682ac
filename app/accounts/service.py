"""Sign-in, server-side sessions, password changes and deactivation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.accounts import rules
from app.accounts.credentials import hash_password, hash_token, new_token, verify_password
from app.accounts.models import LoginAttempt, User, UserSession
from app.accounts.rules import Speaking, Viewer
from app.audit.service import record
from app.config import Settings
from app.db import read, utcnow
from app.errors import DomainError, Forbidden, NotFound, TooManyAttempts
from app.i18n import gettext as _
from app.i18n import ngettext
from app.organisations.models import Mandate, Organisation
from app.recorder import Recorder
from app.text_rules import clean_line, one_line
from app.vocabulary import PlatformRole

#: A person's name, as the users table holds it.
NAME_MAX = 200


def normalise_email(email: str) -> str:
    """An email as accounts hold it: lowercase, trimmed, without line breaks, control or
    bidirectional formatting characters (no address has them)."""
    return one_line(email).lower()


def _recent_failures(
    db: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> list[datetime]:
    return list(
        db.scalars(
            select(LoginAttempt.attempted_at).where(
                column == value,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > since,
            )
        )
    )


def authenticate(
    db: Session, email: str, password: str, address: str, settings: Settings, recorder: Recorder
) -> User:
    """The user whose credentials these are; every attempt is recorded for rate limiting (by
    the recorder: a refused attempt counts although its request is rolled back)."""
    email = normalise_email(email)
    now = utcnow()
    limits = rules.LoginLimits(
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window=timedelta(seconds=settings.login_window_seconds),
    )
    since = now - limits.window
    wait = rules.login_retry_after(
        _recent_failures(db, LoginAttempt.email, email, since),
        _recent_failures(db, LoginAttempt.address, address, since),
        limits,
        now,
    )
    if wait is not None:
        minutes = max(1, round(wait / 60))
        raise TooManyAttempts(
            ngettext(
                "Too many failed sign-in attempts. Please wait about %(n)d minute and try again.",
                "Too many failed sign-in attempts. Please wait about %(n)d minutes and try again.",
                minutes,
            )
            % {"n": minutes},
            retry_after=wait,
        )
    user = db.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    recorder.add(LoginAttempt(email=email, address=address, attempted_at=now, succeeded=ok))
    if not ok or user is None:
        raise DomainError(_("The email or password is not right."), field="password")
    return user


@dataclass(frozen=True)
class NewSession:
    #: the value of the session cookie (only its hash is stored)
    cookie: str
    #: the token the session's forms carry (app/csrf.py): drawn anew with every session
    csrf_token: str


def start_session(
    db: Session,
    user: User,
    settings: Settings,
    user_agent: str = "",
    *,
    two_factor_pending: bool = False,
) -> NewSession:
    """A new server-side session (a fresh token at every sign-in). A session waiting for the
    second factor lasts ten minutes and opens no page."""
    token, token_hash = new_token()
    csrf_token = secrets.token_urlsafe(16)
    lasts = timedelta(minutes=10) if two_factor_pending else timedelta(hours=settings.session_hours)
    db.add(
        UserSession(
            token_hash=token_hash,
            user_id=user.id,
            csrf_token=csrf_token,
            expires_at=utcnow() + lasts,
            user_agent=user_agent[:300] or None,
            two_factor_pending=two_factor_pending,
        )
    )
    return NewSession(token, csrf_token)


def end_session(db: Session, token: str) -> None:
    db.execute(
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(db: Session, user_id: int) -> None:
    db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@dataclass(frozen=True)
class SignedIn:
    viewer: Viewer
    session_id: int
    #: A moderator or administrator who has not set up two-factor sign-in yet: every page
    #: but the set-up sends them there.
    must_enrol: bool = False
    #: The token the session's forms carry (app/csrf.py).
    csrf_token: str = ""


_LIVE_SESSION = (
    select(
        UserSession.id,
        UserSession.csrf_token,
        User.id.label("user_id"),
        User.name,
        User.email,
        User.platform_role,
        User.totp_enabled_at,
        Mandate.id.label("mandate_id"),
        Mandate.organisation_id,
        Mandate.role,
        Mandate.starts_at,
        Mandate.expires_at,
        Mandate.revoked_at,
        Organisation.name.label("organisation_name"),
        Organisation.group_name,
    )
    .join(User, User.id == UserSession.user_id)
    .outerjoin(Mandate, (Mandate.user_id == User.id) & Mandate.revoked_at.is_(None))
    .outerjoin(Organisation, Organisation.id == Mandate.organisation_id)
    .where(
        UserSession.token_hash == bindparam("token_hash"),
        UserSession.revoked_at.is_(None),
        UserSession.two_factor_pending.is_(False),
        UserSession.expires_at > bindparam("now", type_=UserSession.expires_at.type),
        User.is_active.is_(True),
    )
    .order_by(Mandate.starts_at, Mandate.id)
)


def viewer_for_token(db: Session, token: str) -> SignedIn | None:
    """The person behind a session cookie, if the session is live and the account active,
    with their active mandates (one query: it runs on every request)."""
    now = utcnow()
    rows = read(db, _LIVE_SESSION, {"token_hash": hash_token(token), "now": now}).all()
    return signed_in_from(rows, now)


def signed_in_from(rows: Sequence[Any], now: datetime) -> SignedIn | None:
    """The signed-in person from the rows of a live session's query (``_LIVE_SESSION``'s
    columns, by name, one row per unrevoked mandate in the order they started), or None for
    no rows. Also used by app/rounds/door.py, which reads the same columns on the event loop."""
    if not rows:
        return None
    first = rows[0]
    speaking = tuple(
        Speaking(
            row.mandate_id,
            row.organisation_id,
            row.organisation_name,
            row.group_name,
            row.role,
        )
        for row in rows
        if row.mandate_id is not None
        and rules.mandate_is_active(row.starts_at, row.expires_at, row.revoked_at, now)
    )
    role = first.platform_role
    must_enrol = rules.two_factor_required(role) and first.totp_enabled_at is None
    return SignedIn(
        Viewer(first.user_id, first.name, first.email, role, speaking),
        first.id,
        must_enrol,
        first.csrf_token,
    )


def reverify_password(
    db: Session,
    user: User,
    password: str,
    settings: Settings,
    address: str,
    field: str,
    recorder: Recorder,
) -> None:
    """A signed-in person proves their password again (changing it, turning two-factor off):
    failures count towards the same limits as sign-in, so a stolen session cannot be used to
    guess the password (the recorder keeps them, whatever becomes of the request)."""
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    wait = rules.login_retry_after(
        _recent_failures(db, LoginAttempt.email, user.email, now - window),
        [],
        rules.LoginLimits(
            per_account=settings.login_max_failures_per_account,
            per_address=settings.login_max_failures_per_address,
            window=window,
        ),
        now,
    )
    if wait is not None:
        raise TooManyAttempts(
            _("Too many wrong passwords. Please wait a few minutes and try again."),
            retry_after=wait,
        )
    ok = verify_password(user.password_hash, password)
    recorder.add(LoginAttempt(email=user.email, address=address, attempted_at=now, succeeded=ok))
    if not ok:
        raise DomainError(_("That is not your current password."), field=field)


def change_password(
    db: Session,
    user_id: int,
    current: str,
    new: str,
    settings: Settings,
    recorder: Recorder,
    address: str = "",
) -> None:
    """Change a password; every session of the account is revoked (the caller signs in anew)."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    reverify_password(
        db, user, current, settings, address or "unknown", "current_password", recorder
    )
    problem = rules.password_problem(new, min_length=settings.password_min_length, email=user.email)
    if problem:
        raise DomainError(problem, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    revoke_all_sessions(db, user.id)
    record(db, user.id, "account.password_changed", "user", user.id)


def deactivate(db: Session, actor: Viewer, user_id: int, reason: str) -> User:
    """Switch an account off (never deleted: its content stays attributed); sessions end."""
    if not rules.may_administer(actor):
        raise Forbidden(_("Only an administrator can deactivate accounts."))
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    if user.id == actor.user_id:
        raise DomainError(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise DomainError(
            _("The account of %(name)s is already deactivated.") % {"name": user.name}
        )
    user.is_active = False
    user.deactivated_at = utcnow()
    revoke_all_sessions(db, user.id)
    record(db, actor.user_id, "account.deactivated", "user", user.id, reason=reason)
    return user


def reactivate(db: Session, actor: Viewer, user_id: int) -> User:
    if not rules.may_administer(actor):
        raise Forbidden(_("Only an administrator can reactivate accounts."))
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No such account."))
    user.is_active = True
    user.deactivated_at = None
    record(db, actor.user_id, "account.reactivated", "user", user.id)
    return user


def create_platform_user(
    db: Session, email: str, name: str, password: str, role: PlatformRole, settings: Settings
) -> User:
    """An admin, moderator or observer account with a password (the CLI and the demo)."""
    email = normalise_email(email)
    if "@" not in email or any(c.isspace() for c in email):
        raise DomainError(_("Enter an email address like name@example.org."), field="email")
    name = clean_line(name, "name")
    if not name:
        raise DomainError(_("%(label)s is required.") % {"label": _("Name")}, field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            _("%(label)s must be at most %(count)s characters.")
            % {"label": _("Name"), "count": NAME_MAX},
            field="name",
        )
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(_("An account with this email already exists."), field="email")
    problem = rules.password_problem(password, min_length=settings.password_min_length, email=email)
    if problem:
        raise DomainError(problem, field="password")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        platform_role=role,
    )
    db.add(user)
    db.flush()
    record(db, None, "account.created", "user", user.id, role=role.value)
    return user
