"""What the summary page and the PDF report show, built once from the summary. Pure."""

from __future__ import annotations

from typing import Any

from app import i18n
from app.rounds.rules import STANCE_LABELS, column_order
from app.summaries import chart
from app.vocabulary import Group, Stance

CONVERGENCE_LABELS = {
    "tripartite": "Tripartite consensus",
    "bipartite": "Two groups agree",
    "divergence": "No stance is the majority of two groups",
}
STANCE_TEXT = {s.value: label for s, label in STANCE_LABELS.items()} | {
    "divided": "Divided (no stance has more than half)",
    "silent": "Silent (no position)",
    "not_expressed": "Not expressed",
}


def percent(value: float) -> str:
    return i18n.format_percent(value)


def view_context(summary: dict[str, Any]) -> dict[str, Any]:
    order = column_order(summary["round"]["id"])
    bars = chart.bars(summary, order)
    return {
        "summary": summary,
        "order": order,
        "groups": {g: summary["groups"][g.value] for g in Group},
        "stances": list(Stance),
        "stance_text": STANCE_TEXT,
        "convergence_label": CONVERGENCE_LABELS[summary["convergence"]["kind"]],
        "majorities": [(g, summary["groups"][g.value]["majority"] or "silent") for g in order],
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
