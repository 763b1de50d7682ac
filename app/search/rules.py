"""Search's pure rules: folding, words, stems, the query's parse and snippets.

Both engines see the same words: text is folded (lower case, accents dropped as PostgreSQL's
``unaccent`` drops them), cut into words here, and only then handed to PostgreSQL (which stems
them with Snowball) or stemmed here for SQLite's FTS5 (PyStemmer, the same Snowball stemmers).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import islice

import Stemmer

from app.search.stopwords import STOPWORDS

#: The languages text is stemmed in; an item in none of them ("mul") is stemmed in all three.
LANGUAGES = ("en", "fr", "es")
MULTILINGUAL = "mul"
SNOWBALL = {"en": "english", "fr": "french", "es": "spanish"}
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
#: Text indexed per item (a PostgreSQL tsvector must stay under 1 MB).
MAX_INDEXED_CHARS = 200_000
#: Words shown around a hit in a snippet, and fragments at most.
SNIPPET_WORDS = 25
SNIPPET_FRAGMENTS = 2

#: Letters ``unaccent`` rewrites that decomposition alone does not.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "ŀ": "l"}
)
#: A word: letters and digits (SQLite's unicode61 separators, PostgreSQL's parser on folded text).
WORD = re.compile(r"[^\W_]+")
#: What is not a word's: where a text is cut to be read a stretch at a time.
_NOT_WORD = re.compile(r"[\W_]")
#: The characters of a text a snippet reads at once (then the next, until its passages are).
_STRETCH = 2_000
#: Snippet markers PostgreSQL's ``ts_headline`` puts around hits (stripped from indexed text).
START, STOP = "\x02", "\x03"
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, accents and ligatures dropped: "Œuvre" → "oeuvre", "migración" →
    "migracion"."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered  # nothing to fold (most text: no per-character pass)
    lowered = lowered.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return WORD.findall(fold(text))


def language_of(language: str | None) -> str:
    """The index language of an item written in ``language`` (a code such as "fr" or
    "fr-CA"; none or another: "mul", stemmed in all three)."""
    code = (language or "").split("-")[0].lower()
    return code if code in LANGUAGES else MULTILINGUAL


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(SNOWBALL[language])


def stems(terms: Iterable[str], language: str) -> list[str]:
    """Each word's stem in ``language`` (one of LANGUAGES)."""
    return list(_stemmer(language).stemWords(list(terms)))


def indexed_text(text: str) -> str:
    """The text kept for an item: capped, with the snippet markers taken out."""
    return text.replace(START, " ").replace(STOP, " ")[:MAX_INDEXED_CHARS]


def document_words(text: str) -> str:
    """The words PostgreSQL's ``to_tsvector`` is given, joined by spaces."""
    return " ".join(words(text))


def document_terms(text: str, language: str) -> str:
    """SQLite's FTS5 terms of an item: its words' stems in its language, or for "mul" the
    stems of all three languages (each distinct stem of a word once)."""
    found = words(text)
    if language in LANGUAGES:
        return " ".join(stems(found, language))
    per_language = [stems(found, code) for code in LANGUAGES]
    terms: list[str] = []
    for word_stems in zip(*per_language, strict=True):
        terms.extend(dict.fromkeys(word_stems))
    return " ".join(terms)


@dataclass(frozen=True)
class ParsedQuery:
    """A query cut into words once: ``kept[lang]`` the words left once that language's
    stopwords are dropped, ``stemmed[lang]`` their stems. An item matches when it holds every
    stem of one of the languages."""

    words: tuple[str, ...]
    kept: dict[str, tuple[str, ...]]
    stemmed: dict[str, tuple[str, ...]]

    @property
    def empty(self) -> bool:
        return not any(self.kept.values())

    def all_stems(self) -> frozenset[str]:
        return frozenset(stem for group in self.stemmed.values() for stem in group)


def parse_query(text: str) -> ParsedQuery:
    """The query's words (at most MAX_QUERY_WORDS of its first MAX_QUERY_CHARS characters,
    each once), per language without that language's stopwords, and stemmed."""
    found = tuple(dict.fromkeys(words(text[:MAX_QUERY_CHARS])))[:MAX_QUERY_WORDS]
    kept = {
        code: tuple(word for word in found if word not in _folded_stopwords(code))
        for code in LANGUAGES
    }
    stemmed = {code: tuple(dict.fromkeys(stems(kept[code], code))) for code in LANGUAGES}
    return ParsedQuery(found, kept, stemmed)


@cache
def _folded_stopwords(language: str) -> frozenset[str]:
    return frozenset(fold(word) for word in STOPWORDS[language])


def fts5_match(query: ParsedQuery) -> str | None:
    """SQLite's MATCH expression: ``("a" "b") OR ("c")``, one group per language with
    words (None when no language has any)."""
    groups = dict.fromkeys(
        "(" + " ".join(f'"{stem}"' for stem in query.stemmed[code]) + ")"
        for code in LANGUAGES
        if query.stemmed[code]
    )
    return " OR ".join(groups) or None


def tsquery_words(query: ParsedQuery, language: str) -> str:
    """PostgreSQL's ``to_tsquery`` text for one language: its kept words joined by ``&``."""
    return " & ".join(query.kept[language])


@lru_cache(maxsize=65_536)
def _word_stems(word: str) -> frozenset[str]:
    """A folded word's stems in the three languages (snippets ask for the same words again
    and again)."""
    return frozenset(_stemmer(code).stemWord(word) for code in LANGUAGES)


@lru_cache(maxsize=65_536)
def _stem(word: str, language: str) -> str:
    return str(_stemmer(language).stemWord(word))


def holds_stems(text: str, wanted: Iterable[str], language: str) -> bool:
    """Whether ``text`` holds every one of these stems of ``language`` (each distinct word
    stemmed once, from a cache: the page asks about the same words again and again)."""
    wanted = set(wanted)
    if not wanted:
        return False
    for word in set(words(text)):
        wanted.discard(_stem(word, language))
        if not wanted:
            return True
    return False


def _matches(word: str, wanted: frozenset[str]) -> bool:
    return not _word_stems(word).isdisjoint(wanted)


#: Words remembered per query, and queries remembered (at most some 200,000 short strings).
_HITS_REMEMBERED = 5_000


class _Hits(dict[str, bool]):
    """Whether a word as written is a hit for ``wanted`` (one of its stems is), remembered:
    a page's snippets meet the same words again and again."""

    def __init__(self, wanted: frozenset[str]) -> None:
        super().__init__()
        self.wanted = wanted
        #: A stem begins with its word's first character when that is a lower-case letter or
        #: not a letter (the three stemmers change endings alone; tests/unit/test_search_rules.py
        #: holds it for every character): most words need no stemming.
        self.initials = frozenset(stem[:1] for stem in wanted)
        #: Whether a word beginning with a character may be a hit (``_Initials``).
        self.first = _Initials(self.initials)

    def __missing__(self, word: str) -> bool:
        folded = word.lower() if word.isascii() else "".join(words(word))
        # (a letter without a lower case, "ℐ", folds to a capital the stemmers may change)
        maybe = folded[:1] in self.initials or not folded[:1].islower()
        found = self[word] = maybe and _matches(folded, self.wanted)
        if len(self) > _HITS_REMEMBERED:
            self.clear()
        return found


class _Initials(dict[str, bool]):
    """Whether a word beginning with a character may be a hit, by the first character of its
    folding (``_Hits.__missing__``'s test), remembered: a word's folding begins with its first
    character's (folding goes character by character), so most words are told apart by one
    lookup. A character whose folding holds no letter or digit says "maybe"."""

    def __init__(self, initials: frozenset[str]) -> None:
        super().__init__()
        self.initials = initials

    def __missing__(self, character: str) -> bool:
        folded = "".join(words(character))
        found = self[character] = (
            not folded or folded[:1] in self.initials or not folded[:1].islower()
        )
        return found


@lru_cache(maxsize=40)
def _hits(wanted: frozenset[str]) -> _Hits:
    return _Hits(wanted)


Pieces = tuple[tuple[str, bool], ...]


def snippet(text: str, wanted: frozenset[str]) -> Pieces:
    """Up to SNIPPET_FRAGMENTS passages of ``text`` around the words whose stem (in any of
    the three languages) is one of ``wanted``, as ``(text, is_hit)`` pieces; "…" between
    passages. Without a hit: the text's first words."""
    is_hit = _hits(wanted)
    maybe = is_hit.first
    # the passages: one from a third of its length before a hit not in the one before, as
    # long as there are fewer than SNIPPET_FRAGMENTS; the text is read a stretch at a time
    # (cut between words), no further than a word past the last passage
    words: list[str] = []
    windows: list[tuple[int, int]] = []
    hits: list[int] = []
    position = 0
    while position < len(text) and not (
        len(windows) == SNIPPET_FRAGMENTS and len(words) > windows[-1][1]
    ):
        cut = _NOT_WORD.search(text, position + _STRETCH)
        end = cut.start() if cut else len(text)
        known = len(words)
        words += WORD.findall(text, position, end)
        position = end
        read = enumerate(words[known:], known)
        for index in [n for n, word in read if maybe[word[0]] and is_hit[word]]:
            if windows and index < windows[-1][1]:
                hits.append(index)
            elif len(windows) < SNIPPET_FRAGMENTS:
                hits.append(index)
                start = max(0, index - SNIPPET_WORDS // 3)
                windows.append((start, start + SNIPPET_WORDS))
            else:
                break
    if not words:
        return ((text[:200], False),) if text else ()
    windows = [(first, min(len(words), end)) for first, end in windows]
    if not windows:
        windows = [(0, min(len(words), SNIPPET_WORDS))]
    # where the words of the passages are (the text is read no further than the last)
    spans = [found.span() for found in islice(WORD.finditer(text), windows[-1][1])]
    pieces: list[tuple[str, bool]] = []

    def add(piece: str, is_hit: bool) -> None:
        if not piece:
            return
        if pieces and pieces[-1][1] == is_hit:
            pieces[-1] = (pieces[-1][0] + piece, is_hit)
        else:
            pieces.append((piece, is_hit))

    for number, (first, end) in enumerate(windows):
        if number or first:
            add("… " if number == 0 else " … ", False)
        position = spans[first][0]
        # the words between hits as one stretch (a word holds no space: the runs of spaces
        # are those of the gaps between words)
        for index in hits[bisect_left(hits, first) : bisect_left(hits, end)]:
            start, stop = spans[index]
            add(_SPACES.sub(" ", text[position:start]), False)
            add(text[start:stop], True)
            position = stop
        add(_SPACES.sub(" ", text[position : spans[end - 1][1]]), False)
    if windows[-1][1] < len(words):
        add(" …", False)
    return tuple(pieces)


# -- "did you mean" ----------------------------------------------------------------------------

#: Edits at most between a query's word and its correction; words shorter than this are not
#: corrected (or kept in the vocabulary): two edits turn any of them into anything.
MAX_EDITS = 2
MIN_CORRECTED = 3
#: The vocabulary's longest word (``search_words.word``).
MAX_VOCABULARY_WORD = 100


def edit_distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """The Damerau–Levenshtein distance (optimal string alignment: insertions, deletions,
    substitutions and swaps of two neighbours) between ``a`` and ``b``, or ``limit + 1`` as
    soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[len(b)], limit + 1)


def vocabulary_words(text: str) -> list[str]:
    """The words of ``text`` the "did you mean" vocabulary keeps: folded, long enough, not a
    stopword of any language (a correction is always a searched word)."""
    return [
        word
        for word in words(text)
        if MIN_CORRECTED <= len(word) <= MAX_VOCABULARY_WORD
        and not any(word in _folded_stopwords(code) for code in LANGUAGES)
    ]


def correctable(text: str) -> list[str]:
    """The query's words a correction may replace (its first MAX_QUERY_WORDS, each once)."""
    found = tuple(dict.fromkeys(words(text[:MAX_QUERY_CHARS])))[:MAX_QUERY_WORDS]
    return [word for word in found if word in vocabulary_words(word)]


def correction(word: str, vocabulary: dict[str, int]) -> str | None:
    """The vocabulary's closest word within MAX_EDITS of ``word``, the most frequent of the
    closest (then the first in alphabetical order); None when ``word`` is itself known or
    nothing is near."""
    if word in vocabulary:
        return None
    best: tuple[int, int, str] | None = None
    for known, frequency in vocabulary.items():
        distance = edit_distance(word, known)
        if distance <= MAX_EDITS:
            key = (distance, -frequency, known)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def corrected(text: str, vocabulary: dict[str, int]) -> str | None:
    """The query with each unknown word replaced by its correction: its words, folded, in
    order; None when no word has one."""
    found = tuple(dict.fromkeys(words(text[:MAX_QUERY_CHARS])))[:MAX_QUERY_WORDS]
    fixable = set(correctable(text))
    changed = False
    out = []
    for word in found:
        fixed = correction(word, vocabulary) if word in fixable else None
        changed = changed or fixed is not None
        out.append(fixed or word)
    return " ".join(out) if changed else None
