"""Comments: post on the round or a position, reply, edit within 15 minutes."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.comments import service
from app.comments.models import Comment
from app.confirmations import confirm
from app.db import DbSession
from app.drafts.models import DraftParagraph
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.positions.models import Position
from app.positions.service import invited_organisation_ids
from app.rounds import page as round_page
from app.rounds import rules
from app.vocabulary import Visibility
from app.web import is_htmx, new_key, refusal, render, see_other, url_path

router = APIRouter()


def _comment_view(
    db: DbSession, viewer: Viewer, round_id: int, comment_id: int
) -> tuple[round_page.RoundInfo, round_page.CommentView]:
    info = round_page.load_round(db, round_id, viewer)
    found = round_page.load_comments(db, info, viewer, Comment.id == comment_id)
    if not found:
        raise NotFound(_("There is no such comment in this round."))
    return info, found[0]


def _parent_or_none(
    db: DbSession, viewer: Viewer, round_id: int, parent_id: int | None
) -> round_page.CommentView | None:
    """The comment replied to, if it is in this round (a refusal may be about exactly that)."""
    if parent_id is None:
        return None
    try:
        return _comment_view(db, viewer, round_id, parent_id)[1]
    except NotFound:
        return None


def _form_context(
    info: round_page.RoundInfo,
    *,
    parent: round_page.CommentView | None = None,
    position_id: int | None = None,
    body: str = "",
    error: str | None = None,
    form_id: str = "comment-form",
    paragraph: tuple[int, int] | None = None,
) -> dict[str, Any]:
    return {
        "round": info,
        "parent": parent,
        "position_id": position_id,
        # (id, number) of the draft paragraph commented on
        "paragraph_id": paragraph[0] if paragraph else None,
        "paragraph_number": paragraph[1] if paragraph else None,
        "comment_form": {"body": body, "key": new_key()},
        "comment_errors": {"body": error} if error else {},
        "form_id": form_id,
    }


def _refused(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    body: str,
    parent_id: int | None,
    position_id: int | None,
    form_id: str,
    error: DomainError,
    paragraph_id: int | None = None,
) -> Response:
    """The form again, filled in, with the refusal beside it: alone under htmx (app.web.refusal
    puts it in place of the form posted), else the page it was posted from."""
    info = round_page.load_round(db, round_id, viewer)
    parent = _parent_or_none(db, viewer, round_id, parent_id)
    paragraph = _paragraph(db, round_id, paragraph_id) if parent is None else None
    context = _form_context(
        info,
        parent=parent,
        position_id=position_id,
        body=body,
        error=error.message,
        form_id=form_id,
        paragraph=paragraph,
    )
    if is_htmx(request):
        return render(request, "comments/_form.html", context)
    if parent is not None:
        return render(request, "comments/reply.html", context)
    if position_id is not None and _position_in_round(db, round_id, position_id):
        context["organisation"] = _position_organisation(db, position_id)
        return render(request, "comments/position.html", context)
    if paragraph is not None:  # the round page, this paragraph's form filled in and open
        forms = {f"comment-{paragraph[0]}": {"body": body, "error": error.message}}
        full = round_page.build(request, db, viewer, round_id, draft_forms=forms)
        return render(request, "rounds/show.html", full)
    full = round_page.build(
        request,
        db,
        viewer,
        round_id,
        comment_form=context["comment_form"],
        comment_errors=context["comment_errors"],
    )
    full["comment_form"]["body"] = body
    return render(request, "rounds/show.html", full)


def _post(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    body: str,
    parent_id: int | None,
    position_id: int | None,
    key: str,
    form_id: str,
    language: str = "",
    paragraph_id: int | None = None,
) -> Response:
    try:
        comment = service.post(
            db,
            viewer,
            round_id,
            body,
            parent_id=parent_id,
            position_id=position_id,
            idempotency_key=key,
            posting_limit=request.app.state.settings.posting_limit,
            language=language,
            paragraph_id=paragraph_id,
        )
    except DomainError as error:
        on_paragraph = paragraph_id if parent_id is None else None
        again = partial(
            _refused, request, db, viewer, round_id, body, parent_id, position_id, form_id, error
        )
        return refusal(request, db, error, partial(again, on_paragraph), target=f"#{form_id}")
    db.commit()
    confirm(request, _posted_message(comment, parent_id))
    if not is_htmx(request):
        return see_other(
            request,
            url_path(request, "rounds.show", round_id=round_id) + f"#comment-{comment.id}",
        )
    info, view = _comment_view(db, viewer, round_id, comment.id)
    paragraph = _paragraph(db, round_id, paragraph_id) if parent_id is None else None
    context = _form_context(
        info, parent=None, position_id=position_id, form_id=form_id, paragraph=paragraph
    )
    # whoever just posted speaks in this round: their new comment offers Reply like the rest
    context.update({"comment": view, "fresh_form": parent_id is None, "may_reply": True})
    if parent_id is None and paragraph is None:  # a new thread of the discussion: its count
        params = _shown_params(request)
        context["thread_count"] = round_page.thread_count(db, info, viewer, params)
        context["thread_filtered"] = bool(params.group or params.organisation_id)
    return render(request, "comments/_posted.html", context)


def _shown_params(request: Request) -> round_page.DiscussionParams:
    """The discussion's filters on the page the comment was posted from (htmx says which)."""
    query = parse_qs(urlsplit(request.headers.get("HX-Current-URL", "")).query)
    return round_page.discussion_params(
        group=query.get("group", [""])[0], organisation=query.get("organisation", [""])[0]
    )


@router.post("/rounds/{round_id}/comments", name="comments.post")
def post_comment(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    body: Annotated[str, Form(max_length=20_000)] = "",
    position_id: Annotated[int | None, Form()] = None,
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    paragraph_id: Annotated[int | None, Form()] = None,
) -> Response:
    form_id = f"comment-form-position-{position_id}" if position_id else "comment-form"
    if paragraph_id:  # a comment on a paragraph of the draft text (app.drafts)
        position_id, form_id = None, f"comment-form-paragraph-{paragraph_id}"
    return _post(
        request,
        db,
        viewer,
        round_id,
        body,
        None,
        position_id,
        idempotency_key,
        form_id,
        language,
        paragraph_id or None,
    )


@router.get("/rounds/{round_id}/positions/{position_id}/comment", name="comments.position_form")
def position_comment_form(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, position_id: int
) -> Response:
    """The form for a comment on a position: inline under htmx, a page of its own without."""
    info = round_page.load_round(db, round_id, viewer)
    _may_post(db, viewer, info)
    position = db.get(Position, position_id)
    if position is None or position.round_id != round_id:
        raise NotFound(_("There is no such position in this round."))
    context = _form_context(
        info, position_id=position_id, form_id=f"comment-form-position-{position_id}"
    )
    context["organisation"] = round_page.organisation_name(db, position.organisation_id)
    context["autofocus"] = True  # asked for: the cursor goes in it, inline or on its own page
    return render(request, "comments/_form.html", context, page="comments/position.html")


@router.get("/rounds/{round_id}/comments/{comment_id}/reply", name="comments.reply_form")
def reply_form(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, comment_id: int
) -> Response:
    info, parent = _comment_view(db, viewer, round_id, comment_id)
    _may_post(db, viewer, info)
    context = _form_context(info, parent=parent, form_id=f"reply-form-{comment_id}")
    context["autofocus"] = True
    return render(request, "comments/_form.html", context, page="comments/reply.html")


@router.post("/rounds/{round_id}/comments/{comment_id}/replies", name="comments.reply")
def reply(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    body: Annotated[str, Form(max_length=20_000)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    return _post(
        request,
        db,
        viewer,
        round_id,
        body,
        comment_id,
        None,
        idempotency_key,
        f"reply-form-{comment_id}",
        language,
    )


@router.get("/rounds/{round_id}/comments/{comment_id}/edit", name="comments.edit_form")
def edit_form(
    request: Request, db: DbSession, viewer: CurrentViewer, round_id: int, comment_id: int
) -> Response:
    info, comment = _comment_view(db, viewer, round_id, comment_id)
    body = db.get_one(Comment, comment_id).body
    context = {"round": info, "comment": comment, "body": body, "errors": {}, "may_reply": True}
    if not comment.editable:
        raise DomainError(
            _(
                "Comments can be edited for 15 minutes after posting, by their "
                "author; this one can no longer be changed."
            ),
            status_code=409,
        )
    return render(request, "comments/_edit_form.html", context, page="comments/edit.html")


def _edit_again(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    comment_id: int,
    body: str,
    error: DomainError,
) -> Response:
    """The edit form again, the text as typed, the refusal beside it."""
    info, comment = _comment_view(db, viewer, round_id, comment_id)
    context = {"round": info, "comment": comment, "body": body, "errors": {"body": error.message}}
    return render(request, "comments/_edit_form.html", context, page="comments/edit.html")


@router.post("/rounds/{round_id}/comments/{comment_id}/edit", name="comments.edit")
def edit(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    comment_id: int,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        service.edit(db, viewer, round_id, comment_id, body)
    except DomainError as error:
        again = partial(_edit_again, request, db, viewer, round_id, comment_id, body, error)
        return refusal(request, db, error, again)
    db.commit()
    if db.get_one(Comment, comment_id).visibility == Visibility.PENDING:
        confirm(request, _("Your edit is saved; it will be public once a moderator approves it."))
    else:
        confirm(request, _("Your comment is updated."))
    if not is_htmx(request):
        return see_other(
            request,
            url_path(request, "rounds.show", round_id=round_id) + f"#comment-{comment_id}",
        )
    info, comment = _comment_view(db, viewer, round_id, comment_id)
    return render(
        request, "comments/_comment.html", {"round": info, "comment": comment, "may_reply": True}
    )


def _posted_message(comment: Comment, parent_id: int | None) -> str:
    if comment.visibility == Visibility.PENDING:
        return _("Your comment is sent; it will be public once a moderator approves it.")
    if parent_id is not None:
        return _("Your reply is posted.")
    return _("Your comment is posted.")


def _paragraph(db: DbSession, round_id: int, paragraph_id: int | None) -> tuple[int, int] | None:
    """(id, number) of a paragraph of this round's draft text, or None."""
    if paragraph_id is None:
        return None
    paragraph = db.get(DraftParagraph, paragraph_id)
    if paragraph is None or paragraph.round_id != round_id:
        return None
    return paragraph.id, paragraph.number


def _position_in_round(db: DbSession, round_id: int, position_id: int) -> bool:
    position = db.get(Position, position_id)
    return position is not None and position.round_id == round_id


def _position_organisation(db: DbSession, position_id: int) -> str:
    position = db.get_one(Position, position_id)
    return round_page.organisation_name(db, position.organisation_id)


def _may_post(db: DbSession, viewer: Viewer, info: round_page.RoundInfo) -> None:
    """Forms are offered only to those who may post with them (the POST checks again)."""
    rules.speaker_for(viewer, invited_organisation_ids(db, info.id), info.status)
