"""Constituent organisations, the mandates they give, and the invitations that create them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, stored_vocabulary, utcnow
from app.vocabulary import Group, MandateRole, PlatformRole, sql_in

if TYPE_CHECKING:
    from app.accounts.models import User


class Organisation(Base):
    """A ministry, a trade union or an employers' organisation: exactly one group."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"group_name IN ({sql_in(Group)})", name="group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    group_name: Mapped[Group] = mapped_column(stored_vocabulary(Group, 20))
    country: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def group(self) -> Group:
        return self.group_name


class Mandate(Base):
    """The organisation's word that a person speaks for it (C144 art. 3(1))."""

    __tablename__ = "mandates"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_in(MandateRole)})", name="role"),
        CheckConstraint("expires_at IS NULL OR expires_at > starts_at", name="expiry_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[MandateRole] = mapped_column(stored_vocabulary(MandateRole, 20))
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(
        back_populates="mandates", lazy="raise", foreign_keys=[user_id]
    )
    organisation: Mapped[Organisation] = relationship(lazy="raise")


class Invitation(Base):
    """A one-time, expiring link that lets a person set a password and take up a role.

    With an organisation it creates a mandate (sent by the organisation's focal point, or by an
    admin for an organisation's first focal point); without one it grants a platform role.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_in(MandateRole)}, {sql_in(PlatformRole)})", name="role"),
        CheckConstraint(
            f"(organisation_id IS NULL) = (role IN ({sql_in(PlatformRole)}))",
            name="organisation_iff_mandate",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    mandate_expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
