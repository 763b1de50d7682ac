"""Consultation and round pages, the moderator's forms, and the live updates (poll and stream)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.confirmations import confirm, isolate
from app.cycle.page import brief_from_template
from app.db import DbSession, read, utcnow
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.live import page as live_page
from app.live import stream as live_stream
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


MAX_ID = 2**31 - 1
_LIVE_ROW = select(Round.version, Round.status, Round.opens_at, Round.closes_at).where(
    Round.id == bindparam("round_id")
)


def _readable_version(db: Session, viewer: Viewer, round_id: int) -> int:
    """The round's version, or a 404 for a round this viewer may not read (a draft): its page
    is a 404, so are its poll and its stream, whatever version they name."""
    row = read(db, _LIVE_ROW, {"round_id": round_id}).one_or_none()
    if row is None or not rules.may_read(
        viewer,
        rules.effective_status(RoundStatus(row.status), row.opens_at, row.closes_at, utcnow()),
    ):
        raise NotFound(_("There is no such round."))
    version: int = row.version
    return version


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
    """Polled where the stream cannot be kept open: 204 when nothing changed (one indexed
    query), else the new columns, tally, participation and comments as out-of-band swaps (the
    same update the stream sends). Holds no state in the process, so it is right behind any
    number of workers."""
    if _readable_version(db, viewer, round_id) == version:
        return Response(status_code=204)
    context = live_page.update_context(request, db, viewer, round_id, after, moderated)
    return render(request, "rounds/_live.html", context)


@router.get("/rounds/{round_id}/stream", name="rounds.stream")
async def stream(
    request: Request,
    db: DbSession,
    viewer: CurrentViewer,
    round_id: int,
    version: int = 0,
    after: int = 0,
    moderated: Annotated[float, Query(ge=0, le=1e11, allow_inf_nan=False)] = 0,
    last_event_id: Annotated[str, Header(max_length=20)] = "",
) -> Response:
    """The round's live updates as server-sent events (``app.live.stream``): every event's id
    is the round's version; a browser reconnecting with ``Last-Event-ID`` gets what it missed at
    once. Holds no database connection while it waits."""
    current = await run_in_threadpool(_readable_version, db, viewer, round_id)
    db.commit()  # as the session lookup: no connection held for the stream's life
    resumed = int(last_event_id) if last_event_id.isdigit() else 0
    # ids are 32-bit in the database: anything else names nothing newer than what exists
    version, after, resumed = (min(max(n, 0), MAX_ID) for n in (version, after, resumed))
    state = request.app.state
    renders: live_stream.Renders = state.live_renders
    mark = renders.mark_at(round_id, resumed) if resumed > version else None
    if mark is None:
        mark = live_page.Mark(max(version, resumed), after, int(moderated))
    csrf = request.scope.get("csrftoken")
    reader = live_stream.Reader(
        round_id,
        viewer,
        csrf() if callable(csrf) else "",
        live_page.audience(viewer, i18n.current_language(), i18n.current_zone()),
        mark,
        current,
        state.settings.live_stream_seconds,
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if state.settings.live_stream_seconds <= 0:  # what there is now, in one answer
        body = await run_in_threadpool(live_stream.at_once, request, db, reader)
        return Response(body, media_type="text/event-stream", headers=headers)
    return StreamingResponse(
        live_stream.events(request, state.live_broker, renders, state.sessionmaker, reader),
        media_type="text/event-stream",
        headers=headers,
    )


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
