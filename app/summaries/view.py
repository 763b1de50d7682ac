"""What the summary page and the PDF report show, built once from the summary. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app import i18n, markdown
from app.i18n import N_, Labels
from app.i18n import gettext as _
from app.rounds.rules import STANCE_LABELS, column_order
from app.summaries import chart
from app.summaries.summary import quote_role
from app.vocabulary import Group, RoundStatus, Stance

CONVERGENCE_LABELS = Labels(
    {
        "tripartite": N_("Tripartite consensus"),
        "bipartite": N_("Two groups agree"),
        "divergence": N_("No stance is the majority of two groups"),
    }
)
STANCE_TEXT = Labels(
    {s.value: STANCE_LABELS.english(s) for s in STANCE_LABELS}
    | {
        "divided": N_("Divided (no stance has more than half)"),
        "abstained": N_("Abstained (every organisation that responded abstained)"),
        "silent": N_("Silent (no position)"),
        "not_expressed": N_("Not expressed"),
    }
)

#: A round's state as written in a sentence ("status published"), in the reader's language.
STATUS_TEXT = Labels(
    {
        RoundStatus.DRAFT.value: N_("draft"),
        RoundStatus.SCHEDULED.value: N_("scheduled"),
        RoundStatus.OPEN.value: N_("open"),
        RoundStatus.CLOSED.value: N_("closed"),
        RoundStatus.PUBLISHED.value: N_("published"),
    }
)
#: Each group named as a group ("Workers group"), as the ILO names them.
GROUP_NAMES = Labels(
    {
        Group.GOVERNMENT.value: N_("Government group"),
        Group.WORKERS.value: N_("Workers group"),
        Group.EMPLOYERS.value: N_("Employers group"),
    }
)


#: How a quoted statement stands towards its group (``summary.quote_role``), said in words.
QUOTE_ROLE_TEXT = Labels(
    {
        "majority": N_("the group's majority"),
        "dissent": N_("dissent from the group's majority (%(majority)s)"),
        "divided": N_("the group is divided"),
        "abstain": N_("an abstention, not counted in the group's majority"),
    }
)


def group_state(group: Mapping[str, Any]) -> str:
    """A group's state as the summary names it: its majority stance, ``divided``, ``abstained``
    (every organisation that responded abstained: an abstention is not a stance) or
    ``silent``. The published ``majority`` says "divided" for both of the middle two."""
    majority = group["majority"]
    if majority is None:
        return "silent"
    if majority == "divided" and group["stances"].get(Stance.ABSTAIN.value) == group["responded"]:
        return "abstained"
    return str(majority)


def quote_label(quote: Mapping[str, Any], group: Mapping[str, Any]) -> str:
    """ "Oppose: dissent from the group's majority (support)", "Support: the group's majority"."""
    majority = group["majority"]
    stances = {s.value: s for s in Stance}
    role = quote_role(stances[quote["stance"]], stances.get(majority))
    how = QUOTE_ROLE_TEXT[role]
    if role == "dissent":
        how = how % {"majority": STANCE_TEXT[majority].lower()}
    return _("%(stance)s: %(how)s") % {"stance": STANCE_TEXT[quote["stance"]], "how": how}


def group_word(value: str) -> str:
    """A group as written inside a sentence ("workers"), in the reader's language."""
    return Group(value).label.lower()


def group_words(values: Iterable[str]) -> str:
    """Groups listed inside a sentence ("government, workers")."""
    return ", ".join(group_word(v) for v in values)


def percent(value: float) -> str:
    return i18n.format_percent(value)


def _quoted_as_text(group: dict[str, Any]) -> dict[str, Any]:
    """A group's figures with its quoted excerpts as plain text (an excerpt is cut from the
    markdown a statement was written in: shown as words, never as ``**`` marks)."""
    quotes = [q | {"text": markdown.plain_text(q["text"])} for q in group.get("quotes", ())]
    return group | {"quotes": quotes}


def view_context(summary: dict[str, Any]) -> dict[str, Any]:
    order = column_order(summary["round"]["id"])
    bars = chart.bars(summary, order)
    return {
        "summary": summary,
        "order": order,
        "groups": {g: _quoted_as_text(summary["groups"][g.value]) for g in Group},
        "stances": list(Stance),
        "stance_text": STANCE_TEXT,
        "status_text": STATUS_TEXT,
        "group_names": GROUP_NAMES,
        "group_word": group_word,
        "group_words": group_words,
        "convergence_label": CONVERGENCE_LABELS[summary["convergence"]["kind"]],
        "majorities": [(g, group_state(summary["groups"][g.value])) for g in order],
        "abstentions": summary["raw_counts"].get(Stance.ABSTAIN.value, 0),
        "quote_label": quote_label,
        "group_state": group_state,
        "chart_bars": bars,
        "chart_height": chart.height(len(bars)),
        "chart_desc": chart.description(summary, order),
        "chart_legend": [
            (key, STANCE_TEXT[key], colour, pattern)
            for key, (colour, pattern) in chart.STANCE_STYLE.items()
        ],
        "chart": chart,
        "pct": percent,
    }
