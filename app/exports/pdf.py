"""The printable summary report, rendered from the same view as the summary page."""

from __future__ import annotations

from typing import Any

from app.summaries.view import view_context
from app.web import templates


def report_html(summary: dict[str, Any]) -> str:
    return templates.env.get_template("summaries/report.html").render(view_context(summary))


def render_pdf(summary: dict[str, Any]) -> bytes:
    import weasyprint

    document = weasyprint.HTML(string=report_html(summary))
    return bytes(document.write_pdf())
