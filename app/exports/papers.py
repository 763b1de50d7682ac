"""The documents a ministry sends out of a round (the draft with its amendments, the revised
draft with its changes tracked, the outcome record) as plain data: what app/exports/word.py
and app/exports/odt.py write, every label already in the reader's language. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.drafts.rules import DiffPiece

#: The author of every tracked change (Word's w:author, ODF's dc:creator).
SECRETARIAT = "Tripartite secretariat"


@dataclass(frozen=True)
class Front:
    """What heads every document: its kind ("Draft text"), the round, its consultation, the
    date, and the words of the footer ("Page")."""

    kind: str
    title: str
    consultation: str
    subtitle: str
    date: str
    language: str
    page: str


@dataclass(frozen=True)
class AmendmentEntry:
    label: str  # "Amendment 2.1, proposed by Union A"
    text: str
    reason: str  # "Reason: …", or "" when none was given
    support: str  # "Equal-weight support: 41.7% (3 of 5 invited organisations)"
    groups: tuple[str, ...]  # one line per group: "Workers: Union A, Union B (2 of 2)"


@dataclass(frozen=True)
class ParagraphEntry:
    heading: str  # "Paragraph 2"
    text: str
    amendments: tuple[AmendmentEntry, ...] = ()


@dataclass(frozen=True)
class DraftPaper:
    front: Front
    heading: str
    paragraphs: tuple[ParagraphEntry, ...]
    no_amendment: str  # said under a paragraph nobody proposed to amend


@dataclass(frozen=True)
class TrackedParagraph:
    """One paragraph of a revised draft: its runs of kept, removed and added text. A paragraph
    added whole is ``added``; one removed whole is ``removed`` (its runs are all removals)."""

    pieces: tuple[DiffPiece, ...]
    added: bool = False
    removed: bool = False


@dataclass(frozen=True)
class RevisedPaper:
    front: Front
    heading: str
    note: str  # "Changes from round 1, “…”, are tracked: accept or reject them."
    paragraphs: tuple[TrackedParagraph, ...]
    author: str
    date: str  # ISO 8601, UTC: when the revision was published


@dataclass(frozen=True)
class RecordPaper:
    front: Front
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # heading, its paragraphs
    table_heading: str
    table: tuple[tuple[str, ...], ...]  # the equal-weight tally, header row first
    groups_heading: str
    groups_table: tuple[tuple[str, ...], ...]
    fingerprint_label: str
    fingerprint: str


def file_name(title: str, round_id: int, paper: str, fmt: str) -> str:
    """A sane name to save the document as: ``tripartite-round-7-pension-reform-draft.docx``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "round"
    return f"tripartite-round-{round_id}-{slug}-{paper}.{fmt}"


def accepted(paragraphs: tuple[TrackedParagraph, ...]) -> list[str]:
    """The text with every change accepted (the revised draft), paragraph by paragraph."""
    return [
        "".join(p.text for p in t.pieces if p.kind != "delete") for t in paragraphs if not t.removed
    ]


def rejected(paragraphs: tuple[TrackedParagraph, ...]) -> list[str]:
    """The text with every change rejected (the previous draft), paragraph by paragraph."""
    return [
        "".join(p.text for p in t.pieces if p.kind != "insert") for t in paragraphs if not t.added
    ]
