"""The main forms fed arbitrary text (any Unicode, control characters, huge values, numbers out
of range) by hypothesis: whatever comes in, the answer is never a server error. Each example
runs against the same world, its writes undone afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.security.world import build, clients_for, undone

pytestmark = pytest.mark.usefixtures("cheap_passwords")

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HUGE = [
    "x" * 50_000,
    "é" * 25_000,
    "\U0001f600" * 12_000,
    "\x00" * 100,
    "\u202e\u200b\ufeff" * 500,
    " \t" * 20_000,
    "\r\n" * 10_000,
    "=cmd|' /C calc'!A0",
]
EDGES = ["", "0", "-1", "1.5", str(2**31), str(2**64), "9" * 400, "nan", "inf", "1e400", "%00"]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),  # lone surrogates
    st.sampled_from(HUGE),  # cannot be sent as UTF-8 at all
    st.sampled_from(EDGES),
)
HTMX = st.sampled_from([{}, {"HX-Request": "true"}])


@pytest.fixture
def world(make_client, db, request):
    built = build(db)
    roles = {
        "test_signing_in": ("anonymous",),
        "test_replying": ("focal",),
        "test_creating_a_consultation": ("moderator",),
        "test_creating_a_round": ("moderator",),
        "test_importing_a_draft_text": ("moderator",),
        "test_publishing_a_revised_draft": ("moderator",),
    }.get(request.function.__name__, ("rep",))
    clients_for(built, make_client, db, roles)
    return built


def send(world: Any, db: Any, role: str, path: str, data: dict[str, Any], headers: dict) -> None:
    client = world.clients[role]
    with undone(db):
        try:
            response = client.submit(path, data, headers=headers)
        except Exception as error:  # noqa: BLE001 - a crash is what this looks for
            pytest.fail(f"{path} crashed on {data!r:.300}: {type(error).__name__}: {error}")
    assert response.status_code < 500, (path, data, response.status_code)


@FUZZ
@given(body=TEXT, position=TEXT, key=TEXT, headers=HTMX)
@example(body="\x00", position="9" * 400, key="\x00", headers={})
@example(body="x" * 50_000, position="-1", key="k" * 10_000, headers={"HX-Request": "true"})
def test_posting_a_comment(world, db, body, position, key, headers):
    data = {"body": body, "idempotency_key": key}
    if position:
        data["position_id"] = position
    send(world, db, "rep", f"/rounds/{world.ids['round']}/comments", data, headers)


@FUZZ
@given(body=TEXT, key=TEXT, headers=HTMX)
def test_replying(world, db, body, key, headers):
    path = f"/rounds/{world.ids['round']}/comments/{world.ids['comment']}/replies"
    send(world, db, "focal", path, {"body": body, "idempotency_key": key}, headers)


@FUZZ
@given(
    stance=st.one_of(TEXT, st.sampled_from(["support", "oppose", "neutral"])),
    statement=TEXT,
    base=TEXT,
    key=TEXT,
    headers=HTMX,
)
@example(stance="oppose", statement="\x00", base="1e400", key="", headers={})
@example(stance="support", statement="s", base=str(2**64), key="", headers={})
def test_posting_a_position(world, db, stance, statement, base, key, headers):
    data = {"stance": stance, "statement": statement, "base_version": base, "idempotency_key": key}
    send(world, db, "rep", f"/rounds/{world.ids['round']}/positions", data, headers)


@FUZZ
@given(reason=TEXT, headers=HTMX)
@example(reason="\x00", headers={})
def test_flagging(world, db, reason, headers):
    path = f"/rounds/{world.ids['round']}/comments/{world.ids['comment']}/flag"
    send(world, db, "rep", path, {"reason": reason}, headers)


@FUZZ
@given(email=TEXT, password=TEXT, next_=TEXT)
@example(email="\x00" * 100, password="\x00", next_="\x00")
@example(email="a@b.example", password="p" * 50_000, next_="//evil.example")
def test_signing_in(world, db, email, password, next_):
    send(
        world, db, "anonymous", "/login", {"email": email, "password": password, "next": next_}, {}
    )


@FUZZ
@given(title=TEXT, brief=TEXT)
@example(title="\x00", brief="\x00")
def test_creating_a_consultation(world, db, title, brief):
    send(world, db, "moderator", "/consultations", {"title": title, "brief": brief}, {})


@FUZZ
@given(
    title=TEXT,
    brief=TEXT,
    closes_at=st.one_of(TEXT, st.sampled_from(["2099-01-01T10:00", "1900-01-01T00:00"])),
    weighting=st.one_of(TEXT, st.sampled_from(["1:1:1", "2:1:1"])),
    sealed=TEXT,
    organisations=st.lists(TEXT, max_size=5),
)
@example(
    title="T", brief="B", closes_at="\x00", weighting="\x00", sealed="1", organisations=["\x00"]
)
@example(
    title="T",
    brief="B",
    closes_at="9999-12-31T23:59",
    weighting="1:1:1",
    sealed="",
    organisations=[str(2**64), "-1"],
)
def test_creating_a_round(world, db, title, brief, closes_at, weighting, sealed, organisations):
    data = {
        "title": title,
        "brief": brief,
        "closes_at": closes_at,
        "weighting": weighting,
        "sealed": sealed,
        "organisations": organisations,
    }
    path = f"/consultations/{world.ids['consultation']}/rounds"
    send(world, db, "moderator", path, data, {})


# -- draft texts (app/drafts) --------------------------------------------------------------------


@FUZZ
@given(text=TEXT, reason=TEXT, paragraph=TEXT, headers=HTMX)
@example(text="\x00", reason="x" * 50_000, paragraph="9" * 400, headers={})
def test_proposing_an_amendment(world, db, text, reason, paragraph, headers):
    paragraph_id = (
        paragraph if paragraph.isdigit() and len(paragraph) < 10 else world.ids["paragraph"]
    )
    path = f"/rounds/{world.ids['round']}/paragraphs/{paragraph_id}/amendments"
    send(world, db, "rep", path, {"text": text, "reason": reason}, headers)


@FUZZ
@given(body=TEXT, paragraph=TEXT, headers=HTMX)
@example(body="On paragraph 1.", paragraph=str(2**64), headers={"HX-Request": "true"})
def test_commenting_on_a_paragraph(world, db, body, paragraph, headers):
    data = {"body": body, "paragraph_id": paragraph}
    send(world, db, "rep", f"/rounds/{world.ids['round']}/comments", data, headers)


@FUZZ
@given(text=TEXT, preview=st.sampled_from(["", "1"]))
@example(text="```\n\n\n", preview="1")
def test_importing_a_draft_text(world, db, text, preview):
    data = {"text": text, "preview": preview}
    send(world, db, "moderator", f"/rounds/{world.ids['draft']}/draft", data, {})


@FUZZ
@given(
    title=TEXT,
    closes_at=TEXT,
    paragraphs=st.lists(TEXT, max_size=4),
    apply=st.one_of(st.just(""), TEXT),
)
@example(title="T", closes_at="2099-01-01T00:00", paragraphs=["\x00"], apply="")
@example(title="T", closes_at="x", paragraphs=[], apply=str(2**64))
def test_publishing_a_revised_draft(world, db, title, closes_at, paragraphs, apply):
    data = {"title": title, "brief": "B", "closes_at": closes_at, "paragraphs": paragraphs}
    if apply:
        data["apply"] = apply
    send(world, db, "moderator", f"/rounds/{world.ids['closed']}/revise", data, {})
