"""People, their server-side sessions, sign-in attempts and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import PlatformRole, sql_in

if TYPE_CHECKING:
    from app.organisations.models import Mandate


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"platform_role IN ({sql_in(PlatformRole)})", name="platform_role"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: admin, moderator or observer; None for people who speak only through a mandate.
    platform_role: Mapped[PlatformRole | None] = mapped_column(stored_vocabulary(PlatformRole, 20))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(10))
    #: The IANA time zone times are shown in (None: UTC).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    #: "immediate" (an email per notification) or "digest" (one a day).
    email_preference: Mapped[str] = mapped_column(
        String(20), default="immediate", server_default="immediate"
    )
    digest_sent_at: Mapped[datetime | None]
    #: TOTP two-factor sign-in: the shared secret (set when enrolment starts), when enrolment
    #: was confirmed (None: not in use), and the last time step accepted (no code twice).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    mandates: Mapped[list[Mandate]] = relationship(
        back_populates="user", lazy="raise", foreign_keys="Mandate.user_id"
    )


class UserSession(Base):
    """A server-side sign-in: the cookie holds a random token, only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(300))
    #: Password accepted, second factor not yet given: the session opens no page but the
    #: two-factor step (and is replaced by a new one when the code is right).
    two_factor_pending: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="raise")


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """One sign-in attempt, kept for rate limiting across processes (state in the database)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_address_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


class ApiToken(Base):
    """A bearer token for the read-only API (agencies); only its SHA-256 is kept. ``user_id``
    is the administrator who created it (none when made with the command line)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
