"""What people type into single-line fields and date fields, for every form of the application.

The forms are found from the route table: each POST route of the authorisation matrix
(tests/security/test_authorisation_matrix.py) is sent its valid form data by a role that may
use it, with one text field at a time poisoned (NUL, a right-to-left override, a line break,
a line separator), or one date field at a time given an absurd date. Whatever comes in, the
answer is never a server error, and no single-line column of the database (the models' String
columns) ever holds a line break, a control or a bidirectional formatting character; no column
holds NUL. Every date field refuses absurd dates with a message beside the field."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

from app.db import Base
from app.text_rules import has_control_characters
from tests import factories
from tests.security.test_authorisation_matrix import (
    TABLE,
    concrete_path,
    fill,
    outcome,
    request,
)
from tests.security.world import ROLES, build, clients_for, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: One at a time: NUL (PostgreSQL refuses it), U+202E (turns the rest of a sentence around), a
#: line break (breaks an email's header), U+2028 (a line separator by another name).
POISONS = {"NUL": "\x00", "RLO": "\u202e", "CRLF": "\r\nBcc: everyone@test.example", "LS": "\u2028"}
#: Fields whose valid value is no free text (a code, a choice from a list, a fingerprint): the
#: form refuses "Some words" in them before anything is stored. Every other field is reached.
NOT_FREE_TEXT = {
    "code",
    "kind",
    "password",
    "seen",
    # the tripartite bodies' forms: choices from a list, days, a fraction, a web address
    "agenda_item",
    "alternate",
    "confidentiality",
    "group",
    "parent",
    "round_id",
    "due_on",
    "effective_on",
    "review_on",
    "proposals_until",
    "threshold",
    "link",
}
DATE_SUFFIXES = ("_at", "deadline")
#: What else a field needs to be read: the chair's typed name is refused beside a chosen chair.
ALONE = {"chair_name": {"chair_user": ""}}


def form_fields(app: Any) -> dict[tuple[str, str], dict[str, bool]]:
    """The text fields of every POST route: {(method, path): {field: is a list}}, read from
    the endpoints' ``Form`` parameters."""
    found: dict[tuple[str, str], dict[str, bool]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "POST" not in route.methods:
            continue
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
        fields: dict[str, bool] = {}
        for name, hint in hints.items():
            if typing.get_origin(hint) is not typing.Annotated:
                continue
            base, *metadata = typing.get_args(hint)
            if not any(isinstance(m, params.Form) for m in metadata):
                continue
            if base is str:
                fields[name] = False
            elif typing.get_origin(base) is list and typing.get_args(base) == (str,):
                fields[name] = True
        found[("POST", str(context.path))] = fields
    return found


def passing_role(case: Any) -> str:
    return next(role for role in ROLES if case.expected[role] == "ok")


def is_date_field(name: str) -> bool:
    return name.endswith(DATE_SUFFIXES)


def stored_text(db: Session) -> Iterator[tuple[str, str, str, bool]]:
    """Every text value in the database: (table, column, value, single-line column)."""
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not columns:
            continue
        for row in db.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, str):
                    single = isinstance(column.type, String) and not isinstance(column.type, Text)
                    yield table.name, column.name, value, single


def unclean(db: Session) -> list[str]:
    bad = []
    for table, column, value, single in stored_text(db):
        if "\x00" in value or (single and has_control_characters(value)):
            bad.append(f"{table}.{column} = {value!r}")
    return bad


@pytest.fixture
def everyone(make_client, db, settings):
    world = build(db, settings)
    roles = {passing_role(case) for (method, _p), case in TABLE.items() if method == "POST"}
    clients_for(world, make_client, db, tuple(sorted(roles)))
    return world


def test_the_forms_have_text_fields_to_poison(client):
    fields = form_fields(client.app.fastapi_app)
    assert {"name", "focal_point_name", "country"} <= fields[
        ("POST", "/admin/organisations")
    ].keys()
    assert "title" in fields[("POST", "/consultations/{consultation_id}/rounds")]
    assert "chair_name" in fields[("POST", "/rounds/{round_id}/officers")]
    assert fields.keys() <= TABLE.keys()


def test_no_text_field_stores_control_characters_or_crashes(everyone, db):
    world = everyone
    app = next(iter(world.clients.values())).app.fastapi_app
    assert not unclean(db), "the world itself holds control characters"
    problems = []
    tried = 0
    not_reached: set[str] = set()
    single_line_fields: set[str] = set()
    world_text = {(table, column, value) for table, column, value, _s in stored_text(db)}
    for key, fields in form_fields(app).items():
        case = TABLE[key]
        role = passing_role(case)
        client = world.clients[role]
        path = concrete_path(key[1], case, world)
        base = {k: fill(v, world) for k, v in case.data.items()}
        for field, is_list in fields.items():
            if is_date_field(field) or field == "csrftoken":
                continue
            alone = {**base, **ALONE.get(field, {})}
            valid = alone.get(field, "Some words")
            with undone(db):
                sent = request(client, "POST", path, {**alone, field: valid}, case.files)
                control = outcome(sent)
            # single-line free text: any words typed land in one of the models' String columns
            # (a choice from a list refuses them)
            words = f"{valid} Zephyrine" if isinstance(valid, str) else ""
            with undone(db):
                request(client, "POST", path, {**alone, field: words}, case.files)
                single_line = bool(words) and any(
                    single and words in value and (table, column, value) not in world_text
                    for table, column, value, single in stored_text(db)
                )
            if control != "ok":
                not_reached.add(field)
            if single_line:
                single_line_fields.add(field)
            for label, poison in POISONS.items():
                if is_list:
                    values = valid if isinstance(valid, list) and valid else ["Some words"]
                    value: Any = [f"{values[0]}{poison}", *values[1:]]
                else:
                    value = f"{valid}{poison}tail"
                data = {**alone, field: value}
                tried += 1
                text = ""
                with undone(db):
                    try:
                        response = request(client, "POST", path, data, case.files)
                        got, text = outcome(response), response.text
                    except Exception as error:  # noqa: BLE001 - a crash is what this looks for
                        got = f"500 ({type(error).__name__}: {error})"
                    stored = unclean(db) if not got.startswith("5") else []
                where = f"POST {key[1]} {field}+{label} as {role}"
                if single_line and got == "422":
                    # refused beside the field, saying why
                    beside = re.search(rf'id="[^"]*{field}[^"]*-error"[^>]*>([^<]+)<', text)
                    if not beside:
                        problems.append(f"{where}: not refused beside the field")
                    elif label == "CRLF" and "one line" not in beside[1]:
                        problems.append(f"{where}: refused without saying why: {beside[1]}")
                if got.startswith("5"):
                    problems.append(f"{where}: {got}")
                problems += [f"{where} stored {s}" for s in stored]
    assert tried > 100
    assert not problems, "\n".join(problems)
    # fields the valid form cannot reach with words in them must be no free text
    assert not_reached <= NOT_FREE_TEXT, ",".join(sorted(not_reached - NOT_FREE_TEXT))
    # the discovery found the names and titles (a sanity check of the check itself)
    assert {"name", "title", "country", "focal_point_name", "chair_name"} <= single_line_fields


ABSURD = {
    "the year 9999": ("9999-12-31T23:59", "9999-12-31"),
    "before 2000": ("1999-12-31T23:59", "1999-12-31"),
    "year 1": ("0001-01-01T00:00", "0001-01-01"),
}


def test_every_date_field_refuses_absurd_dates_beside_the_field(everyone, db):
    """Found from the forms' fields (named ``..._at`` or ``...deadline``); each is given the
    form's valid data and an absurd date, as a datetime-local value and as a date."""
    world = everyone
    app = next(iter(world.clients.values())).app.fastapi_app
    problems = []
    checked = set()
    for key, fields in form_fields(app).items():
        case = TABLE[key]
        role = passing_role(case)
        client = world.clients[role]
        path = concrete_path(key[1], case, world)
        base = {k: fill(v, world) for k, v in case.data.items()}
        for field in (f for f in fields if is_date_field(f)):
            checked.add(field)
            for label, spellings in ABSURD.items():
                answers = []
                for spelling in spellings:
                    with undone(db):
                        spelt = {**base, field: spelling}
                        response = request(client, "POST", path, spelt, case.files)
                        answers.append((response.status_code, response.text))
                refused = [
                    text
                    for status, text in answers
                    if status == 422 and "Give a date between the year 2000" in text
                ]
                if not refused:
                    got = [status for status, _text in answers]
                    problems.append(f"POST {key[1]} {field} = {label}: not refused ({got})")
                elif f'id="f-{field}-error"' not in refused[0] and field not in refused[0]:
                    problems.append(f"POST {key[1]} {field} = {label}: no error beside the field")
    assert {"closes_at", "opens_at", "signoff_deadline", "mandate_expires_at"} <= checked
    assert not problems, "\n".join(problems)


LAST_MINUTE = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Asia/Tokyo", "Pacific/Pago_Pago"])
def test_a_deadline_at_the_end_of_the_calendar_is_shown_in_any_zone(make_client, db, zone):
    """A round whose deadline is the last minute of 9999 (stored before deadlines were checked):
    the home page, the consultation and the round answer for readers east and west of UTC."""
    round_, orgs, reps = factories.three_groups_round(db, closes_at=LAST_MINUTE)
    reader = factories.signed_in(make_client, db, next(iter(reps.values())))
    for language in ("en", "fr", "es"):
        reader.cookies.set("tripartite_tz", zone)
        reader.cookies.set("tripartite_lang", language)
        for page in ("/", f"/consultations/{round_.consultation_id}", f"/rounds/{round_.id}"):
            response = reader.get(page)
            assert response.status_code == 200, (page, zone, language, response.status_code)
            assert "9999" in response.text
