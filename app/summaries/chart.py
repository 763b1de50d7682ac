"""The geometry of the summary's tally chart (drawn as server-side SVG). Pure.

One bar per group (its responding organisations' stances, each group's bar the same length
whatever its head count) and one for the equal-weight whole (the tally, with the weight of
silent groups as "not expressed"). Every stance has a pattern and a text label as well as a
colour, so colour is never the only signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.i18n import format_percent, ngettext
from app.i18n import gettext as _
from app.rounds.rules import STANCE_LABELS
from app.vocabulary import Group, Stance

BAR_X = 150
BAR_WIDTH = 460
BAR_HEIGHT = 26
ROW_GAP = 14
TOP = 10

STANCE_STYLE = {
    Stance.SUPPORT.value: ("#1b6b3a", "solid"),
    Stance.SUPPORT_WITH_RESERVATIONS.value: ("#5f9e3a", "diagonal"),
    Stance.NEUTRAL.value: ("#7a7a7a", "dots"),
    Stance.OPPOSE.value: ("#a3271f", "cross"),
    Stance.ABSTAIN.value: ("#4a5d8f", "horizontal"),
    "not_expressed": ("#d9d9d9", "blank"),
}


@dataclass(frozen=True)
class Segment:
    key: str
    x: float
    width: float
    share: float
    colour: str
    pattern: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]
    note: str


def _segments(shares: Sequence[tuple[str, float]]) -> tuple[Segment, ...]:
    x = float(BAR_X)
    out = []
    for key, share in shares:
        if share <= 0:
            continue
        width = BAR_WIDTH * share
        colour, pattern = STANCE_STYLE[key]
        out.append(Segment(key, round(x, 2), round(width, 2), share, colour, pattern))
        x += width
    return tuple(out)


def bars(summary: dict[str, Any], order: Sequence[Group]) -> list[Bar]:
    result = []
    y = float(TOP)
    for g in order:
        data = summary["groups"][g.value]
        responded = data["responded"]
        shares = [
            (s.value, data["stances"][s.value] / responded if responded else 0.0) for s in Stance
        ]
        # short enough for the space beside the bar; the chart's description says it in full
        note = (
            _("%(responded)s of %(invited)s invited responded")
            % {"responded": responded, "invited": data["invited"]}
            if responded
            else _("silent (0 of %(invited)s invited)") % {"invited": data["invited"]}
        )
        result.append(Bar(g.label, y, _segments(shares), note))
        y += BAR_HEIGHT + ROW_GAP
    whole = [(s.value, float(summary["tally"][s.value])) for s in Stance]
    whole.append(("not_expressed", float(summary["not_expressed"])))
    result.append(Bar(_("Equal weight"), y + ROW_GAP, _segments(whole), _("the whole")))
    return result


def height(bar_count: int) -> int:
    return int(TOP * 2 + bar_count * (BAR_HEIGHT + ROW_GAP) + ROW_GAP)


def _stance_words(stance: Stance) -> str:
    """A stance as a word in a sentence ("support with reservations"), in the reader's
    language."""
    return STANCE_LABELS[stance].lower()


def description(summary: dict[str, Any], order: Sequence[Group]) -> str:
    """The chart in words (its SVG <desc>), in the reader's language."""
    parts = []
    for g in order:
        data = summary["groups"][g.value]
        if not data["responded"]:
            parts.append(_("%(group)s: silent.") % {"group": g.label})
            continue
        counts = ", ".join(
            _("%(count)s %(stance)s")
            % {"count": data["stances"][s.value], "stance": _stance_words(s)}
            for s in Stance
            if data["stances"][s.value]
        )
        parts.append(
            ngettext(
                "%(group)s: %(counts)s, of %(num)d organisation that responded.",
                "%(group)s: %(counts)s, of %(num)d organisations that responded.",
                data["responded"],
            )
            % {"group": g.label, "counts": counts, "num": data["responded"]}
        )
    tally = ", ".join(
        _("%(stance)s %(share)s")
        % {"stance": _stance_words(s), "share": format_percent(summary["tally"][s.value])}
        for s in Stance
        if summary["tally"][s.value]
    )
    parts.append(
        _("Equal-weight whole: %(tally)s; not expressed %(share)s.")
        % {
            "tally": tally or _("nothing expressed"),
            "share": format_percent(summary["not_expressed"]),
        }
    )
    return " ".join(parts)
