"""What goes into a round's Word and ODT documents, read for one viewer: the draft with its
amendments and their equal-weight support, the revised draft with its changes tracked, and
the outcome record. Each function refuses what the viewer may not read (the same rules as
the round page and the summary downloads) and returns the plain data of app/exports/papers.py.
Amendments, the outcome and reservations are public; no comment, caucus message or sealed
position goes in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.rules import Viewer
from app.db import read, utcnow
from app.drafts import rules as draft_rules
from app.drafts.page import AmendmentView, summary_paragraphs
from app.drafts.service import paragraph_texts, previous_texts
from app.errors import NotFound
from app.i18n import gettext as _
from app.markdown import plain_text
from app.rounds import rules as round_rules
from app.rounds.models import GroupSignoff, Round
from app.rounds.queries import RoundHeader
from app.rounds.rules import STANCE_LABELS
from app.summaries.service import audience_for, load_header, round_summary
from app.summaries.view import GROUP_NAMES, STANCE_TEXT, group_state
from app.vocabulary import Group, RoundStatus, Stance

from .papers import (
    SECRETARIAT,
    AmendmentEntry,
    DraftPaper,
    Front,
    ParagraphEntry,
    RecordPaper,
    RevisedPaper,
    TrackedParagraph,
)


def readable_header(db: Session, viewer: Viewer, round_id: int) -> RoundHeader:
    """The round's header, or 404 for a round the viewer may not read (a draft round, for
    anyone but moderators)."""
    header = load_header(db, round_id)
    if not round_rules.may_read(viewer, header.status):
        raise NotFound(_("There is no such round."))
    return header


def front(header: RoundHeader, kind: str, when: datetime | None = None) -> Front:
    return Front(
        kind=kind,
        title=header.title,
        consultation=header.consultation_title,
        subtitle=_("%(consultation)s, round %(number)s")
        % {"consultation": header.consultation_title, "number": header.number},
        date=i18n.format_datetime(when or utcnow(), with_time=False),
        language=i18n.current_language(),
        page=_("Page"),
    )


def _amendment(amendment: AmendmentView) -> AmendmentEntry:
    tally = amendment.tally
    groups = tuple(
        _("%(group)s: %(supporters)s (%(count)s of %(invited)s)")
        % {
            "group": g.group.label,
            "supporters": ", ".join(g.supporters) or _("none"),
            "count": len(g.supporters),
            "invited": g.invited,
        }
        for g in tally.groups
        if g.expressed
    )
    return AmendmentEntry(
        label=_("Amendment %(label)s, proposed by %(organisation)s")
        % {"label": amendment.label, "organisation": amendment.organisation},
        text=plain_text(amendment.text),
        reason=_("Reason: %(reason)s") % {"reason": plain_text(amendment.reason)}
        if amendment.reason.strip()
        else "",
        support=_(
            "Equal-weight support: %(share)s (%(supporters)s of %(invited)s invited organisations)"
        )
        % {
            "share": i18n.format_percent(float(tally.support)),
            "supporters": tally.supporters,
            "invited": tally.invited,
        },
        groups=groups,
    )


def draft_paper(db: Session, viewer: Viewer, round_id: int) -> DraftPaper:
    """The round's draft text, each paragraph with its amendments and their support; 404 when
    the round has no draft text."""
    header = readable_header(db, viewer, round_id)
    paragraphs = summary_paragraphs(db, round_id)
    if not paragraphs:
        raise NotFound(_("This round has no draft text."))
    return DraftPaper(
        front=front(header, _("Draft text")),
        heading=_("Draft text and proposed amendments"),
        paragraphs=tuple(
            ParagraphEntry(
                _("Paragraph %(number)s") % {"number": p.number},
                plain_text(p.text),
                tuple(_amendment(a) for a in p.amendments),
            )
            for p in paragraphs
        ),
        no_amendment=_("No amendment was proposed to this paragraph."),
    )


def tracked(changes: list[draft_rules.ParagraphChange]) -> tuple[TrackedParagraph, ...]:
    """The paragraphs of a revised draft as runs of kept, removed and added plain text."""
    result = []
    for change in changes:
        text = plain_text(change.text)
        if change.kind == draft_rules.CHANGED:
            result.append(TrackedParagraph(change.diff))
        elif change.kind == draft_rules.ADDED:
            result.append(TrackedParagraph((draft_rules.DiffPiece("insert", text),), added=True))
        elif change.kind == draft_rules.REMOVED:
            result.append(TrackedParagraph((draft_rules.DiffPiece("delete", text),), removed=True))
        else:
            result.append(TrackedParagraph((draft_rules.DiffPiece("equal", text),)))
    return tuple(result)


def revised_paper(db: Session, viewer: Viewer, round_id: int) -> RevisedPaper:
    """The next round's draft, with the changes from this round's text tracked; 404 when no
    round revises this one (or the revision is still a draft the viewer may not read)."""
    header = readable_header(db, viewer, round_id)
    row = read(
        db,
        select(Round.id, Round.status, Round.created_at, Round.published_at)
        .where(Round.previous_round_id == round_id)
        .limit(1),
    ).one_or_none()
    if row is None or (row.status == RoundStatus.DRAFT.value and not viewer.may_moderate):
        raise NotFound(_("No revised draft has been published from this round."))
    revised = load_header(db, row.id)
    previous = previous_texts(db, db.get_one(Round, round_id))
    current = paragraph_texts(db, row.id)
    published: datetime = row.created_at
    return RevisedPaper(
        front=front(revised, _("Revised draft")),
        heading=_("Revised draft"),
        note=_(
            "The changes from round %(number)s, “%(title)s”, are tracked: accept or reject "
            "them in your word processor."
        )
        % {"number": header.number, "title": header.title},
        paragraphs=tracked(draft_rules.compare_drafts(previous, current)),
        author=SECRETARIAT,
        date=published.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if published.tzinfo is None
        else published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


SIGNOFF_TEXT = {
    "confirmed": i18n.N_("Confirmed the outcome."),
    "requested": i18n.N_("Sign-off requested; not given yet."),
}


def _signoffs(db: Session, round_id: int, summary: dict[str, Any]) -> tuple[str, ...]:
    status = {
        Group(r.group_name): r.status
        for r in read(
            db,
            select(GroupSignoff.group_name, GroupSignoff.status).where(
                GroupSignoff.round_id == round_id
            ),
        )
    }
    reservations = {r["group"]: r["text"] for r in summary["reservations"]}
    lines = []
    for group in Group:
        if group.value in reservations:
            said = _("Reservation: %(text)s") % {"text": reservations[group.value]}
        elif group in status and status[group] in SIGNOFF_TEXT:
            said = _(SIGNOFF_TEXT[status[group]])
        else:
            said = _("No sign-off was asked of this group.")
        lines.append(f"{GROUP_NAMES[group.value]}: {said}")
    return tuple(lines)


def record_paper(db: Session, viewer: Viewer, round_id: int) -> RecordPaper:
    """The outcome record: the outcome, each group's sign-off or reservation, the equal-weight
    tally and the summary's fingerprint; the summary's refusals before the round has closed."""
    header = load_header(db, round_id)
    audience_for(header, viewer)  # the summary's rules: 404, or 409 before the close
    summary = round_summary(db, header)
    outcome = summary["outcome"] or _("No outcome has been recorded for this round.")
    tally: list[tuple[str, ...]] = [
        (_("Stance"), _("Equal-weight tally (share of the whole)"), _("Raw count"))
    ]
    for stance in Stance:
        tally.append(
            (
                STANCE_LABELS[stance],
                i18n.format_percent(summary["tally"][stance.value]),
                str(summary["raw_counts"][stance.value]),
            )
        )
    tally.append((STANCE_TEXT["not_expressed"], i18n.format_percent(summary["not_expressed"]), ""))
    groups: list[tuple[str, ...]] = [(_("Group"), _("Invited"), _("Responded"), _("Majority"))]
    for group in Group:
        data = summary["groups"][group.value]
        groups.append(
            (
                group.label,
                str(data["invited"]),
                str(data["responded"]),
                STANCE_TEXT[group_state(data)],
            )
        )
    return RecordPaper(
        front=front(header, _("Outcome record")),
        sections=(
            (_("Outcome"), tuple(plain_text(outcome).splitlines() or [outcome])),
            (_("Each group's sign-off"), _signoffs(db, round_id, summary)),
        ),
        table_heading=_("Equal-weight tally"),
        table=tuple(tally),
        groups_heading=_("Responses by group"),
        groups_table=tuple(groups),
        fingerprint_label=_("Summary fingerprint"),
        fingerprint=summary["fingerprint"],
    )
