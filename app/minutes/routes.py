"""Pages and actions of a meeting's minutes (drafted, sent for comments, commented, approved,
published, corrected) and of a body's release register. Every route reaches minutes through
``service.open_minutes``: whoever may not read them is told there are none (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer, OptionalViewer
from app.accounts.rules import Viewer
from app.confirmations import confirm, isolate
from app.db import DbSession, utcnow
from app.errors import DomainError
from app.i18n import gettext as _
from app.meetings import releases
from app.minutes import page, service
from app.vocabulary import Confidentiality, Group
from app.web import refusal, render, see_other, url_path

router = APIRouter()

Text = Annotated[str, Form(max_length=40_000)]
Small = Annotated[str, Form(max_length=300)]


def _show(request: Request, minutes_id: int) -> str:
    return url_path(request, "minutes.show", minutes_id=minutes_id)


def _context(view: page.MinutesView, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "view": view,
        "minutes": view.minutes,
        "meeting": view.meeting,
        "body": view.body,
        "status_label": page.status_label(view.minutes.status),
        "levels": list(Confidentiality),
        "groups": list(Group),
        "form": view.form,
        "texts": view.texts,
        "errors": {},
        "send_form": {"comments_until": ""},
        "comment_form": {"text": "", "organisation_id": "", "agenda_item_id": ""},
        "approve_form": {"approval": ""},
        "action_error": "",
    }
    context.update(extra)
    return context


@router.get("/minutes/{minutes_id}", name="minutes.show")
def show(request: Request, db: DbSession, viewer: OptionalViewer, minutes_id: int) -> Response:
    """The minutes, item by item, what happened to them, the comments received, the versions."""
    view = page.build(db, viewer, minutes_id)
    return render(request, "minutes/page.html", _context(view))


def _refused(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    minutes_id: int,
    error: DomainError,
    **extra: Any,
) -> Response:
    def again() -> Response:
        view = page.build(db, viewer, minutes_id)
        return render(request, "minutes/page.html", _context(view, **extra))

    return refusal(request, db, error, again)


@router.post("/meetings/{meeting_id}/minutes", name="minutes.draft")
def draft(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    meeting_id: int,
    preamble: Text = "",
    item_id: Annotated[list[str] | None, Form()] = None,
    item_text: Annotated[list[str] | None, Form()] = None,
    confidentiality: Small = Confidentiality.MEMBERS.value,
    restricted_group: Small = "",
    release_at: Small = "",
    release_event: Small = "",
) -> Response:
    """Write the meeting's minutes: a first draft, or the draft (or minutes out for comments)
    edited."""
    ids = item_id or []
    texts = item_text or []
    form = service.DraftForm(
        preamble=preamble,
        confidentiality=confidentiality,
        restricted_group=restricted_group,
        release_at=release_at,
        release_event=release_event,
    )
    typed = {
        "preamble": preamble,
        "confidentiality": confidentiality,
        "restricted_group": restricted_group,
        "release_at": release_at,
        "release_event": release_event,
    }
    typed_texts: dict[int, str] = {}
    try:
        if len(ids) != len(texts):
            raise DomainError(_("Each item's text must name its item."), field="items")
        for raw, text in zip(ids, texts, strict=True):
            number = service._id(raw)
            if number is None:
                raise DomainError(_("An agenda item of another meeting was named."), field="items")
            typed_texts[number] = text
        form.texts = typed_texts
        minutes, created = service.save_draft(db, viewer, meeting_id, form, utcnow())
    except DomainError as error:
        return _draft_refused(request, db, viewer, meeting_id, error, typed, typed_texts)
    db.commit()
    if created:
        confirm(request, _("The draft minutes are saved: send them for comments when ready."))
    else:
        confirm(request, _("The minutes are saved."))
    return see_other(request, _show(request, minutes.id))


def _draft_refused(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    meeting_id: int,
    error: DomainError,
    typed: dict[str, str],
    typed_texts: dict[int, str],
) -> Response:
    errors = {error.field or "form": error.message}

    def again() -> Response:
        current = service.latest(db, meeting_id)
        if current is not None:
            view = page.build(db, viewer, current.id)
            context = _context(view, form=typed, texts=typed_texts, errors=errors)
            return render(request, "minutes/page.html", context)
        meeting, body = service._meeting(db, meeting_id)
        items = [
            page.ItemView(item.id, item.number, item.title, "")
            for item in service.agenda_items(db, meeting.id)
        ]
        context = {
            "meeting": meeting,
            "body": body,
            "items": items,
            "levels": list(Confidentiality),
            "groups": list(Group),
            "form": typed,
            "texts": typed_texts,
            "errors": errors,
        }
        return render(request, "minutes/new.html", context)

    return refusal(request, db, error, again)


def _act(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    minutes_id: int,
    action: Callable[[], Any],
    sentence: str,
    **refused: Any,
) -> Response:
    try:
        action()
    except DomainError as error:
        field = error.field or "action"
        return _refused(
            request, db, viewer, minutes_id, error, errors={field: error.message}, **refused
        )
    db.commit()
    confirm(request, sentence)
    return see_other(request, _show(request, minutes_id))


@router.post("/minutes/{minutes_id}/send", name="minutes.send")
def send(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    minutes_id: int,
    comments_until: Small = "",
) -> Response:
    return _act(
        request,
        db,
        viewer,
        minutes_id,
        lambda: service.send(db, viewer, minutes_id, comments_until, utcnow()),
        _("The draft minutes are sent to the member organisations for comments."),
        send_form={"comments_until": comments_until},
    )


@router.post("/minutes/{minutes_id}/comments", name="minutes.comment")
def comment(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    minutes_id: int,
    text: Text = "",
    organisation_id: Small = "",
    agenda_item_id: Small = "",
) -> Response:
    def act() -> None:
        _opened, row = service.comment(
            db, viewer, minutes_id, text, organisation_id, agenda_item_id, utcnow()
        )

    return _act(
        request,
        db,
        viewer,
        minutes_id,
        act,
        _("Your comment on the minutes is recorded."),
        comment_form={
            "text": text,
            "organisation_id": organisation_id,
            "agenda_item_id": agenda_item_id,
        },
    )


@router.post("/minutes/{minutes_id}/approve", name="minutes.approve")
def approve(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    minutes_id: int,
    approval: Small = "",
) -> Response:
    return _act(
        request,
        db,
        viewer,
        minutes_id,
        lambda: service.approve(db, viewer, minutes_id, approval, utcnow()),
        _("The approval of the minutes is recorded: publish them when ready."),
        approve_form={"approval": approval},
    )


@router.post("/minutes/{minutes_id}/publish", name="minutes.publish")
def publish(request: Request, db: DbSession, viewer: CurrentViewer, minutes_id: int) -> Response:
    return _act(
        request,
        db,
        viewer,
        minutes_id,
        lambda: service.publish(db, viewer, minutes_id, utcnow()),
        _("The minutes are published: they are final."),
    )


@router.post("/minutes/{minutes_id}/correct", name="minutes.correct")
def correct(request: Request, db: DbSession, viewer: CurrentViewer, minutes_id: int) -> Response:
    try:
        fresh = service.correct(db, viewer, minutes_id, utcnow())
    except DomainError as error:
        return _refused(request, db, viewer, minutes_id, error, errors={"action": error.message})
    db.commit()
    confirm(
        request,
        _("A correction is begun: version %(n)s is a draft, the published one stays.")
        % {"n": fresh.version},
    )
    return see_other(request, _show(request, fresh.id))


# -- the release register --------------------------------------------------------------------


def _register(
    request: Request, db: DbSession, viewer: Viewer, body_id: int, **extra: Any
) -> Response:
    body, body_viewer, rows = releases.register(db, viewer, body_id, utcnow())
    context: dict[str, Any] = {
        "body": body,
        "body_viewer": body_viewer,
        "rows": rows,
        "kind_labels": {k: _(v) for k, v in releases.KIND_LABELS.items()},
        "error": "",
    }
    context.update(extra)
    return render(request, "meetings/releases.html", context)


@router.get("/bodies/{body_id}/releases", name="releases.list")
def release_register(
    request: Request, db: DbSession, viewer: CurrentViewer, body_id: int
) -> Response:
    """What of the body's meetings is restricted, for whom, and when it becomes public."""
    return _register(request, db, viewer, body_id)


@router.post("/releases/{kind}/{row_id}", name="releases.mark")
def mark_released(
    request: Request, db: DbSession, viewer: CurrentViewer, kind: str, row_id: int
) -> Response:
    """The secretariat marks a release event as come: the row is public from now on."""
    now = utcnow()
    try:
        body, what = releases.mark_released(db, viewer, kind, row_id, now)
    except DomainError as error:
        message = error.message

        def again() -> Response:
            body_id = releases.body_of(db, kind, row_id)
            return _register(request, db, viewer, body_id, error=message)

        return refusal(request, db, error, again)
    db.commit()
    confirm(request, _("%(what)s is released: it is public now.") % {"what": isolate(what)})
    return see_other(request, url_path(request, "releases.list", body_id=body.id))
