"""What is indexed: one spec per kind (docs/search-design.md §1), each a Core select of its
source rows giving the texts and the keys that never change for the row.

The same selects serve the flush listener (the rows a flush touched, by id) and the rebuild
(every row, in batches): an entry always says what its source row says now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from app.caucus.models import CaucusPost, GroupStatement
from app.comments.models import Comment
from app.decisions.models import Action, ActionNote, Decision, DivergentPosition
from app.documents.models import Attachment, AttachmentVersion
from app.drafts.models import Amendment, DraftParagraph
from app.meetings.models import MeetingDocument, Minutes, MinutesComment, MinutesItem
from app.positions.models import Position
from app.rounds.models import Consultation, GroupSignoff, Round, RoundBrief
from app.vocabulary import Place, RoundStatus, SearchKind, Visibility

#: The keys every spec's select gives (NULL where the kind has none).
KEYS = (
    "scope",
    "round_id",
    "consultation_id",
    "meeting_id",
    "agenda_item_id",
    "organisation_id",
    "group_name",
    "author_id",
)
#: A column or attribute (mapped attributes are column expressions to Core).
Column = ColumnElement[Any] | InstrumentedAttribute[Any]
_NULL_TYPES = {"scope": String(20), "group_name": String(20)}


@dataclass(frozen=True)
class Spec:
    """One kind: its source table's id column, the select (texts ``t0``, ``t1`` …, markdown
    or not as ``markdown`` says; ``language``; KEYS; ``created_at``), and the flush
    ``triggers``: (model, watched attributes or None for new/deleted rows only, the source id
    of a changed row)."""

    kind: SearchKind
    id_column: InstrumentedAttribute[int]
    build: Callable[[], Select[Any]]
    markdown: tuple[bool, ...]
    triggers: tuple[Trigger, ...] = field(default=())


@dataclass(frozen=True)
class Trigger:
    model: type[Any]
    watched: tuple[str, ...]
    source_id: Callable[[Any], int]
    #: Only new and deleted rows (a version, an upload): changes need nothing.
    new_only: bool = False


def _select(
    source_id: Column,
    texts: list[Column],
    language: Column,
    created_at: Column,
    open_: ColumnElement[bool] | None = None,
    **keys: Column,
) -> Select[Any]:
    columns: list[ColumnElement[Any]] = [source_id.label("source_id")]
    columns.append((open_ if open_ is not None else false()).label("open"))
    columns += [func.coalesce(text, "").label(f"t{n}") for n, text in enumerate(texts)]
    columns.append(language.label("language"))
    for key in KEYS:
        value = keys.pop(key, None)
        if value is None:
            columns.append(null().cast(_NULL_TYPES.get(key, Integer())).label(key))
        else:
            columns.append(value.label(key))
    assert not keys, keys
    columns.append(created_at.label("created_at"))
    return select(*columns)


def _past_draft(r: Any = Round) -> ColumnElement[bool]:
    past: ColumnElement[bool] = r.status != RoundStatus.DRAFT
    return past


def open_position(r: Any = Round) -> ColumnElement[bool]:
    """A position every signed-in person may read whatever the time: its round past draft, and
    not sealed or closed (a sealed round's positions past its deadline are found through the
    live rule: ``visibility.unsealed``)."""
    return and_(
        _past_draft(r),
        or_(r.sealed.is_(False), r.status.in_([RoundStatus.CLOSED, RoundStatus.PUBLISHED])),
    )


def _mul() -> ColumnElement[str]:
    return literal("mul", String(3))


def _consultation() -> Select[Any]:
    c = Consultation
    return _select(c.id, [c.title, c.brief], _mul(), c.created_at, consultation_id=c.id)


def _round() -> Select[Any]:
    r = Round
    return _select(
        r.id,
        [r.title, r.brief],
        r.brief_language,
        r.created_at,
        _past_draft(),
        round_id=r.id,
        consultation_id=r.consultation_id,
    )


def _brief() -> Select[Any]:
    b, r = RoundBrief, Round
    return _select(
        b.id,
        [b.brief],
        b.language,
        b.updated_at,
        _past_draft(),
        round_id=b.round_id,
        consultation_id=r.consultation_id,
    ).join(r, r.id == b.round_id)


def _paragraph() -> Select[Any]:
    p, r = DraftParagraph, Round
    return _select(
        p.id,
        [p.text],
        r.brief_language,
        r.created_at,
        _past_draft(),
        round_id=p.round_id,
        consultation_id=r.consultation_id,
    ).join(r, r.id == p.round_id)


def _amendment() -> Select[Any]:
    a, r = Amendment, Round
    return _select(
        a.id,
        [a.text, a.reason],
        r.brief_language,
        a.created_at,
        and_(_past_draft(), a.withdrawn_at.is_(None)),
        round_id=a.round_id,
        consultation_id=r.consultation_id,
        organisation_id=a.organisation_id,
    ).join(r, r.id == a.round_id)


def _position() -> Select[Any]:
    p, r = Position, Round
    return _select(
        p.id,
        [p.statement],
        p.language,
        p.updated_at,
        open_position(r),
        round_id=p.round_id,
        consultation_id=r.consultation_id,
        organisation_id=p.organisation_id,
    ).join(r, r.id == p.round_id)


def _comment() -> Select[Any]:
    c, r = Comment, Round
    return _select(
        c.id,
        [c.body],
        c.language,
        c.created_at,
        and_(_past_draft(), c.visibility == Visibility.VISIBLE),
        round_id=c.round_id,
        consultation_id=r.consultation_id,
        organisation_id=c.organisation_id,
        author_id=c.author_id,
    ).join(r, r.id == c.round_id)


def _caucus_post() -> Select[Any]:
    p, r = CaucusPost, Round
    return _select(
        p.id,
        [p.body],
        _mul(),
        p.created_at,
        scope=p.group_name,
        round_id=p.round_id,
        consultation_id=r.consultation_id,
        organisation_id=p.organisation_id,
        group_name=p.group_name,
    ).join(r, r.id == p.round_id)


def _statement() -> Select[Any]:
    s, r = GroupStatement, Round
    return _select(
        s.id,
        [s.text],
        _mul(),
        s.created_at,
        scope=case((s.published_at.is_(None), s.group_name), else_=null()),
        round_id=s.round_id,
        consultation_id=r.consultation_id,
        group_name=s.group_name,
    ).join(r, r.id == s.round_id)


def _outcome() -> Select[Any]:
    r = Round
    return _select(
        r.id,
        [r.outcome],
        _mul(),
        func.coalesce(r.closed_at, r.created_at),
        and_(_past_draft(), r.outcome.is_not(None)),
        round_id=r.id,
        consultation_id=r.consultation_id,
    )


def _reservation() -> Select[Any]:
    g, r = GroupSignoff, Round
    return _select(
        g.id,
        [g.reservation],
        _mul(),
        func.coalesce(g.decided_at, g.requested_at),
        round_id=g.round_id,
        consultation_id=r.consultation_id,
        organisation_id=g.organisation_id,
        group_name=g.group_name,
    ).join(r, r.id == g.round_id)


def _attachment() -> Select[Any]:
    a, v = Attachment, AttachmentVersion
    return _select(
        a.id,
        [a.title, v.text],
        a.language,
        a.created_at,
        scope=case((a.place == Place.CAUCUS.value, a.group_name), else_=null()),
        round_id=a.round_id,
        consultation_id=a.consultation_id,
        organisation_id=a.organisation_id,
        group_name=a.group_name,
    ).outerjoin(v, (v.attachment_id == a.id) & (v.number == a.current_version))


def _meeting_document() -> Select[Any]:
    d = MeetingDocument
    return _select(
        d.id,
        [d.title, d.text],
        d.language,
        d.uploaded_at,
        meeting_id=d.meeting_id,
        agenda_item_id=d.agenda_item_id,
    )


def _minutes() -> Select[Any]:
    m = Minutes
    return _select(m.id, [m.preamble], _mul(), m.created_at, meeting_id=m.meeting_id)


def _minutes_item() -> Select[Any]:
    i, m = MinutesItem, Minutes
    return _select(
        i.id,
        [i.text],
        _mul(),
        m.created_at,
        meeting_id=m.meeting_id,
        agenda_item_id=i.agenda_item_id,
    ).join(m, m.id == i.minutes_id)


def _minutes_comment() -> Select[Any]:
    c, m = MinutesComment, Minutes
    return _select(
        c.id,
        [c.text],
        _mul(),
        c.written_at,
        meeting_id=m.meeting_id,
        agenda_item_id=c.agenda_item_id,
        organisation_id=c.organisation_id,
    ).join(m, m.id == c.minutes_id)


def _decision() -> Select[Any]:
    d = Decision
    return _select(
        d.id,
        [d.text],
        _mul(),
        d.opened_at,
        meeting_id=d.meeting_id,
        agenda_item_id=d.agenda_item_id,
    )


def _divergent() -> Select[Any]:
    p, d = DivergentPosition, Decision
    return _select(
        p.id,
        [p.text],
        _mul(),
        p.written_at,
        meeting_id=d.meeting_id,
        agenda_item_id=d.agenda_item_id,
        group_name=p.group_name,
    ).join(d, d.id == p.decision_id)


def _action() -> Select[Any]:
    a, d = Action, Decision
    return _select(
        a.id,
        [a.what],
        _mul(),
        a.created_at,
        meeting_id=d.meeting_id,
        agenda_item_id=d.agenda_item_id,
        organisation_id=a.owner_organisation_id,
        group_name=a.owner_group,
    ).join(d, d.id == a.decision_id)


def _action_note() -> Select[Any]:
    n, a, d = ActionNote, Action, Decision
    return (
        _select(
            n.id,
            [n.text],
            _mul(),
            n.written_at,
            meeting_id=d.meeting_id,
            agenda_item_id=d.agenda_item_id,
            organisation_id=n.organisation_id,
        )
        .join(a, a.id == n.action_id)
        .join(d, d.id == a.decision_id)
    )


def _own(*watched: str) -> Callable[[type[Any]], Trigger]:
    return lambda model: Trigger(model, watched, lambda row: row.id)


#: The round's columns ``open`` reads (a change refreshes the round's entries: index.on_flush).
ROUND_STATE = ("status", "sealed")

K = SearchKind
SPECS: dict[SearchKind, Spec] = {
    spec.kind: spec
    for spec in (
        Spec(
            K.CONSULTATION,
            Consultation.id,
            _consultation,
            (False, True),
            (_own("title", "brief")(Consultation),),
        ),
        Spec(
            K.ROUND,
            Round.id,
            _round,
            (False, True),
            (_own("title", "brief", "brief_language", *ROUND_STATE)(Round),),
        ),
        Spec(K.BRIEF, RoundBrief.id, _brief, (True,), (_own("brief", "language")(RoundBrief),)),
        Spec(K.PARAGRAPH, DraftParagraph.id, _paragraph, (True,), (_own("text")(DraftParagraph),)),
        Spec(
            K.AMENDMENT,
            Amendment.id,
            _amendment,
            (True, True),
            (_own("text", "reason", "withdrawn_at")(Amendment),),
        ),
        Spec(
            K.POSITION, Position.id, _position, (True,), (_own("statement", "language")(Position),)
        ),
        Spec(
            K.COMMENT,
            Comment.id,
            _comment,
            (True,),
            (_own("body", "language", "visibility")(Comment),),
        ),
        Spec(K.CAUCUS_POST, CaucusPost.id, _caucus_post, (True,), (_own("body")(CaucusPost),)),
        Spec(
            K.STATEMENT,
            GroupStatement.id,
            _statement,
            (True,),
            (_own("text", "published_at")(GroupStatement),),
        ),
        Spec(K.OUTCOME, Round.id, _outcome, (True,), (_own("outcome", *ROUND_STATE)(Round),)),
        Spec(
            K.RESERVATION,
            GroupSignoff.id,
            _reservation,
            (True,),
            (_own("reservation")(GroupSignoff),),
        ),
        Spec(
            K.ATTACHMENT,
            Attachment.id,
            _attachment,
            (False, False),
            (
                _own("title", "language", "current_version")(Attachment),
                Trigger(AttachmentVersion, (), lambda row: row.attachment_id, new_only=True),
            ),
        ),
        Spec(
            K.MEETING_DOCUMENT,
            MeetingDocument.id,
            _meeting_document,
            (False, False),
            (_own("title", "text", "language")(MeetingDocument),),
        ),
        Spec(K.MINUTES, Minutes.id, _minutes, (True,), (_own("preamble")(Minutes),)),
        Spec(K.MINUTES_ITEM, MinutesItem.id, _minutes_item, (True,), (_own("text")(MinutesItem),)),
        Spec(
            K.MINUTES_COMMENT,
            MinutesComment.id,
            _minutes_comment,
            (True,),
            (_own("text")(MinutesComment),),
        ),
        Spec(K.DECISION, Decision.id, _decision, (True,), (_own("text")(Decision),)),
        Spec(
            K.DIVERGENT,
            DivergentPosition.id,
            _divergent,
            (True,),
            (_own("text")(DivergentPosition),),
        ),
        Spec(K.ACTION, Action.id, _action, (False,), (_own("what")(Action),)),
        Spec(K.ACTION_NOTE, ActionNote.id, _action_note, (True,), (_own("text")(ActionNote),)),
    )
}

#: Kinds whose entries hang on a round (``index.reindex_round``).
ROUND_KINDS = (
    K.ROUND,
    K.BRIEF,
    K.PARAGRAPH,
    K.AMENDMENT,
    K.POSITION,
    K.COMMENT,
    K.CAUCUS_POST,
    K.STATEMENT,
    K.OUTCOME,
    K.RESERVATION,
    K.ATTACHMENT,
)
#: Kinds whose entries may be open (every other kind's entries never are).
OPEN_KINDS = (K.ROUND, K.BRIEF, K.PARAGRAPH, K.AMENDMENT, K.POSITION, K.COMMENT, K.OUTCOME)
#: Each watched model and its triggers.
TRIGGERS: dict[type[Any], list[tuple[SearchKind, Trigger]]] = {}
for _spec in SPECS.values():
    for _trigger in _spec.triggers:
        TRIGGERS.setdefault(_trigger.model, []).append((_spec.kind, _trigger))
#: The models whose rows are indexed (a Core delete or update of them bypasses the listener).
INDEXED_MODELS = frozenset(TRIGGERS)
del _spec, _trigger
