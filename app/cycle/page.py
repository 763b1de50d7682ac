"""The subject's suggested brief on the new-round form (C144 art. 5(1)): the form answered with
the template put in. The new-round route (app.rounds.routes) calls it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.cycle import subjects
from app.errors import DomainError
from app.i18n import gettext as _
from app.web import render


def brief_from_template(request: Request, form_context: dict[str, Any]) -> Response:
    """The new-round form with the subject's suggested brief put in, when the brief is empty:
    the whole form without JavaScript ("Use the template"), the brief's field alone for htmx
    (choosing a subject). Nothing is created."""
    form = form_context["form"]
    try:
        form["kind"] = subjects.parse_kind(form.get("kind"))
    except DomainError as error:
        form_context["errors"] = {"kind": error.message}
        form_context["template_note"] = error.message
        return render(
            request,
            "cycle/_brief_field.html",
            form_context,
            page="rounds/new_round.html",
            status_code=422,
        )
    form["brief"], filled = subjects.fill_brief(form["brief"], form["kind"])
    if filled:
        note = _("The brief now holds the suggested brief for “%(subject)s”: complete it.") % {
            "subject": subjects.label(form["kind"])
        }
    elif subjects.is_subject(form["kind"]):
        note = _("The brief is not empty, so it was kept: empty it to use the suggested brief.")
    else:
        note = _("A general consultation has no suggested brief.")
    form_context["template_note"] = note
    return render(request, "cycle/_brief_field.html", form_context, page="rounds/new_round.html")
