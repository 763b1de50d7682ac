"""A body's decisions register: every decision of its meetings that this person may see, with
its method, result, divergent positions and the state of its actions; filtered by year,
method, result and action state. A constant number of queries whatever the number of
decisions; the CSV (codes) and the XLSX and PDF (the reader's words) are written from it."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.bodies.models import Body
from app.bodies.service import body as load_body
from app.bodies.service import viewer_of
from app.db import utcnow
from app.decisions import actions as action_service
from app.decisions import page, rules, service
from app.decisions.models import Decision, DivergentPosition
from app.exports.cells import spreadsheet_safe
from app.i18n import N_, ngettext
from app.i18n import gettext as _
from app.meetings.confidentiality import Restriction, may_see
from app.meetings.models import AgendaItem, Meeting
from app.text_rules import small_id
from app.vocabulary import ActionStatus, DecisionMethod, Group

STATES = {"overdue": N_("with an overdue action"), "disputed": N_("with a disputed action")}
RESULTS = {"yes": N_("adopted"), "no": N_("not adopted"), "open": N_("not recorded yet")}


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    method: DecisionMethod | None = None
    adopted: str = ""  # yes, no, open
    state: str = ""  # overdue, disputed

    @classmethod
    def parse(cls, year: str = "", method: str = "", adopted: str = "", state: str = "") -> Filters:
        """What the filter form sends; anything unknown is no filter."""
        chosen_method = None
        try:
            chosen_method = DecisionMethod(method) if method else None
        except ValueError:
            chosen_method = None
        return cls(
            small_id(year),
            chosen_method,
            adopted if adopted in RESULTS else "",
            state if state in STATES else "",
        )

    @property
    def any(self) -> bool:
        return bool(self.year or self.method or self.adopted or self.state)

    def query(self) -> dict[str, str]:
        return {
            k: v
            for k, v in {
                "year": str(self.year or ""),
                "method": self.method.value if self.method else "",
                "adopted": self.adopted,
                "state": self.state,
            }.items()
            if v
        }


@dataclass
class Entry:
    decision: Decision
    meeting_id: int
    meeting_title: str
    meeting_at: datetime
    item_title: str
    outcome: rules.Outcome
    divergent: dict[Group, str]
    actions: list[action_service.ActionRow]
    statuses: Counter[ActionStatus] = field(default_factory=Counter)

    @property
    def recorded(self) -> bool:
        return self.decision.recorded_at is not None

    @property
    def overdue(self) -> int:
        return sum(a.overdue for a in self.actions)

    @property
    def disputed(self) -> int:
        return sum(a.disputed for a in self.actions)

    @property
    def method_words(self) -> str:
        return _(page.METHOD_LABELS[self.decision.method])

    @property
    def result(self) -> str:
        if not self.recorded:
            return _("Not recorded yet: the vote is open")
        return page.result_words(self.decision, self.outcome)

    @property
    def review_due(self) -> bool:
        return rules.review_due(self.decision.review_on, utcnow().date())

    def count(self, status: ActionStatus) -> int:
        return self.statuses[status]

    @property
    def actions_words(self) -> str:
        if not self.actions:
            return _("no action")
        parts = [
            f"{self.statuses[s]} {_(action_service.STATUS_LABELS[s])}"
            for s in ActionStatus
            if self.statuses[s]
        ]
        if self.overdue:
            parts.append(
                ngettext("%(num)d overdue", "%(num)d overdue", self.overdue) % {"num": self.overdue}
            )
        if self.disputed:
            parts.append(
                ngettext("%(num)d disputed", "%(num)d disputed", self.disputed)
                % {"num": self.disputed}
            )
        return ", ".join(parts)


@dataclass
class Register:
    body: Body
    entries: list[Entry]
    filters: Filters
    years: list[int]
    total: int


def register(db: Session, viewer: Viewer | None, body_id: int, filters: Filters) -> Register:
    body = load_body(db, body_id)
    seen_as = viewer_of(db, viewer, body.id)
    now = utcnow()
    query = (
        select(Decision, AgendaItem, Meeting.id, Meeting.title, Meeting.starts_at)
        .join(AgendaItem, AgendaItem.id == Decision.agenda_item_id)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .where(Meeting.body_id == body.id)
        .order_by(Meeting.starts_at.desc(), AgendaItem.number, Decision.id)
    )
    if not (seen_as.member or seen_as.secretariat):
        # the decisions of meetings kept off the public calendar are the body's own
        query = query.where(Meeting.public.is_(True))
    rows = db.execute(query).all()
    visible = [r for r in rows if may_see(Restriction.of(r[1]), seen_as, now)]
    ids = [r[0].id for r in visible]
    votes = service.vote_facts(db, ids)
    divergent: dict[int, dict[Group, str]] = defaultdict(dict)
    if ids:
        for position in db.scalars(
            select(DivergentPosition)
            .where(DivergentPosition.decision_id.in_(ids))
            .order_by(DivergentPosition.group_name)
        ):
            divergent[position.decision_id][position.group_name] = position.text
    acts = action_service.action_rows(db, ids, now.date())
    entries = []
    for decision, item, meeting_id, meeting_title, starts_at in visible:
        entry = Entry(
            decision,
            meeting_id,
            meeting_title,
            starts_at,
            item.title,
            service.outcome(decision, votes[decision.id]),
            divergent[decision.id],
            acts[decision.id],
            Counter(a.status for a in acts[decision.id]),
        )
        entries.append(entry)
    years = sorted({e.meeting_at.year for e in entries}, reverse=True)
    chosen = [e for e in entries if _kept(e, filters)]
    return Register(body, chosen, filters, years, len(entries))


def _kept(entry: Entry, filters: Filters) -> bool:
    if filters.year and entry.meeting_at.year != filters.year:
        return False
    if filters.method and entry.decision.method is not filters.method:
        return False
    if filters.adopted == "open" and entry.recorded:
        return False
    if filters.adopted in ("yes", "no") and (
        not entry.recorded or bool(entry.decision.adopted) != (filters.adopted == "yes")
    ):
        return False
    if filters.state == "overdue" and not entry.overdue:
        return False
    return not (filters.state == "disputed" and not entry.disputed)


# -- exports ----------------------------------------------------------------------------------

#: The CSV's columns: a contract (codes, not words; add at the end, never rename).
CSV_COLUMNS = (
    "decision_id",
    "meeting_id",
    "meeting_date",
    "agenda_item",
    "method",
    "threshold",
    "weighting",
    "recorded",
    "adopted",
    "quorate",
    "without_quorum",
    "votes_for",
    "votes_against",
    "abstentions",
    "divergent_groups",
    "effective_on",
    "review_on",
    "actions_planned",
    "actions_in_progress",
    "actions_done",
    "actions_dropped",
    "actions_overdue",
    "actions_disputed",
    "text",
)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def csv_rows(reg: Register) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for e in reg.entries:
        d = e.decision
        rows.append(
            [
                d.id,
                e.meeting_id,
                e.meeting_at.date().isoformat(),
                spreadsheet_safe(e.item_title),
                d.method.value,
                page.fraction_words(service.threshold(d)),
                d.weighting.value,
                _flag(e.recorded),
                _flag(d.adopted if e.recorded else None),
                _flag(d.quorate if e.recorded else None),
                _flag(d.without_quorum),
                e.outcome.overall.for_,
                e.outcome.overall.against,
                e.outcome.overall.abstain,
                " ".join(g.value for g in e.divergent),
                _day(d.effective_on),
                _day(d.review_on),
                *(e.count(s) for s in ActionStatus),
                e.overdue,
                e.disputed,
                spreadsheet_safe(d.text),
            ]
        )
    return rows


def to_csv(reg: Register) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(reg))
    return out.getvalue()


def reader_rows(reg: Register) -> tuple[list[str], list[list[Any]]]:
    """The register in the reader's words (XLSX), with the decision's number as a number."""
    head = [
        _("Decision"),
        _("Meeting"),
        _("Date"),
        _("Agenda item"),
        _("Decision text"),
        _("Method"),
        _("Result"),
        _("Quorum"),
        _("Divergent positions"),
        _("Takes effect"),
        _("Review date"),
        _("Actions"),
    ]
    rows = []
    for e in reg.entries:
        d = e.decision
        quorum = ""
        if e.recorded:
            quorum = (
                _("quorate") if d.quorate else _("taken without quorum, as the body's rules allow")
            )
        rows.append(
            [
                d.id,
                e.meeting_title,
                e.meeting_at,
                e.item_title,
                d.text,
                e.method_words,
                e.result,
                quorum,
                "\n".join(f"{g.label}: {text}" for g, text in e.divergent.items()),
                d.effective_on,
                d.review_on,
                e.actions_words,
            ]
        )
    return head, rows


def to_xlsx(reg: Register) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(_("Decisions")[:31])
    head, rows = reader_rows(reg)
    for c, name in enumerate(head):
        sheet.write_string(0, c, name, bold)
    sheet.set_column(4, 4, 60)
    sheet.set_column(6, 6, 50)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, value.replace(tzinfo=None), when)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), when)
            elif value is None:
                sheet.write_blank(r, c, None)
            else:
                sheet.write_string(r, c, spreadsheet_safe(value), wrapped)
    workbook.close()
    return out.getvalue()


def to_pdf(reg: Register) -> bytes:
    import weasyprint

    from app.exports.pdf import page_counter
    from app.web import templates

    html = templates.env.get_template("decisions/register_pdf.html").render(
        {"register": reg, "page_counter": page_counter(), "generated": utcnow()}
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())


@dataclass(frozen=True)
class Flags:
    """What a body's page flags of its decisions' follow-up (for the body page to show)."""

    disputed: int
    overdue: int
    review_due: int


def flags(db: Session, viewer: Viewer | None, body_id: int) -> Flags:
    """The body's disputed and overdue actions and the decisions due for review that this
    person may see: the register's queries, a constant number."""
    entries = register(db, viewer, body_id, Filters()).entries
    return Flags(
        disputed=sum(e.disputed for e in entries),
        overdue=sum(e.overdue for e in entries),
        review_due=sum(e.review_due for e in entries),
    )
