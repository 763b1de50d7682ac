"""Saved searches: a person keeps a search under a name, and is told when it finds something
new that they may see (docs/search-design.md §4).

A saved search holds its canonical query string (app.search.query) and a watermark, the
highest index entry it was counted up to. ``queue_matches`` (run by ``tripartite send-mail``
just before the emails are queued) counts, for each saved search of an active person, the
entries above the watermark that this person may see now, with the very call the search page
makes (``service.count_new``), adds a notification when there are any, and moves the
watermark past everything indexed so far: an item that was hidden from them when it was
indexed does not come back as news when it becomes visible later."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.models import User
from app.accounts.rules import Speaking, Viewer, mandate_is_active, platform_role_of
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.i18n import ngettext
from app.notifications.models import Notification
from app.organisations.models import Mandate, Organisation
from app.search import query as search_query
from app.search import rules, service
from app.search.models import SavedSearch, SearchEntry
from app.text_rules import clean_line
from app.vocabulary import Group, MandateRole

#: The notification's kind (one per saved search and run: its round is NULL, so the
#: notifications' unique (user, round, kind) never stands in the way).
KIND = "search.matched"
MAX_NAME = 100
MAX_QUERY = 1000
#: Saved searches one person may keep (each is counted by every run of the mail worker).
MAX_PER_PERSON = 50


def link(saved: SavedSearch) -> str:
    """Where the saved search's results are."""
    return f"/search?{saved.query}"


def listing(db: Session, user_id: int) -> list[SavedSearch]:
    return list(
        db.scalars(
            select(SavedSearch)
            .where(SavedSearch.user_id == user_id)
            .order_by(func.lower(SavedSearch.name), SavedSearch.id)
        )
    )


def _name(name: str) -> str:
    name = clean_line(name, "name")
    if not name:
        raise DomainError(_("Give the search a name, to know it again."), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(
            _("A name has at most %(max)d characters.") % {"max": MAX_NAME}, field="name"
        )
    return name


def _query(params: Mapping[str, Any]) -> str:
    parsed = search_query.parse(params)
    if rules.parse_query(parsed.text).empty:
        raise DomainError(
            _("Type at least one word to search for: words as common as “a” are not searched."),
            field="q",
        )
    text = search_query.canonical(parsed)
    if len(text) > MAX_QUERY:
        raise DomainError(_("This search is too long to save: shorten it."), field="q")
    return text


def _existing(db: Session, user_id: int, text: str) -> SavedSearch | None:
    return db.scalar(
        select(SavedSearch).where(SavedSearch.user_id == user_id, SavedSearch.query == text)
    )


def save(
    db: Session, viewer: Viewer, name: str, params: Mapping[str, Any]
) -> tuple[SavedSearch, bool]:
    """The search kept under ``name`` (and True), or the same search already kept (and False):
    a person keeps a search once. News are what is indexed from now on."""
    name, text = _name(name), _query(params)
    existing = _existing(db, viewer.user_id, text)
    if existing is not None:
        return existing, False
    kept = db.scalar(select(func.count()).where(SavedSearch.user_id == viewer.user_id)) or 0
    if kept >= MAX_PER_PERSON:
        raise DomainError(
            _("You keep %(max)d saved searches, the most one may: delete one first.")
            % {"max": MAX_PER_PERSON},
            field="name",
        )
    top = db.scalar(select(func.max(SearchEntry.id))) or 0
    saved = SavedSearch(user_id=viewer.user_id, name=name, query=text, last_entry_id=top)
    db.add(saved)
    try:
        db.flush()
    except IntegrityError:
        # The same search saved at once in another tab committed first: that one is the answer.
        db.rollback()
        repeat = _existing(db, viewer.user_id, text)
        if repeat is None:
            raise
        return repeat, False
    return saved, True


def delete(db: Session, viewer: Viewer, saved_id: int) -> SavedSearch:
    """Forget one of the viewer's saved searches (anyone else's does not exist for them)."""
    saved = db.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != viewer.user_id:
        raise NotFound(_("There is no such saved search."))
    db.delete(saved)
    return saved


# -- the worker ---------------------------------------------------------------------------------


def viewers(db: Session, user_ids: set[int], now: datetime) -> dict[int, Viewer]:
    """The active people among ``user_ids`` as they would be signed in now: their platform
    role and their active mandates (one query)."""
    if not user_ids:
        return {}
    rows = db.execute(
        select(
            User.id,
            User.name,
            User.email,
            User.platform_role,
            Mandate.id.label("mandate_id"),
            Mandate.organisation_id,
            Mandate.role,
            Mandate.starts_at,
            Mandate.expires_at,
            Mandate.revoked_at,
            Organisation.name.label("organisation_name"),
            Organisation.group_name,
        )
        .outerjoin(Mandate, (Mandate.user_id == User.id) & Mandate.revoked_at.is_(None))
        .outerjoin(Organisation, Organisation.id == Mandate.organisation_id)
        .where(User.id.in_(sorted(user_ids)), User.is_active.is_(True))
        .order_by(User.id, Mandate.starts_at, Mandate.id)
    ).all()
    people: dict[int, Any] = {}
    speaking: dict[int, list[Speaking]] = defaultdict(list)
    for row in rows:
        people.setdefault(row.id, row)
        if row.mandate_id is not None and mandate_is_active(
            row.starts_at, row.expires_at, row.revoked_at, now
        ):
            speaking[row.id].append(
                Speaking(
                    row.mandate_id,
                    row.organisation_id,
                    row.organisation_name,
                    Group(row.group_name),
                    MandateRole(row.role),
                )
            )
    return {
        user_id: Viewer(
            user_id,
            row.name,
            row.email,
            platform_role_of(row.platform_role),
            tuple(speaking[user_id]),
        )
        for user_id, row in people.items()
    }


def _news(name: str, count: int, where: str) -> str:
    return ngettext(
        "Your saved search “%(name)s” finds %(num)d new result: %(link)s",
        "Your saved search “%(name)s” finds %(num)d new results: %(link)s",
        count,
    ) % {"name": name, "num": count, "link": where}


def queue_matches(db: Session, now: datetime, site_url: str = "") -> int:
    """Tell each active person of what their saved searches newly find that they may see
    (one notification per saved search with news, in the reader's language, with its link),
    and move every watermark. Returns the notifications added."""
    searches = list(db.scalars(select(SavedSearch).order_by(SavedSearch.user_id, SavedSearch.id)))
    if not searches:
        return 0
    # read before counting: an entry indexed meanwhile is counted now or on the next run
    top = db.scalar(select(func.max(SearchEntry.id))) or 0
    people = viewers(db, {s.user_id for s in searches}, now)
    readers = {
        row.id: (row.language, row.time_zone)
        for row in db.execute(
            select(User.id, User.language, User.time_zone).where(User.id.in_(sorted(people)))
        )
    }
    added = 0
    for saved in searches:
        viewer = people.get(saved.user_id)
        if viewer is None:  # deactivated: nothing is counted, nothing is told
            continue
        if saved.last_entry_id >= top:
            continue
        wanted = search_query.parse(_multi(saved.query))
        count, highest = service.count_new(db, viewer, wanted, saved.last_entry_id, now)
        if count:
            language, zone = readers.get(saved.user_id, (None, None))
            with i18n.speaking(language, zone):
                message = _news(saved.name, count, f"{site_url}{link(saved)}")
            db.add(Notification(user_id=saved.user_id, round_id=None, kind=KIND, message=message))
            saved.notified_at = now
            added += 1
        saved.last_entry_id = max(top, highest)
    return added


def _multi(text: str) -> dict[str, list[str]]:
    """A query string with its repeated parameters (``kind``) kept."""
    found: dict[str, list[str]] = defaultdict(list)
    for name, value in parse_qsl(text, keep_blank_values=True):
        found[name].append(value)
    return dict(found)
