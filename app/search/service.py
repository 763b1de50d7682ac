"""Search: what a person may find, ranked, counted and faceted (docs/search-design.md §1, §3).

One statement finds the page: the engine's match on the general partition and the viewer's
own groups' caucus partitions (``hits``), joined with each kind's live source row under the
visibility predicates of app.search.visibility (``visible``), ordered and cut to a page. One
more counts the total and the facets over the same ``visible`` rows, and one reads the page's
display facts (round titles, organisation names, comment page numbers) for every hit at once:
three statements whatever the number of results, none of which reads a row the viewer may not
see. The statements' text depends on the filters and the viewer only, never on the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from app.accounts.rules import Viewer
from app.bodies.models import Body
from app.caucus.models import CaucusPost, GroupStatement
from app.comments.models import Comment
from app.decisions.models import Action, ActionNote, Decision, DivergentPosition
from app.documents.models import Attachment
from app.drafts.models import Amendment, DraftParagraph
from app.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingDocument,
    Minutes,
    MinutesComment,
    MinutesItem,
)
from app.organisations.models import Organisation
from app.positions.models import Position
from app.rounds.models import Consultation, GroupSignoff, Round, RoundBrief
from app.search import rules, schema
from app.search import visibility as v
from app.search.models import SearchEntry
from app.vocabulary import AgendaItemStatus, Group, Place, RoundStatus, SearchKind

PER_PAGE = 20
#: Matches counted at most ("10,000+" beyond).
COUNT_CAP = 10_000
#: Threads per page of a round's discussion (``app.rounds.page.THREADS_PER_PAGE``: a service
#: does not import a page; tests/test_search_service.py holds them equal).
THREADS_PER_PAGE = 30
FACETS = ("kind", "group", "year", "language")
SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchQuery:
    text: str
    kinds: frozenset[SearchKind] = frozenset()  # empty: every kind
    country: str = ""
    consultation_id: int | None = None
    subject: str = ""  # rounds.kind code (C144 subjects)
    group: Group | None = None
    organisation_id: int | None = None
    stance: str = ""
    year: int | None = None
    sort: str = "relevance"  # or "date"
    page: int = 1


@dataclass(frozen=True)
class Hit:
    entry_id: int
    kind: SearchKind
    source_id: int
    url: str
    title: str
    snippet: tuple[tuple[str, bool], ...]
    round_id: int | None
    round_title: str | None
    organisation_name: str | None
    group: Group | None
    language: str
    created_at: datetime


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    hits: tuple[Hit, ...]
    total: int
    total_capped: bool
    facets: dict[str, tuple[tuple[str, int], ...]]  # "kind", "group", "year", "language"
    languages: tuple[str, ...]  # languages whose stems matched
    suggestion: str | None

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // PER_PAGE))


E = SearchEntry
_ENTRY = SearchEntry.__table__
# Aliases made once: an alias made per call adapts every column it is asked for again (most of
# a search's Python time at 1,000,000 comments was spent there), and its statements are the
# same each time.
_ENTRY_ORG = aliased(Organisation, name="entry_org")
_ROOT = aliased(Comment, name="root")
_EARLIER = aliased(Comment, name="earlier")
_FIRST_ROUND = aliased(Round, name="first_round")
_PAGE_ENTRY = aliased(SearchEntry, name="entry")


# -- the engine's match ------------------------------------------------------------------------


#: The entry's columns the filters and the visibility read: PostgreSQL's match gives them
#: from the rows it matched (joining ``search_entries`` again by id made the planner hash the
#: whole table, a million rows, for every frequent word).
_KEY_COLUMNS = (
    "kind",
    "source_id",
    "language",
    "created_at",
    "round_id",
    "consultation_id",
    "meeting_id",
    "agenda_item_id",
    "organisation_id",
    "group_name",
)
_KEYS = ", ".join(f"e.{column}" for column in _KEY_COLUMNS)


def _postgres_matches(
    query: rules.ParsedQuery, groups: Sequence[Group]
) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    parts = []
    for code in rules.LANGUAGES:
        if query.kept[code]:
            params[f"q_{code}"] = rules.tsquery_words(query, code)
            parts.append(f"to_tsquery('{schema.configuration(code)}', CAST(:q_{code} AS text))")
    tsquery = "(" + " || ".join(parts) + ")"
    document = f"e.{schema.DOCUMENT}"
    selects = []
    for scope in (None, *groups):
        where = "e.scope IS NULL" if scope is None else f"e.scope = '{Group(scope).value}'"
        selects.append(
            f"SELECT e.id AS id, ts_rank_cd({document}, {tsquery}) AS score, {_KEYS} "
            f"FROM search_entries e WHERE {where} AND {document} @@ {tsquery}"
        )
    return " UNION ALL ".join(selects), params


def _sqlite_matches(
    query: rules.ParsedQuery, groups: Sequence[Group]
) -> tuple[str, dict[str, Any]]:
    selects = []
    for scope in (None, *groups):
        table = schema.fts_table(scope)
        selects.append(
            f"SELECT rowid AS id, -bm25({table}) AS score FROM {table} WHERE {table} MATCH :m"
        )
    return " UNION ALL ".join(selects), {"m": rules.fts5_match(query)}


def _matches(dialect: str, query: rules.ParsedQuery, f: v.Facts) -> Any:
    """The entries the engine matches in the partitions the viewer reads: (id, score), the
    higher the score the better, and on PostgreSQL the entry's keys (_KEY_COLUMNS)."""
    if dialect == "postgresql":
        sql, params = _postgres_matches(query, f.groups)
        table = SearchEntry.__table__.c
        keys = {column: table[column].type for column in _KEY_COLUMNS}
        return (
            text(sql)
            .bindparams(**params)
            .columns(id=Integer(), score=Float(), **keys)
            .subquery("matches")
        )
    sql, params = _sqlite_matches(query, f.groups)
    return text(sql).bindparams(**params).columns(id=Integer(), score=Float()).subquery("matches")


# -- the filters and the visible rows ----------------------------------------------------------


def _hits(
    dialect: str, parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> Any:
    """The matching entries with their filterable keys, filtered (no visibility yet)."""
    matches = _matches(dialect, parsed, f)
    o = _ENTRY_ORG
    # the entry's keys: PostgreSQL's match gives them, SQLite's FTS5 rowid is joined to them
    e: Any = matches.c if dialect == "postgresql" else E
    group = func.coalesce(o.group_name, e.group_name)
    statement = select(
        matches.c.id,
        matches.c.score,
        e.kind,
        e.source_id,
        e.language,
        e.created_at,
        e.round_id,
        e.consultation_id,
        e.meeting_id,
        e.agenda_item_id,
        e.organisation_id,
        e.group_name,
        group.label("grp"),
    ).select_from(matches)
    if dialect != "postgresql":
        statement = statement.join(E, E.id == matches.c.id)
    statement = statement.outerjoin(o, o.id == e.organisation_id)
    if after:
        statement = statement.where(matches.c.id > after)
    if query.consultation_id is not None:
        statement = statement.where(e.consultation_id == query.consultation_id)
    if query.organisation_id is not None:
        statement = statement.where(e.organisation_id == query.organisation_id)
    if query.group is not None:
        statement = statement.where(group == query.group.value)
    if query.subject:
        statement = statement.where(
            e.round_id.in_(select(Round.id).where(Round.kind == query.subject))
        )
    if query.country:
        statement = statement.where(
            or_(
                e.consultation_id.in_(
                    select(Consultation.id).where(Consultation.country == query.country)
                ),
                e.meeting_id.in_(
                    select(Meeting.id)
                    .join(Body, Body.id == Meeting.body_id)
                    .where(Body.country == query.country)
                ),
            )
        )
    if query.year is not None:
        start = datetime(query.year, 1, 1, tzinfo=UTC)
        end = datetime(query.year + 1, 1, 1, tzinfo=UTC)
        statement = statement.where(e.created_at >= start, e.created_at < end)
    return statement.cte("hits")


def _branch(
    hits: Any,
    kind: SearchKind,
    joins: Callable[[Select[Any]], Select[Any]],
    condition: ColumnElement[bool],
    x1: Any = None,
    x2: Any = None,
) -> Select[Any]:
    columns = [
        hits.c.id,
        hits.c.score,
        hits.c.kind,
        hits.c.source_id,
        hits.c.language,
        hits.c.created_at,
        hits.c.round_id,
        hits.c.consultation_id,
        hits.c.meeting_id,
        hits.c.agenda_item_id,
        hits.c.organisation_id,
        hits.c.group_name,
        hits.c.grp,
        (x1 if x1 is not None else null().cast(Integer)).label("x1"),
        (x2 if x2 is not None else null().cast(Integer)).label("x2"),
    ]
    statement = select(*columns).select_from(hits)
    return joins(statement).where(hits.c.kind == kind.value, condition)


def _branches(hits: Any, f: v.Facts, query: SearchQuery) -> list[Select[Any]]:
    K = SearchKind
    wanted = set(query.kinds) or set(K)
    if query.stance:
        wanted &= {K.POSITION}
    found: list[Select[Any]] = []

    def add(kind: SearchKind, *args: Any, **kwargs: Any) -> None:
        if kind in wanted:
            found.append(_branch(hits, kind, *args, **kwargs))

    r = Round
    on_round = hits.c.round_id

    def source(model: Any) -> Callable[[Select[Any]], Select[Any]]:
        def join(s: Select[Any]) -> Select[Any]:
            s = s.join(model, model.id == hits.c.source_id)
            if model is not Round:
                s = s.join(r, r.id == on_round)
            return s

        return join

    c = Consultation
    add(
        K.CONSULTATION,
        lambda s: s.join(c, c.id == hits.c.source_id),
        v.consultation_visible(f, c.id),
    )
    add(K.ROUND, source(Round), v.read(f))
    add(K.BRIEF, source(RoundBrief), v.read(f))
    add(K.PARAGRAPH, source(DraftParagraph), v.read(f), x1=DraftParagraph.number)
    add(K.AMENDMENT, source(Amendment), and_(v.read(f), Amendment.withdrawn_at.is_(None)))
    position = and_(v.read(f), or_(v.unsealed(f), v.own_organisation(f, Position.organisation_id)))
    if query.stance:
        position = and_(position, Position.stance == query.stance)
    add(K.POSITION, source(Position), position)
    add(
        K.COMMENT,
        source(Comment),
        and_(v.read(f), v.comment_text(f, Comment)),
        x1=Comment.paragraph_id,
        x2=func.coalesce(Comment.thread_id, Comment.id),
    )
    add(
        K.CAUCUS_POST,
        source(CaucusPost),
        v.member(f, CaucusPost.group_name, CaucusPost.round_id),
    )
    s = GroupStatement
    add(
        K.STATEMENT,
        source(s),
        or_(
            and_(s.published_at.is_not(None), v.read(f)),
            v.member(f, s.group_name, s.round_id),
        ),
        x1=case((s.published_at.is_not(None), 1), else_=0),
    )
    add(K.OUTCOME, source(Round), and_(v.read(f), Round.outcome.is_not(None)))
    add(
        K.RESERVATION,
        source(GroupSignoff),
        and_(v.read(f), GroupSignoff.status == "reservation"),
    )
    a = Attachment
    add(
        K.ATTACHMENT,
        lambda s: s.join(a, a.id == hits.c.source_id).outerjoin(r, r.id == a.round_id),
        or_(
            and_(a.place == Place.CONSULTATION, v.consultation_visible(f, a.consultation_id)),
            and_(a.place == Place.ROUND, v.read(f)),
            and_(
                a.place == Place.POSITION,
                v.read(f),
                or_(v.unsealed(f), v.own_organisation(f, a.organisation_id)),
            ),
            and_(a.place == Place.CAUCUS, v.member(f, a.group_name, a.round_id)),
        ),
    )

    m = Meeting
    ai = AgendaItem

    def in_meeting(model: Any, *more: Any) -> Callable[[Select[Any]], Select[Any]]:
        def join(s: Select[Any]) -> Select[Any]:
            s = s.join(model, model.id == hits.c.source_id)
            for extra, on in more:
                s = s.join(extra, on)
            s = s.join(m, m.id == hits.c.meeting_id)
            return s.outerjoin(ai, ai.id == hits.c.agenda_item_id)

        return join

    d = MeetingDocument
    add(
        K.MEETING_DOCUMENT,
        in_meeting(d),
        and_(
            v.meeting(f, m),
            v.restricted_visible(f, d, m),
            or_(d.agenda_item_id.is_(None), v.restricted_visible(f, ai, m)),
        ),
    )
    mi = Minutes
    add(K.MINUTES, in_meeting(mi), v.minutes(f, mi, m))
    add(
        K.MINUTES_ITEM,
        in_meeting(MinutesItem, (mi, mi.id == MinutesItem.minutes_id)),
        and_(
            v.minutes(f, mi, m),
            ai.status == AgendaItemStatus.ACCEPTED,
            v.restricted_visible(f, ai, m),
        ),
        x1=MinutesItem.minutes_id,
    )
    mc = MinutesComment
    add(
        K.MINUTES_COMMENT,
        in_meeting(mc, (mi, mi.id == mc.minutes_id)),
        and_(
            v.minutes(f, mi, m),
            true() if f.moderator else v.body_member(f, m.body_id),
            or_(mc.agenda_item_id.is_(None), v.restricted_visible(f, ai, m)),
        ),
        x1=mc.minutes_id,
    )
    on_item = and_(v.item(f, ai, m), ai.id.is_not(None))
    add(K.DECISION, in_meeting(Decision), on_item)
    add(K.DIVERGENT, in_meeting(DivergentPosition), on_item, x1=DivergentPosition.decision_id)
    add(K.ACTION, in_meeting(Action), on_item)
    add(K.ACTION_NOTE, in_meeting(ActionNote), on_item, x1=ActionNote.action_id)
    return found


def _visible(
    db: Session, viewer: Viewer | None, query: SearchQuery, now: datetime, after: int
) -> tuple[Any, rules.ParsedQuery]:
    """The visible matches as one subquery (None when nothing can match)."""
    parsed = rules.parse_query(query.text)
    if parsed.empty:
        return None, parsed
    f = v.facts(viewer, now)
    hits = _hits(db.get_bind().dialect.name, parsed, query, f, after)
    branches = _branches(hits, f, query)
    if not branches:
        return None, parsed
    return union_all(*branches).subquery("visible"), parsed


# -- display facts -----------------------------------------------------------------------------


@dataclass
class _Facts:
    rounds: dict[int, str]
    meetings: dict[int, str]
    organisations: dict[int, str]
    comment_pages: dict[int, int]
    first_rounds: dict[int, int]


def _display_facts(db: Session, f: v.Facts, rows: Sequence[Any]) -> _Facts:
    """The page's round titles, meeting titles, organisation names, comment page numbers and
    consultations' first rounds: one statement for the whole page."""
    round_ids = sorted({row.round_id for row in rows if row.round_id is not None})
    meeting_ids = sorted({row.meeting_id for row in rows if row.meeting_id is not None})
    org_ids = sorted({row.organisation_id for row in rows if row.organisation_id is not None})
    roots = sorted(
        {row.x2 for row in rows if row.kind == SearchKind.COMMENT.value and row.x1 is None}
    )
    consultations = sorted(
        {
            row.consultation_id
            for row in rows
            if row.kind == SearchKind.ATTACHMENT.value and row.round_id is None
        }
    )

    def part(tag: str, key: Any, label: Any, number: Any) -> Select[Any]:
        return select(
            literal(tag, String(1)).label("tag"),
            key.label("key"),
            label.label("label") if label is not None else null().cast(String).label("label"),
            number.label("number") if number is not None else null().cast(Integer).label("number"),
        )

    parts = [
        part("r", Round.id, Round.title, None).where(Round.id.in_(round_ids)),
        part("m", Meeting.id, Meeting.title, None).where(Meeting.id.in_(meeting_ids)),
        part("o", Organisation.id, Organisation.name, None).where(Organisation.id.in_(org_ids)),
    ]
    root, other = _ROOT, _EARLIER
    threads_before = (
        select(func.count(other.id))
        .where(
            other.round_id == root.round_id,
            other.parent_id.is_(None),
            other.paragraph_id.is_(None),
            other.id <= root.id,
            v.comment_shown(f, other),
        )
        .scalar_subquery()
    )
    parts.append(part("c", root.id, None, threads_before).where(root.id.in_(roots)))
    first = _FIRST_ROUND
    first_round = (
        select(first.id)
        .where(first.consultation_id == Consultation.id, first.status != RoundStatus.DRAFT)
        .order_by(first.number)
        .limit(1)
        .scalar_subquery()
    )
    parts.append(
        part("f", Consultation.id, None, first_round).where(Consultation.id.in_(consultations))
    )
    found = _Facts({}, {}, {}, {}, {})
    for tag, key, label, number in db.execute(union_all(*parts)):
        if tag == "r":
            found.rounds[key] = label
        elif tag == "m":
            found.meetings[key] = label
        elif tag == "o":
            found.organisations[key] = label
        elif tag == "c":
            found.comment_pages[key] = (int(number or 1) - 1) // THREADS_PER_PAGE + 1
        elif number is not None:
            found.first_rounds[key] = int(number)
    return found


def _url(row: Any, found: _Facts) -> str:
    """The exact place of a hit (the anchors of docs/search-design.md §1)."""
    K = SearchKind
    kind, sid, rid = SearchKind(row.kind), row.source_id, row.round_id
    if kind is K.CONSULTATION:
        return f"/consultations/{sid}"
    if kind in (K.ROUND, K.BRIEF):
        return f"/rounds/{rid}#brief"
    if kind is K.PARAGRAPH:
        return f"/rounds/{rid}#paragraph-{row.x1}"
    if kind is K.AMENDMENT:
        return f"/rounds/{rid}#amendment-{sid}"
    if kind is K.POSITION:
        return f"/rounds/{rid}?statements=all#position-org-{row.organisation_id}"
    if kind is K.COMMENT:
        if row.x1 is not None:  # under its paragraph, where every comment is shown
            return f"/rounds/{rid}#comment-{sid}"
        page = found.comment_pages.get(row.x2, 1)
        return f"/rounds/{rid}?page={page}&replies=all#comment-{sid}"
    if kind is K.CAUCUS_POST:
        return f"/rounds/{rid}/caucus/{row.group_name}?upto={sid}#caucus-post-{sid}"
    if kind is K.STATEMENT:
        if row.x1:
            return f"/rounds/{rid}#group-statement-{sid}"
        return f"/rounds/{rid}/caucus/{row.group_name}#statement-draft-{sid}"
    if kind in (K.OUTCOME, K.RESERVATION):
        return f"/rounds/{rid}#outcome"
    if kind is K.ATTACHMENT:
        target = rid or found.first_rounds.get(row.consultation_id)
        if target is None:
            return f"/consultations/{row.consultation_id}"
        return f"/rounds/{target}/attachments#attachment-{sid}"
    if kind is K.MEETING_DOCUMENT:
        return f"/meetings/{row.meeting_id}#document-{sid}"
    if kind is K.MINUTES:
        return f"/minutes/{sid}"
    if kind is K.MINUTES_ITEM:
        return f"/minutes/{row.x1}#minutes-item-{row.agenda_item_id}"
    if kind is K.MINUTES_COMMENT:
        return f"/minutes/{row.x1}#minutes-comment-{sid}"
    if kind is K.DECISION:
        return f"/decisions/{sid}"
    if kind is K.DIVERGENT:  # shown in the decision's record (#divergent is the group's form)
        return f"/decisions/{row.x1}"
    if kind is K.ACTION:
        return f"/actions/{sid}"
    return f"/actions/{row.x1}#note-{sid}"


#: Kinds whose first indexed line is their own title.
_TITLED = frozenset(
    {
        SearchKind.CONSULTATION,
        SearchKind.ROUND,
        SearchKind.ATTACHMENT,
        SearchKind.MEETING_DOCUMENT,
    }
)


def _title(row: Any, found: _Facts) -> str:
    kind = SearchKind(row.kind)
    if kind in _TITLED:
        return str(row.body).split("\n", 1)[0]
    if row.round_id is not None and row.round_id in found.rounds:
        return found.rounds[row.round_id]
    if row.meeting_id is not None and row.meeting_id in found.meetings:
        return found.meetings[row.meeting_id]
    return str(row.body).split("\n", 1)[0][:200]


def _matched_languages(parsed: rules.ParsedQuery, bodies: Sequence[str]) -> tuple[str, ...]:
    """The languages whose stemmed query the page's hits hold whole."""
    found = []
    for code in rules.LANGUAGES:
        wanted = set(parsed.stemmed[code])
        if wanted and any(wanted <= set(rules.stems(rules.words(b), code)) for b in bodies):
            found.append(code)
    return tuple(found)


# -- the service -------------------------------------------------------------------------------


def _order(visible: Any, sort: str) -> list[Any]:
    newest = [visible.c.created_at.desc(), visible.c.id.desc()]
    return newest if sort == "date" else [visible.c.score.desc(), *newest]


def _facets(db: Session, visible: Any) -> tuple[int, dict[str, tuple[tuple[str, int], ...]]]:
    capped = select(visible).limit(COUNT_CAP + 1).subquery("capped")
    year = extract("year", capped.c.created_at).label("year")
    rows = db.execute(
        select(capped.c.kind, capped.c.grp, year, capped.c.language, func.count()).group_by(
            capped.c.kind, capped.c.grp, year, capped.c.language
        )
    ).all()
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in FACETS}
    total = 0
    for kind, group, year_value, language, count in rows:
        total += count
        counts["kind"][SearchKind(kind).value] += count
        if group is not None:
            counts["group"][Group(group).value] += count
        counts["year"][str(int(year_value))] += count
        counts["language"][language] += count
    facets = {
        name: tuple(sorted(values.items(), key=lambda item: (-item[1], item[0])))
        for name, values in counts.items()
    }
    return total, facets


def _empty(query: SearchQuery) -> SearchResults:
    return SearchResults(query, (), 0, False, {name: () for name in FACETS}, (), None)


def search(db: Session, viewer: Viewer | None, query: SearchQuery, now: datetime) -> SearchResults:
    """One page of what ``viewer`` may find for ``query``, with the total and the facets of
    everything they may find (never of anything else)."""
    query = replace(query, page=max(1, query.page))
    if query.sort not in SORTS:
        query = replace(query, sort="relevance")
    visible, parsed = _visible(db, viewer, query, now, 0)
    if visible is None:
        return _empty(query)
    entry = _PAGE_ENTRY
    rows = db.execute(
        select(visible, entry.body)
        .join(entry, entry.id == visible.c.id)
        .order_by(*_order(visible, query.sort))
        .limit(PER_PAGE)
        .offset((query.page - 1) * PER_PAGE)
    ).all()
    total, facets = _facets(db, visible)
    found = _display_facts(db, v.facts(viewer, now), rows) if rows else _Facts({}, {}, {}, {}, {})
    wanted = parsed.all_stems()
    hits = tuple(
        Hit(
            entry_id=row.id,
            kind=SearchKind(row.kind),
            source_id=row.source_id,
            url=_url(row, found),
            title=_title(row, found),
            snippet=rules.snippet(row.body, wanted),
            round_id=row.round_id,
            round_title=found.rounds.get(row.round_id) if row.round_id is not None else None,
            organisation_name=found.organisations.get(row.organisation_id)
            if row.organisation_id is not None
            else None,
            group=Group(row.grp) if row.grp else None,
            language=row.language,
            created_at=row.created_at,
        )
        for row in rows
    )
    return SearchResults(
        query=query,
        hits=hits,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        facets=facets,
        languages=_matched_languages(parsed, [row.body for row in rows]),
        suggestion=None,
    )


def count_new(
    db: Session, viewer: Viewer, query: SearchQuery, after_entry_id: int, now: datetime
) -> tuple[int, int]:
    """How many entries above ``after_entry_id`` the viewer may find for ``query`` now, and the
    highest entry id among them (``after_entry_id`` when there is none): a saved search's
    news and its next watermark."""
    visible, _ = _visible(db, viewer, query, now, after_entry_id)
    if visible is None:
        return 0, after_entry_id
    count, highest = db.execute(select(func.count(), func.max(visible.c.id))).one()
    return int(count), max(after_entry_id, int(highest or 0))
