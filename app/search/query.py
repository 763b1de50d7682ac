"""A search as its address says it: the query parameters read into a ``SearchQuery`` (the
known ones only, each validated: anything else, or a value that cannot be one, is ignored)
and written back as one canonical query string. The search page and saved searches read and
write searches here alone, so a saved search's link opens the very search that was saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from app.cycle.subjects import KINDS as SUBJECTS
from app.search.rules import MAX_QUERY_CHARS
from app.search.service import SORTS, SearchQuery
from app.text_rules import one_line
from app.vocabulary import Group, SearchKind, Stance

#: The parameters a search's address may hold, in the canonical order.
PARAMETERS = (
    "q",
    "kind",
    "country",
    "consultation",
    "subject",
    "group",
    "organisation",
    "stance",
    "year",
    "sort",
    "page",
)
#: The pages one may ask for (20 results each: 10,000 results).
MAX_PAGE = 500
#: The years a search may be narrowed to.
YEARS = range(1900, 9999)
#: A country as consultations and bodies store it.
MAX_COUNTRY = 100
#: The most ids the databases' integers hold.
MAX_ID = 2**31 - 1


def _values(params: Mapping[str, Any], name: str) -> list[str]:
    """Every value given for ``name`` (a form or an address may repeat ``kind``)."""
    getlist = getattr(params, "getlist", None)
    if getlist is not None:
        return [str(value) for value in getlist(name)]
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _value(params: Mapping[str, Any], name: str) -> str:
    found = _values(params, name)
    return found[-1].strip() if found else ""


def _number(text: str, allowed: range) -> int | None:
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if number in allowed else None


def _id(text: str) -> int | None:
    return _number(text, range(1, MAX_ID + 1))


def _choice(text: str, allowed: Any) -> str:
    return text if text in allowed else ""


def parse(params: Mapping[str, Any]) -> SearchQuery:
    """The search the parameters ask for. Never refuses: what cannot be read is left out."""
    kinds = frozenset(
        SearchKind(value.strip())
        for value in _values(params, "kind")
        if value.strip() in {k.value for k in SearchKind}
    )
    group = _choice(_value(params, "group"), {g.value for g in Group})
    return SearchQuery(
        text=one_line(_value(params, "q"))[:MAX_QUERY_CHARS],
        kinds=kinds,
        country=one_line(_value(params, "country"))[:MAX_COUNTRY],
        consultation_id=_id(_value(params, "consultation")),
        subject=_choice(_value(params, "subject"), SUBJECTS),
        group=Group(group) if group else None,
        organisation_id=_id(_value(params, "organisation")),
        stance=_choice(_value(params, "stance"), {s.value for s in Stance}),
        year=_number(_value(params, "year"), YEARS),
        sort=_choice(_value(params, "sort"), SORTS) or SORTS[0],
        page=_number(_value(params, "page"), range(1, MAX_PAGE + 1)) or 1,
    )


def pairs(query: SearchQuery, *, page: bool = False) -> list[tuple[str, str]]:
    """The query's parameters in the canonical order, defaults left out (the first page and
    relevance order unless ``page`` asks for the page)."""
    found: list[tuple[str, str]] = []
    if query.text:
        found.append(("q", query.text))
    found += [("kind", kind.value) for kind in sorted(query.kinds, key=lambda k: k.value)]
    for name, value in (
        ("country", query.country),
        ("consultation", query.consultation_id),
        ("subject", query.subject),
        ("group", query.group.value if query.group else None),
        ("organisation", query.organisation_id),
        ("stance", query.stance),
        ("year", query.year),
    ):
        if value not in (None, ""):
            found.append((name, str(value)))
    if query.sort != SORTS[0]:
        found.append(("sort", query.sort))
    if page and query.page > 1:
        found.append(("page", str(query.page)))
    return found


def canonical(query: SearchQuery, *, page: bool = False) -> str:
    """The query string of ``query``: the same search always has the same one (the page
    aside, unless ``page``), so that a person saves a search once."""
    return urlencode(pairs(query, page=page))
