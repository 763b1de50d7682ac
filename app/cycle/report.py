"""The annual report (Article 6) written out: what its page and its PDF show (one context, the
same partials), the PDF, and the XLSX. No database: the report is a plain value."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from babel import numbers as babel_numbers

from app import i18n
from app.cycle import subjects
from app.cycle.rules import (
    ACTION_STATES,
    CONVERGENCE_KINDS,
    AnnualReport,
    ReportDecision,
    ReportMeeting,
    ReportRound,
)
from app.exports.cells import spreadsheet_safe
from app.i18n import N_, Labels, ngettext
from app.i18n import gettext as _
from app.rounds.rules import ROUND_STATUS_LABELS
from app.summaries.view import (
    CONVERGENCE_LABELS,
    GROUP_NAMES,
    STANCE_TEXT,
    group_state,
    group_words,
)
from app.vocabulary import Group, Stance

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Each kind of convergence counted over the year's closed rounds.
CONVERGENCE_COUNTS = Labels(
    {
        "tripartite": N_("Tripartite consensus"),
        "bipartite": N_("Two groups agree"),
        "divergence": N_("Divergence (no stance is the majority of two groups)"),
    }
)


#: How a decision was taken, as the report says it.
METHOD_LABELS = Labels(
    {
        "consensus": N_("Consensus"),
        "group_equal_vote": N_("Group-equal vote"),
        "double_majority": N_("Double majority"),
        "chair_casting": N_("Chair with a casting vote"),
    }
)
#: An action's state, as the report counts it.
ACTION_STATE_LABELS = Labels(
    {
        "planned": N_("Planned"),
        "in_progress": N_("In progress"),
        "done": N_("Done"),
        "dropped": N_("Dropped"),
    }
)


def meeting_state(meeting: ReportMeeting) -> str:
    """ "Held, quorate." / "Held without quorum." / "Cancelled." / "Not held yet." """
    if meeting.cancelled:
        return _("Cancelled.")
    if not meeting.held:
        return _("Not held yet.")
    return _("Held, quorate.") if meeting.quorate else _("Held without quorum.")


def decision_result(decision: ReportDecision) -> str:
    text = _("Adopted.") if decision.adopted else _("Not adopted.")
    if decision.without_quorum:
        text += " " + _("Taken without quorum, as the body's rules allow.")
    return text


def actions_text(decision: ReportDecision) -> str:
    """ "2 actions: 1 done, 1 in progress (1 overdue, 1 disputed)." or "No action." """
    if not decision.actions:
        return _("No action.")
    counts: dict[str, int] = {}
    for a in decision.actions:
        counts[a.status] = counts.get(a.status, 0) + 1
    parts = ", ".join(
        _("%(num)s %(state)s") % {"num": n, "state": ACTION_STATE_LABELS[state].lower()}
        for state, n in counts.items()
    )
    flags = []
    overdue = sum(a.overdue for a in decision.actions)
    disputed = sum(a.disputed for a in decision.actions)
    if overdue:
        flags.append(ngettext("%(num)d overdue", "%(num)d overdue", overdue) % {"num": overdue})
    if disputed:
        flags.append(ngettext("%(num)d disputed", "%(num)d disputed", disputed) % {"num": disputed})
    text = _("%(num)s: %(states)s") % {
        "num": ngettext("%(num)d action", "%(num)d actions", len(decision.actions))
        % {"num": len(decision.actions)},
        "states": parts,
    }
    if flags:
        text += " (" + ", ".join(flags) + ")"
    return text + "."


def filename(country: str, year: int, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", country.lower()).strip("-")[:60] or "country"
    return f"tripartite-annual-report-{slug}-{year}.{fmt}"


def percent(value: float | None) -> str:
    return "—" if value is None else i18n.format_percent(float(value))


def days_text(value: Fraction | None) -> str:
    """Days with one decimal, in the reader's language ("12.5", "12,5"); "—" for none."""
    if value is None:
        return "—"
    return babel_numbers.format_decimal(float(value), "#,##0.0", locale=i18n.current_language())


def convergence_text(r: ReportRound) -> str:
    """ "Tripartite consensus: Support (government, workers, employers)." or the label alone."""
    convergence = r.summary["convergence"]
    label = CONVERGENCE_LABELS[convergence["kind"]]
    if not convergence["stance"]:
        return label
    return _("%(kind)s: %(stance)s (%(groups)s).") % {
        "kind": label,
        "stance": STANCE_TEXT[convergence["stance"]],
        "groups": group_words(convergence["groups"]),
    }


def context(report: AnnualReport) -> dict[str, Any]:
    """What the report's page and its PDF show."""
    return {
        "report": report,
        "order": report.order,
        "stances": list(Stance),
        "stance_text": STANCE_TEXT,
        "status_text": ROUND_STATUS_LABELS,
        "group_names": GROUP_NAMES,
        "pct": percent,
        "convergence_text": convergence_text,
        "group_state": group_state,
        "convergence_counts": [(k, CONVERGENCE_COUNTS[k]) for k in CONVERGENCE_KINDS],
        "method_labels": METHOD_LABELS,
        "action_states": [(k, ACTION_STATE_LABELS[k]) for k in ACTION_STATES],
        "meeting_state": meeting_state,
        "decision_result": decision_result,
        "actions_text": actions_text,
        **subjects.template_globals(),
    }


def report_html(report: AnnualReport) -> str:
    from app.exports.pdf import page_counter
    from app.web import templates

    values = context(report) | {"page_counter": page_counter()}
    return templates.env.get_template("cycle/report_pdf.html").render(values)


def render_pdf(report: AnnualReport) -> bytes:
    import weasyprint

    return bytes(weasyprint.HTML(string=report_html(report)).write_pdf())


def _date(value: Any) -> Any:
    """A time as a spreadsheet's date cell (written in UTC, to the minute); none: empty."""
    if value is None:
        return ""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def overview_rows(report: AnnualReport) -> list[list[Any]]:
    """The report sheet: what it covers, the totals per group, convergence and subjects."""
    order = report.order
    rows: list[list[Any]] = [
        [_("Annual report on the working of the procedures (Convention No. 144, Article 6)")],
        [_("Country"), report.country],
        [_("Year"), report.year],
        [_("Generated at"), _date(report.generated_at)],
        [_("Rounds held"), len(report.rounds)],
        [_("Rounds closed or published"), len(report.final_rounds)],
        [],
        [_("Totals per group"), *[GROUP_NAMES[g.value] for g in order]],
        [_("Organisations invited"), *[report.totals[g].invited for g in order]],
        [_("Organisations that posted a position"), *[report.totals[g].responded for g in order]],
        [
            _("Response rate"),
            *[float(r) if (r := report.totals[g].rate) is not None else "" for g in order],
        ],
        [
            _("Rounds in which the group posted a position"),
            *[report.totals[g].rounds_expressed for g in order],
        ],
        [_("Reservations on the record"), *[report.reservations[g] for g in order]],
        [],
        [_("Convergence (closed and published rounds)"), _("Rounds")],
        *[
            [label, report.convergence[kind]]
            for kind, label in context(report)["convergence_counts"]
        ],
        [],
        [_("Subject"), _("Rounds")],
        *[[subjects.label(kind), n] for kind, n in report.subjects.items()],
    ]
    bodies = report.bodies
    if bodies is not None:
        rows += [
            [],
            [_("Meetings of the tripartite bodies held"), bodies.held],
            [_("Meetings held with quorum"), bodies.quorate],
            [_("Attendance per group"), *[GROUP_NAMES[g.value] for g in order]],
            [_("Seats present"), *[bodies.attendance[g][0] for g in order]],
            [_("Seats"), *[bodies.attendance[g][1] for g in order]],
            [_("Decisions adopted"), bodies.adopted],
            [_("Decisions not adopted"), bodies.not_adopted],
            *[[METHOD_LABELS[m], n] for m, n in bodies.by_method.items()],
            *[[ACTION_STATE_LABELS[s], n] for s, n in bodies.actions.items()],
            [_("Actions overdue"), bodies.overdue],
            [_("Actions disputed by a group"), bodies.disputed],
        ]
    return rows


def round_columns() -> list[str]:
    groups = [
        text % {"group": GROUP_NAMES[g.value]}
        for g in Group
        for text in (_("%(group)s: invited"), _("%(group)s: responded"), _("%(group)s: majority"))
    ]
    return [
        _("Round id"),
        _("Consultation"),
        _("Round"),
        _("Title"),
        _("Subject code"),
        _("Subject"),
        _("Status"),
        _("Opened on"),
        _("Deadline"),
        _("Closed on"),
        _("Published on"),
        _("Weighting (government:employers:workers)"),
        *groups,
        *[_("Equal-weight tally: %(stance)s") % {"stance": STANCE_TEXT[s.value]} for s in Stance],
        _("Not expressed"),
        _("Convergence"),
        _("Outcome"),
        _("Summary fingerprint"),
    ]


def round_row(r: ReportRound) -> list[Any]:
    summary = r.summary
    groups: list[Any] = []
    for g in Group:
        data = summary["groups"][g.value]
        majority = group_state(data)
        groups += [data["invited"], data["responded"], STANCE_TEXT[majority] if r.final else ""]
    tally: list[Any] = (
        [summary["tally"][s.value] for s in Stance] + [summary["not_expressed"]]
        if r.final
        else [""] * (len(Stance) + 1)
    )
    return [
        r.id,
        r.consultation,
        r.number,
        r.title,
        r.kind,
        subjects.label(r.kind),
        ROUND_STATUS_LABELS[r.status],
        _date(r.opens_at),
        _date(r.closes_at),
        _date(r.closed_at),
        _date(r.published_at),
        summary["round"]["weighting"],
        *groups,
        *tally,
        convergence_text(r) if r.final else "",
        (summary["outcome"] or "") if r.final else "",
        summary["fingerprint"] if r.final else "",
    ]


def write_xlsx(target: str | Path | IO[bytes], report: AnnualReport) -> None:
    """Sheets: report (totals), rounds (one row per round, its summary's figures),
    reservations, and the tripartite bodies' meetings and decisions. Every cell is data: no
    formula parsing, text neutralised."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target,
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    bold = workbook.add_format({"bold": True})
    tally_columns = range(12 + 3 * len(Group), 12 + 3 * len(Group) + len(Stance) + 1)
    share = workbook.add_format({"num_format": "0.0%"})
    when = workbook.add_format({"num_format": "dd mmm yyyy hh:mm"})

    def write(sheet: Any, r: int, row: list[Any], header: bool = False, shares: Any = ()) -> None:
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            elif isinstance(value, bool) or not isinstance(value, int | float):
                sheet.write_string(
                    r, c, spreadsheet_safe(value), bold if header or c == 0 else None
                )
            else:
                sheet.write_number(r, c, value, share if c in shares else None)

    overview = workbook.add_worksheet("report")
    for r, row in enumerate(overview_rows(report)):
        write(overview, r, row, shares=range(1, 4) if row[:1] == [_("Response rate")] else ())
    rounds = workbook.add_worksheet("rounds")
    write(rounds, 0, round_columns(), header=True)
    for r, item in enumerate(report.rounds, start=1):
        write(rounds, r, round_row(item), shares=tally_columns)
    reservations = workbook.add_worksheet("reservations")
    write(reservations, 0, [_("Round id"), _("Round"), _("Group"), _("Reservation")], header=True)
    line = 1
    for item in report.rounds:
        for group, text in item.reservations:
            write(reservations, line, [item.id, item.title, GROUP_NAMES[group.value], text])
            line += 1
    bodies = report.bodies
    meetings = workbook.add_worksheet("meetings")
    groups = [GROUP_NAMES[g.value] for g in report.order]
    write(
        meetings,
        0,
        [
            _("Meeting id"),
            _("Body"),
            _("Meeting"),
            _("Starts at"),
            _("State"),
            *[_("%(group)s: seats present") % {"group": g} for g in groups],
            *[_("%(group)s: seats") % {"group": g} for g in groups],
        ],
        header=True,
    )
    for r, m in enumerate(bodies.meetings if bodies else [], start=1):
        present = [m.attendance[g][0] if m.held else "" for g in report.order]
        total = [m.attendance[g][1] if m.held else "" for g in report.order]
        write(
            meetings,
            r,
            [m.id, m.body, m.title, _date(m.starts_at), meeting_state(m), *present, *total],
        )
    decisions = workbook.add_worksheet("decisions")
    write(
        decisions,
        0,
        [
            _("Decision id"),
            _("Body"),
            _("Meeting"),
            _("Agenda item"),
            _("Method"),
            _("Result"),
            *[ACTION_STATE_LABELS[state] for state in ACTION_STATES],
            _("Overdue"),
            _("Disputed by a group"),
        ],
        header=True,
    )
    for r, d in enumerate(bodies.decisions if bodies else [], start=1):
        states = [sum(1 for a in d.actions if a.status == state) for state in ACTION_STATES]
        write(
            decisions,
            r,
            [
                d.id,
                d.body,
                d.meeting,
                d.item,
                METHOD_LABELS[d.method],
                decision_result(d),
                *states,
                sum(a.overdue for a in d.actions),
                sum(a.disputed for a in d.actions),
            ],
        )
    workbook.close()


def write_file(
    db: Session, country: str, year: int, fmt: str, output: str, language: str = "en"
) -> str:
    """The report of ``country`` for ``year`` written to ``output`` (default: its download's
    file name) in ``language``, for the command line; returns the path written."""
    from app.cycle import service
    from app.db import utcnow
    from app.errors import DomainError

    if fmt not in ("pdf", "xlsx"):
        raise DomainError(f"unknown format “{fmt}”: choose pdf or xlsx.")
    if language not in i18n.LANGUAGES:
        raise DomainError(f"unknown language “{language}”: choose en, fr or es.")
    path = Path(output or filename(country, year, fmt))
    if not path.resolve().parent.is_dir():
        raise DomainError(f"the folder of {path} does not exist.")
    with i18n.speaking(language):
        built = service.annual_report(db, country, year, utcnow())
        if fmt == "pdf":
            path.write_bytes(render_pdf(built))
        else:
            write_xlsx(path, built)
    return str(path)
