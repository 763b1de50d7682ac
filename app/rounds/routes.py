"""Consultation and round pages, the moderator's forms, and the live-update endpoint."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app import i18n
from app.accounts.deps import CurrentViewer
from app.accounts.rules import Viewer
from app.comments.models import Comment
from app.cycle.routes import brief_from_template
from app.db import DbSession, read, utcnow
from app.drafts import page as drafts_page
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.moderation import signoff
from app.organisations.models import Organisation
from app.rounds import fragments, rules, service
from app.rounds import page as round_page
from app.rounds.models import Consultation, Round
from app.rounds.rules import GROUP_SUBJECTS, ROUND_STATUS_LABELS, STANCE_LABELS
from app.text_rules import TextRefused, check_plausible_date
from app.vocabulary import Group, RoundStatus, Stance, Weighting
from app.web import base_context, is_htmx, render, see_other, templates, url_path

router = APIRouter()
# round badges show the status in the reader's language, on the home page too
templates.env.globals["round_status_labels"] = ROUND_STATUS_LABELS


def new_key() -> str:
    return secrets.token_urlsafe(16)


def parse_deadline(value: str, field: str) -> datetime | None:
    """A ``datetime-local`` value, read as UTC; an absurd one (before 2000, more than ten years
    ahead) is refused."""
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            parsed = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        try:
            return check_plausible_date(parsed, utcnow(), field)
        except TextRefused as error:
            raise DomainError(error.message, field=field) from None
    raise DomainError(_("Give a date and time, like 2027-03-31T17:00."), field=field)


def _id_or_none(value: int | str | None) -> int | None:
    """A filter's id; "" (all) or anything that is not a plausible id means no filter."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) <= 9 else None


def page_context(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    *,
    order: str = "chronological",
    group: str = "",
    organisation: int | str | None = None,
    page: int = 1,
    regions: tuple[str, ...] = tuple(fragments.PARTIALS),
    **extra: Any,
) -> dict[str, Any]:
    """Everything the round page's templates need; its regions come from the fragment cache."""
    loaded = round_page.load_round_for(db, round_id, viewer)
    info = loaded.info
    params = round_page.DiscussionParams(
        "balanced" if order == "balanced" else "chronological",
        Group(group) if group in {g.value for g in Group} else None,
        _id_or_none(organisation),
        max(page, 1),
    )
    data = round_page.RoundPage(db, loaded, viewer, fragments.round_facts(db, info), params)
    own = data.own_position
    context: dict[str, Any] = {
        "page": data,
        "round": info,
        "may_reply": data.may_reply,
        # flags while the round is open only: once closed, its record stands
        "may_flag": data.member_of is not None and info.is_open,
        "round_path": url_path(request, "rounds.show", round_id=info.id),
        "stances": list(Stance),
        "stance_labels": STANCE_LABELS,
        "group_subjects": GROUP_SUBJECTS,
        "percent": lambda share: i18n.format_percent(float(share)),
        "now": datetime.now(UTC),
        "position_form": {
            "stance": own.stance.value if own else "",
            "statement": own.statement if own else "",
            "base_version": own.version if own else 0,
            "key": new_key(),
        },
        "position_errors": {},
        "comment_form": {"body": "", "key": new_key()},
        "comment_errors": {},
        "stale": None,
        "signoff_errors": {},
        "draft": drafts_page.section(db, info, viewer, data.organisations),  # app.drafts
    }
    moderator = viewer.may_moderate
    if info.status is RoundStatus.DRAFT and moderator:
        context["all_organisations"] = _organisations_by_group(db)
    if info.status is RoundStatus.CLOSED and info.outcome:
        if moderator:
            context["signoff_candidates"] = signoff.candidates(db, info.id)
        context["my_signoff"] = next(
            (s for s in data.signoffs.values() if s.spokesperson_id == viewer.user_id), None
        )
    context.update(extra)
    context["fragments"] = fragments.render(
        request, data, {**base_context(request), **context}, regions
    )
    return context


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
        if error.status_code == 403:
            raise
        return render(
            request,
            "rounds/new_consultation.html",
            {
                "form": {"title": title, "brief": brief, "country": country},
                "errors": {error.field or "title": error.message},
            },
            status_code=422,
        )
    db.commit()
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


def _organisations_by_group(db: DbSession) -> dict[Group, list[Any]]:
    organisations = db.execute(
        select(Organisation.id, Organisation.name, Organisation.group_name).order_by(
            Organisation.name
        )
    ).all()
    return {g: [o for o in organisations if o.group_name == g.value] for g in Group}


def _round_form_context(
    db: DbSession, consultation: Consultation, form: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "consultation": consultation,
        "form": form,
        "errors": errors,
        "organisations_by_group": _organisations_by_group(db),
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
            parse_deadline(closes_at, "closes_at"),
            weighting,
            bool(sealed),
            tuple(organisations),
            kind=kind,
        )
        round_ = service.create_round(db, viewer, consultation_id, draft)
    except DomainError as error:
        return render(
            request,
            "rounds/new_round.html",
            _round_form_context(db, consultation, form, {error.field or "title": error.message}),
            status_code=error.status_code,
        )
    db.commit()
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
) -> Response:
    context = page_context(
        request,
        db,
        viewer,
        round_id,
        order=order,
        group=group,
        organisation=organisation,
        page=page,
    )
    return render(request, "rounds/show.html", context)


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
) -> Response:
    """The next page of threads: a fragment for htmx, the round page without JavaScript."""
    if not is_htmx(request):
        query = request.url.query
        return see_other(
            request,
            url_path(request, "rounds.show", round_id=round_id) + (f"?{query}" if query else ""),
        )
    context = page_context(
        request,
        db,
        viewer,
        round_id,
        order=order,
        group=group,
        organisation=organisation,
        page=page,
        regions=("threads",),
    )
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
    context = page_context(
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
        service.open_round(db, viewer, round_id, parse_deadline(opens_at, "opens_at"))
    except DomainError as error:
        return refused_on_round_page(request, db, viewer, round_id, error, open_error=error.message)
    db.commit()
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
        return refused_on_round_page(request, db, viewer, round_id, error, open_error=error.message)
    db.commit()
    return see_other(request, url_path(request, "rounds.show", round_id=round_id))


def refused_on_round_page(
    request: Request,
    db: DbSession,
    viewer: Viewer,
    round_id: int,
    error: DomainError,
    **context: Any,
) -> Response:
    """A refused action shown on the round page itself (403 and 404 get their own page)."""
    if error.status_code in (403, 404):
        raise error
    db.rollback()
    return render(
        request,
        "rounds/show.html",
        page_context(request, db, viewer, round_id, **context),
        status_code=error.status_code,
    )
