"""Moderators' lifecycle actions: each has a confirmation page (the form) and a POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.audit.service import record
from app.db import DbSession
from app.errors import DomainError, Forbidden
from app.moderation import lifecycle
from app.rounds import page as round_page
from app.rounds.routes import parse_deadline
from app.web import render, see_other

router = APIRouter()

ACTIONS: dict[str, dict[str, str]] = {
    "close": {
        "title": "Close the round",
        "button": "Close the round now",
        "help": "Closing ends posting for everyone. Write the outcome: the conclusions "
        "of the round, as they will be shown under “Outcome” and published.",
    },
    "outcome": {
        "title": "Revise the outcome",
        "button": "Save the outcome",
        "help": "The round is closed and not yet published: the outcome can still be "
        "revised. Every revision is recorded.",
    },
    "extend": {
        "title": "Extend the deadline",
        "button": "Extend the deadline",
        "help": "Give the new deadline (UTC) and, if you wish, a reason; both are "
        "recorded in the audit log.",
    },
    "reopen": {
        "title": "Reopen the round",
        "button": "Reopen the round",
        "help": "Reopening lets organisations post again until the new deadline. "
        "A reason is required and recorded in the audit log.",
    },
    "publish": {
        "title": "Publish the round",
        "button": "Publish",
        "help": "Publishing makes the round's record public and final: it cannot be "
        "reopened afterwards.",
    },
}


def guard(db: DbSession, viewer: Viewer, action: str, round_id: int) -> None:
    """Only moderators and admins act on rounds; a crafted attempt is refused and logged."""
    if viewer.is_moderator or viewer.is_admin:
        return
    db.rollback()
    record(db, viewer.user_id, f"denied.round.{action}", "round", round_id)
    db.commit()
    raise Forbidden("Only moderators run the round's lifecycle.")


def _page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    action: str,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    info = round_page.load_round(db, round_id, viewer)
    if not form.get("outcome") and action in ("close", "outcome"):
        form = {**form, "outcome": info.outcome or ""}
    return render(
        request,
        "moderation/action.html",
        {
            "round": info,
            "action": action,
            "labels": ACTIONS[action],
            "form": form,
            "errors": errors,
        },
        status_code=status_code,
    )


def _confirm(
    request: Request, db: DbSession, viewer: Viewer, round_id: int, action: str
) -> Response:
    if not (viewer.is_moderator or viewer.is_admin):
        raise Forbidden("Only moderators run the round's lifecycle.")
    return _page(request, db, viewer, round_id, action, {}, {})


def _act(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    action: str,
    form: dict[str, str],
    do: Callable[[], Any],
) -> Response:
    guard(db, viewer, action, round_id)
    try:
        do()
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        db.rollback()
        return _page(
            request,
            db,
            viewer,
            round_id,
            action,
            form,
            {error.field or "form": error.message},
            error.status_code,
        )
    db.commit()
    return see_other(request, str(request.url_for("rounds.show", round_id=round_id)))


def _confirmation_route(action: str) -> None:
    def show(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
        return _confirm(request, db, viewer, round_id, action)

    router.add_api_route(
        f"/rounds/{{round_id}}/{action}", show, methods=["GET"], name=f"rounds.confirm_{action}"
    )


for _action in ACTIONS:
    _confirmation_route(_action)


@router.post("/rounds/{round_id}/close", name="rounds.close")
def close(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    outcome: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    return _act(
        request,
        db,
        viewer,
        round_id,
        "close",
        {"outcome": outcome},
        lambda: lifecycle.close(db, viewer, round_id, outcome),
    )


@router.post("/rounds/{round_id}/outcome", name="rounds.outcome")
def outcome(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    outcome: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    return _act(
        request,
        db,
        viewer,
        round_id,
        "outcome",
        {"outcome": outcome},
        lambda: lifecycle.write_outcome(db, viewer, round_id, outcome),
    )


@router.post("/rounds/{round_id}/extend", name="rounds.extend")
def extend(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    closes_at: Annotated[str, Form(max_length=50)] = "",
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    form = {"closes_at": closes_at, "reason": reason}
    return _act(
        request,
        db,
        viewer,
        round_id,
        "extend",
        form,
        lambda: lifecycle.extend(
            db, viewer, round_id, parse_deadline(closes_at, "closes_at"), reason
        ),
    )


@router.post("/rounds/{round_id}/reopen", name="rounds.reopen")
def reopen(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    closes_at: Annotated[str, Form(max_length=50)] = "",
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    form = {"closes_at": closes_at, "reason": reason}
    return _act(
        request,
        db,
        viewer,
        round_id,
        "reopen",
        form,
        lambda: lifecycle.reopen(
            db, viewer, round_id, parse_deadline(closes_at, "closes_at"), reason
        ),
    )


@router.post("/rounds/{round_id}/publish", name="rounds.publish")
def publish(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
    return _act(
        request,
        db,
        viewer,
        round_id,
        "publish",
        {},
        lambda: lifecycle.publish(db, viewer, round_id),
    )
