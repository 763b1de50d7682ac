"""Admin pages (organisations, people) and an organisation's own page (its mandates)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from app.accounts import service as accounts
from app.accounts.deps import AdminViewer, CurrentViewer
from app.accounts.models import User
from app.accounts.rules import may_manage_mandates, may_name_first_focal_point
from app.config import Settings
from app.confirmations import confirm, isolate
from app.db import DbSession, utcnow
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.organisations import service
from app.organisations.models import Organisation
from app.text_rules import check_plausible_date
from app.vocabulary import Group, PlatformRole
from app.web import absolute_url, refusal, render, see_other, url_path

router = APIRouter()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _invitation_url(request: Request, token: str) -> str:
    """The link the invited person is sent: the site's configured address, never the host this
    request named."""
    return absolute_url(_settings(request), url_path(request, "invitations.show", token=token))


def _organisations_page(
    request: Request,
    db: DbSession,
    *,
    form: dict[str, str],
    errors: dict[str, str],
    issued: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    organisations = db.scalars(
        select(Organisation).order_by(Organisation.group_name, Organisation.name)
    ).all()
    return render(
        request,
        "organisations/admin_list.html",
        {
            "organisations": organisations,
            "groups": list(Group),
            "form": form,
            "errors": errors,
            "issued": issued,
        },
        status_code=status_code,
    )


EMPTY_ORGANISATION_FORM = {
    "name": "",
    "group": "",
    "country": "",
    "focal_point_name": "",
    "focal_point_email": "",
}


@router.get("/admin/organisations", name="admin.organisations")
def admin_organisations(request: Request, db: DbSession, admin: AdminViewer) -> Response:
    return _organisations_page(request, db, form=EMPTY_ORGANISATION_FORM, errors={})


@router.post("/admin/organisations")
def register_organisation(
    request: Request,
    db: DbSession,
    admin: AdminViewer,
    name: Annotated[str, Form(max_length=1000)] = "",
    group: Annotated[str, Form(max_length=50)] = "",
    country: Annotated[str, Form(max_length=1000)] = "",
    focal_point_name: Annotated[str, Form(max_length=1000)] = "",
    focal_point_email: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {
        "name": name,
        "group": group,
        "country": country,
        "focal_point_name": focal_point_name,
        "focal_point_email": focal_point_email,
    }
    try:
        issued = service.register_organisation(
            db,
            admin,
            name=name,
            group=group,
            country=country,
            focal_point_name=focal_point_name,
            focal_point_email=focal_point_email,
            settings=_settings(request),
        )
    except DomainError as error:
        errors = {error.field or "name": error.message}
        return refusal(
            request, db, error, partial(_organisations_page, request, db, form=form, errors=errors)
        )
    db.commit()
    confirm(
        request,
        _("%(organisation)s is registered. Invitation sent to %(email)s.")
        % {"organisation": isolate(name), "email": issued.invitation.email},
    )
    return _organisations_page(
        request,
        db,
        form=EMPTY_ORGANISATION_FORM,
        errors={},
        issued={
            "name": issued.invitation.name,
            "email": issued.invitation.email,
            "organisation": name,
            "url": _invitation_url(request, issued.token),
        },
        status_code=201,
    )


def _organisation_page(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    organisation_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    issued: dict[str, str] | None = None,
    revoke_error: str | None = None,
    status_code: int = 200,
) -> Response:
    organisation = db.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_("No such organisation."))
    manages = may_manage_mandates(viewer, organisation_id)
    names_focal_point = may_name_first_focal_point(
        viewer, service.has_active_focal_point(db, organisation_id, utcnow())
    )
    sees_members = manages or viewer.is_admin or viewer.speaks_for(organisation_id)
    return render(
        request,
        "organisations/show.html",
        {
            "organisation": organisation,
            "mandates": service.organisation_mandates(db, organisation_id) if sees_members else [],
            "invitations": service.pending_invitations(db, organisation_id)
            if manages or viewer.is_admin
            else [],
            "manages": manages,
            "names_focal_point": names_focal_point,
            "sees_members": sees_members,
            "form": form
            or {"name": "", "email": "", "role": "representative", "mandate_expires_at": ""},
            "errors": errors or {},
            "issued": issued,
            "revoke_error": revoke_error,
        },
        status_code=status_code,
    )


@router.get("/organisations/{organisation_id}", name="organisations.show")
def show_organisation(
    request: Request, db: DbSession, viewer: CurrentViewer, organisation_id: int
) -> Response:
    return _organisation_page(request, db, viewer, organisation_id)


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field="mandate_expires_at") from None
    return check_plausible_date(
        day.replace(hour=23, minute=59, tzinfo=UTC), utcnow(), "mandate_expires_at"
    )


@router.post("/organisations/{organisation_id}/invitations", name="organisations.invite")
def invite(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    organisation_id: int,
    name: Annotated[str, Form(max_length=1000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=50)] = "representative",
    mandate_expires_at: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    form = {"name": name, "email": email, "role": role, "mandate_expires_at": mandate_expires_at}
    try:
        issued = service.invite(
            db,
            viewer,
            organisation_id,
            name=name,
            email=email,
            role=role,
            mandate_expires_at=_parse_date(mandate_expires_at),
            settings=_settings(request),
        )
    except DomainError as error:
        errors = {error.field or "email": error.message}
        again = partial(_organisation_page, request, db, viewer, organisation_id)
        return refusal(request, db, error, partial(again, form=form, errors=errors))
    db.commit()
    confirm(request, _("Invitation sent to %(email)s.") % {"email": issued.invitation.email})
    return _organisation_page(
        request,
        db,
        viewer,
        organisation_id,
        issued={
            "name": issued.invitation.name,
            "email": issued.invitation.email,
            "url": _invitation_url(request, issued.token),
        },
        status_code=201,
    )


@router.post(
    "/organisations/{organisation_id}/mandates/{mandate_id}/revoke", name="mandates.revoke"
)
def revoke_mandate(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    organisation_id: int,
    mandate_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        mandate = service.revoke_mandate(db, viewer, mandate_id, reason)
    except DomainError as error:
        again = partial(_organisation_page, request, db, viewer, organisation_id)
        return refusal(request, db, error, partial(again, revoke_error=error.message))
    if mandate.organisation_id != organisation_id:
        raise NotFound(_("No such mandate in this organisation."))
    db.commit()
    person = db.get_one(User, mandate.user_id)
    confirm(
        request,
        _("The mandate of %(name)s is revoked: they no longer speak for the organisation.")
        % {"name": isolate(person.name)},
    )
    return see_other(
        request, url_path(request, "organisations.show", organisation_id=organisation_id)
    )


@router.post("/invitations/{invitation_id}/cancel", name="invitations.cancel")
def cancel_invitation(
    request: Request, db: DbSession, viewer: CurrentViewer, invitation_id: int
) -> Response:
    invitation = service.cancel_invitation(db, viewer, invitation_id)
    db.commit()
    confirm(
        request,
        _("The invitation to %(email)s is cancelled: its link no longer works.")
        % {"email": invitation.email},
    )
    if invitation.organisation_id is None:
        return see_other(request, url_path(request, "admin.people"))
    return see_other(
        request,
        url_path(request, "organisations.show", organisation_id=invitation.organisation_id),
    )


def _people_page(
    request: Request,
    db: DbSession,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    issued: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    people = db.scalars(select(User).order_by(User.is_active.desc(), User.name)).all()
    return render(
        request,
        "organisations/admin_people.html",
        {
            "people": people,
            "platform_roles": list(PlatformRole),
            "invitations": service.pending_invitations(db, None),
            "form": form or {"name": "", "email": "", "role": "moderator"},
            "errors": errors or {},
            "issued": issued,
        },
        status_code=status_code,
    )


@router.get("/admin/people", name="admin.people")
def admin_people(request: Request, db: DbSession, admin: AdminViewer) -> Response:
    return _people_page(request, db)


@router.post("/admin/people/invitations", name="admin.people.invite")
def invite_platform_user(
    request: Request,
    db: DbSession,
    admin: AdminViewer,
    name: Annotated[str, Form(max_length=1000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=50)] = "moderator",
) -> Response:
    form = {"name": name, "email": email, "role": role}
    try:
        issued = service.invite_platform_user(
            db, admin, name=name, email=email, role=role, settings=_settings(request)
        )
    except DomainError as error:
        errors = {error.field or "email": error.message}
        return refusal(
            request, db, error, partial(_people_page, request, db, form=form, errors=errors)
        )
    db.commit()
    confirm(request, _("Invitation sent to %(email)s.") % {"email": issued.invitation.email})
    return _people_page(
        request,
        db,
        issued={
            "name": issued.invitation.name,
            "email": issued.invitation.email,
            "url": _invitation_url(request, issued.token),
        },
        status_code=201,
    )


@router.post("/admin/people/{user_id}/deactivate", name="admin.people.deactivate")
def deactivate(
    request: Request,
    db: DbSession,
    admin: AdminViewer,
    user_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    person = accounts.deactivate(db, admin, user_id, reason)
    db.commit()
    confirm(
        request,
        _("The account of %(name)s is deactivated: they can no longer sign in.")
        % {"name": isolate(person.name)},
    )
    return see_other(request, url_path(request, "admin.people"))


@router.post("/admin/people/{user_id}/reactivate", name="admin.people.reactivate")
def reactivate(request: Request, db: DbSession, admin: AdminViewer, user_id: int) -> Response:
    person = accounts.reactivate(db, admin, user_id)
    db.commit()
    confirm(request, _("The account of %(name)s is active again.") % {"name": isolate(person.name)})
    return see_other(request, url_path(request, "admin.people"))
