"""Sealed means sealed, in search too: until a sealed round closes, an organisation's position
(its statement and the files it attached to it) is found by that organisation's own people
only — not by another organisation of its group, another group, an observer, a moderator or an
administrator, who get the answer a word nothing holds gets (no result, snippet, count, facet or
suggestion). Once the deadline has passed (the round still marked open) and once it is closed,
everyone who reads the round finds every position, each result opening on it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.db import utcnow
from app.documents.storage import file_store
from app.rounds.models import Round
from app.vocabulary import Group, Place, PlatformRole, Stance
from tests import factories
from tests.helpers import soup
from tests.security import searching

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: Who reads the round but none of its positions until it closes.
OTHERS = ("second_workers", "observer", "moderator", "admin")


def build(db: Any, make_client: Any, settings: Any) -> tuple[int, dict[Group, dict[str, str]], Any]:
    round_, orgs, reps = factories.three_groups_round(db, sealed=True, title="Sealed round")
    second = factories.organisation(db, Group.WORKERS)
    people = {
        **{g.value: reps[g] for g in Group},
        "colleague": factories.member(db, orgs[Group.WORKERS]),  # the workers' org, again
        "second_workers": factories.member(db, second),  # same group, another organisation
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
        "admin": factories.user(db, platform_role=PlatformRole.ADMIN),
    }
    factories.position(db, round_, second, people["second_workers"], Stance.NEUTRAL, "Ours.")
    store = file_store(settings)
    markers: dict[Group, dict[str, str]] = {}
    for group in Group:
        mine = {what: f"zs{uuid.uuid4().hex[:12]}{what}" for what in ("statement", "file")}
        markers[group] = mine
        factories.position(
            db, round_, orgs[group], reps[group], Stance.SUPPORT, f"We hold {mine['statement']}"
        )
        factories.attachment(
            db,
            store,
            round_,
            reps[group],
            place=Place.POSITION,
            organisation=orgs[group],
            title=f"Evidence {mine['file']}",
        )
    clients = {role: factories.signed_in(make_client, db, who) for role, who in people.items()}
    db.commit()
    return round_.id, markers, clients


def results(client: Any, value: str) -> list[Any]:
    response = client.get(f"/search?q={value}")
    assert response.status_code == 200, response.status_code
    return [r for r in soup(response.text).select(searching.RESULT) if value in r.get_text()]


def sealed_leaks(clients: dict[str, Any], markers: dict[Group, dict[str, str]]) -> list[str]:
    """Each organisation's markers searched as everyone outside it: a miss's answer."""
    leaks = []
    misses: dict[tuple[int, str, str], str] = {}
    for group, mine in markers.items():
        outside = [*OTHERS, *(g.value for g in Group if g is not group)]
        if group is not Group.WORKERS:
            outside.append("colleague")
        for role in outside:
            for what, value in mine.items():
                for url in searching.addresses(value, ("position", "attachment")):
                    for headers in searching.VARIANTS:
                        probe = searching.probe(clients[role], url, headers, misses)
                        if probe.shows or not probe.like_a_miss:
                            leaks.append(f"{group.value}'s {what} on {url} {headers} as {role}")
    return leaks


def test_a_sealed_position_is_found_by_its_organisation_alone_until_the_close(
    make_client, db, settings
):
    round_id, markers, clients = build(db, make_client, settings)
    # before the close: each organisation's own people find its position and its file
    for group, mine in markers.items():
        own = [group.value, *(["colleague"] if group is Group.WORKERS else [])]
        for role in own:
            for what, value in mine.items():
                assert len(results(clients[role], value)) == 1, (group, what, role)
    assert not sealed_leaks(clients, markers)
    # the deadline passed, the round still marked open: the positions are no longer sealed
    db.execute(
        update(Round)
        .where(Round.id == round_id)
        .values(opens_at=utcnow() - timedelta(days=3), closes_at=utcnow() - timedelta(minutes=1))
    )
    db.commit()
    everyone = [*OTHERS, *(g.value for g in Group), "colleague"]
    for mine in markers.values():
        for role in everyone:
            for what, value in mine.items():
                assert len(results(clients[role], value)) == 1, (what, role)


def test_once_closed_every_position_is_found_by_everyone_and_opens(make_client, db, settings):
    round_id, markers, clients = build(db, make_client, settings)
    closed = clients["moderator"].submit(
        f"/rounds/{round_id}/close", {"outcome": "The groups were heard."}
    )
    assert closed.status_code == 303, closed.text
    for mine in markers.values():
        for role in (*OTHERS, *(g.value for g in Group)):
            found = results(clients[role], mine["statement"])
            assert len(found) == 1, role
            href = found[0].select_one("a[href]")["href"]
            opened = clients[role].get(href)
            assert opened.status_code == 200 and mine["statement"] in opened.text, (role, href)
            assert len(results(clients[role], mine["file"])) == 1, role
