"""Search's pure rules: folding, words, stems in three languages, the query and snippets."""

import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.search import rules


def _shares_a_stem(query: str, text: str, language: str = "mul") -> bool:
    """Whether ``text`` indexed in ``language`` holds every stem of one language of
    ``query`` (the match both engines make)."""
    terms = set(rules.document_terms(text, language).split())
    parsed = rules.parse_query(query)
    return any(stems and set(stems) <= terms for stems in parsed.stemmed.values())


def test_folding_drops_case_accents_and_ligatures():
    assert rules.fold("Migración") == "migracion"
    assert rules.fold("Œuvre ÆGIS Straße Øre Łódź") == "oeuvre aegis strasse ore lodz"
    assert rules.words("l'œuvre, C144 — tripartite-dialogue_x") == [
        "l",
        "oeuvre",
        "c144",
        "tripartite",
        "dialogue",
        "x",
    ]


def test_plurals_accents_and_derived_words_share_stems():
    assert _shares_a_stem("travailleurs", "Le travailleur migrant", "fr")
    assert _shares_a_stem("travailleur", "Les travailleurs migrants", "fr")
    assert _shares_a_stem("migración", "la migracion laboral", "es")
    assert _shares_a_stem("migracion", "la migración laboral", "es")
    assert _shares_a_stem("portable", "the portability of pensions", "en")
    assert _shares_a_stem("oeuvre", "mise en œuvre")
    assert _shares_a_stem("C144", "the C144 commission")
    assert not _shares_a_stem("pension", "the portability of benefits", "en")


def test_items_without_a_language_are_stemmed_in_all_three():
    terms = set(rules.document_terms("travailleurs migraciones workers", "mul").split())
    assert {"travailleur", "migracion", "worker"} <= terms
    assert rules.language_of("fr-CA") == "fr"
    assert rules.language_of(None) == "mul"
    assert rules.language_of("de") == "mul"


def test_every_word_of_one_language_is_needed():
    assert _shares_a_stem("migrant workers", "Migrant workers' rights", "en")
    assert not _shares_a_stem("migrant pensions", "Migrant workers' rights", "en")


def test_the_query_drops_stopwords_per_language_and_is_bounded():
    parsed = rules.parse_query("the workers and les employeurs")
    assert parsed.kept["en"] == ("workers", "les", "employeurs")
    assert parsed.kept["fr"] == ("the", "workers", "and", "employeurs")
    assert rules.parse_query("the and of").kept["en"] == ()
    assert rules.parse_query("").empty
    assert rules.parse_query("de la que el").empty is False  # "la" is no English stopword
    assert rules.parse_query("le la les de").kept["fr"] == ()
    many = rules.parse_query(" ".join(f"word{n}" for n in range(20)))
    assert len(many.words) == rules.MAX_QUERY_WORDS
    long = rules.parse_query("a" * 150 + " " + "b" * 100)
    assert long.words == ("a" * 150, "b" * 49)
    assert rules.parse_query("Workers workers WORKERS").words == ("workers",)


def test_the_fts5_expression_is_one_group_per_language():
    parsed = rules.parse_query("travailleurs migrants")
    expression = rules.fts5_match(parsed)
    assert expression is not None
    assert '"travailleur"' in expression and " OR " in expression
    assert rules.fts5_match(rules.parse_query("the and")) is not None  # French keeps them
    assert rules.fts5_match(rules.parse_query("")) is None
    assert rules.tsquery_words(parsed, "fr") == "travailleurs & migrants"


def test_snippets_mark_the_hits_and_keep_the_text():
    text = "Intro words here.\n\nThe portability of pensions for migrant workers matters."
    pieces = rules.snippet(text, rules.parse_query("portable workers").all_stems())
    assert ("portability", True) in pieces
    assert ("workers", True) in pieces
    assert "".join(piece for piece, _ in pieces) == (
        "Intro words here. The portability of pensions for migrant workers matters"
    )


def test_long_texts_give_passages_around_the_hits():
    text = (
        " ".join(f"w{n}" for n in range(200)) + " needle " + " ".join(f"v{n}" for n in range(200))
    )
    pieces = rules.snippet(text, rules.parse_query("needle").all_stems())
    joined = "".join(piece for piece, _ in pieces)
    assert joined.startswith("… ") and joined.endswith(" …")
    assert [piece for piece, hit in pieces if hit] == ["needle"]
    assert len(joined.split()) <= rules.SNIPPET_WORDS + 2


def test_two_passages_are_cut_between_hits_and_a_word_is_a_hit_however_written():
    far = " ".join(f"w{n}" for n in range(60))
    text = f"MIGRACIÓN  first,\n\n{far} then   Migración again; {far} migracion last."
    pieces = rules.snippet(text, rules.parse_query("migracion").all_stems())
    joined = "".join(piece for piece, _ in pieces)
    # the first two hits, each with its passage; the third is past the passages
    assert [piece for piece, hit in pieces if hit] == ["MIGRACIÓN", "Migración"]
    assert joined.startswith("MIGRACIÓN first, w0 w1") and " … " in joined
    assert "then Migración again; w0" in joined and "  " not in joined
    assert joined.endswith(" …") and "last" not in joined
    # the same words asked again (remembered per query) give the same passages
    assert rules.snippet(text, rules.parse_query("migracion").all_stems()) == pieces


def _begins_as_its_stems(word: str) -> bool:
    """Whether each of the three stems of ``word`` begins with its first character: what
    snippets rely on for a word beginning with a lower-case letter or with no letter."""
    first = word[:1]
    return not first.islower() or all(
        rules.stems([word], code)[0][:1] == first for code in rules.LANGUAGES
    )


def test_a_stem_begins_with_its_word_s_lower_case_first_letter_whatever_the_letter():
    """Every character of Unicode before the first word, folded as the index folds it."""
    for point in range(sys.maxunicode + 1):
        if not rules.words(chr(point)):
            continue  # not a word's character: the word begins after it
        for text in (chr(point), chr(point) + "nstitutions", chr(point) + "eux"):
            for word in rules.words(text):
                assert _begins_as_its_stems(word), (hex(point), word)


def test_a_word_s_folding_begins_as_its_first_character_s_whatever_the_character():
    """Snippets tell most words apart by their first character (``rules._Initials``): a word
    as written folds to letters beginning as its first character's folding does, when that
    holds any letter or digit."""
    for point in range(sys.maxunicode + 1):
        character = chr(point)
        if not rules.WORD.match(character):
            continue  # no word as written begins with it
        folded = "".join(rules.words(character))
        if not folded:
            continue  # "maybe": the word is looked at whole
        for text in (character + "nstitutions", character + "eux", character + "ÉTATS"):
            word = rules.WORD.findall(text)[0]
            assert "".join(rules.words(word))[:1] == folded[:1], (hex(point), word)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(categories=["L", "N", "M", "Pc", "Pd", "Po"]), min_size=1))
@example("Yeux")
@example("skies")
@example("ÉTATS-UNIS")
@example("ﬁnancement")
@example("ℐnstitut")
def test_a_stem_begins_with_its_word_s_lower_case_first_letter(text):
    for word in rules.words(text):
        assert _begins_as_its_stems(word), word


def test_a_word_folded_to_a_capital_is_still_a_hit():
    """ "ℐ" has no lower case and folds to "I", which the French stemmer changes."""
    pieces = rules.snippet("Un ℐnstitut national", rules.parse_query("institut").all_stems())
    assert [piece for piece, hit in pieces if hit] == ["ℐnstitut"]


def test_queries_meeting_the_same_words_mark_their_own_hits():
    text = "Portable pensions for migrant workers, and workers' portability"
    pensions = rules.snippet(text, rules.parse_query("pension").all_stems())
    workers = rules.snippet(text, rules.parse_query("workers").all_stems())
    again = rules.snippet(text, rules.parse_query("pension").all_stems())
    assert [piece for piece, hit in pensions if hit] == ["pensions"]
    assert [piece for piece, hit in workers if hit] == ["workers", "workers"]
    assert again == pensions


def test_a_text_without_a_hit_shows_its_beginning():
    pieces = rules.snippet("Nothing to see here", frozenset({"absent"}))
    assert pieces == (("Nothing to see here", False),)
    assert rules.snippet("", frozenset()) == ()


def test_indexed_text_is_capped_and_loses_the_snippet_markers():
    assert rules.indexed_text("a\x02b\x03c") == "a b c"
    assert len(rules.indexed_text("x" * 300_000)) == rules.MAX_INDEXED_CHARS


def test_edit_distance_counts_insertions_deletions_substitutions_and_swaps():
    assert rules.edit_distance("pension", "pension") == 0
    assert rules.edit_distance("pension", "pensoin") == 1  # two neighbours swapped
    assert rules.edit_distance("pension", "pensions") == 1
    assert rules.edit_distance("pension", "pesion") == 1
    assert rules.edit_distance("pension", "pansion") == 1
    assert rules.edit_distance("pension", "pnesoin") == 2
    assert rules.edit_distance("ca", "abc", limit=5) == 3  # not two: swaps are not edited again
    assert rules.edit_distance("pension", "tension", limit=5) == 1
    # beyond the limit: limit + 1, however far
    assert rules.edit_distance("pension", "migration") == 3
    assert rules.edit_distance("pension", "p") == 3
    assert rules.edit_distance("", "abc", limit=3) == 3


def test_a_word_is_corrected_to_the_closest_word_within_two_edits_the_most_frequent():
    vocabulary = {"pension": 5, "tension": 9, "mention": 1, "portability": 3}
    assert rules.correction("pensoin", vocabulary) == "pension"  # tension is 2 edits away
    assert rules.correction("pention", vocabulary) == "pension"  # mention too: less frequent
    assert rules.correction("tensoin", {"pension": 50, "tension": 1}) == "tension"
    assert rules.correction("pension", vocabulary) is None  # known
    assert rules.correction("xylophone", vocabulary) is None  # nothing near
    assert rules.correction("portabilty", vocabulary) == "portability"
    assert rules.correction("pension", {}) is None


def test_a_query_is_corrected_word_by_word_and_only_where_a_word_is_unknown():
    vocabulary = {"pension": 5, "reform": 2, "migrant": 4}
    assert rules.corrected("Pensoin reform", vocabulary) == "pension reform"
    assert rules.corrected("the pensoin of migrnats", vocabulary) == "the pension of migrant"
    assert rules.corrected("pension reform", vocabulary) is None
    assert rules.corrected("zzz qqqqqqq", vocabulary) is None
    # words too short to correct, and stopwords, stay as they are
    assert rules.corrected("an pensoin", {"and": 9, "pension": 1}) == "an pension"
    assert rules.correctable("the ab pension, pension") == ["pension"]


def test_the_vocabulary_keeps_searched_words_only():
    assert rules.vocabulary_words("The Œuvre of an ILO C144 — de la migración") == [
        "oeuvre",
        "ilo",
        "c144",
        "migracion",
    ]
    assert rules.vocabulary_words("x" * 101 + " " + "y" * 100) == ["y" * 100]


def test_a_snippet_reads_a_long_text_a_stretch_at_a_time(monkeypatch):
    """A text is read a stretch at a time, cut between words, and no further than its last
    passage needs: wherever the cuts fall, the snippet is the same."""
    wanted = rules.parse_query("portability").all_stems()
    late = "Filler words, about nothing_at_all. " * 3000 + "Portability at last. " + "More. " * 9
    early = "Portability first. " + "Filler words about nothing. " * 3000 + "Portability again."
    for text in (late, early, "Portability"):
        whole = rules.snippet(text, wanted)
        assert [piece for piece, hit in whole if hit][:1] == ["Portability"]
        for stretch in (1, 7, 100):
            monkeypatch.setattr(rules, "_STRETCH", stretch)
            assert rules.snippet(text, wanted) == whole, (text[:20], stretch)
        monkeypatch.undo()
