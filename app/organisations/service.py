"""Registering organisations, and the mandates each organisation gives by invitation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import rules
from app.accounts.credentials import hash_password, hash_token, new_token
from app.accounts.models import User
from app.accounts.rules import Viewer
from app.accounts.service import normalise_email
from app.audit.service import record
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden, Gone, NotFound, TooManyAttempts
from app.i18n import gettext as _
from app.organisations.models import Invitation, Mandate, Organisation
from app.recorder import Recorder
from app.text_rules import clean_line
from app.vocabulary import Group, MandateRole, PlatformRole

NAME_MAX = 200
COUNTRY_MAX = 100
EMAIL_MAX = 254


def _clean(value: str, *, field: str, label: str, max_length: int) -> str:
    """A name or a country: one line, without control characters (app.text_rules)."""
    value = clean_line(value, field)
    if not value:
        raise DomainError(_("%(label)s is required.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise DomainError(
            _("%(label)s must be at most %(count)s characters.")
            % {"label": label, "count": max_length},
            field=field,
        )
    return value


def clean_email(email: str) -> str:
    email = normalise_email(email)
    if not email:
        raise DomainError(_("Email is required."), field="email")
    if len(email) > EMAIL_MAX:
        raise DomainError(
            _("Email must be at most %(count)s characters.") % {"count": EMAIL_MAX},
            field="email",
        )
    local, _at, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email):
        raise DomainError(_("Enter an email address like name@example.org."), field="email")
    return email


def parse_group(value: str) -> Group:
    try:
        return Group(value)
    except ValueError:
        raise DomainError(_("Choose government, workers or employers."), field="group") from None


def has_active_focal_point(db: Session, organisation_id: int, now: datetime) -> bool:
    mandates = db.execute(
        select(Mandate.starts_at, Mandate.expires_at, Mandate.revoked_at).where(
            Mandate.organisation_id == organisation_id,
            Mandate.role == MandateRole.FOCAL_POINT,
            Mandate.revoked_at.is_(None),
        )
    ).all()
    return any(
        rules.mandate_is_active(m.starts_at, m.expires_at, m.revoked_at, now) for m in mandates
    )


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


def register_organisation(
    db: Session,
    actor: Viewer,
    *,
    name: str,
    group: str,
    country: str,
    focal_point_name: str,
    focal_point_email: str,
    settings: Settings,
) -> IssuedInvitation:
    """An admin registers an organisation in its group and invites its first focal point."""
    if not rules.may_administer(actor):
        raise Forbidden(_("Only an administrator can register organisations."))
    name = _clean(name, field="name", label=_("Name"), max_length=NAME_MAX)
    parsed_group = parse_group(group)
    country = _clean(country, field="country", label=_("Country"), max_length=COUNTRY_MAX)
    focal_point_name = _clean(
        focal_point_name,
        field="focal_point_name",
        label=_("Focal point's name"),
        max_length=NAME_MAX,
    )
    try:
        focal_point_email = clean_email(focal_point_email)
    except DomainError as error:
        raise DomainError(error.message, field="focal_point_email") from None
    taken = Conflict(_("An organisation with this name is already registered."), field="name")
    if db.scalar(select(exists().where(func.lower(Organisation.name) == name.lower()))):
        raise taken
    organisation = Organisation(name=name, group_name=parsed_group, country=country)
    try:
        with db.begin_nested():  # registered in another tab at the same moment
            db.add(organisation)
            db.flush()
    except IntegrityError:
        raise taken from None
    record(
        db,
        actor.user_id,
        "organisation.registered",
        "organisation",
        organisation.id,
        name=name,
        group=parsed_group.value,
        country=country,
    )
    return _issue(
        db,
        actor,
        organisation,
        focal_point_name,
        focal_point_email,
        MandateRole.FOCAL_POINT,
        None,
        settings,
    )


def invite(
    db: Session,
    actor: Viewer,
    organisation_id: int,
    *,
    name: str,
    email: str,
    role: str,
    mandate_expires_at: datetime | None,
    settings: Settings,
) -> IssuedInvitation:
    """The organisation's focal point invites a person to speak for it (or, while it has no
    focal point, an admin invites one)."""
    organisation = db.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_("No such organisation."))
    try:
        mandate_role = MandateRole(role)
    except ValueError:
        raise DomainError(_("Choose representative or focal point."), field="role") from None
    allowed = rules.may_manage_mandates(actor, organisation_id) or (
        mandate_role is MandateRole.FOCAL_POINT
        and rules.may_name_first_focal_point(
            actor, has_active_focal_point(db, organisation_id, utcnow())
        )
    )
    if not allowed:
        raise Forbidden(
            _("Only the focal point of %(organisation)s can mandate its representatives.")
            % {"organisation": organisation.name}
        )
    name = _clean(name, field="name", label=_("Name"), max_length=NAME_MAX)
    email = clean_email(email)
    if mandate_expires_at is not None and mandate_expires_at <= utcnow():
        raise DomainError(
            _("The mandate's expiry must be in the future."), field="mandate_expires_at"
        )
    return _issue(db, actor, organisation, name, email, mandate_role, mandate_expires_at, settings)


def invite_platform_user(
    db: Session, actor: Viewer, *, name: str, email: str, role: str, settings: Settings
) -> IssuedInvitation:
    """An admin invites a moderator, an observer (agency) or another admin."""
    if not rules.may_administer(actor):
        raise Forbidden(_("Only an administrator can invite moderators, observers and admins."))
    try:
        platform_role = PlatformRole(role)
    except ValueError:
        raise DomainError(_("Choose moderator, observer or admin."), field="role") from None
    name = _clean(name, field="name", label=_("Name"), max_length=NAME_MAX)
    email = clean_email(email)
    # whether the address has an account is not said here (see _issue): an account that
    # speaks for an organisation is told so by the link, once its password is given
    return _create_invitation(db, actor, None, name, email, platform_role.value, None, settings)


def _issue(
    db: Session,
    actor: Viewer,
    organisation: Organisation,
    name: str,
    email: str,
    role: MandateRole,
    mandate_expires_at: datetime | None,
    settings: Settings,
) -> IssuedInvitation:
    """The invitation, whatever the address: the inviter is told the same for an address with
    no account, an account, one holding a platform role or one speaking for another
    organisation (what accounts exist, and who speaks for whom, is not theirs to learn). The
    person invited is told, on accepting with their password, if the mandate cannot be
    theirs (``_check_still_possible``)."""
    return _create_invitation(
        db, actor, organisation, name, email, role.value, mandate_expires_at, settings
    )


def _create_invitation(
    db: Session,
    actor: Viewer,
    organisation: Organisation | None,
    name: str,
    email: str,
    role: str,
    mandate_expires_at: datetime | None,
    settings: Settings,
) -> IssuedInvitation:
    token, token_hash = new_token()
    invitation = Invitation(
        organisation_id=organisation.id if organisation else None,
        email=email,
        name=name,
        role=role,
        token_hash=token_hash,
        expires_at=utcnow() + timedelta(hours=settings.invitation_hours),
        mandate_expires_at=mandate_expires_at,
        created_by_id=actor.user_id,
    )
    db.add(invitation)
    db.flush()
    record(
        db,
        actor.user_id,
        "invitation.issued",
        "invitation",
        invitation.id,
        organisation_id=invitation.organisation_id,
        email=email,
        role=role,
    )
    return IssuedInvitation(invitation, token)


@dataclass(frozen=True)
class InvitationView:
    name: str
    email: str
    role: str
    organisation_name: str | None
    group: Group | None
    existing_account: bool


def open_invitation(
    db: Session, token: str, *, lock: bool = False
) -> tuple[Invitation, InvitationView]:
    """The invitation behind a link, if it can still be used (410 when used or expired).

    ``lock``: read it afresh and lock it until commit, so that of several browsers using the
    link at once one takes it up and the others find it used."""
    query = select(Invitation).where(Invitation.token_hash == hash_token(token))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    invitation = db.scalar(query)
    if invitation is None:
        raise NotFound(_("This invitation link is not valid. Check that you copied all of it."))
    state = rules.invitation_state(
        invitation.expires_at, invitation.accepted_at, invitation.cancelled_at, utcnow()
    )
    if state == "used":
        raise Gone(_("This invitation has already been used. Sign in with your password instead."))
    if state == "cancelled":
        raise Gone(
            _("This invitation was cancelled. Ask your organisation's focal point for a new one.")
        )
    if state == "expired":
        raise Gone(
            _("This invitation has expired. Ask your organisation's focal point for a new one.")
        )
    organisation = (
        db.get(Organisation, invitation.organisation_id) if invitation.organisation_id else None
    )
    existing = db.scalar(select(exists().where(User.email == invitation.email))) or False
    view = InvitationView(
        invitation.name,
        invitation.email,
        invitation.role,
        organisation.name if organisation else None,
        organisation.group if organisation else None,
        bool(existing),
    )
    return invitation, view


def accept_invitation(
    db: Session,
    token: str,
    *,
    name: str,
    password: str,
    settings: Settings,
    recorder: Recorder,
    address: str = "",
) -> User:
    """Take up an invitation: a new account sets its password, an existing one proves it.

    Creates the mandate (or grants the platform role). The link cannot be used again.
    """
    invitation, _view = open_invitation(db, token, lock=True)
    name = _clean(name, field="name", label=_("Your name"), max_length=NAME_MAX)
    user = db.scalar(select(User).where(User.email == invitation.email))
    if user is None:
        problem = rules.password_problem(
            password, min_length=settings.password_min_length, email=invitation.email
        )
        if problem:
            raise DomainError(problem, field="password")
        user = User(
            email=invitation.email,
            name=name,
            password_hash=hash_password(password),
            platform_role=None,
        )
        try:
            # another invitation to this address taken up at the same moment made the account
            with db.begin_nested():
                db.add(user)
                db.flush()
        except IntegrityError:
            raise Conflict(
                _(
                    "An account with this email was created a moment ago. Open the link again "
                    "and confirm with that account's password."
                ),
                field="password",
            ) from None
    else:
        # an existing account proves its password through the sign-in limiter: the link is
        # no way around the limits (nor, in the route, around a second factor)
        from app.accounts.service import authenticate

        try:
            authenticate(db, invitation.email, password, address or "unknown", settings, recorder)
        except TooManyAttempts:
            raise
        except DomainError:
            raise DomainError(
                _("That is not the password of the existing account for this email."),
                field="password",
            ) from None
    _check_still_possible(db, user, invitation)
    now = utcnow()
    invitation.accepted_at = now
    if invitation.organisation_id is None:
        user.platform_role = PlatformRole(invitation.role)
        record(
            db, user.id, "invitation.accepted", "invitation", invitation.id, role=invitation.role
        )
        return user
    mandate = Mandate(
        user_id=user.id,
        organisation_id=invitation.organisation_id,
        role=invitation.role,
        starts_at=now,
        expires_at=invitation.mandate_expires_at,
        created_by_id=invitation.created_by_id,
    )
    db.add(mandate)
    db.flush()
    invitation.mandate_id = mandate.id
    record(
        db,
        user.id,
        "mandate.created",
        "mandate",
        mandate.id,
        organisation_id=invitation.organisation_id,
        role=invitation.role,
        invitation_id=invitation.id,
    )
    return user


def revoke_mandate(db: Session, actor: Viewer, mandate_id: int, reason: str) -> Mandate:
    """The organisation withdraws a mandate; from now on it cannot speak for the organisation."""
    mandate = db.get(Mandate, mandate_id)
    if mandate is None:
        raise NotFound(_("No such mandate."))
    if not rules.may_manage_mandates(actor, mandate.organisation_id):
        raise Forbidden(_("Only the organisation's focal point can revoke its mandates."))
    if mandate.revoked_at is not None:
        raise Conflict(_("This mandate is already revoked."))
    if not reason.strip():
        raise DomainError(
            _("Say why the mandate is revoked: the reason is recorded."), field="reason"
        )
    mandate.revoked_at = utcnow()
    mandate.revoked_by_id = actor.user_id
    record(
        db,
        actor.user_id,
        "mandate.revoked",
        "mandate",
        mandate.id,
        organisation_id=mandate.organisation_id,
        reason=reason.strip()[:500],
    )
    return mandate


def cancel_invitation(db: Session, actor: Viewer, invitation_id: int) -> Invitation:
    invitation = db.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(_("No such invitation."))
    allowed = (
        rules.may_administer(actor)
        if invitation.organisation_id is None
        else rules.may_manage_mandates(actor, invitation.organisation_id)
        or rules.may_administer(actor)
    )
    if not allowed:
        raise Forbidden(_("You cannot cancel this invitation."))
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        raise Conflict(_("This invitation can no longer be cancelled."))
    invitation.cancelled_at = utcnow()
    record(db, actor.user_id, "invitation.cancelled", "invitation", invitation.id)
    return invitation


@dataclass(frozen=True)
class MandateRow:
    id: int
    user_id: int
    name: str
    email: str
    role: str
    starts_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool
    account_active: bool


def organisation_mandates(db: Session, organisation_id: int) -> list[MandateRow]:
    now = utcnow()
    rows = db.execute(
        select(
            Mandate.id,
            Mandate.user_id,
            User.name,
            User.email,
            Mandate.role,
            Mandate.starts_at,
            Mandate.expires_at,
            Mandate.revoked_at,
            User.is_active,
        )
        .join(User, User.id == Mandate.user_id)
        .where(Mandate.organisation_id == organisation_id)
        .order_by(Mandate.revoked_at.is_not(None), Mandate.starts_at.desc())
    ).all()
    return [
        MandateRow(
            r.id,
            r.user_id,
            r.name,
            r.email,
            r.role,
            r.starts_at,
            r.expires_at,
            r.revoked_at,
            r.is_active and rules.mandate_is_active(r.starts_at, r.expires_at, r.revoked_at, now),
            r.is_active,
        )
        for r in rows
    ]


def pending_invitations(db: Session, organisation_id: int | None) -> list[Invitation]:
    condition = (
        Invitation.organisation_id.is_(None)
        if organisation_id is None
        else Invitation.organisation_id == organisation_id
    )
    return list(
        db.scalars(
            select(Invitation)
            .where(
                condition,
                Invitation.accepted_at.is_(None),
                Invitation.cancelled_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def _check_still_possible(db: Session, user: User, invitation: Invitation) -> None:
    """Checked again when the link is used (the account may have changed since it was sent):
    a person speaks for one organisation, and platform roles stand outside the groups."""
    now = utcnow()
    active = [
        m
        for m in db.scalars(
            select(Mandate).where(Mandate.user_id == user.id, Mandate.revoked_at.is_(None))
        )
        if rules.mandate_is_active(m.starts_at, m.expires_at, m.revoked_at, now)
    ]
    if invitation.organisation_id is None:
        if active:
            raise Conflict(
                _(
                    "This account speaks for an organisation, so it cannot also hold a "
                    "platform role. Use another email address."
                ),
                field="password",
            )
        return
    if user.platform_role is not None:
        raise Conflict(
            _(
                "This account holds a platform role (moderator, observer or admin) and "
                "cannot also speak for an organisation."
            ),
            field="password",
        )
    for mandate in active:
        if mandate.organisation_id != invitation.organisation_id:
            other = db.get(Organisation, mandate.organisation_id)
            name = other.name if other else _("another organisation")
            raise Conflict(
                _(
                    "This account already speaks for %(organisation)s: "
                    "a person speaks for one organisation at a time."
                )
                % {"organisation": name},
                field="password",
            )
        if mandate.role == invitation.role:
            raise Conflict(_("This account already holds this mandate."), field="password")
