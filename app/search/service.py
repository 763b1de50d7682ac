"""Search: what a person may find, ranked, counted and faceted (docs/search-design.md §1, §3).

One statement finds the candidates: the engine's match on the open partition (its newest
COUNT_CAP + 1 matches), on the other general entries and on the viewer's own groups' caucus
partitions (``_hits``), keys and scores, never texts. A second checks them against each kind's
live source row under the visibility predicates of app.search.visibility (``_branches``), the
candidates given back as its parameters; the newest COUNT_CAP + 1 visible are kept. They are
counted, faceted, ordered and paged here, and one more statement reads the page's texts and
display facts (round titles, organisation names, comment page numbers) for every hit at once:
three statements whatever the number of results (two when nothing is visible); the page is
given no row the viewer may not see, and no statement reads more of the open matches however
frequent the words. The statements' text depends on the filters and the viewer only, never on
the data: on PostgreSQL the candidates' is planned for its values each time, the others once.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from app.accounts.rules import Viewer
from app.bodies.models import Body
from app.caucus.models import CaucusPost, GroupStatement
from app.comments.models import Comment
from app.db import UTCDateTime
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
from app.search.sources import OPEN_KINDS
from app.vocabulary import AgendaItemStatus, Group, Place, RoundStatus, SearchKind

PER_PAGE = 20
#: Matches counted at most ("more than 200" beyond), and the newest open matches ranked.
COUNT_CAP = 200
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


# -- the engine's match ------------------------------------------------------------------------
#
# Two paths, so that a frequent word costs no more than a rare one (docs/search-design.md §3):
# - the open partition (entries every signed-in person may find: ``SearchEntry.open``): only its
#   newest COUNT_CAP + 1 matches under the filters are taken, by the entry id's order, which the
#   engine walks without reading the rest (PostgreSQL: the primary key backwards, or the GIN
#   index for a rare word; SQLite: FTS5's rowid order);
# - the other general entries and the viewer's own groups' caucus partitions, every match, cut
#   for a person without a role to what could be theirs (their comments, their organisation's
#   rows, the kinds that are never open).
# Both are then checked against the live rows (``_branches``): the open flag only picks the
# candidates, it never decides alone what a person sees.

#: The entry's columns the filters and the visibility read.
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


def _tsquery(query: rules.ParsedQuery) -> Any:
    """PostgreSQL's query: the document matches one of the languages' queries."""
    parts = [
        func.to_tsquery(
            literal_column(f"'{schema.configuration(code)}'"),
            bindparam(f"q_{code}", rules.tsquery_words(query, code), type_=Text()),
        )
        for code in rules.LANGUAGES
        if query.kept[code]
    ]
    combined: Any = parts[0]
    for part in parts[1:]:
        combined = combined.op("||")(part)
    return combined


def _filters(query: SearchQuery, after: int) -> list[ColumnElement[bool]]:
    """The query's filters on the entry's own columns."""
    found: list[ColumnElement[bool]] = []
    p = _params_of(query, after)

    def param(name: str, type_: Any = None) -> Any:
        return bindparam(name, p[name], type_=type_)

    if after:
        found.append(E.id > param("f_after", Integer()))
    if query.consultation_id is not None:
        found.append(E.consultation_id == param("f_consultation", Integer()))
    if query.organisation_id is not None:
        found.append(E.organisation_id == param("f_organisation", Integer()))
    if query.group is not None:
        group = param("f_group", String())
        in_group = select(Organisation.id).where(Organisation.group_name == group)
        found.append(
            or_(
                E.organisation_id.in_(in_group),
                and_(E.organisation_id.is_(None), E.group_name == group),
            )
        )
    if query.subject:
        subject = param("f_subject", String())
        found.append(E.round_id.in_(select(Round.id).where(Round.kind == subject)))
    if query.country:
        country = param("f_country", String())
        found.append(
            or_(
                E.consultation_id.in_(
                    select(Consultation.id).where(Consultation.country == country)
                ),
                E.meeting_id.in_(
                    select(Meeting.id)
                    .join(Body, Body.id == Meeting.body_id)
                    .where(Body.country == country)
                ),
            )
        )
    if query.year is not None:
        start, end = param("f_year_start", UTCDateTime()), param("f_year_end", UTCDateTime())
        found.append(and_(E.created_at >= start, E.created_at < end))
    wanted = set(query.kinds) or set(SearchKind)
    if query.stance:
        wanted &= {SearchKind.POSITION}
    if wanted != set(SearchKind):
        found.append(E.kind.in_(sorted(k.value for k in wanted)))
    return found


#: The kinds whose entries are never open (caucus posts, meetings' texts, attachments …).
_NEVER_OPEN = sorted(k.value for k in SearchKind if k not in OPEN_KINDS)


def _maybe_theirs(f: v.Facts) -> ColumnElement[bool]:
    """Of the general entries not open, those the viewer could possibly see (the live rules
    decide): a moderator any; anyone else the kinds that are never open, every position (their
    organisation's when sealed, and a sealed round's are open to all once past its deadline)
    and their own comments (hidden or pending). The rest is a draft round's, a withdrawn
    amendment or someone else's hidden or pending comment: no one without a role sees those."""
    if f.moderator:
        return true()
    conditions: list[ColumnElement[bool]] = [E.kind.in_([*_NEVER_OPEN, SearchKind.POSITION.value])]
    if f.user_id:
        conditions.append(and_(E.kind == SearchKind.COMMENT.value, E.author_id == v.user_id(f)))
    return or_(*conditions)


#: The candidates statement's columns, in order (``_hits``; ``_Candidate`` adds two).
_CANDIDATE_COLUMNS = ("id", *_KEY_COLUMNS, "score", "grp")


def _keys() -> list[Any]:
    return [E.id, *(getattr(E, column) for column in _KEY_COLUMNS)]


def _several(parsed: rules.ParsedQuery) -> bool:
    """Whether the query keeps more than one word in one of the languages."""
    return any(len(kept) > 1 for kept in parsed.kept.values())


def _postgres_paths(
    parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> list[Select[Any]]:
    tsquery = _tsquery(parsed)
    document: Any = literal_column(f"search_entries.{schema.DOCUMENT}")
    matches = document.op("@@")(tsquery)
    score = func.ts_rank_cd(document, tsquery).label("score")
    filters = _filters(query, after)

    def path(partition: Any, *more: ColumnElement[bool]) -> Select[Any]:
        return select(*_keys(), score).where(
            text(schema.partition_condition(partition, "search_entries")), matches, *filters, *more
        )

    # The open partition's newest matches, by windows of age taken in turn (``_windows``):
    # PostgreSQL's Append runs its children one after another and stops at the LIMIT. Each
    # window asks the GIN index for the word *and* the window's periods (schema.period_lexemes:
    # the last days', the fortnight's weeks, the two months', the two years'), so that its
    # bitmap holds the
    # window's matches only, or walks the window newest first for a word so frequent that 201 of
    # its matches come sooner (the planner weighs both with the word's statistics). Only for one
    # word without a year: a year filter asks for the year's period alone (below), and several
    # words seldom share many entries, while each window takes the words' GIN bitmaps again.
    # Each window has its own LIMIT, so that it is planned to stop early: without it the planner
    # sorted the whole window. The score is reckoned once the newest are taken, for them alone
    # (ts_rank_cd costs ~10 µs an entry: 17 ms of three words' 33 ms).
    windows = []
    newer: Any = None
    ages = (None,) if query.year is not None or _several(parsed) else _WINDOWS
    for n in range(len(ages)):
        older = periods = None
        if ages[n] is not None:
            older = bindparam(f"window_{n}", f.now, type_=UTCDateTime())
        if ages[n] not in (None, "future"):
            periods = bindparam(f"periods_{n}", "", type_=Text())
        elif query.year is not None:
            periods = bindparam("periods_year", "", type_=Text())
        within: list[ColumnElement[bool]] = []
        if ages[n] == "days" and older is not None:
            # its lexemes hold it to its days (the future's are not among them); its oldest
            # moment bounds a walk newest first, as a value the planner does not weigh (weighed,
            # the days' share is counted twice: with the fortnight's bounds, the planner took a
            # frequent word's 7,900 matches for 1,400 and read them from two bitmaps, 28 ms)
            within.append(E.created_at >= select(older).scalar_subquery())
        else:
            if newer is not None:
                within.append(E.created_at < newer)
            if older is not None:
                within.append(E.created_at >= older)
        in_periods = matches
        if periods is not None:
            # (an empty query, a word PostgreSQL's parser reads as blank, ANDed with the periods
            # would be the periods alone: it finds nothing, as without them)
            in_periods = and_(
                document.op("@@")(tsquery.op("&&")(cast(periods, TSQUERY))),
                func.numnode(tsquery) > 0,
            )
        windows.append(
            select(*_keys(), document.label("doc"))
            .where(
                text(schema.partition_condition(schema.OPEN, "search_entries")),
                in_periods,
                *filters,
                *within,
            )
            .order_by(E.created_at.desc(), E.id.desc())
            .limit(COUNT_CAP + 1)
            .subquery()
            .select()
        )
        newer = older
    newest = union_all(*windows).subquery("newest")
    ranked = func.ts_rank_cd(newest.c.doc, tsquery).label("score")
    keys = [newest.c[name] for name in ("id", *_KEY_COLUMNS)]
    found = [select(*keys, ranked).limit(COUNT_CAP + 1)]
    if f.moderator:
        found.append(path(None))
    else:
        # the general entries not open that could be theirs (``_maybe_theirs``), each part by
        # its own index: the kinds other than comments by the words, their own comments by
        # their author (no one else's hidden or pending comment is read only to be dropped)
        found.append(
            select(*_keys(), score).where(
                text(schema.closed_condition(schema.CLOSED_OTHER, "search_entries")),
                matches,
                *filters,
                E.kind.in_(_NEVER_OPEN + [SearchKind.POSITION.value]),
            )
        )
        if f.user_id:
            found.append(
                select(*_keys(), score).where(
                    text(schema.closed_condition(schema.CLOSED_COMMENT, "search_entries")),
                    E.author_id == v.user_id(f),
                    matches,
                    *filters,
                )
            )
    found += [path(group) for group in f.groups]
    return found


def _sqlite_paths(
    parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> list[Select[Any]]:
    m = bindparam("m", rules.fts5_match(parsed), type_=Text())
    filters = _filters(query, after)

    def path(partition: Any, *more: ColumnElement[bool]) -> Select[Any]:
        name = schema.fts_table(partition)
        fts = table(name, column("rowid", Integer()))
        score = (-func.bm25(literal_column(name))).label("score")
        return (
            select(*_keys(), score)
            .select_from(fts)
            .join(E, E.id == fts.c.rowid)
            .where(literal_column(name).op("MATCH")(m), *filters, *more)
        )

    open_ = path(schema.OPEN)
    name = schema.fts_table(schema.OPEN)
    found = [open_.order_by(table(name, column("rowid")).c.rowid.desc()).limit(COUNT_CAP + 1)]
    found.append(path(None, _maybe_theirs(f)))
    found += [path(group) for group in f.groups]
    return found


def _hits(
    dialect: str, parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> Any:
    """The candidate entries with their keys and score, filtered (no visibility yet)."""
    paths = (_postgres_paths if dialect == "postgresql" else _sqlite_paths)(parsed, query, f, after)
    # a path with its own ORDER BY and LIMIT is wrapped to sit in the UNION
    matches = union_all(*(p.subquery().select() for p in paths)).subquery("matches")
    o = _ENTRY_ORG
    group = func.coalesce(o.group_name, matches.c.group_name)
    return (
        select(matches, group.label("grp"))
        .select_from(matches)
        .outerjoin(o, o.id == matches.c.organisation_id)
    )


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
        position = and_(position, Position.stance == bindparam("f_stance", query.stance))
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


def _params_of(query: SearchQuery, after: int) -> dict[str, Any]:
    """The values of the query's own parameters (the filters' ``f_…``)."""
    found: dict[str, Any] = {"f_after": after, "f_stance": query.stance}
    found["f_consultation"] = query.consultation_id
    found["f_organisation"] = query.organisation_id
    found["f_group"] = query.group.value if query.group is not None else None
    found["f_subject"] = query.subject
    found["f_country"] = query.country
    if query.year is not None:
        found["f_year_start"] = datetime(query.year, 1, 1, tzinfo=UTC)
        found["f_year_end"] = datetime(query.year + 1, 1, 1, tzinfo=UTC)
    return found


def _params(
    parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> dict[str, Any]:
    """Every parameter of the candidates statement (``_candidates_statement``): the viewer's,
    the words', the filters' and the windows'."""
    found = {**f.params, **_params_of(query, after)}
    for code in rules.LANGUAGES:
        if parsed.kept[code]:
            found[f"q_{code}"] = rules.tsquery_words(parsed, code)
    found["m"] = rules.fts5_match(parsed)
    for n, (start, lexemes) in enumerate(_windows(f.now)):
        found[f"window_{n}"] = start
        if lexemes:
            found[f"periods_{n}"] = schema.any_of(lexemes)
    if query.year is not None:
        found["periods_year"] = schema.any_of([schema.year_lexeme(query.year)])
    return found


#: The open partition's windows for one word (PostgreSQL): ``_windows``'s, then the rest.
_WINDOWS = ("future", "days", "fortnight", "months", "years", None)


def _windows(now: datetime) -> list[tuple[datetime, list[str]]]:
    """The open partition's windows of age for one word, newest first, each as its oldest
    moment and the period lexemes its entries hold one of (``schema.period_lexemes``); the
    rest, older, is the last window (``_WINDOWS``). Entries made after tomorrow (a clock set
    back) are in the first; then today, the two days before and tomorrow (one made as the day
    turns, after the search began); this week, the last and the next; this month and the last;
    this year and the last. Every entry is in one window, whatever its lexemes; they only let
    the index read a window's matches alone."""
    day = schema.period_number(now, schema.DAY)
    week = schema.period_number(now, schema.WEEK)
    last_month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return [
        (schema.period_start(day + 2, schema.DAY), []),
        (
            schema.period_start(day - 2, schema.DAY),
            [schema.day_lexeme(n) for n in (day + 1, day, day - 1, day - 2)],
        ),
        (
            schema.period_start(week - 1, schema.WEEK),
            [schema.week_lexeme(n) for n in (week + 1, week, week - 1)],
        ),
        (
            datetime(*last_month, 1, tzinfo=UTC),
            [schema.month_lexeme(now.year, now.month), schema.month_lexeme(*last_month)],
        ),
        (
            datetime(now.year - 1, 1, 1, tzinfo=UTC),
            [schema.year_lexeme(now.year), schema.year_lexeme(now.year - 1)],
        ),
    ]


#: The statements built, by what shapes their text (``_candidates_statement``,
#: ``_visible_statement``, ``_display_statement``); a few hundred at most.
_BUILT: dict[tuple[Any, ...], Any] = {}
_BUILT_AT_MOST = 2_000
_NOT_BUILT = object()


def _wanted(query: SearchQuery) -> set[SearchKind]:
    """The kinds the query may find (its kind filter; a stance is a position's)."""
    wanted = set(query.kinds) or set(SearchKind)
    if query.stance:
        wanted &= {SearchKind.POSITION}
    return wanted


def _candidates_statement(
    dialect: str, parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> Any:
    """The statement of the candidates (``_hits``) for this shape of viewer and query, or None
    when nothing can match. It is built once per shape from placeholder facts
    (``Facts.placeholder``: a value it is not given matches nothing) and kept: each search
    gives it its values (``_params``)."""
    shape = (
        tuple(code for code in rules.LANGUAGES if parsed.kept[code]),
        _several(parsed),
        frozenset(query.kinds),
        query.consultation_id is not None,
        query.organisation_id is not None,
        query.group is not None,
        bool(query.subject),
        bool(query.country),
        query.year is not None,
        bool(query.stance),
        bool(after),
    )
    key = (dialect, "candidates", f.shape, shape, COUNT_CAP)
    # one lookup (another thread may clear the dictionary between two); a kept None is "nothing
    # can match"
    built = _BUILT.get(key, _NOT_BUILT)
    if built is not _NOT_BUILT:
        return built
    statement = _hits(dialect, parsed, query, f.placeholder, after) if _wanted(query) else None
    _keep(key, statement)
    return statement


#: The candidates' columns the visibility reads, given back to the database (``_given``).
_GIVEN = (
    ("id", Integer),
    ("kind", String),
    ("source_id", Integer),
    ("round_id", Integer),
    ("meeting_id", Integer),
    ("agenda_item_id", Integer),
)


def _given(dialect: str) -> Any:
    """The candidates as the visibility statement's rows, from its parameters: on PostgreSQL
    one array per column (``unnest`` side by side), on SQLite their entries read again by a
    JSON array of their ids (an entry by its row id costs SQLite less than a JSON row parsed
    column by column)."""
    if dialect == "postgresql":
        return select(
            *(
                func.unnest(cast(bindparam(f"given_{name}", type_=Text()), ARRAY(type_()))).label(
                    name
                )
                for name, type_ in _GIVEN
            )
        ).cte("hits")
    ids = func.json_each(bindparam("given", type_=Text())).table_valued("value")
    return (
        select(*(getattr(E, name) for name, _ in _GIVEN))
        .where(E.id.in_(select(ids.c.value)))
        .cte("hits")
    )


def _array(values: Iterable[int | None]) -> str:
    """PostgreSQL's text of an array of ids: one string parameter, not a few hundred values
    adapted one by one."""
    return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"


@lru_cache(maxsize=256)
def _quoted(value: str) -> str:
    """A string as an element of PostgreSQL's array text (a kind: a few dozen of them)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _given_params(dialect: str, candidates: Sequence[Any]) -> dict[str, Any]:
    if dialect == "postgresql":
        found = {}
        for name, type_ in _GIVEN:
            at = _CANDIDATE_COLUMNS.index(name)
            values = [c[at] for c in candidates]
            if type_ is String:
                found[f"given_{name}"] = "{" + ",".join(map(_quoted, values)) + "}"
            else:
                found[f"given_{name}"] = _array(values)
        return found
    return {"given": json.dumps([c.id for c in candidates], separators=(",", ":"))}


def _visible_statement(dialect: str, query: SearchQuery, f: v.Facts) -> Any:
    """The statement that checks candidates against their live rows (``_branches``): the ids
    of those the viewer may see, with their kind's extra columns (``x1``, ``x2``). Its text
    depends on the viewer's shape (and number of organisations) and the kinds wanted only, so
    PostgreSQL plans it once (the candidates are its parameters, each checked by its primary
    key)."""
    key = (dialect, "visible", f.shape, frozenset(query.kinds), bool(query.stance))
    built = _BUILT.get(key, _NOT_BUILT)
    if built is not _NOT_BUILT:
        return built
    statement = union_all(*_branches(_given(dialect), f.placeholder, query))
    _keep(key, statement)
    return statement


def _keep(key: tuple[Any, ...], statement: Any) -> None:
    if len(_BUILT) >= _BUILT_AT_MOST:
        _BUILT.clear()
    _BUILT[key] = statement


class _Candidate(NamedTuple):
    """A visible candidate: the candidates statement's columns (``_keys``, the score, the
    group), then the visibility's extras."""

    id: int
    kind: str
    source_id: int
    language: str
    created_at: datetime
    round_id: int | None
    consultation_id: int | None
    meeting_id: int | None
    agenda_item_id: int | None
    organisation_id: int | None
    group_name: str | None
    score: float | None
    grp: str | None
    x1: int | None
    x2: int | None


def _visible_candidates(
    db: Session, parsed: rules.ParsedQuery, query: SearchQuery, f: v.Facts, after: int
) -> list[Any] | None:
    """The candidates the viewer may see, newest first (None when nothing can match): the
    candidates, then their check against the live rows (two statements, whatever is found)."""
    dialect = db.get_bind().dialect.name
    statement = _candidates_statement(dialect, parsed, query, f, after)
    if statement is None:
        return None
    connection = db.connection()
    with _planned_for_values(db):
        # on the session's connection: Core rows, no ORM loading for a thousand candidates
        candidates = connection.execute(statement, _params(parsed, query, f, after)).all()
    # the check runs whatever was found, none included: a word found only where the viewer may
    # not look runs the statements a miss runs
    params = {**f.params, "f_stance": query.stance, **_given_params(dialect, candidates)}
    extras = {
        id_: (x1, x2)
        for id_, x1, x2 in connection.execute(_visible_statement(dialect, query, f), params)
    }
    visible = [_Candidate._make((*row, *extras[row.id])) for row in candidates if row.id in extras]
    visible.sort(key=lambda row: row.id, reverse=True)
    return visible


# -- display facts -----------------------------------------------------------------------------


@dataclass
class _Facts:
    rounds: dict[int, str]
    meetings: dict[int, str]
    organisations: dict[int, str]
    comment_pages: dict[int, int]
    first_rounds: dict[int, int]
    bodies: dict[int, str]  # the page's entries' texts, by entry id


def _display_statement(dialect: str, f: v.Facts) -> Any:
    """The display facts' statement for viewers of this shape (built once: ``_BUILT``), each
    part's keys one parameter (``ids_r``, ``ids_m``, ``ids_o``, ``ids_c``, ``ids_f``,
    ``ids_b``): on PostgreSQL an array, so that the statement's text is the same whatever the
    page holds (prepared once), on SQLite an expanding list."""
    key = ("display", dialect, f.shape)
    built = _BUILT.get(key, _NOT_BUILT)
    if built is not _NOT_BUILT:
        return built

    def among(tag: str, key: Any) -> Any:
        if dialect == "postgresql":
            ids = cast(bindparam(f"ids_{tag}", type_=Text()), ARRAY(Integer()))
            return key == any_(ids)
        return key.in_(bindparam(f"ids_{tag}", expanding=True, type_=Integer()))

    def part(tag: str, key: Any, label: Any, number: Any) -> Select[Any]:
        return select(
            literal(tag, String(1)).label("tag"),
            key.label("key"),
            label.label("label") if label is not None else null().cast(String).label("label"),
            number.label("number") if number is not None else null().cast(Integer).label("number"),
        ).where(among(tag, key))

    parts = [
        part("r", Round.id, Round.title, None),
        part("m", Meeting.id, Meeting.title, None),
        part("o", Organisation.id, Organisation.name, None),
    ]
    root, other = _ROOT, _EARLIER
    if dialect == "postgresql":
        # ix_comments_thread_roots's condition (THREAD_ROOTS): the round's threads alone are
        # read, from the index alone
        threads = [other.parent_id.is_(None), other.paragraph_id.is_(None)]
    else:
        # "+ 0": not by their own indexes (SQLite, even with statistics, takes the parent_id
        # index, every thread of every round, over the round's own: seconds at 1,000,000
        # comments); ix_comments_threads holds every column read here
        threads = [(other.parent_id + 0).is_(None), (other.paragraph_id + 0).is_(None)]
    threads_before = (
        select(func.count(other.id))
        .where(
            other.round_id == root.round_id,
            *threads,
            other.id <= root.id,
            v.comment_shown(f.placeholder, other),
        )
        .scalar_subquery()
    )
    parts.append(part("c", root.id, None, threads_before))
    first = _FIRST_ROUND
    first_round = (
        select(first.id)
        .where(first.consultation_id == Consultation.id, first.status != RoundStatus.DRAFT)
        .order_by(first.number)
        .limit(1)
        .scalar_subquery()
    )
    parts.append(part("f", Consultation.id, None, first_round))
    parts.append(part("b", E.id, E.body, None))
    statement = _BUILT[key] = union_all(*parts)
    return statement


def _display_facts(db: Session, f: v.Facts, rows: Sequence[Any]) -> _Facts:
    """The page's round titles, meeting titles, organisation names, comment page numbers and
    consultations' first rounds: one statement for the whole page."""
    ids: dict[str, list[int]] = {
        "ids_r": sorted({row.round_id for row in rows if row.round_id is not None}),
        "ids_m": sorted({row.meeting_id for row in rows if row.meeting_id is not None}),
        "ids_o": sorted({row.organisation_id for row in rows if row.organisation_id is not None}),
        "ids_c": sorted(
            {row.x2 for row in rows if row.kind == SearchKind.COMMENT.value and row.x1 is None}
        ),
        "ids_f": sorted(
            {
                row.consultation_id
                for row in rows
                if row.kind == SearchKind.ATTACHMENT.value and row.round_id is None
            }
        ),
        "ids_b": [row.id for row in rows],
    }
    dialect = db.get_bind().dialect.name
    params: dict[str, Any] = {**f.params}
    for name, values in ids.items():
        params[name] = _array(values) if dialect == "postgresql" else values
    found = _Facts({}, {}, {}, {}, {}, {})
    for tag, key, label, number in db.connection().execute(_display_statement(dialect, f), params):
        if tag == "b":
            found.bodies[key] = label
        elif tag == "r":
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
    body = found.bodies.get(row.id, "")
    if kind in _TITLED:
        return body.split("\n", 1)[0]
    if row.round_id is not None and row.round_id in found.rounds:
        return found.rounds[row.round_id]
    if row.meeting_id is not None and row.meeting_id in found.meetings:
        return found.meetings[row.meeting_id]
    return body.split("\n", 1)[0][:200]


def _matched_languages(
    parsed: rules.ParsedQuery, candidates: Sequence[Any], rows: Sequence[Any], found: _Facts
) -> tuple[str, ...]:
    """The languages of what was found: each item's own; for an item of several languages
    (``mul``) on the page, those whose stemmed query its text holds whole."""
    languages = {row.language for row in candidates if row.language in rules.LANGUAGES}
    for row in rows:
        if row.language in rules.LANGUAGES:
            continue
        body = found.bodies.get(row.id, "")
        for code in rules.LANGUAGES:
            if code not in languages and rules.holds_stems(body, parsed.stemmed[code], code):
                languages.add(code)
    return tuple(code for code in rules.LANGUAGES if code in languages)


# -- the service -------------------------------------------------------------------------------


def _sorted(rows: Sequence[Any], sort: str) -> list[Any]:
    newest = sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)
    if sort == "date":
        return newest
    return sorted(newest, key=lambda row: -float(row.score or 0.0))  # stable: newest first


def _facets(rows: Sequence[Any]) -> dict[str, tuple[tuple[str, int], ...]]:
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in FACETS}
    combined = Counter((row.kind, row.grp, row.created_at.year, row.language) for row in rows)
    for (kind, group, year, language), count in combined.items():
        counts["kind"][SearchKind(kind).value] += count
        if group is not None:
            counts["group"][Group(group).value] += count
        counts["year"][str(year)] += count
        counts["language"][language] += count
    return {
        name: tuple(sorted(values.items(), key=lambda item: (-item[1], item[0])))
        for name, values in counts.items()
    }


#: What a table row costs the candidates statement's planner (``_planned_for_values``).
_ROW_COST = text(
    "SELECT set_config('random_page_cost', '1.1', false), "
    "set_config('cpu_index_tuple_cost', '0.1', false)"
)
_ROW_COST_RESET = text(
    "SELECT set_config('random_page_cost', NULL, false), "
    "set_config('cpu_index_tuple_cost', NULL, false)"
)


@contextmanager
def _planned_for_values(db: Session) -> Iterator[None]:
    """PostgreSQL plans the candidates statement for its values each time: psycopg sends it
    unprepared (it prepares a statement run five times, and a generic plan cannot tell a
    frequent word from a rare one, nor a recent window from an old one). A table row, and an
    index entry, cost its planner about what they cost here (read from memory: a row some 30
    index entries): otherwise it walks a rare word's oldest window entry by entry (300 ms at a
    million entries), and ANDs a word's GIN bitmap with the bitmap of a window's ``created_at``
    (a month: 149,000 entries, 7 ms) to spare a few hundred row reads (1 ms). Set for the
    session around that one statement and reset after it (a read request runs in autocommit,
    where a setting local to a transaction would end with the statement that set it); the
    other statements, the visibility's included, keep the defaults and generic plans, planned
    once per connection."""
    if db.get_bind().dialect.name != "postgresql":
        yield
        return
    db.execute(_ROW_COST)
    driver = db.connection().connection.driver_connection
    kept = driver.prepare_threshold  # type: ignore[union-attr]
    driver.prepare_threshold = None  # type: ignore[union-attr]
    try:
        yield
    except BaseException:
        driver.prepare_threshold = kept  # type: ignore[union-attr]
        # (a transaction the failure aborted takes the setting back with it; a lost connection
        # takes it away)
        with suppress(SQLAlchemyError):
            db.execute(_ROW_COST_RESET)
        raise
    driver.prepare_threshold = kept  # type: ignore[union-attr]
    db.execute(_ROW_COST_RESET)


def _empty(query: SearchQuery) -> SearchResults:
    return SearchResults(query, (), 0, False, {name: () for name in FACETS}, (), None)


def search(db: Session, viewer: Viewer | None, query: SearchQuery, now: datetime) -> SearchResults:
    """One page of what ``viewer`` may find for ``query``, with the total and the facets of
    everything they may find (never of anything else).

    Two statements give the newest COUNT_CAP + 1 visible matches with their keys and scores
    (never their texts); they are counted, faceted, ordered and cut to the page here, and the
    page's texts come with its display facts."""
    query = replace(query, page=max(1, query.page))
    if query.sort not in SORTS:
        query = replace(query, sort="relevance")
    parsed = rules.parse_query(query.text)
    if parsed.empty:
        return _empty(query)
    f = v.facts(viewer, now)
    visible = _visible_candidates(db, parsed, query, f, 0)
    if visible is None:
        return _empty(query)
    candidates = visible[: COUNT_CAP + 1]
    start = (query.page - 1) * PER_PAGE
    rows = _sorted(candidates, query.sort)[start : start + PER_PAGE]
    found = _display_facts(db, f, rows) if rows else _Facts({}, {}, {}, {}, {}, {})
    wanted = parsed.all_stems()
    hits = tuple(
        Hit(
            entry_id=row.id,
            kind=SearchKind(row.kind),
            source_id=row.source_id,
            url=_url(row, found),
            title=_title(row, found),
            snippet=rules.snippet(found.bodies.get(row.id, ""), wanted),
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
    total = len(candidates)
    return SearchResults(
        query=query,
        hits=hits,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        facets=_facets(candidates),
        languages=_matched_languages(parsed, candidates, rows, found),
        suggestion=None,
    )


def count_new(
    db: Session, viewer: Viewer, query: SearchQuery, after_entry_id: int, now: datetime
) -> tuple[int, int]:
    """How many entries above ``after_entry_id`` the viewer may find for ``query`` now, and the
    highest entry id among them (``after_entry_id`` when there is none): a saved search's
    news and its next watermark."""
    parsed = rules.parse_query(query.text)
    if parsed.empty:
        return 0, after_entry_id
    f = v.facts(viewer, now)
    visible = _visible_candidates(db, parsed, query, f, after_entry_id)
    if not visible:
        return 0, after_entry_id
    return len(visible), max(after_entry_id, visible[0].id)
