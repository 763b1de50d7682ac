"""The printable summary report, rendered from the same view as the summary page."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from app.cycle import subjects
from app.i18n import gettext as _
from app.summaries.view import view_context
from app.web import templates


def page_counter() -> Markup:
    """The footer's “page 2 of 5” in the reader's language, as the inside of a CSS string
    whose numbers are the page counters (``…" counter(page) "…``)."""
    words = _("page %(page)s of %(pages)s")
    # a translation made safe inside a CSS string, and two counters: no outside input
    quoted = words.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return Markup(quoted % {"page": '" counter(page) "', "pages": '" counter(pages) "'})


def report_html(summary: dict[str, Any], kind: str = "general", draft: Any = ()) -> str:
    context = view_context(summary) | {"page_counter": page_counter(), "kind": kind}
    context["draft_paragraphs"] = draft  # the draft text's amendments (app.drafts)
    context |= subjects.template_globals()  # the round's subject (C144 art. 5(1))
    return templates.env.get_template("summaries/report.html").render(context)


def render_pdf(summary: dict[str, Any], kind: str = "general", draft: Any = ()) -> bytes:
    import weasyprint

    document = weasyprint.HTML(string=report_html(summary, kind, draft))
    return bytes(document.write_pdf())
