"""Moderators' lifecycle actions: each has a confirmation page (the form) and a POST."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.audit.service import record
from app.comments.models import Comment
from app.confirmations import confirm
from app.cycle import service as cycle_service
from app.db import DbSession, utcnow
from app.errors import DomainError, Forbidden
from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.moderation import dashboard, decision, lifecycle, service, signoff
from app.moderation.rules import (
    FlaggingClosed,
    shown_reason,
)
from app.rounds import page as round_page
from app.text_rules import parse_deadline
from app.vocabulary import Group
from app.web import datetime_format, is_htmx, refusal, render, see_other, url_path

router = APIRouter()

#: Each action's page: its title, its button and what it does (translated when shown).
ACTIONS: dict[str, Labels] = {
    "close": Labels(
        {
            "title": N_("Close the round"),
            "button": N_("Close the round now"),
            "help": N_(
                "Closing ends posting for everyone. Write the outcome: the conclusions "
                "of the round, as they will be shown under “Outcome” and published."
            ),
        }
    ),
    "outcome": Labels(
        {
            "title": N_("Revise the outcome"),
            "button": N_("Save the outcome"),
            "help": N_(
                "The round is closed and not yet published: the outcome can still be "
                "revised. Every revision is recorded."
            ),
        }
    ),
    "extend": Labels(
        {
            "title": N_("Extend the deadline"),
            "button": N_("Extend the deadline"),
            "help": N_(
                "Give the new deadline (UTC) and, if you wish, a reason; both are "
                "recorded in the audit log."
            ),
        }
    ),
    "reopen": Labels(
        {
            "title": N_("Reopen the round"),
            "button": N_("Reopen the round"),
            "help": N_(
                "Reopening lets organisations post again until the new deadline. "
                "A reason is required and recorded in the audit log."
            ),
        }
    ),
    "publish": Labels(
        {
            "title": N_("Publish the round"),
            "button": N_("Publish"),
            "help": N_(
                "Publishing makes the round's record public and final: it cannot be "
                "reopened afterwards."
            ),
        }
    ),
}


#: The actions whose page lists what matters before the decision (app.moderation.decision).
DECIDING = ("close", "publish", "reopen")


def guard(db: DbSession, viewer: Viewer, action: str, round_id: int) -> None:
    """Only moderators and admins act on rounds; a crafted attempt is refused and logged."""
    if viewer.may_moderate:
        return
    db.rollback()
    record(db, viewer.user_id, f"denied.round.{action}", "round", round_id)
    db.commit()
    raise Forbidden(_("Only moderators run the round's lifecycle."))


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
    now = utcnow()
    decided = {g: v.status for g, v in signoff.signoffs(db, round_id).items()}
    refused = getattr(round_page.controls(info, decided, now), action)
    if refused is not None and not errors:  # said before the click, not after it
        errors = {"form": refused.message}
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
            # what matters before closing or publishing: time left, silence, flags, sign-off
            "decision_context": decision.load(db, round_id) if action in DECIDING else None,
            "now": now,
            "blocked": refused is not None,
        },
        status_code=status_code,
    )


def _confirm(
    request: Request, db: DbSession, viewer: Viewer, round_id: int, action: str
) -> Response:
    if not viewer.may_moderate:
        raise Forbidden(_("Only moderators run the round's lifecycle."))
    return _page(request, db, viewer, round_id, action, {}, {})


def _act(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    action: str,
    form: dict[str, str],
    do: Callable[[], Any],
    said: Callable[[Any], str],
) -> Response:
    guard(db, viewer, action, round_id)
    try:
        done = do()
    except DomainError as error:
        errors = {error.field or "form": error.message}
        again = partial(_page, request, db, viewer, round_id, action, form, errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(request, said(done))
    return see_other(request, url_path(request, "rounds.show", round_id=round_id))


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
        lambda round_: (
            _("Round %(number)s closed. The groups can now be asked to sign off.")
            % {"number": round_.number}
        ),
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
        lambda round_: _("The outcome of round %(number)s is saved.") % {"number": round_.number},
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
            db, viewer, round_id, parse_deadline(closes_at, "closes_at", utcnow()), reason
        ),
        lambda round_: (
            _("Round %(number)s now closes on %(date)s.")
            % {"number": round_.number, "date": datetime_format(round_.closes_at)}
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
            db, viewer, round_id, parse_deadline(closes_at, "closes_at", utcnow()), reason
        ),
        lambda round_: (
            _("Round %(number)s reopened until %(date)s.")
            % {"number": round_.number, "date": datetime_format(round_.closes_at)}
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
        lambda round_: (
            _("Round %(number)s published. Its record and summary are now public.")
            % {"number": round_.number}
        ),
    )


# -- comments ------------------------------------------------------------------------------


def _back_to(request: Request, round_id: int, comment_id: int) -> Response:
    return see_other(
        request, url_path(request, "rounds.show", round_id=round_id) + f"#comment-{comment_id}"
    )


def _moderate(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    comment_id: int,
    action: str,
    do: Callable[[], Any],
    said: Callable[[Any], str],
    form: dict[str, str] | None = None,
) -> Response:
    guard(db, viewer, f"comment.{action}", round_id)
    try:
        done = do()
    except DomainError as error:
        # the moderator's form again, filled in, the refusal beside its field (no dead end)
        errors = {error.field or "form": error.message}
        again = partial(
            _moderation_page, request, db, viewer, round_id, comment_id, form or {}, errors
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(request, said(done))
    return _back_to(request, round_id, comment_id)


def _moderation_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    comment_id: int,
    form: dict[str, str],
    errors: dict[str, str],
) -> Response:
    """A comment's moderation forms on a page of their own: where a refused action comes
    back, filled in, with the refusal beside its field."""
    info = round_page.load_round(db, round_id, viewer)
    found = round_page.load_comments(db, info, viewer, Comment.id == comment_id)
    if not found:
        raise DomainError(_("There is no such comment in this round."), status_code=404)
    context = {
        "round": info,
        "comment": found[0],
        "moderation_form": form,
        "moderation_errors": errors,
    }
    return render(request, "moderation/comment.html", context)


@router.post("/rounds/{round_id}/comments/{comment_id}/hide", name="comments.hide")
def hide(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    reason_code: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    return _moderate(
        request,
        db,
        viewer,
        round_id,
        comment_id,
        "hide",
        lambda: service.hide(db, viewer, round_id, comment_id, reason_code, note),
        lambda comment: (
            _("Comment hidden (reason: %(reason)s). Its author and moderators still see it.")
            % {"reason": shown_reason(comment.moderation_reason)}
        ),
        {"action": "hide", "reason_code": reason_code, "note": note},
    )


@router.post("/rounds/{round_id}/comments/{comment_id}/restore", name="comments.restore")
def restore(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    note: Annotated[str, Form(max_length=2_000)] = "",
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _moderate(
        request,
        db,
        viewer,
        round_id,
        comment_id,
        "restore",
        lambda: service.restore(db, viewer, round_id, comment_id, note, seen),
        lambda _comment: _("Comment restored: everyone can read it again."),
        {"action": "restore", "note": note},
    )


@router.post("/rounds/{round_id}/comments/{comment_id}/approve", name="comments.approve")
def approve(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _moderate(
        request,
        db,
        viewer,
        round_id,
        comment_id,
        "approve",
        lambda: service.approve(db, viewer, round_id, comment_id, seen),
        lambda _comment: _("Comment approved: it is now public."),
    )


@router.post(
    "/rounds/{round_id}/comments/{comment_id}/dismiss-flags", name="comments.dismiss_flags"
)
def dismiss_flags(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _moderate(
        request,
        db,
        viewer,
        round_id,
        comment_id,
        "dismiss_flags",
        lambda: service.dismiss_flags(db, viewer, round_id, comment_id, seen),
        lambda _comment: _("The comment's flags are dismissed; it stays as it is."),
    )


@router.post("/rounds/{round_id}/comments/{comment_id}/lock", name="comments.lock")
def lock(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, comment_id: int
) -> Response:
    return _moderate(
        request,
        db,
        viewer,
        round_id,
        comment_id,
        "lock",
        lambda: service.set_locked(db, viewer, round_id, comment_id, True),
        lambda _comment: _("Thread locked: nobody can reply in it any more."),
    )


@router.post("/rounds/{round_id}/comments/{comment_id}/unlock", name="comments.unlock")
def unlock(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, comment_id: int
) -> Response:
    return _moderate(
        request,
        db,
        viewer,
        round_id,
        comment_id,
        "unlock",
        lambda: service.set_locked(db, viewer, round_id, comment_id, False),
        lambda _comment: _("Thread unlocked: replies are open again."),
    )


@router.post("/rounds/{round_id}/premoderation", name="rounds.premoderation")
def premoderation(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    on: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    guard(db, viewer, "premoderation", round_id)
    service.set_premoderation(db, viewer, round_id, on == "1")
    db.commit()
    if on == "1":
        confirm(request, _("Pre-moderation is on: new comments wait for a moderator's approval."))
    else:
        confirm(request, _("Pre-moderation is off: new comments are public at once."))
    return see_other(request, url_path(request, "rounds.show", round_id=round_id))


def _flag_context(db: DbSession, viewer: Viewer, round_id: int, comment_id: int) -> dict[str, Any]:
    info = round_page.load_round(db, round_id, viewer)
    found = round_page.load_comments(db, info, viewer, Comment.id == comment_id)
    if not found:
        raise DomainError(_("There is no such comment in this round."), status_code=404)
    return {"round": info, "comment": found[0], "reason": "", "errors": {}, "done": False}


@router.get("/rounds/{round_id}/comments/{comment_id}/flag", name="comments.flag_form")
def flag_form(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, comment_id: int
) -> Response:
    service.require_flaggable(db, round_id)  # closed: its record stands, no form (409)
    context = _flag_context(db, viewer, round_id, comment_id)
    return render(request, "moderation/_flag_form.html", context, page="moderation/flag.html")


@router.post("/rounds/{round_id}/comments/{comment_id}/flag", name="comments.flag")
def flag(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    try:
        service.flag(
            db, viewer, round_id, comment_id, reason, request.app.state.settings.flag_threshold
        )
    except DomainError as error:
        if isinstance(error, FlaggingClosed):
            raise  # its page says why; no form to fill in again
        errors = {"reason": error.message}

        def again() -> Response:
            context = _flag_context(db, viewer, round_id, comment_id)
            context.update(reason=reason, errors=errors)
            return render(
                request, "moderation/_flag_form.html", context, page="moderation/flag.html"
            )

        return refusal(request, db, error, again)
    db.commit()
    confirm(request, _("Comment flagged; a moderator will review it."))
    if not is_htmx(request):
        return _back_to(request, round_id, comment_id)
    context = _flag_context(db, viewer, round_id, comment_id)
    context["done"] = True
    return render(request, "moderation/_flag_form.html", context)


@router.get("/moderation", name="moderation.dashboard")
def moderation_dashboard(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    if not viewer.may_moderate:
        raise Forbidden(_("The moderation dashboard is for moderators."))
    buckets, queue = dashboard.dashboard(db)
    return render(
        request,
        "moderation/dashboard.html",
        {
            "buckets": buckets,
            "labels": dashboard.BUCKET_LABELS,
            "queue": queue,
            "groups": list(Group),
            **cycle_service.dashboard_banner(db, utcnow()),  # C144 art. 5(2) (app/cycle)
        },
    )


@router.post("/rounds/{round_id}/signoff", name="rounds.signoff")
def request_signoff(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    signoff_deadline: Annotated[str, Form(max_length=50)] = "",
    # text, not numbers: a choice that is not a person comes back beside its field (the
    # service refuses it), never as a page about the form's encoding
    spokesperson_government: Annotated[str, Form(max_length=20)] = "",
    spokesperson_workers: Annotated[str, Form(max_length=20)] = "",
    spokesperson_employers: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    guard(db, viewer, "signoff_request", round_id)
    sent = {
        Group.GOVERNMENT: spokesperson_government,
        Group.WORKERS: spokesperson_workers,
        Group.EMPLOYERS: spokesperson_employers,
    }
    chosen = {group: _person_id(value) for group, value in sent.items()}
    form = {f"spokesperson_{g.value}": v for g, v in sent.items()}
    form["signoff_deadline"] = signoff_deadline
    try:
        signoff.request(
            db,
            viewer,
            round_id,
            chosen,
            parse_deadline(signoff_deadline, "signoff_deadline", utcnow()),
        )
    except DomainError as error:
        return round_page.refused(
            request,
            db,
            viewer,
            round_id,
            error,
            signoff_error=error.message,
            signoff_request_errors={error.field: error.message} if error.field else {},
            signoff_request_form=form,
        )
    db.commit()
    confirm(request, _("Sign-off requested from the three groups' spokespersons."))
    return see_other(request, url_path(request, "rounds.show", round_id=round_id))


def _person_id(value: str) -> int | None:
    """A person chosen in a form (their id), or None for anything else."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@router.post("/rounds/{round_id}/signoff/decision", name="rounds.signoff_decision")
def decide_signoff(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    decision: Annotated[str, Form(max_length=20)] = "",
    reservation: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        decided = signoff.decide(db, viewer, round_id, decision, reservation)
    except DomainError as error:
        return round_page.refused(
            request,
            db,
            viewer,
            round_id,
            error,
            reservation_text=reservation,
            signoff_errors={error.field or "form": error.message},
        )
    db.commit()
    if decided.status == "confirmed":
        confirm(request, _("Your group's confirmation of the outcome is recorded."))
    else:
        confirm(request, _("Your group's reservation is recorded."))
    return see_other(request, url_path(request, "rounds.show", round_id=round_id) + "#outcome")
