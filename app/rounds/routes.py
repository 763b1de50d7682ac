"""Consultation and round pages, the moderator's forms, and the live-update endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app import i18n
from app.accounts.deps import CurrentViewer
from app.comments.models import Comment
from app.confirmations import confirm, isolate
from app.cycle.page import brief_from_template
from app.db import DbSession, read, utcnow
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.rounds import page as round_page
from app.rounds import page_cache, rules, service
from app.rounds.models import Consultation, Round
from app.text_rules import parse_deadline
from app.vocabulary import RoundStatus, Weighting
from app.web import datetime_format, is_htmx, refusal, render, see_other, url_path

router = APIRouter()


@router.get("/consultations/new", name="consultations.new")
def new_consultation(request: Request, viewer: CurrentViewer) -> Response:
    service.require_moderator(viewer)
    return render(
        request,
        "rounds/new_consultation.html",
        {"form": {"title": "", "brief": "", "country": ""}, "errors": {}},
    )


@router.post("/consultations", name="consultations.create")
def create_consultation(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    title: Annotated[str, Form(max_length=1000)] = "",
    brief: Annotated[str, Form(max_length=40_000)] = "",
    country: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        consultation = service.create_consultation(db, viewer, title, brief, country)
    except DomainError as error:
        form = {"title": title, "brief": brief, "country": country}
        context = {"form": form, "errors": {error.field or "title": error.message}}
        again = partial(render, request, "rounds/new_consultation.html", context)
        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request, _("Consultation “%(title)s” created.") % {"title": isolate(consultation.title)}
    )
    return see_other(
        request, url_path(request, "consultations.show", consultation_id=consultation.id)
    )


@router.get("/consultations/{consultation_id}", name="consultations.show")
def show_consultation(
    request: Request, db: DbSession, viewer: CurrentViewer, consultation_id: int
) -> Response:
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    rows = [c for c in service.visible_consultations(db, viewer) if c.id == consultation_id]
    if not rows:  # only drafts so far: not yet for the constituents' eyes
        raise NotFound(_("There is no such consultation."))
    rounds = rows[0].rounds
    from app import markdown

    return render(
        request,
        "rounds/consultation.html",
        {
            "consultation": consultation,
            "rounds": rounds,
            "brief_html": markdown.render(consultation.brief),
            "may_moderate": viewer.may_moderate,
        },
    )


def _round_form_context(
    db: DbSession, consultation: Consultation, form: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "form": form,
        "errors": errors,
        "organisations_by_group": round_page.organisations_by_group(db),
        "weightings": list(Weighting),
    }


@router.get("/consultations/{consultation_id}/rounds/new", name="rounds.new")
def new_round(
    request: Request, db: DbSession, viewer: CurrentViewer, consultation_id: int
) -> Response:
    service.require_moderator(viewer)
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    form = {
        "title": "",
        "brief": "",
        "closes_at": "",
        "weighting": "1:1:1",
        "sealed": False,
        "organisations": [],
        "kind": "general",
    }
    return render(request, "rounds/new_round.html", _round_form_context(db, consultation, form, {}))


@router.post("/consultations/{consultation_id}/rounds", name="rounds.create")
def create_round(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    consultation_id: int,
    title: Annotated[str, Form(max_length=1000)] = "",
    brief: Annotated[str, Form(max_length=40_000)] = "",
    closes_at: Annotated[str, Form(max_length=50)] = "",
    weighting: Annotated[str, Form(max_length=10)] = "1:1:1",
    sealed: Annotated[str, Form(max_length=10)] = "",
    organisations: Annotated[list[int], Form()] = [],  # noqa: B006
    kind: Annotated[str, Form(max_length=40)] = "general",
    use_template: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    service.require_moderator(viewer)
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    form = {
        "title": title,
        "brief": brief,
        "closes_at": closes_at,
        "weighting": weighting,
        "sealed": bool(sealed),
        "organisations": organisations,
        "kind": kind,
    }
    if use_template:  # the subject's suggested brief, nothing created (app/cycle)
        return brief_from_template(request, _round_form_context(db, consultation, form, {}))
    try:
        draft = service.RoundDraft(
            title,
            brief,
            parse_deadline(closes_at, "closes_at", utcnow()),
            weighting,
            bool(sealed),
            tuple(organisations),
            kind=kind,
        )
        round_ = service.create_round(db, viewer, consultation_id, draft)
    except DomainError as error:
        errors = {error.field or "title": error.message}

        def again() -> Response:
            context = _round_form_context(db, consultation, form, errors)
            return render(request, "rounds/new_round.html", context)

        return refusal(request, db, error, again)
    db.commit()
    confirm(
        request,
        _("Round %(number)s created as a draft: only moderators see it until it is opened.")
        % {"number": round_.number},
    )
    return see_other(request, url_path(request, "rounds.show", round_id=round_.id))


@router.get("/rounds/{round_id}", name="rounds.show")
def show_round(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    order: str = "chronological",
    group: str = "",
    organisation: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    replies: Annotated[str, Query(max_length=10)] = "",
    statements: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    params = round_page.discussion_params(order, group, organisation, page, replies, statements)
    return page_cache.show(request, db, viewer, round_id, params)


@router.get("/rounds/{round_id}/comments", name="rounds.comments")
def more_comments(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    order: str = "chronological",
    group: str = "",
    organisation: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    replies: Annotated[str, Query(max_length=10)] = "",
    thread: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The next page of threads (or a page's threads whole, ``replies=all``; or one thread
    whole, ``thread=``, its replies unfolded in place): a fragment for htmx, the round page
    without JavaScript."""
    if not is_htmx(request):
        query = request.url.query
        return see_other(
            request,
            url_path(request, "rounds.show", round_id=round_id) + (f"?{query}" if query else ""),
        )
    if thread:
        context = round_page.build(request, db, viewer, round_id, regions=())
        data: round_page.RoundPage = context["page"]
        shown = round_page.shown_to(viewer)
        context["threads"] = round_page.load_threads(db, data.round, viewer, [thread], shown)
        return render(request, "comments/_one_thread.html", context)
    params = round_page.discussion_params(order, group, organisation, page, replies)
    context = round_page.build(request, db, viewer, round_id, params=params, regions=("threads",))
    return HTMLResponse(context["fragments"]["threads"], headers={"Vary": "HX-Request"})


@router.get("/rounds/{round_id}/live", name="rounds.live")
def live(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    version: int = 0,
    after: int = 0,
    moderated: Annotated[float, Query(ge=0, le=1e11, allow_inf_nan=False)] = 0,
) -> Response:
    """Polled every few seconds: 204 when nothing changed (one indexed query), else the new
    columns, tally, participation and comments as out-of-band swaps. Holds no state in the
    process, so it is right behind any number of workers."""
    row = read(
        db,
        select(Round.version, Round.status, Round.opens_at, Round.closes_at).where(
            Round.id == round_id
        ),
    ).one_or_none()
    # a round this viewer may not read (a draft) is answered like one that does not exist,
    # whatever version the poll names: its page is a 404, so is its poll
    if row is None or not rules.may_read(
        viewer,
        rules.effective_status(RoundStatus(row.status), row.opens_at, row.closes_at, utcnow()),
    ):
        raise NotFound(_("There is no such round."))
    if row.version == version:
        return Response(status_code=204)
    context = round_page.build(
        request, db, viewer, round_id, regions=("participation", "columns", "tally", "outcome")
    )
    data: round_page.RoundPage = context["page"]
    since = datetime.fromtimestamp(max(moderated - 1, 0), tz=UTC)
    # moderated or edited by someone else since the page was rendered: replaced in place
    context["moderated_comments"] = round_page.load_comments(
        db,
        data.round,
        viewer,
        (Comment.moderated_at > since)
        | ((Comment.edited_at > since) & (Comment.author_id != viewer.user_id)),
    )
    context["new_comments"] = round_page.load_comments(
        db, data.round, viewer, (Comment.id > after) & (Comment.author_id != viewer.user_id)
    )
    context["after"] = max(after, data.last_comment_id)
    return render(request, "rounds/_live.html", context)


@router.post("/rounds/{round_id}/open", name="rounds.open")
def open_round(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    opens_at: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    try:
        round_ = service.open_round(
            db, viewer, round_id, parse_deadline(opens_at, "opens_at", utcnow())
        )
    except DomainError as error:
        return round_page.refused(request, db, viewer, round_id, error, open_error=error.message)
    db.commit()
    if round_.status is RoundStatus.OPEN:
        confirm(
            request,
            _("Round %(number)s is open: the invited organisations can post until %(date)s.")
            % {"number": round_.number, "date": datetime_format(round_.closes_at)},
        )
    else:
        confirm(
            request,
            _("Round %(number)s will open on %(date)s.")
            % {"number": round_.number, "date": datetime_format(round_.opens_at)},
        )
    return see_other(request, url_path(request, "rounds.show", round_id=round_id))


@router.post("/rounds/{round_id}/invitations", name="rounds.invitations")
def set_invitations(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    organisations: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:
    try:
        service.set_invitations(db, viewer, round_id, tuple(organisations))
    except DomainError as error:
        return round_page.refused(request, db, viewer, round_id, error, open_error=error.message)
    db.commit()
    count = len(set(organisations))
    confirm(
        request,
        i18n.ngettext(
            "The round now invites %(num)d organisation.",
            "The round now invites %(num)d organisations.",
            count,
        )
        % {"num": count},
    )
    return see_other(request, url_path(request, "rounds.show", round_id=round_id))
