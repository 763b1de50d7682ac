"""The search page: what the query string asks (each parameter checked: anything unknown is
no filter), the choices its filters offer (what this person may see), and the results grouped
by kind with the sentences that say what was found (docs/search-design.md §4).

A constant number of queries whatever the number of results: the choices (three) and the
search itself (app.search.service)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlencode

from babel.numbers import format_decimal
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.bodies.models import Body
from app.cycle import subjects
from app.i18n import N_, Labels, current_language, ngettext
from app.i18n import gettext as _
from app.organisations.models import Organisation
from app.rounds.models import Consultation, Round
from app.rounds.rules import STANCE_LABELS
from app.search import query as saved_query
from app.search import suggest
from app.search.service import PER_PAGE, Hit, SearchQuery, SearchResults, search
from app.text_rules import EARLIEST_YEAR, one_line
from app.vocabulary import Group, RoundStatus, SearchKind, Stance

#: The largest id a query string may name (the databases' integer).
MAX_ID = 2**31 - 1
#: Pages past this one are not offered (20 results a page: 10,000 results).
MAX_PAGE = 500
MAX_TEXT = 200
SORTS = ("relevance", "date")
T = TypeVar("T")

#: What a kind of result is called: a filter's choice and the heading over its results.
KIND_LABELS = Labels(
    {
        SearchKind.CONSULTATION: N_("Consultations"),
        SearchKind.ROUND: N_("Rounds"),
        SearchKind.BRIEF: N_("Briefs in other languages"),
        SearchKind.PARAGRAPH: N_("Paragraphs of draft texts"),
        SearchKind.AMENDMENT: N_("Proposed amendments"),
        SearchKind.POSITION: N_("Positions"),
        SearchKind.COMMENT: N_("Comments"),
        SearchKind.CAUCUS_POST: N_("Caucus messages"),
        SearchKind.STATEMENT: N_("Group statements"),
        SearchKind.OUTCOME: N_("Outcomes of rounds"),
        SearchKind.RESERVATION: N_("Reservations at sign-off"),
        SearchKind.ATTACHMENT: N_("Files of rounds"),
        SearchKind.MEETING_DOCUMENT: N_("Meeting documents"),
        SearchKind.MINUTES: N_("Minutes of meetings"),
        SearchKind.MINUTES_ITEM: N_("Items of minutes"),
        SearchKind.MINUTES_COMMENT: N_("Comments on minutes"),
        SearchKind.DECISION: N_("Decisions"),
        SearchKind.DIVERGENT: N_("Divergent positions"),
        SearchKind.ACTION: N_("Actions"),
        SearchKind.ACTION_NOTE: N_("Notes on actions"),
    }
)
#: The languages a query's words matched in, named in a sentence.
LANGUAGE_NAMES = Labels({"en": N_("English"), "fr": N_("French"), "es": N_("Spanish")})
SORT_LABELS = Labels({"relevance": N_("Best match first"), "date": N_("Newest first")})


@dataclass(frozen=True)
class Choices:
    """What the filters offer: what this person may see."""

    consultations: tuple[tuple[int, str], ...]
    organisations: tuple[tuple[int, str, Group], ...]
    countries: tuple[str, ...]
    years: tuple[int, ...]


@dataclass(frozen=True)
class KindGroup:
    kind: SearchKind
    heading: str
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    previous: str | None
    next: str | None
    first: str


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    choices: Choices
    results: SearchResults | None
    groups: tuple[KindGroup, ...]
    found: str
    pager: Pager | None
    suggestion: Link | None
    kinds_found: tuple[Link, ...]
    filtered: bool
    unfiltered_url: str

    @property
    def saved_query(self) -> str:
        """The query string the saved-searches page is opened with to save this search."""
        return saved_query.canonical(self.query)

    @property
    def kind_values(self) -> frozenset[str]:
        return frozenset(kind.value for kind in self.query.kinds)


# -- the query string ---------------------------------------------------------------------------


def _id(value: str) -> int | None:
    cleaned = value.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 10:
        return None
    number = int(cleaned)
    return number if 0 < number <= MAX_ID else None


def _choice(value: str, allowed: Iterable[T]) -> T | None:
    for option in allowed:
        if str(option) == value:
            return option
    return None


def parse(params: Iterable[tuple[str, str]], now: datetime) -> SearchQuery:
    """The query a query string asks: a parameter that cannot be (an unknown kind, an id out
    of range, a page past the last) is no filter; the text is one line of 200 characters."""
    values: dict[str, str] = {}
    kinds: set[SearchKind] = set()
    for name, value in params:
        if name == "kind":
            kind = _choice(value, SearchKind)
            if kind is not None:
                kinds.add(kind)
        else:
            values.setdefault(name, value)
    year = _id(values.get("year", ""))
    page = _id(values.get("page", ""))
    return SearchQuery(
        text=one_line(values.get("q", ""))[:MAX_TEXT].strip(),
        kinds=frozenset(kinds),
        country=one_line(values.get("country", ""))[:100],
        consultation_id=_id(values.get("consultation", "")),
        subject=values.get("subject", "") if values.get("subject") in subjects.KINDS else "",
        group=_choice(values.get("group", ""), Group),
        organisation_id=_id(values.get("organisation", "")),
        stance=str(_choice(values.get("stance", ""), Stance) or ""),
        year=year if year is not None and EARLIEST_YEAR <= year <= now.year else None,
        sort=values.get("sort", "") if values.get("sort") in SORTS else "relevance",
        page=page if page is not None and page <= MAX_PAGE else 1,
    )


def query_string(query: SearchQuery, *, page: int | None = None, text: str | None = None) -> str:
    """The query as its canonical query string (defaults left out), at ``page``."""
    pairs: list[tuple[str, str]] = [("q", query.text if text is None else text)]
    pairs += [("kind", kind.value) for kind in sorted(query.kinds)]
    optional = {
        "group": query.group.value if query.group else "",
        "organisation": str(query.organisation_id or ""),
        "consultation": str(query.consultation_id or ""),
        "country": query.country,
        "subject": query.subject,
        "stance": query.stance,
        "year": str(query.year or ""),
        "sort": query.sort if query.sort != "relevance" else "",
        "page": str(page) if page and page > 1 else "",
    }
    pairs += [(name, value) for name, value in optional.items() if value]
    return urlencode(pairs)


def is_filtered(query: SearchQuery) -> bool:
    return bool(
        query.kinds
        or query.group
        or query.organisation_id
        or query.consultation_id
        or query.country
        or query.subject
        or query.stance
        or query.year
    )


# -- the choices --------------------------------------------------------------------------------


def choices(db: Session, viewer: Viewer, now: datetime) -> Choices:
    """The consultations this person may see (as rounds.service.visible_consultations: a
    moderator every one, others those with a round past draft), every organisation, the
    countries of those consultations and of the bodies, and the years since the oldest of
    them. Three queries."""
    consultations = select(Consultation.id, Consultation.title, Consultation.country)
    consultations = consultations.order_by(Consultation.created_at.desc(), Consultation.id.desc())
    if not viewer.may_moderate:
        shown = exists().where(
            Round.consultation_id == Consultation.id, Round.status != RoundStatus.DRAFT
        )
        consultations = consultations.where(shown)
    rows = db.execute(consultations.add_columns(Consultation.created_at)).all()
    organisations = db.execute(
        select(Organisation.id, Organisation.name, Organisation.group_name).order_by(
            Organisation.name
        )
    ).all()
    body_countries = db.scalars(select(Body.country).where(Body.country != "").distinct())
    countries = {row.country for row in rows if row.country} | set(body_countries)
    oldest = min((row.created_at.year for row in rows), default=now.year)
    return Choices(
        consultations=tuple((row.id, row.title) for row in rows),
        organisations=tuple((row.id, row.name, Group(row.group_name)) for row in organisations),
        countries=tuple(sorted(countries, key=str.casefold)),
        years=tuple(range(now.year, max(oldest, EARLIEST_YEAR) - 1, -1)),
    )


def within(query: SearchQuery, offered: Choices) -> SearchQuery:
    """The query without the filters its choices do not offer (a consultation this person may
    not see is no filter, as an unknown one)."""
    consultations = {c[0] for c in offered.consultations}
    organisations = {o[0] for o in offered.organisations}
    return replace(
        query,
        consultation_id=query.consultation_id if query.consultation_id in consultations else None,
        organisation_id=query.organisation_id if query.organisation_id in organisations else None,
        country=query.country if query.country in offered.countries else "",
        year=query.year if query.year in offered.years else None,
    )


# -- what was found ------------------------------------------------------------------------------


def _number(value: int) -> str:
    return format_decimal(value, locale=current_language())


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(rest)s and %(last)s") % {"rest": ", ".join(names[:-1]), "last": names[-1]}


def found_sentence(results: SearchResults) -> str:
    """ "Found 12 results, in French and Spanish." (the languages whose words matched)."""
    num = _number(results.total)
    names = [LANGUAGE_NAMES[code] for code in results.languages if code in LANGUAGE_NAMES]
    languages = _listed(names)
    if results.total_capped:
        if languages:
            found = _("Found more than %(num)s results, in %(languages)s.") % {
                "num": num,
                "languages": languages,
            }
        else:
            found = _("Found more than %(num)s results.") % {"num": num}
        narrow = _(
            "Relevance orders the newest %(num)s of them: add a word or a filter to reach "
            "older ones."
        ) % {"num": num}
        return f"{found} {narrow}"
    if languages:
        return ngettext(
            "Found %(num)s result, in %(languages)s.",
            "Found %(num)s results, in %(languages)s.",
            results.total,
        ) % {"num": num, "languages": languages}
    return ngettext("Found %(num)s result.", "Found %(num)s results.", results.total) % {"num": num}


def grouped(hits: Iterable[Hit]) -> tuple[KindGroup, ...]:
    """The page's results by kind, each kind where its best result stands."""
    by_kind: dict[SearchKind, list[Hit]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(hit)
    return tuple(KindGroup(kind, KIND_LABELS[kind], tuple(h)) for kind, h in by_kind.items())


def pager(query: SearchQuery, results: SearchResults, base: str) -> Pager | None:
    pages = min(MAX_PAGE, max(1, math.ceil(results.total / PER_PAGE)))
    if pages == 1 and query.page == 1:
        return None

    def at(page: int) -> str:
        return f"{base}?{query_string(query, page=page)}"

    return Pager(
        page=query.page,
        pages=pages,
        previous=at(min(query.page - 1, pages)) if query.page > 1 else None,
        next=at(query.page + 1) if query.page < pages else None,
        first=at(1),
    )


def kinds_found(query: SearchQuery, results: SearchResults, base: str) -> tuple[Link, ...]:
    """Each kind that matched with its count, a link to those results alone."""
    links = []
    for code, count in results.facets.get("kind", ()):
        kind = _choice(code, SearchKind)
        if kind is None or {kind} == set(query.kinds):
            continue
        alone = replace(query, kinds=frozenset({kind}), page=1)
        label = _("%(kind)s (%(num)s)") % {"kind": KIND_LABELS[kind], "num": _number(count)}
        links.append(Link(label, f"{base}?{query_string(alone)}"))
    return tuple(links)


def build(
    db: Session, viewer: Viewer, params: Iterable[tuple[str, str]], now: datetime, base: str
) -> SearchPage:
    """The page for this query string; ``base`` is the page's own path."""
    offered = choices(db, viewer, now)
    query = within(parse(params, now), offered)
    unfiltered = f"{base}?{urlencode({'q': query.text})}"
    if not query.text:
        return SearchPage(
            query, offered, None, (), "", None, None, (), is_filtered(query), unfiltered
        )
    results = search(db, viewer, query, now)
    if results.total == 0 and not results.total_capped:
        results = replace(results, suggestion=suggest.suggestion(db, viewer, query, now))
    suggestion = None
    if results.suggestion:
        fixed = replace(query, page=1)
        url = f"{base}?{query_string(fixed, text=results.suggestion)}"
        suggestion = Link(results.suggestion, url)
    return SearchPage(
        query=query,
        choices=offered,
        results=results,
        groups=grouped(results.hits),
        found=found_sentence(results),
        pager=pager(query, results, base),
        suggestion=suggestion,
        kinds_found=kinds_found(query, results, base),
        filtered=is_filtered(query),
        unfiltered_url=unfiltered,
    )


def labels() -> dict[str, object]:
    """The vocabularies the form names, in the reader's language."""
    return {
        "kind_labels": KIND_LABELS,
        "stance_labels": STANCE_LABELS,
        "sort_labels": SORT_LABELS,
        "groups": tuple(Group),
        "subject_kinds": subjects.KINDS,
    }
