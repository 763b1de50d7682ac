"""The round page's live stream (server-sent events, app/live) served for real: what a reader
with the round open receives when someone else posts, after a cut, and never what they may not
read."""

from __future__ import annotations

import uuid

import httpx2
import pytest

from app.accounts.models import User
from app.migrate import upgrade
from app.rounds.models import Round
from tests.conftest import _fresh_url
from tests.live import LiveApp, served_world, submit
from tests.security.world import World
from tests.sse import Reader


def _version(app: LiveApp, round_id: int) -> int:
    with app.sessions() as db:
        return db.get_one(Round, round_id).version


def _post(app: LiveApp, client, round_id: int, body: str) -> None:  # type: ignore[no-untyped-def]
    posted = submit(
        client,
        f"/rounds/{round_id}/comments",
        {"body": body, "idempotency_key": uuid.uuid4().hex},
    )
    assert posted.status_code == 303, posted.text


class _Closing(LiveApp):
    """The served app whose browsers are closed with it."""

    def __init__(self, app: LiveApp) -> None:
        super().__init__(app.base_url, app.engine, app.sessions)
        self.opened: list[httpx2.Client] = []

    def browser(self, person: User | None = None, *, timeout: float = 60) -> httpx2.Client:
        client = super().browser(person, timeout=timeout)
        self.opened.append(client)
        return client


@pytest.fixture(scope="module")
def live_url(backend, postgres_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A database of this module's own: the served worlds are committed for real, and must not
    stay in the database the rolled-back tests share (they count rows)."""
    url = _fresh_url(backend, postgres_server, tmp_path_factory.mktemp(f"live-{backend}"))
    upgrade(url)
    return url


@pytest.fixture
def live(live_url, tmp_path):  # type: ignore[no-untyped-def]
    with served_world(live_url, tmp_path) as (app, world):
        closing = _Closing(app)
        try:
            yield closing, world
        finally:
            for client in closing.opened:
                client.close()


def test_a_comment_by_someone_else_reaches_an_open_stream(live: tuple[LiveApp, World]) -> None:
    app, world = live
    round_id = world.ids["round"]
    reader_browser = app.browser(world.people["other_rep"])
    writer = app.browser(world.people["government_rep"])
    version = _version(app, round_id)
    reader = Reader(reader_browser, f"/rounds/{round_id}/stream?version={version}")
    try:
        assert reader.status == 200
        assert reader.response_headers["content-type"].startswith("text/event-stream")
        assert reader.response_headers["cache-control"] == "no-store"
        assert reader.response_headers["x-accel-buffering"] == "no"
        hello = reader.next()
        assert hello.id == str(version)

        _post(app, writer, round_id, "Streamed to every reader")
        update = reader.until("Streamed to every reader")
        assert update.name == "update"
        assert update.id == str(_version(app, round_id))
        assert int(update.id) > version
        assert 'hx-swap-oob="true"' in update.data
        # the reader's own browser token in the forms it carries, never a placeholder
        assert "__csrf_token_of_this_response__" not in update.data
    finally:
        reader.close()


def test_a_stream_cut_and_reopened_with_last_event_id_catches_up(
    live: tuple[LiveApp, World],
) -> None:
    app, world = live
    round_id = world.ids["round"]
    browser = app.browser(world.people["other_rep"])
    writer = app.browser(world.people["government_rep"])
    version = _version(app, round_id)
    path = f"/rounds/{round_id}/stream?version={version}"
    first = Reader(browser, path)
    _post(app, writer, round_id, "Seen before the cut")
    seen = first.until("Seen before the cut")
    first.close()  # the connection drops

    _post(app, writer, round_id, "Posted while the stream was down")
    again = Reader(browser, path, headers={"Last-Event-ID": seen.id or ""})
    try:
        caught_up = again.until("Posted while the stream was down")
        assert caught_up.id == str(_version(app, round_id))
        assert "Seen before the cut" not in caught_up.data  # it had that one already
    finally:
        again.close()


def test_an_update_never_carries_what_the_reader_may_not_read(
    live: tuple[LiveApp, World],
) -> None:
    """Another group's caucus post and draft statement, a comment awaiting approval, a hidden
    comment's text: never on the stream of someone who may not read them (caucus isolation),
    neither in the catch-up of a page from long ago nor in a later update; their own group sees
    the public parts the same."""
    app, world = live
    round_id = world.ids["round"]
    outsider = Reader(app.browser(world.people["employers_rep"]), f"/rounds/{round_id}/stream")
    insider = Reader(app.browser(world.people["rep"]), f"/rounds/{round_id}/stream")
    try:
        catch_up = outsider.next()  # version 0: everything since, at once
        assert catch_up.name == "update"
        assert "A government comment." in catch_up.data
        for secret in ("Between us.", "Our draft.", "Pending.", "<p>Hidden.</p>"):
            assert secret not in catch_up.data, secret
        assert "Between us." not in insider.next().data  # the caucus has a page of its own

        workers = app.browser(world.people["rep"])
        caucus = submit(
            workers,
            f"/rounds/{round_id}/caucus/workers/posts",
            {"body": "Workers only: our red line", "idempotency_key": uuid.uuid4().hex},
        )
        assert caucus.status_code in (200, 303), caucus.text
        _post(app, app.browser(world.people["government_rep"]), round_id, "A public remark")
        update = outsider.until("A public remark")
        assert "Workers only" not in update.data
        assert "Workers only" not in insider.until("A public remark").data
    finally:
        outsider.close()
        insider.close()


def test_streams_are_refused_as_the_round_page_is(live: tuple[LiveApp, World]) -> None:
    app, world = live
    anonymous = app.browser()
    answer = anonymous.get(f"/rounds/{world.ids['round']}/stream")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    rep = app.browser(world.people["rep"])
    assert rep.get(f"/rounds/{world.ids['draft']}/stream").status_code == 404
    assert rep.get("/rounds/999999/stream").status_code == 404


def test_a_signed_out_session_is_refused_on_its_next_stream(live: tuple[LiveApp, World]) -> None:
    app, world = live
    rep = app.browser(world.people["rep"])
    path = f"/rounds/{world.ids['round']}/stream?version={_version(app, world.ids['round'])}"
    open_ = Reader(rep, path)
    assert open_.status == 200
    open_.close()
    assert submit(rep, "/logout").status_code == 303
    answer = rep.get(path)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_stream_opened_on_a_current_page_sends_only_the_regions_that_change(
    live: tuple[LiveApp, World],
) -> None:
    """The page already shows the round at the version it names: the first update after a
    comment carries the comment, not the positions' columns again; a new position still
    sends them."""
    app, world = live
    round_id = world.ids["round"]
    reader_browser = app.browser(world.people["other_rep"])
    writer = app.browser(world.people["government_rep"])
    version = _version(app, round_id)
    reader = Reader(reader_browser, f"/rounds/{round_id}/stream?version={version}")
    try:
        assert reader.next().id == str(version)
        _post(app, writer, round_id, "Only the comment is new")
        update = reader.until("Only the comment is new")
        assert 'id="columns"' not in update.data

        posted = submit(
            writer,
            f"/rounds/{round_id}/positions",
            {"stance": "oppose", "statement": "A stance streamed", "idempotency_key": "k1"},
        )
        assert posted.status_code == 303, posted.text
        changed = reader.until("A stance streamed")
        assert 'id="columns"' in changed.data
    finally:
        reader.close()


@pytest.fixture
def two_of_a_group(live_url, tmp_path):  # type: ignore[no-untyped-def]
    """A round with two workers' organisations invited: one has posted its position, the other
    (whose name no one else's update may carry) has not."""
    from app.vocabulary import Group
    from tests import factories

    def extra(db, world: World) -> None:  # type: ignore[no-untyped-def]
        posted = factories.organisation(db, Group.WORKERS, name="Posted Workers Union")
        owing = factories.organisation(db, Group.WORKERS, name="Owing Workers Union")
        others = [factories.organisation(db, g) for g in (Group.GOVERNMENT, Group.EMPLOYERS)]
        round_ = factories.consultation_round(db, [posted, owing, *others], title="Two of a group")
        world.people["posted_rep"] = factories.member(db, posted)
        world.people["owing_rep"] = factories.member(db, owing)
        world.people["writer"] = factories.member(db, others[0])
        factories.position(db, round_, posted, world.people["posted_rep"])
        world.ids["two_round"] = round_.id

    with served_world(live_url, tmp_path, extra) as (app, world):
        closing = _Closing(app)
        try:
            yield closing, world
        finally:
            for client in closing.opened:
                client.close()


def test_two_organisations_of_a_group_share_the_update_but_not_their_own_parts(
    two_of_a_group: tuple[LiveApp, World],
) -> None:
    """The comment is rendered once for both organisations' readers; the task box (whose
    organisation still owes its position) is each organisation's own."""
    app, world = two_of_a_group
    round_id = world.ids["two_round"]
    readers = {
        name: Reader(app.browser(world.people[name]), f"/rounds/{round_id}/stream?version=0")
        for name in ("posted_rep", "owing_rep")
    }
    try:
        # opened on a page older than the round: the catch-up carries every part
        posted = readers["posted_rep"].until('id="round-task"').data
        owing = readers["owing_rep"].until('id="round-task"').data
        # the owing organisation's task box is its own (the names themselves are public: the
        # participation region lists every invited organisation)
        assert "Owing Workers Union</bdi> has not posted its position" in owing
        assert "has not posted its position" not in posted
        # the shared parts are the same text for both: only the own parts differ
        assert posted.split('id="round-task"')[0] == owing.split('id="round-task"')[0]
        _post(app, app.browser(world.people["writer"]), round_id, "For both unions")
        for reader in readers.values():
            assert "has not posted its position" not in reader.until("For both unions").data
    finally:
        for reader in readers.values():
            reader.close()
