"""Search's "did you mean" (docs/search-design.md §3): a correction of a query that found
nothing, taken from a vocabulary that never names what its reader may not see.

The vocabulary (``search_words``) holds only the words of general entries a signed-in person
with no role and no mandate may find — never a caucus's, a hidden or pending comment's, a draft
round's, a sealed position's before the close, a restricted meeting row's. A correction is
offered only when the reader's own search for it finds something. And whatever the data, a
search that found nothing runs the same statements more: the vocabulary's words of the
query's lengths, and one count under the reader's predicates (of the correction, or of the
query itself when there is none: its candidates, then their check), so that a caucus's word
answers an outsider as a miss does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from app.accounts.rules import Viewer
from app.organisations.models import Organisation
from app.search import rules, service
from app.search import visibility as v
from app.search.models import SearchEntry, SearchWord

#: Entries read and words written per batch.
BATCH = 1_000
_ORG = aliased(Organisation, name="vocabulary_org")


def _everyone_visible(now: datetime) -> Any:
    """The ids of the general entries a signed-in person with no role and no mandate may find
    (the search's own visibility branches, over every general entry instead of a match)."""
    e, o = SearchEntry, _ORG
    hits = (
        select(
            e.id,
            literal(0.0).label("score"),
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
            func.coalesce(o.group_name, e.group_name).label("grp"),
        )
        .outerjoin(o, o.id == e.organisation_id)
        .where(e.scope.is_(None))
        .cte("hits")
    )
    anyone = v.Facts(now, signed_in=True)
    branches = service._branches(hits, anyone, service.SearchQuery(""))
    return union_all(*branches).subquery("visible")


def rebuild_words(connection: Connection, now: datetime) -> int:
    """Fill ``search_words`` again from what anyone signed in may find now; the number of
    words kept."""
    visible = _everyone_visible(now)
    counts: Counter[str] = Counter()
    rows = connection.execute(
        select(SearchEntry.body)
        .join(visible, visible.c.id == SearchEntry.id)
        .execution_options(yield_per=BATCH)
    )
    for (body,) in rows:
        counts.update(rules.vocabulary_words(body))
    connection.execute(delete(SearchWord))
    items = sorted(counts.items())
    for start in range(0, len(items), BATCH):
        connection.execute(
            insert(SearchWord),
            [{"word": w, "frequency": f} for w, f in items[start : start + BATCH]],
        )
    return len(items)


def _vocabulary(db: Session, text: str) -> dict[str, int]:
    """The vocabulary's words as long as the query's correctable words give or take
    MAX_EDITS: one statement, always run (an empty range when no word is correctable)."""
    lengths = [len(word) for word in rules.correctable(text)]
    low = min(lengths, default=1) - rules.MAX_EDITS
    high = max(lengths, default=-rules.MAX_EDITS - 1) + rules.MAX_EDITS
    rows = db.execute(
        select(SearchWord.word, SearchWord.frequency).where(
            func.length(SearchWord.word).between(low, high)
        )
    )
    return {word: frequency for word, frequency in rows}


def suggestion(
    db: Session, viewer: Viewer, query: service.SearchQuery, now: datetime
) -> str | None:
    """For a search that found nothing: the corrected query if the viewer's own search for it
    (with the same filters) finds something, else None. Always the same statements."""
    fixed = rules.corrected(query.text, _vocabulary(db, query.text))
    counted = replace(query, text=fixed or query.text, page=1)
    found, _ = service.count_new(db, viewer, counted, 0, now)
    return fixed if fixed and found > 0 else None
