"""Rules of draft texts: splitting markdown into numbered paragraphs, word-level diffs, the
equal-weight tally of support for an amendment, who may propose and support, and what changed
between two drafts. Pure: no FastAPI, SQLAlchemy or database imports.

**Paragraphs** (``split_paragraphs``). A draft text is markdown, read as CommonMark blocks
(markdown-it); its paragraphs are the blocks separated by blank lines, except that:

- a heading (``# Article 3``, or a line underlined with ``===``/``---``) is kept with the block
  that follows it, so that "Article 3" and its text are one paragraph (a heading with nothing
  after it is a paragraph of its own);
- a list stays one paragraph, even with blank lines between its items or indented lines
  continuing an item (as CommonMark counts them in the item), and a list following a list;
- a fenced code block (```` ``` ```` or ``~~~``) stays whole, blank lines included, and so does
  an indented one.

Blocks with no blank line between them are one paragraph. Trailing spaces and runs of blank
lines are folded, except inside code blocks.

**Support for an amendment** (``amendment_tally``). Among the round's invited organisations of
each group, the share that supports the amendment (an organisation counts once, however many
of its people clicked; the proposing organisation counts as supporting). Each group carries the
round's weight for it (1:1:1, or 2:1:1 for government:employers:workers), so the weighted
support is Σ_g w_g · supporters_g / invited_g, computed by the same pure tally as positions
(``app.summaries.tally``): a supporting organisation is a ``support`` fact, every other invited
organisation of the group a fact that does not support. A group none of whose organisations
supports contributes nothing, and its weight is never handed to the others; a group with no
invited organisation is "not expressed". Raw counts and the names of the supporting
organisations are shown beside the weighted figure.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from markdown_it import MarkdownIt

from app.errors import Conflict, DomainError
from app.i18n import N_
from app.i18n import gettext as _
from app.markdown import plain_text
from app.rounds.rules import clean_text
from app.summaries.tally import PositionFact, Tally, tally
from app.vocabulary import Group, RoundStatus, Stance, Weighting

DRAFT_MAX = 40_000
PARAGRAPH_MAX = 10_000
MAX_PARAGRAPHS = 200
AMENDMENT_MAX = PARAGRAPH_MAX
REASON_MAX = 2_000

#: How a draft text is read into blocks: CommonMark, as it is rendered (HTML shown as text,
#: tables on), so that the paragraphs are cut where the page shows blocks.
_BLOCKS = MarkdownIt("commonmark", {"html": False}).enable("table").disable("inline")
_LISTS = {"bullet_list", "ordered_list"}
_VERBATIM = {"fence", "code_block"}


# -- splitting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """A top-level CommonMark block: lines ``start`` to ``end`` (excluded) of the text."""

    start: int
    end: int
    kind: str  # the opening token's type ("paragraph" for text no token covers)


def _blocks(lines: list[str]) -> tuple[list[_Block], set[int]]:
    """The text's top-level blocks in order (trailing blank lines left out; lines no token
    covers, such as link reference definitions, kept as blocks of their own), and the lines
    inside code blocks, which are kept as written."""
    blocks: list[_Block] = []
    verbatim: set[int] = set()
    for token in _BLOCKS.parse("\n".join(lines)):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in _VERBATIM:
            verbatim.update(range(start, end))
        if token.level == 0 and token.nesting >= 0:
            blocks.append(_Block(start, end, token.type.removesuffix("_open")))
    covered = {n for block in blocks for n in range(block.start, block.end)}
    run: list[int] = []
    for n, line in enumerate([*lines, ""]):
        if n not in covered and line.strip():
            run.append(n)
        elif run:
            blocks.append(_Block(run[0], run[-1] + 1, "paragraph"))
            run = []
    trimmed: list[_Block] = []
    for block in sorted(blocks, key=lambda block: block.start):
        end = block.end
        while end > block.start and not lines[end - 1].strip():
            end -= 1
        if end > block.start:
            trimmed.append(_Block(block.start, end, block.kind))
    return trimmed, verbatim


def _groups(blocks: list[_Block]) -> list[list[_Block]]:
    """Blocks with no blank line between them, together."""
    groups: list[list[_Block]] = []
    for block in blocks:
        if groups and groups[-1][-1].end == block.start:
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def _text(lines: list[str], start: int, end: int, verbatim: set[int]) -> str:
    """Lines ``start`` to ``end`` as one paragraph: trailing spaces and runs of blank lines
    folded, except in code blocks."""
    kept: list[str] = []
    for n in range(start, end):
        line = lines[n] if n in verbatim else lines[n].rstrip()
        if line or n in verbatim or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept)


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of a markdown draft text, in order (see the module's docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks, verbatim = _blocks(lines)
    spans: list[list[int]] = []  # [first line, last line + 1] of each paragraph
    headings: list[_Block] = []
    in_list = False
    for group in _groups(blocks):
        starts_list = group[0].kind in _LISTS
        if spans and in_list and not headings and starts_list:
            spans[-1][1] = group[-1].end  # a list that goes on after a list: the same one
            continue
        if all(block.kind == "heading" for block in group):
            headings += group
            in_list = False
            continue
        spans.append([(headings or group)[0].start, group[-1].end])
        headings = []
        in_list = starts_list
    if headings:
        spans.append([headings[0].start, headings[-1].end])
    return [_text(lines, start, end, verbatim) for start, end in spans]


#: Words that name a numbered part of a text, in the platform's languages.
_PART_WORDS = (
    "article|art\\.|section|chapter|part|paragraph|annex|rule|regulation|clause|title|"
    "schedule|chapitre|partie|annexe|paragraphe|règle|titre|artículo|articulo|"
    "capítulo|capitulo|sección|seccion|parte|anexo|párrafo|parrafo|regla|título|titulo"
)
_NUMBER = r"(?:\d+|[ivxlcdm]+|[a-z])(?:\.(?:\d+|[ivxlcdm]+|[a-z]))*"
_WORD_LABEL = re.compile(rf"(?:{_PART_WORDS})\s+(?:{_NUMBER}|premier|première|primero)\.?", re.I)
_NUMBER_LABEL = re.compile(r"\d+(?:\.(?:\d+|[ivxlcdm]+|[a-z]))+\.?|\d+\.", re.I)
_BRACKET_LABEL = re.compile(r"\((?:\d+|[ivxlcdm]+|[a-z])\)", re.I)


def _ends_label(rest: str, label: str, strict: bool) -> bool:
    """Whether the plain text after a possible label lets it be one: a space, punctuation or
    the end of the line; with ``strict`` (a word label in plain text, "Article 3"), only
    punctuation, the end of the line or a label of its own ending in a full stop."""
    if not rest:
        return True
    if strict:
        return label.endswith(".") or re.match(r"^\s*[-:—–)]", rest) is not None
    return rest[0].isspace() or rest[0] in ":—–-)"


def paragraph_label(text: str) -> str | None:
    """The label a paragraph's text starts with -- "Article 3", "3.1", "3.1.a", "(ii)" --
    as written in bold (``**Article 3.** Scope``), in a heading (``# Article 3 Scope``) or
    typed (``3.1 Each member``); None when it starts with none. A trailing full stop is left
    out. A label in plain text counts only if a number is dotted ("3.1", "3.") or the label
    ends its line or is followed by punctuation, so that "Article 3 of the Convention" is not
    read as a label."""
    heading = text.lstrip().startswith("#")
    line = text.lstrip().split("\n", 1)[0]
    line = re.sub(r"^#{1,6}\s+", "", line).strip().rstrip("#").strip()
    if re.match(r"^\d+[.)](\s|$)", line):
        return None  # a markdown numbered list, not a label
    line = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", line)  # markdown escapes
    bold = re.match(r"^(\*\*|__)(.+?)\1", line)
    candidate, marked = (bold.group(2).strip(), True) if bold else (line, False)
    for pattern in (_WORD_LABEL, _NUMBER_LABEL, _BRACKET_LABEL):
        found = pattern.match(candidate)
        if found is None:
            continue
        label = found.group(0)
        rest = candidate[len(label) :]
        if marked and rest.strip():
            continue  # the bold run is more than a label
        if not marked and not _ends_label(rest, label, pattern is _WORD_LABEL and not heading):
            continue
        return label[:-1] if label.endswith(".") and len(label) > 1 else label
    return None


def check_draft(text: str) -> list[str]:
    """The paragraphs of a draft text a moderator pasted, or why it cannot be used."""
    text = clean_text(
        text, field="text", label=N_("The draft text"), max_length=DRAFT_MAX, required=True
    )
    return check_paragraphs(split_paragraphs(text))


def check_paragraphs(paragraphs: Sequence[str], field: str = "text") -> list[str]:
    if not paragraphs:
        raise DomainError(_("The draft text needs at least one paragraph."), field=field)
    if len(paragraphs) > MAX_PARAGRAPHS:
        raise DomainError(
            _("A draft text has at most %(limit)s paragraphs; this one has %(count)s.")
            % {"limit": MAX_PARAGRAPHS, "count": len(paragraphs)},
            field=field,
        )
    for number, paragraph in enumerate(paragraphs, start=1):
        if len(paragraph) > PARAGRAPH_MAX:
            raise DomainError(
                _("Paragraph %(number)s is longer than %(limit)s characters: split it.")
                % {"number": number, "limit": PARAGRAPH_MAX},
                field=field,
            )
    return list(paragraphs)


def normalised(text: str) -> str:
    """A text compared for sameness: whitespace folded."""
    return " ".join(text.split())


def is_same_text(brief: str, paragraphs: Sequence[str]) -> bool:
    """Whether the draft text is the brief itself (then the brief is not shown twice)."""
    return [normalised(p) for p in split_paragraphs(brief)] == [normalised(p) for p in paragraphs]


# -- who may do what --------------------------------------------------------------------------


def may_import(status: RoundStatus, contributions: int) -> None:
    """A moderator sets or replaces a round's draft text while the round is a draft or
    scheduled, or open as long as nobody has proposed an amendment or commented on a paragraph
    (their words would lose the paragraph they are about). Raises the refusal (409)."""
    if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        raise Conflict(
            _(
                "This round is closed: its draft text can no longer change. Publish a "
                "revised draft as the next round instead."
            )
        )
    if contributions:
        raise Conflict(
            _(
                "Organisations have already proposed amendments or commented on the "
                "paragraphs: the draft text can no longer be replaced in this round."
            )
        )


def may_revise(status: RoundStatus, next_round_number: int | None) -> None:
    """A revised draft is published as the next round once the round has closed, once."""
    if status not in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        raise Conflict(_("A revised draft can be published only after the round has closed."))
    if next_round_number is not None:
        raise Conflict(
            _("Round %(number)s already revises this round's draft.")
            % {"number": next_round_number}
        )


def check_amendment(text: str, reason: str, paragraph: str) -> tuple[str, str]:
    """The proposed replacement text and its reason, cleaned, or why they are refused (422)."""
    text = clean_text(
        text, field="text", label=N_("The amended text"), max_length=AMENDMENT_MAX, required=True
    )
    reason = clean_text(
        reason, field="reason", label=N_("The reason"), max_length=REASON_MAX, required=False
    )
    if normalised(text) == normalised(paragraph):
        raise DomainError(
            _("The amended text is the same as the paragraph: change something, or cancel."),
            field="text",
        )
    return text, reason


def may_support(organisation_id: int, proposer_id: int, supporters: Iterable[int]) -> None:
    """An organisation supports an amendment once; the proposing organisation already counts
    as supporting it. Raises the refusal (409)."""
    if organisation_id == proposer_id:
        raise Conflict(
            _("Your organisation proposed this amendment: it already counts as supporting it.")
        )
    if organisation_id in set(supporters):
        raise Conflict(_("Your organisation already supports this amendment."))


# -- word-level diff --------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffPiece:
    """A run of the text: ``equal`` (kept), ``delete`` (removed) or ``insert`` (added)."""

    kind: str
    text: str


def word_diff(old: str, new: str) -> list[DiffPiece]:
    """How ``new`` differs from ``old``, word by word (whitespace kept), as runs of kept,
    removed and added text; a replaced run is its removal followed by its addition."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    pieces: list[DiffPiece] = []

    def add(kind: str, tokens: Sequence[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1].kind == kind:
            pieces[-1] = DiffPiece(kind, pieces[-1].text + text)
        else:
            pieces.append(DiffPiece(kind, text))

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            add("equal", before[i1:i2])
        else:
            add("delete", before[i1:i2])
            add("insert", after[j1:j2])
    return pieces


def text_diff(old: str, new: str) -> list[DiffPiece]:
    """``word_diff`` of two markdown texts as a person reads them: over their plain text
    (``app.markdown.plain_text``: no ``**`` marks, a list item per line), so that a diff
    never shows markdown's punctuation. A change the plain text cannot show (a link's
    address, emphasis, a heading's level) is shown over the markdown itself, so that an
    amendment never reads as no change."""
    before, after = plain_text(old), plain_text(new)
    if before == after and old != new:
        return word_diff(old, new)
    return word_diff(before, after)


# -- support for an amendment -----------------------------------------------------------------


@dataclass(frozen=True)
class Invited:
    """An organisation the round invites."""

    id: int
    name: str
    group: Group


@dataclass(frozen=True)
class GroupSupport:
    group: Group
    weight: Fraction
    supporters: tuple[str, ...]
    invited: int

    @property
    def expressed(self) -> bool:
        return self.invited > 0

    @property
    def share(self) -> Fraction:
        return Fraction(len(self.supporters), self.invited) if self.invited else Fraction(0)


@dataclass(frozen=True)
class AmendmentTally:
    weighting: Weighting
    #: The weighted support, exact: Σ_g w_g · share_g.
    support: Fraction
    #: The weight of groups with no invited organisation (shown, never redistributed).
    not_expressed: Fraction
    #: Per group, in the order asked for (the round's column order).
    groups: tuple[GroupSupport, ...]

    @property
    def supporters(self) -> int:
        return sum(len(g.supporters) for g in self.groups)

    @property
    def invited(self) -> int:
        return sum(g.invited for g in self.groups)


def amendment_tally(
    invited: Iterable[Invited],
    supporting: Iterable[int],
    weighting: Weighting = Weighting.EQUAL,
    order: Sequence[Group] = tuple(Group),
) -> AmendmentTally:
    """The equal-weight tally of support for one amendment (see the module's docstring)."""
    supporting_ids = set(supporting)
    organisations = {org.id: org for org in invited}
    facts = [
        PositionFact(
            org.group,
            f"{org.id}",
            Stance.SUPPORT if org.id in supporting_ids else Stance.ABSTAIN,
        )
        for org in organisations.values()
    ]
    counted: Tally = tally(facts, weighting)
    groups = tuple(
        GroupSupport(
            group,
            counted.groups[group].weight,
            tuple(
                sorted(
                    o.name
                    for o in organisations.values()
                    if o.group is group and o.id in supporting_ids
                )
            ),
            counted.groups[group].responded,
        )
        for group in order
    )
    return AmendmentTally(weighting, counted.overall[Stance.SUPPORT], counted.not_expressed, groups)


# -- each group's voices on a paragraph -------------------------------------------------------

PROPOSED, SUPPORTS, COMMENTED = "proposed", "supports", "commented"


@dataclass(frozen=True)
class Voice:
    """What one organisation did on a paragraph: ``proposed`` or ``supports`` (with the
    amendments' labels), or ``commented``."""

    organisation: str
    proposed: tuple[str, ...] = ()
    supports: tuple[str, ...] = ()
    commented: bool = False


@dataclass(frozen=True)
class GroupVoices:
    group: Group
    voices: tuple[Voice, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Act:
    """One organisation's act on a paragraph: it proposed or supports the amendment
    ``label``, or (``kind`` COMMENTED, no label) commented."""

    organisation_id: int
    kind: str
    label: str = ""


def paragraph_voices(
    order: Sequence[Group], invited: Iterable[Invited], acts: Iterable[Act]
) -> list[GroupVoices]:
    """Per group, in ``order``, the organisations that spoke on a paragraph and how (by name;
    an organisation not invited is left out)."""
    organisations = {org.id: org for org in invited}
    proposed: dict[int, list[str]] = {}
    supports: dict[int, list[str]] = {}
    commented: set[int] = set()
    for act in acts:
        if act.organisation_id not in organisations:
            continue
        if act.kind == PROPOSED:
            proposed.setdefault(act.organisation_id, []).append(act.label)
        elif act.kind == SUPPORTS:
            supports.setdefault(act.organisation_id, []).append(act.label)
        else:
            commented.add(act.organisation_id)
    speaking = set(proposed) | set(supports) | commented
    result = []
    for group in order:
        voices = tuple(
            Voice(
                org.name,
                tuple(proposed.get(org.id, ())),
                tuple(
                    label
                    for label in supports.get(org.id, ())
                    if label not in proposed.get(org.id, ())
                ),
                org.id in commented,
            )
            for org in sorted(organisations.values(), key=lambda o: o.name)
            if org.group is group and org.id in speaking
        )
        result.append(GroupVoices(group, voices))
    return result


# -- what changed between two drafts ----------------------------------------------------------

UNCHANGED, CHANGED, ADDED, REMOVED = "unchanged", "changed", "added", "removed"
#: Two paragraphs this alike (difflib's ratio over words) are one paragraph changed, not one
#: removed and another added.
ALIKE = 0.4


@dataclass(frozen=True)
class ParagraphChange:
    kind: str
    #: The paragraph's number in the new draft (None: removed) and in the previous one.
    number: int | None
    previous_number: int | None
    text: str
    diff: tuple[DiffPiece, ...] = ()


def _alike(old: str, new: str) -> bool:
    matcher = difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False)
    return matcher.ratio() >= ALIKE


def compare_drafts(previous: Sequence[str], current: Sequence[str]) -> list[ParagraphChange]:
    """Paragraph by paragraph, what ``current`` did to ``previous``: unchanged, changed (with
    its word diff), added or removed; in the order of the new draft, removals where they were."""
    before = [normalised(p) for p in previous]
    after = [normalised(p) for p in current]
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    changes: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            changes += [
                ParagraphChange(UNCHANGED, j + 1, i + 1, current[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        old, new = list(range(i1, i2)), list(range(j1, j2))
        while old or new:
            if old and new and _alike(previous[old[0]], current[new[0]]):
                i, j = old.pop(0), new.pop(0)
                diff = tuple(text_diff(previous[i], current[j]))
                changes.append(ParagraphChange(CHANGED, j + 1, i + 1, current[j], diff))
            elif old and (not new or len(old) >= len(new)):
                i = old.pop(0)
                changes.append(ParagraphChange(REMOVED, None, i + 1, previous[i]))
            else:
                j = new.pop(0)
                changes.append(ParagraphChange(ADDED, j + 1, None, current[j]))
    return changes


def revised_paragraphs(texts: Iterable[str]) -> list[str]:
    """The paragraphs of a revised draft from the revision form's boxes, in order: an empty box
    removes its paragraph, a box holding blank lines becomes several paragraphs."""
    paragraphs: list[str] = []
    for text in texts:
        cleaned = clean_text(
            text,
            field="paragraphs",
            label=N_("A paragraph"),
            max_length=DRAFT_MAX,
            required=False,
        )
        paragraphs += split_paragraphs(cleaned) if cleaned else []
    return check_paragraphs(paragraphs, field="paragraphs")
