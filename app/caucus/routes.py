"""Pages and actions of app.caucus (see the package's docstring): a group's caucus page, its
messages (posted, and polled by htmx), the moderators' invitation, and the group statement.

Every route enters the caucus through ``service.enter``: whoever may not is told there is no
such page (404), whatever they ask for."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.caucus import service, statements
from app.confirmations import confirm
from app.db import DbSession
from app.errors import DomainError
from app.i18n import gettext as _
from app.web import is_htmx, refusal, render, see_other, url_path

router = APIRouter()
#: The round page's caucus links and group statements (templates/caucus/_on_round.html), and

Text = Annotated[str, Form(max_length=40_000)]
Small = Annotated[str, Form(max_length=100)]


def _id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _base(request: Request, round_id: int, group: str) -> str:
    return url_path(request, "caucus.show", round_id=round_id, group=group)


def _context(
    request: Request,
    db: DbSession,
    caucus: service.Caucus,
    upto: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What the caucus page and its partials show (a fixed number of queries). With ``upto``
    (a search result's message older than the newest shown): the messages up to it."""
    draft, published = statements.statements(db, caucus)
    if upto is not None and not service.older_window(db, caucus, upto):
        upto = None  # among the newest: the page as usual
    messages, more = service.posts(db, caucus, upto=upto)
    context: dict[str, Any] = {
        "caucus": caucus,
        "round": caucus.round,
        "base": _base(request, caucus.round.id, caucus.group.value),
        "draft": draft,
        "published": published,
        "messages": messages,
        "more_messages": more,
        "upto": upto,
        "after": messages[-1].id if messages else 0,
        "post_form": {"body": ""},
        "post_errors": {},
        "statement_form": {"text": draft.text if draft else "", "seen": ""},
        "statement_errors": {},
    }
    if draft is not None:
        context["statement_form"]["seen"] = draft.fingerprint
    context.update(extra)
    return context


@router.get("/rounds/{round_id}/caucus/{group}", name="caucus.show")
def show(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    upto: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """The caucus; ``upto`` (a search result's link) shows the messages up to that one."""
    caucus = service.enter(db, viewer, round_id, group)
    return render(request, "caucus/show.html", _context(request, db, caucus, upto))


@router.get("/rounds/{round_id}/caucus/{group}/posts", name="caucus.poll")
def poll(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    after: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
) -> Response:
    """Polled by the caucus page: 204 while nobody else wrote, else their new messages."""
    caucus = service.enter(db, viewer, round_id, group)
    if not is_htmx(request):
        return see_other(request, _base(request, round_id, group))
    fresh, _more = service.posts(db, caucus, after=after)
    others = [m for m in fresh if m.author_id != viewer.user_id]
    if not others:
        return Response(status_code=204)
    context = {
        "caucus": caucus,
        "round": caucus.round,
        "base": _base(request, round_id, group),
        "messages": others,
        "after": max(after, fresh[-1].id),
    }
    return render(request, "caucus/_live.html", context)


def _refused(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    group: str,
    error: DomainError,
    partial: str,
    retarget: str,
    **extra: Any,
) -> Response:
    """The form again, with what was typed and the refusal beside it: the partial under htmx,
    the whole caucus page without JavaScript (app.web.refusal)."""

    def again() -> Response:
        caucus = service.enter(db, viewer, round_id, group)
        context = _context(request, db, caucus, **extra)
        return render(request, partial, context, page="caucus/show.html")

    return refusal(request, db, error, again, target=retarget)


@router.post("/rounds/{round_id}/caucus/{group}/posts", name="caucus.post")
def post(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    body: Text = "",
) -> Response:
    try:
        message = service.post(
            db,
            viewer,
            round_id,
            group,
            body,
            posting_limit=request.app.state.settings.posting_limit,
        )
    except DomainError as error:
        errors = {"body": error.message}
        return _refused(
            request,
            db,
            viewer,
            round_id,
            group,
            error,
            "caucus/_post_form.html",
            "#caucus-post-form",
            post_form={"body": body},
            post_errors=errors,
        )
    db.commit()
    confirm(request, _("Your message is posted to the caucus."))
    base = _base(request, round_id, group)
    if not is_htmx(request):
        return see_other(request, f"{base}#caucus-post-{message.id}")
    caucus = service.enter(db, viewer, round_id, group)
    mine, _more = service.posts(db, caucus, after=message.id - 1)
    context = {
        "caucus": caucus,
        "round": caucus.round,
        "base": base,
        "message": next(m for m in mine if m.id == message.id),
        "post_form": {"body": ""},
        "post_errors": {},
    }
    return render(request, "caucus/_posted.html", context)


@router.post("/rounds/{round_id}/caucus/{group}/moderators", name="caucus.moderators")
def moderators(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    invite: Small = "",
) -> Response:
    """Let the round's moderators read the caucus (``invite=1``), or stop letting them."""
    service.set_moderators_invited(db, viewer, round_id, group, invite == "1")
    db.commit()
    if invite == "1":
        confirm(request, _("The round's moderators can now read this caucus."))
    else:
        confirm(request, _("The round's moderators no longer read this caucus."))
    return see_other(request, _base(request, round_id, group) + "#caucus-access")


def _statement_done(
    request: Request, db: DbSession, viewer: Viewer, round_id: int, group: str, announce: str
) -> Response:
    """After a statement action: the statement's section under htmx, else the page again."""
    confirm(request, announce)
    if not is_htmx(request):
        return see_other(request, _base(request, round_id, group) + "#group-statement")
    caucus = service.enter(db, viewer, round_id, group)
    context = _context(request, db, caucus, announce=announce)
    return render(request, "caucus/_statement.html", context)


def _statement_refused(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    group: str,
    error: DomainError,
    text: str | None = None,
) -> Response:
    extra: dict[str, Any] = {"statement_errors": {error.field or "form": error.message}}
    if text is not None:
        extra["typed_text"] = text
    return _refused(
        request,
        db,
        viewer,
        round_id,
        group,
        error,
        "caucus/_statement.html",
        "#group-statement",
        **extra,
    )


@router.post("/rounds/{round_id}/caucus/{group}/statement", name="caucus.statement")
def save_statement(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    text: Text = "",
    statement_id: Small = "",
    seen: Small = "",
) -> Response:
    """Start the group's draft statement, or revise it."""
    try:
        statements.save_statement(db, viewer, round_id, group, _id(statement_id), text, seen)
    except DomainError as error:
        return _statement_refused(request, db, viewer, round_id, group, error, text)
    db.commit()
    return _statement_done(request, db, viewer, round_id, group, _("The draft statement is saved."))


@router.post("/rounds/{round_id}/caucus/{group}/statement/endorse", name="caucus.endorse")
def endorse(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    statement_id: Small = "",
    action: Small = "endorse",
    seen: Small = "",
) -> Response:
    """The viewer's organisation endorses the draft (``action=endorse``) or withdraws."""
    endorsing = action != "withdraw"
    try:
        statements.endorse(
            db, viewer, round_id, group, _id(statement_id), endorsing=endorsing, seen=seen
        )
    except DomainError as error:
        error.field = error.field if error.field == "text" else "endorse"
        return _statement_refused(request, db, viewer, round_id, group, error)
    db.commit()
    announce = (
        _("Your organisation endorses the draft statement.")
        if endorsing
        else _("Your organisation's endorsement is withdrawn.")
    )
    return _statement_done(request, db, viewer, round_id, group, announce)


@router.post("/rounds/{round_id}/caucus/{group}/statement/publish", name="caucus.publish")
def publish(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    group: str,
    statement_id: Small = "",
    seen: Small = "",
) -> Response:
    """Publish the draft to the round as the group's statement."""
    try:
        statements.publish(db, viewer, round_id, group, _id(statement_id), seen)
    except DomainError as error:
        error.field = error.field if error.field == "text" else "publish"
        return _statement_refused(request, db, viewer, round_id, group, error)
    db.commit()
    return _statement_done(
        request,
        db,
        viewer,
        round_id,
        group,
        _("The statement is published on the round page, signed by the endorsing organisations."),
    )
