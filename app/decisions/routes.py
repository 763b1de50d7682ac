"""Decisions, their votes, records and divergent positions; their actions and follow-up; a
body's decisions register and its downloads."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.bodies.service import seats
from app.confirmations import confirm, isolate
from app.db import DbSession
from app.decisions import actions, page, register, service
from app.documents import service as documents
from app.documents.checks import safe_download_name
from app.documents.storage import file_store
from app.errors import DomainError, Forbidden
from app.i18n import gettext as _
from app.text_rules import small_id
from app.web import is_htmx, refusal, render, see_other, url_path

router = APIRouter()

#: What a download may do in the browser: nothing (as app/documents/routes.py's downloads).
DOWNLOAD_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"

Text = Annotated[str, Form(max_length=40_000)]
Small = Annotated[str, Form(max_length=100)]


def _decision_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    decision_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    built = page.decision_page(db, viewer, decision_id)
    return render(
        request,
        "decisions/show.html",
        {
            "view": built.view,
            "place": built.place,
            "body_viewer": built.place.viewer,
            "seats": seats(db, built.place.body.id) if built.view.may_add_action else [],
            "form": form or {},
            "errors": errors or {},
            **page.template_labels(),
        },
    )


def _decision_url(request: Request, decision_id: int, anchor: str = "") -> str:
    url = url_path(request, "decisions.show", decision_id=decision_id)
    return f"{url}#{anchor}" if anchor else url


@router.get("/decisions/{decision_id}", name="decisions.show")
def show(request: Request, db: DbSession, viewer: CurrentViewer, decision_id: int) -> Response:
    """A decision's record: its text, method, result, votes, attendance, quorum, divergent
    positions, dates and actions; and, while open, the vote."""
    return _decision_page(request, db, viewer, decision_id)


@router.post("/agenda-items/{item_id}/decision", name="decisions.open")
def open_decision(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    item_id: int,
    text: Text = "",
    method: Small = "",
    threshold: Small = "",
    effective_on: Small = "",
    review_on: Small = "",
) -> Response:
    form = {
        "text": text,
        "method": method,
        "threshold": threshold,
        "effective_on": effective_on,
        "review_on": review_on,
    }
    place = service.item_place(db, viewer, item_id)
    try:
        if not place.viewer.secretariat:
            raise Forbidden(_("Only the body's secretariat opens a decision."))
        opening = service.check_opening(text, method, threshold, effective_on, review_on)
        decision = service.open_decision(db, viewer, item_id, opening)
    except DomainError as error:
        errors = {error.field or "text": error.message}

        def again() -> Response:
            return render(
                request,
                "decisions/open.html",
                {
                    "item": place.item,
                    "meeting": place.meeting,
                    "body": place.body,
                    "form": form,
                    "errors": errors,
                },
            )

        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("A decision is open on “%(item)s”, %(method)s.")
        % {"item": isolate(place.item.title), "method": _(page.METHOD_LABELS[decision.method])},
    )
    return see_other(request, _decision_url(request, decision.id))


@router.post("/decisions/{decision_id}/votes", name="decisions.vote")
def vote(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    decision_id: int,
    vote: Small = "",
    organisation: Small = "",
) -> Response:
    org_id = small_id(organisation)
    try:
        _decision, name, chosen = service.cast_vote(db, viewer, decision_id, vote, org_id)
    except DomainError as error:
        again = partial(
            _decision_page, request, db, viewer, decision_id, errors={"vote": error.message}
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("The vote of %(organisation)s is recorded: %(vote)s.")
        % {"organisation": isolate(name), "vote": _(page.VOTE_LABELS[chosen])},
    )
    return see_other(request, _decision_url(request, decision_id, "vote"))


@router.post("/decisions/{decision_id}/record", name="decisions.record")
def record(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    decision_id: int,
    consensus: Small = "",
    casting_vote: Small = "",
) -> Response:
    form = {"consensus": consensus, "casting_vote": casting_vote}
    try:
        decision = service.record_decision(db, viewer, decision_id, consensus, casting_vote)
    except DomainError as error:
        errors = {error.field or "record": error.message}
        again = partial(_decision_page, request, db, viewer, decision_id, form=form, errors=errors)
        return refusal(request, db, error, again)
    db.commit()
    built = page.decision_page(db, viewer, decision_id)
    said = _("The decision is recorded. %(result)s.") % {"result": built.view.result}
    if decision.without_quorum:
        said += " " + _("It was taken without quorum, as the body's rules allow.")
    confirm(request, said)
    return see_other(request, _decision_url(request, decision_id))


@router.post("/decisions/{decision_id}/divergent", name="decisions.divergent")
def divergent(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    decision_id: int,
    text: Text = "",
    group: Small = "",
) -> Response:
    form = {"divergent_text": text, "divergent_group": group}
    try:
        _decision, chosen = service.write_divergent(db, viewer, decision_id, text, group)
    except DomainError as error:
        field = "divergent_text" if error.field == "text" else "divergent_group"
        again = partial(
            _decision_page,
            request,
            db,
            viewer,
            decision_id,
            form=form,
            errors={field: error.message},
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _(
            "The divergent position of the %(group)s group is recorded: it is published "
            "with the decision."
        )
        % {"group": chosen.label},
    )
    return see_other(request, _decision_url(request, decision_id, "divergent"))


# -- actions ----------------------------------------------------------------------------------


@router.post("/decisions/{decision_id}/actions", name="decisions.add_action")
def add_action(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    decision_id: int,
    what: Annotated[str, Form(max_length=2000)] = "",
    owner: Small = "",
    organisation: Small = "",
    group: Small = "",
    due_on: Small = "",
) -> Response:
    form = {
        "what": what,
        "owner": owner,
        "organisation": organisation,
        "group": group,
        "due_on": due_on,
    }
    try:
        action = actions.add_action(
            db, viewer, decision_id, what, owner, organisation, group, due_on
        )
    except DomainError as error:
        again = partial(
            _decision_page,
            request,
            db,
            viewer,
            decision_id,
            form=form,
            errors={error.field or "what": error.message},
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(request, _("The action “%(what)s” is added to the decision.") % {"what": action.what})
    return see_other(request, url_path(request, "decisions.action", action_id=action.id))


def _action_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    action_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    built = actions.action_page(db, viewer, action_id)
    return render(
        request,
        "decisions/action.html",
        {
            "page": built,
            "action": built.action,
            "form": form or {},
            "errors": errors or {},
            "max_mb": f"{request.app.state.settings.attachment_max_bytes / 1_000_000:.0f}",
            **page.template_labels(),
        },
    )


@router.get("/actions/{action_id}", name="decisions.action")
def action(request: Request, db: DbSession, viewer: CurrentViewer, action_id: int) -> Response:
    """An action: what, who, by when, its progress notes and each group's word on them."""
    return _action_page(request, db, viewer, action_id)


@router.post("/actions/{action_id}/notes", name="decisions.add_note")
def add_note(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    action_id: int,
    text: Text = "",
    status: Small = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {"text": text, "status": status}
    try:
        actions.check_report(db, viewer, action_id)
        checked = None
        if file is not None and file.filename:
            settings = request.app.state.settings
            checked = documents.store_upload(
                documents.Upload(file.file, file.filename),
                file_store(settings),
                settings.attachment_max_bytes,
            )
        found, _note = actions.add_note(db, viewer, action_id, text, status, checked)
    except DomainError as error:
        again = partial(
            _action_page,
            request,
            db,
            viewer,
            action_id,
            form=form,
            errors={error.field or "text": error.message},
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("Progress on “%(what)s” is reported: the action is now %(status)s.")
        % {"what": found.what, "status": _(actions.STATUS_LABELS[found.status])},
    )
    return see_other(request, url_path(request, "decisions.action", action_id=action_id))


@router.post("/actions/{action_id}/confirmations", name="decisions.confirm_action")
def confirm_action(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    action_id: int,
    verdict: Small = "",
    reason: Text = "",
    group: Small = "",
) -> Response:
    form = {"verdict": verdict, "reason": reason, "group": group}
    try:
        found, chosen, word = actions.give_word(db, viewer, action_id, verdict, reason, group)
    except DomainError as error:
        again = partial(
            _action_page,
            request,
            db,
            viewer,
            action_id,
            form=form,
            errors={error.field or "verdict": error.message},
        )
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("The %(group)s group's word on “%(what)s” is recorded: %(verdict)s.")
        % {
            "group": chosen.label,
            "what": found.what,
            "verdict": _(actions.VERDICT_LABELS[word]),
        },
    )
    return see_other(request, url_path(request, "decisions.action", action_id=action_id))


@router.get("/action-files/{file_id}", name="decisions.action_file")
def action_file(request: Request, db: DbSession, viewer: CurrentViewer, file_id: int) -> Response:
    """A progress note's file, with the headers of every download (app/documents/routes.py)."""
    found = actions.note_file(db, viewer, file_id)
    db.commit()
    store = file_store(request.app.state.settings)
    headers: dict[str, Any] = {
        "Content-Disposition": safe_download_name(found.file_name, found.kind),
        "Content-Length": str(found.size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "Cache-Control": "private, no-cache",
        "ETag": f'"{found.sha256}"',
    }
    return StreamingResponse(
        store.open(found.sha256), media_type=found.kind.media_type, headers=headers
    )


# -- the register -----------------------------------------------------------------------------


def _register(
    db: DbSession, viewer: Viewer, body_id: int, year: str, method: str, adopted: str, state: str
) -> register.Register:
    return register.register(
        db, viewer, body_id, register.Filters.parse(year, method, adopted, state)
    )


@router.get("/bodies/{body_id}/decisions", name="decisions.register")
def decisions_register(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    year: str = "",
    method: str = "",
    adopted: str = "",
    state: str = "",
) -> Response:
    """Every decision of the body: method, result, divergent positions, its actions' state."""
    reg = _register(db, viewer, body_id, year, method, adopted, state)
    context = {
        "register": reg,
        "states": register.STATES,
        "results": register.RESULTS,
        **page.template_labels(),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "register-rows":
        return render(request, "decisions/_register_rows.html", context)
    return render(request, "decisions/register.html", context)


def _download(reg: register.Register, ext: str) -> dict[str, str]:
    """A download's headers: an attachment, never cached (what it holds depends on who asks),
    never sniffed into another type (as app.exports.routes sends its documents)."""
    return {
        "Content-Disposition": f'attachment; filename="decisions-body-{reg.body.id}.{ext}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }


@router.get("/bodies/{body_id}/decisions.csv", name="decisions.register_csv")
def register_csv(
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    year: str = "",
    method: str = "",
    adopted: str = "",
    state: str = "",
) -> Response:
    reg = _register(db, viewer, body_id, year, method, adopted, state)
    return Response(
        register.to_csv(reg),
        media_type="text/csv; charset=utf-8",
        headers=_download(reg, "csv"),
    )


@router.get("/bodies/{body_id}/decisions.xlsx", name="decisions.register_xlsx")
def register_xlsx(
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    year: str = "",
    method: str = "",
    adopted: str = "",
    state: str = "",
) -> Response:
    reg = _register(db, viewer, body_id, year, method, adopted, state)
    return Response(
        register.to_xlsx(reg),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_download(reg, "xlsx"),
    )


@router.get("/bodies/{body_id}/decisions.pdf", name="decisions.register_pdf")
def register_pdf(
    db: DbSession,
    viewer: CurrentViewer,
    body_id: int,
    year: str = "",
    method: str = "",
    adopted: str = "",
    state: str = "",
) -> Response:
    reg = _register(db, viewer, body_id, year, method, adopted, state)
    return Response(
        register.to_pdf(reg),
        media_type="application/pdf",
        headers=_download(reg, "pdf"),
    )
