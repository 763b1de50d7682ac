"""The notifications page, its unread count (polled by htmx), and the email preference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import CurrentViewer
from app.accounts.models import User
from app.confirmations import confirm
from app.db import DbSession
from app.errors import DomainError
from app.i18n import gettext as _
from app.notifications import service
from app.web import refusal, render, see_other, url_path

router = APIRouter()


@router.get("/notifications", name="notifications.index")
def index(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    user = db.get_one(User, viewer.user_id)
    return render(
        request,
        "notifications/index.html",
        {
            "notifications": service.recent(db, viewer.user_id),
            "unread": service.unread_count(db, viewer.user_id),
            "preference": user.email_preference,
            "errors": {},
        },
    )


@router.get("/notifications/count", name="notifications.count")
def count(db: DbSession, viewer: CurrentViewer) -> Response:
    unread = service.unread_count(db, viewer.user_id)
    return HTMLResponse(
        _("Notifications (%(count)d)") % {"count": unread} if unread else _("Notifications"),
        headers={"Vary": "HX-Request"},
    )


@router.post("/notifications/read", name="notifications.read")
def read_all(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    service.mark_all_read(db, viewer.user_id)
    db.commit()
    confirm(request, _("All your notifications are marked as read."))
    return see_other(request, url_path(request, "notifications.index"))


@router.post("/notifications/preference", name="notifications.preference")
def preference(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    preference: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        service.set_preference(db, viewer.user_id, preference)
    except DomainError as error:
        errors = {"preference": error.message}

        def again() -> Response:
            context = {
                "notifications": service.recent(db, viewer.user_id),
                "unread": service.unread_count(db, viewer.user_id),
                "preference": preference,
                "errors": errors,
            }
            return render(request, "notifications/index.html", context)

        return refusal(request, db, error, again)
    db.commit()
    confirm(request, _("Your e-mail preference is saved."))
    return see_other(request, url_path(request, "notifications.index"))
