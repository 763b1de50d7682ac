"""PostgreSQL and SQLite find the same items: one corpus, the same expected match sets on
both backends (ranks may differ; what matches may not)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.search import index
from app.search.models import SearchEntry
from app.vocabulary import Group
from tests import factories

#: (name, text, language of the comment: None is "mul")
CORPUS = [
    ("fr-workers", "Les travailleurs migrants doivent être protégés.", "fr"),
    ("fr-worker", "Le travailleur saisonnier a des droits.", "fr"),
    ("es-migration", "La migración laboral requiere acuerdos bilaterales.", "es"),
    ("es-plain", "La migracion laboral y la seguridad social.", "es"),
    ("en-portability", "The portability of social security benefits matters.", "en"),
    ("en-hyphen", "A well-known tripartite-plus consultation on wages.", "en"),
    ("mul-oeuvre", "Mise en œuvre de la convention C144.", None),
    ("mul-oeuvre-plain", "La mise en oeuvre progressive.", None),
    ("en-stopwords", "The and of are all here, with pensions.", "en"),
]

EXPECTED = {
    "travailleurs": {"fr-workers", "fr-worker"},
    "travailleur": {"fr-workers", "fr-worker"},
    "migración": {"es-migration", "es-plain"},
    "migracion": {"es-migration", "es-plain"},
    "portable": {"en-portability"},
    "portability benefits": {"en-portability"},
    "portability wages": set(),
    "œuvre": {"mul-oeuvre", "mul-oeuvre-plain"},
    "oeuvre": {"mul-oeuvre", "mul-oeuvre-plain"},
    "c144": {"mul-oeuvre"},
    "C144 convention": {"mul-oeuvre"},
    "well-known": {"en-hyphen"},
    "tripartite plus": {"en-hyphen"},
    # English stopwords, but words of the French and Spanish queries: found where written
    "the and of": {"en-stopwords"},
    "a": set(),  # a stopword in all three languages: nothing, rather than everything
    "": set(),
    "pensions": {"en-stopwords"},
    "MIGRANTS": {"fr-workers"},
}


@pytest.fixture
def corpus(db):  # type: ignore[no-untyped-def]
    round_, orgs, reps = factories.three_groups_round(db)
    names: dict[int, str] = {}
    for name, text, language in CORPUS:
        row = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], text)
        row.language = language
        db.flush()
        entry_id = db.scalar(
            select(SearchEntry.id).where(
                SearchEntry.kind == "comment", SearchEntry.source_id == row.id
            )
        )
        assert entry_id is not None
        names[entry_id] = name
    return names


@pytest.mark.parametrize("query", list(EXPECTED))
def test_both_engines_find_the_same_items(db, corpus, query):  # type: ignore[no-untyped-def]
    found = {corpus[i] for i in index.match_ids(db.connection(), query) if i in corpus}
    assert found == EXPECTED[query]


def test_the_language_column_follows_the_item(db, corpus):  # type: ignore[no-untyped-def]
    languages = dict(
        db.execute(
            select(SearchEntry.id, SearchEntry.language).where(SearchEntry.id.in_(corpus))
        ).all()
    )
    by_name = {corpus[i]: language for i, language in languages.items()}
    assert by_name["fr-workers"] == "fr" and by_name["mul-oeuvre"] == "mul"
