"""Pages of the Convention 144 cycle: the countries, a country's year (Article 5(2)), the annual
report (Article 6) with its PDF and XLSX."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from app.accounts.deps import CurrentViewer
from app.cycle import report, service, subjects
from app.db import DbSession, utcnow
from app.exports.formats import MEDIA_TYPES
from app.exports.stream import ExportSlots
from app.web import render

router = APIRouter()


@router.get("/cycle", name="cycle.index")
def index(request: Request, db: DbSession, viewer: CurrentViewer) -> Response:
    service.require_reader(viewer)
    now = utcnow()
    countries = service.countries(db, now)
    return render(
        request,
        "cycle/index.html",
        {
            "countries": countries,
            "overdue_countries": [c for c in countries if c.needs_consultation],
            "without_country": service.without_country(db),
            "this_year": now.year,
            "subjects": subjects.SUBJECTS,
        },
    )


@router.get("/cycle/{country}/{year}", name="cycle.year")
def year(
    request: Request, db: DbSession, viewer: CurrentViewer, country: str, year: int
) -> Response:
    service.require_reader(viewer)
    view = service.year_view(db, country, year, utcnow())
    context = {"view": view, "due": view, "pct": report.percent, "days": report.days_text}
    return render(request, "cycle/year.html", context)


@router.get("/cycle/{country}/{year}/report", name="cycle.report")
def annual_report(
    request: Request, db: DbSession, viewer: CurrentViewer, country: str, year: int
) -> Response:
    service.require_reader(viewer)
    built = service.annual_report(db, country, year, utcnow())
    return render(request, "cycle/report.html", report.context(built))


@router.get("/cycle/{country}/{year}/report.pdf", name="cycle.report_pdf")
def annual_report_pdf(
    request: Request, db: DbSession, viewer: CurrentViewer, country: str, year: int
) -> Response:
    service.require_reader(viewer)
    built = service.annual_report(db, country, year, utcnow())
    db.commit()  # nothing written: the transaction ends before the slow part
    release = _export_slot(request)
    try:
        pdf = report.render_pdf(built)
    finally:
        release()
    return Response(pdf, media_type=MEDIA_TYPES["pdf"], headers=_download(country, year, "pdf"))


@router.get("/cycle/{country}/{year}/report.xlsx", name="cycle.report_xlsx")
def annual_report_xlsx(
    request: Request, db: DbSession, viewer: CurrentViewer, country: str, year: int
) -> Response:
    service.require_reader(viewer)
    built = service.annual_report(db, country, year, utcnow())
    db.commit()
    release = _export_slot(request)
    handle, path = tempfile.mkstemp(prefix="tripartite-", suffix=".xlsx")
    os.close(handle)
    try:
        report.write_xlsx(path, built)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        release()
    return FileResponse(
        path,
        media_type=MEDIA_TYPES["xlsx"],
        headers=_download(country, year, "xlsx"),
        background=BackgroundTask(os.unlink, path),
    )


def _export_slot(request: Request) -> Any:
    """A download slot (at most a few PDFs and spreadsheets in the making per process)."""
    slots: ExportSlots = request.app.state.export_slots
    return slots.take()


def _download(country: str, year: int, fmt: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{report.filename(country, year, fmt)}"',
        "Cache-Control": "private, no-store",
    }
