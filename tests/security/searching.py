"""Searching as a probe does, for the leak suites: ``/search?q=<marker>`` answered to someone
who may not see the marker must be, word for word, the answer to a word nothing holds.

The search page prints the words it was asked (the field, "Nothing found for …", the links
that keep the query), so a marker in a search's answer is not by itself a leak. What is: an
answer that differs from a miss's in anything but that echo — a result, its snippet, a count,
a facet, a "did you mean", a page link. ``probe`` asks the search and the same search for
``MISS``, swaps the asked word for ``MISS`` in the first answer and compares them; a reader,
instead, is shown the marker in a result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers import HTMX, soup

#: The headers of the search form's own htmx requests (the results alone).
RESULTS = {**HTMX, "HX-Target": "search-results"}
#: A result on the search page.
RESULT = "#search-results li.search-result"
#: A word no text holds (the suites' markers are ``zq``/``zr`` and twelve hex digits).
MISS = "zqnowherefoundmiss"
#: Kinds a caucus's texts are found as.
CAUCUS_KINDS = ("caucus_post", "statement", "attachment")
#: What changes on every answer whoever asks (form tokens).
_VOLATILE = re.compile(r'(name="(?:csrftoken|idempotency_key)" value=")[^"]*"|csrftoken=[^"&]*')


def typo(word: str) -> str:
    """The word with one letter changed in its middle: what "did you mean" would correct."""
    i = len(word) // 2
    return word[:i] + ("x" if word[i] != "x" else "y") + word[i + 1 :]


def addresses(word: str, kinds: tuple[str, ...] = ()) -> list[str]:
    """A probe's searches for ``word``: plain, narrowed to ``kinds``, newest first, and with a
    one-letter typo (for "did you mean")."""
    narrowed = "".join(f"&kind={kind}" for kind in kinds)
    urls = [f"/search?q={word}", f"/search?q={word}&sort=date", f"/search?q={typo(word)}"]
    if narrowed:
        urls.insert(1, f"/search?q={word}{narrowed}")
    return urls


def asked(url: str) -> str | None:
    """The words a ``/search`` address asks (None for any other address)."""
    parts = urlsplit(url)
    if parts.path != "/search":
        return None
    return parse_qs(parts.query).get("q", [""])[0] or None


#: The headers a search is asked with: a browser's, and the search form's htmx.
VARIANTS: tuple[dict[str, str], ...] = ({}, RESULTS)


@dataclass
class Probe:
    status: int
    #: The answer is a miss's, word for word (the echo of the asked word aside).
    like_a_miss: bool
    #: The asked word is in a result: it was found.
    shows: bool
    #: The answer with the asked word taken out (where other markers are looked for).
    text: str


def _normal(response: Any) -> str:
    where = response.headers.get("location", "")
    return f"{response.status_code} {where}\n" + _VOLATILE.sub(r"\1", response.text)


def probe(
    client: Any, url: str, headers: dict[str, str], misses: dict[tuple[int, str, str], str]
) -> Probe:
    """``url`` (a search for a word) as ``client`` with ``headers``, beside the same search
    for ``MISS`` (asked once per client, address and headers: ``misses`` keeps them)."""
    word = asked(url)
    assert word is not None and MISS not in word, url
    response = client.get(url, headers=headers)
    assert response.status_code < 500, (url, response.status_code)
    miss_url = url.replace(f"q={word}", f"q={MISS}")
    key = (id(client), miss_url, repr(sorted(headers.items())))
    if key not in misses:
        misses[key] = _normal(client.get(miss_url, headers=headers))
    miss = misses[key]
    got = _normal(response)
    return Probe(
        status=response.status_code,
        like_a_miss=got.replace(word, MISS) == miss,
        shows=any(word in r.get_text() for r in soup(response.text).select(RESULT)),
        text=got.replace(word, ""),
    )
