"""Draft texts: the moderator's import and revision pages, and the representatives' amendments
and support (inline under htmx, plain forms with Post/Redirect/Get without JavaScript)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from app import i18n
from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.confirmations import confirm, isolate
from app.db import DbSession, utcnow
from app.drafts import page as draft_page
from app.drafts import rules, service, word
from app.drafts.models import Amendment, DraftParagraph
from app.errors import DomainError
from app.i18n import gettext as _
from app.rounds import page as round_page
from app.text_rules import parse_deadline
from app.web import datetime_format, is_htmx, refusal, render, see_other, url_path

router = APIRouter()


def percent(share: Any) -> str:
    return i18n.format_percent(float(share))


def _section(db: DbSession, viewer: Viewer, round_id: int) -> draft_page.DraftSection:
    info = round_page.load_round(db, round_id, viewer)
    organisations = round_page.invited_organisations(db, round_id)
    return draft_page.section(db, info, viewer, organisations)


def _round_url(request: Request, round_id: int) -> str:
    return url_path(request, "rounds.show", round_id=round_id)


# -- the moderator's draft text ---------------------------------------------------------------


def _edit_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    text: str | None = None,
    error: str | None = None,
    preview: list[str] | None = None,
    status_code: int = 200,
    file_error: str | None = None,
) -> Response:
    round_ = service.check_import(db, viewer, round_id)
    current = service.paragraph_texts(db, round_id)
    if text is None:
        text = "\n\n".join(current) if current else round_.brief
    return render(
        request,
        "drafts/edit.html",
        {
            "round": round_,
            "text": text,
            "error": error,
            "preview": preview,
            "labels": [rules.paragraph_label(p) for p in preview or []],
            "replacing": bool(current),
            "file_error": file_error,
            "max_file_mb": word.MAX_FILE_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/draft", name="drafts.edit")
def edit_draft(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
    """The page where a moderator pastes the round's draft text (markdown)."""
    return _edit_page(request, db, viewer, round_id)


@router.post("/rounds/{round_id}/draft", name="drafts.save")
def save_draft(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    text: Annotated[str, Form(max_length=rules.DRAFT_MAX * 2)] = "",
    preview: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if preview:
        try:
            paragraphs = rules.check_draft(text)
        except DomainError as error:
            return _edit_page(request, db, viewer, round_id, text, error.message, None, 422)
        return _edit_page(request, db, viewer, round_id, text, None, paragraphs)
    try:
        imported = service.import_draft(db, viewer, round_id, text)
    except DomainError as error:
        again = partial(_edit_page, request, db, viewer, round_id, text, error.message)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        i18n.ngettext(
            "The draft text is saved: %(num)d numbered paragraph.",
            "The draft text is saved: %(num)d numbered paragraphs.",
            len(imported),
        )
        % {"num": len(imported)},
    )
    return see_other(request, _round_url(request, round_id) + "#draft")


@router.post("/rounds/{round_id}/draft/import", name="drafts.import_file")
def import_file(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A Word or OpenDocument file converted to the draft text and shown as the preview is:
    the text in the box, its numbered paragraphs below; nothing is saved until Save."""
    service.check_import(db, viewer, round_id)
    # checked as every upload (app/documents/checks.py) inside word.convert
    try:
        text = word.convert(file.file if file is not None and file.filename else b"")
    except DomainError as error:
        return _edit_page(request, db, viewer, round_id, status_code=422, file_error=error.message)
    try:
        paragraphs = rules.check_draft(text)
    except DomainError as error:
        return _edit_page(request, db, viewer, round_id, text, error.message, None, 422)
    name = isolate(file.filename if file is not None else "")
    confirm(
        request,
        i18n.ngettext(
            "%(file)s was converted into %(num)d numbered paragraph. Check it, then save: "
            "nothing is saved yet.",
            "%(file)s was converted into %(num)d numbered paragraphs. Check them, then save: "
            "nothing is saved yet.",
            len(paragraphs),
        )
        % {"file": name, "num": len(paragraphs)},
    )
    return _edit_page(request, db, viewer, round_id, text, None, paragraphs)


# -- amendments and support -------------------------------------------------------------------


def _paragraph_region(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    paragraph_id: int,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A paragraph's live region (amendments, support, voices), for htmx."""
    draft = _section(db, viewer, round_id)
    paragraph = draft.paragraph(paragraph_id)
    context = {"round": draft.round, "draft": draft, "p": paragraph, "percent": percent, **extra}
    return render(request, "drafts/_paragraph_region.html", context, status_code=status_code)


@router.post("/rounds/{round_id}/paragraphs/{paragraph_id}/amendments", name="drafts.propose")
def propose(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    paragraph_id: int,
    text: Annotated[str, Form(max_length=rules.AMENDMENT_MAX * 2)] = "",
    reason: Annotated[str, Form(max_length=rules.REASON_MAX * 2)] = "",
) -> Response:
    try:
        amendment = service.propose(db, viewer, round_id, paragraph_id, text, reason)
    except DomainError as error:
        form = {"text": text, "reason": reason, "errors": {error.field or "form": error.message}}
        again = partial(_refused, request, db, viewer, round_id, paragraph_id, amendment=form)
        return refusal(request, db, error, again, target=f"#amendment-form-{paragraph_id}")
    db.commit()
    label = draft_page.amendment_label(db, amendment.id)
    confirm(request, _("Amendment %(label)s proposed.") % {"label": label})
    if not is_htmx(request):
        number = db.get_one(DraftParagraph, amendment.paragraph_id).number
        return see_other(request, _round_url(request, round_id) + f"#paragraph-{number}")
    # the paragraph's amendments, and its form emptied for the next one
    return _paragraph_region(request, db, viewer, round_id, paragraph_id, fresh_form=True)


@router.post("/rounds/{round_id}/amendments/{amendment_id}/support", name="drafts.support")
def support(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, amendment_id: int
) -> Response:
    try:
        amendment = service.support(db, viewer, round_id, amendment_id)
    except DomainError as error:
        support = {amendment_id: error.message}

        def again() -> Response:
            paragraph_id = db.get_one(Amendment, amendment_id).paragraph_id
            return _refused(request, db, viewer, round_id, paragraph_id, support=support)

        return refusal(request, db, error, again)
    db.commit()
    label = draft_page.amendment_label(db, amendment.id)
    confirm(request, _("Your organisation supports amendment %(label)s.") % {"label": label})
    if not is_htmx(request):
        number = db.get_one(DraftParagraph, amendment.paragraph_id).number
        return see_other(request, _round_url(request, round_id) + f"#paragraph-{number}")
    return _paragraph_region(request, db, viewer, round_id, amendment.paragraph_id)


def _refused(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    paragraph_id: int,
    *,
    amendment: dict[str, Any] | None = None,
    support: dict[int, str] | None = None,
) -> Response:
    """The refusal next to what was refused: the form filled in (or the amendment's support
    button) under htmx; the round page, the same form filled in and open, without."""
    if is_htmx(request):
        if amendment is not None:
            draft = _section(db, viewer, round_id)
            context: dict[str, Any] = {
                "round": draft.round,
                "p": draft.paragraph(paragraph_id),
                "form": amendment,
            }
            return render(request, "drafts/_amendment_form.html", context)
        return _paragraph_region(
            request, db, viewer, round_id, paragraph_id, support_errors=support
        )
    forms: dict[str, Any] = {}
    if amendment is not None:
        forms[f"amendment-{paragraph_id}"] = amendment
    context = round_page.build(request, db, viewer, round_id, draft_forms=forms)
    context["support_errors"] = support or {}
    return render(request, "rounds/show.html", context)


# -- a revised draft as the next round --------------------------------------------------------


def _revise_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    previous = service.check_revision(db, viewer, round_id)
    draft = _section(db, viewer, round_id)
    texts = service.previous_texts(db, previous)
    if form is None:
        closes = datetime.now(UTC) + timedelta(days=14)
        form = {
            "title": previous.title,
            "brief": previous.brief,
            "closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
            "paragraphs": [*texts, ""],
        }
    boxes = list(form["paragraphs"]) + [""] * (len(texts) + 1 - len(form["paragraphs"]))
    by_number = {p.number: p for p in draft.paragraphs}
    rows = [
        {
            "number": n,
            "original": texts[n - 1] if n <= len(texts) else None,
            "text": boxes[n - 1],
            "paragraph": by_number.get(n),
        }
        for n in range(1, len(boxes) + 1)
    ]
    return render(
        request,
        "drafts/revise.html",
        {
            "round": draft.round,
            "form": form,
            "rows": rows,
            "errors": errors or {},
            "percent": percent,
            "draft": draft,
            "next_number": service.next_number(db, previous.consultation_id),
        },
        status_code=status_code,
    )


@router.get("/rounds/{round_id}/revise", name="drafts.revise_form")
def revise_form(request: Request, db: DbSession, viewer: CurrentViewer, round_id: int) -> Response:
    """The revised draft, prefilled from the closed round's paragraphs."""
    return _revise_page(request, db, viewer, round_id)


@router.post("/rounds/{round_id}/revise", name="drafts.revise")
def revise(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    title: Annotated[str, Form(max_length=1000)] = "",
    brief: Annotated[str, Form(max_length=40_000)] = "",
    closes_at: Annotated[str, Form(max_length=50)] = "",
    paragraphs: Annotated[list[str], Form()] = [],  # noqa: B006
    apply: Annotated[int | None, Form()] = None,
) -> Response:
    """Publish the revised draft as the next round; or, with ``apply``, put an amendment's
    text in its paragraph's box and show the form again (nothing is saved)."""
    form = {"title": title, "brief": brief, "closes_at": closes_at, "paragraphs": paragraphs}
    if apply is not None:
        return _revise_page(request, db, viewer, round_id, _applied(db, round_id, form, apply))
    try:
        revision = service.Revision(
            title, brief, parse_deadline(closes_at, "closes_at", utcnow()), tuple(paragraphs)
        )
        round_ = service.publish_revision(db, viewer, round_id, revision)
    except DomainError as error:
        errors = {error.field or "paragraphs": error.message}
        again = partial(_revise_page, request, db, viewer, round_id, form, errors)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _(
            "The revised draft is ready as round %(number)s, closing %(date)s. It is a draft "
            "until you open it."
        )
        % {"number": round_.number, "date": datetime_format(round_.closes_at)},
    )
    return see_other(request, _round_url(request, round_.id) + "#draft")


def _applied(
    db: DbSession, round_id: int, form: dict[str, Any], amendment_id: int
) -> dict[str, Any]:
    """The form with an amendment's text in the box of the paragraph it amends."""
    amendment = db.get(Amendment, amendment_id)
    if amendment is None or amendment.round_id != round_id:
        return form
    number = db.get_one(DraftParagraph, amendment.paragraph_id).number
    boxes = list(form["paragraphs"])
    boxes += [""] * (number - len(boxes))
    boxes[number - 1] = amendment.text
    return {**form, "paragraphs": boxes, "applied": amendment_id}
