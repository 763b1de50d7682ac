"""Reads small and frequent enough to be answered on the event loop, without a worker thread.

Most requests are served by a sync route in a worker thread, with a SQLAlchemy session. A few
are asked so often that the hop to a thread would cost more than the answer (bench/stack.py):
the health check, and the live poll of a round that has not changed (every open round page
asks every few seconds). Those read here:

- on PostgreSQL, through a small pool of psycopg's async connections (the query waits on the
  network, not on the loop);
- on SQLite, on one connection of this process's own, on the loop itself: a read in WAL mode
  never waits for a writer, and takes a few microseconds.

Each query is one indexed lookup. Anything more is left to the ordinary routes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from app.rounds.rules import COMMENT_EDIT_WINDOW
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus

#: The live poll's question, in one round trip: is this session live (the conditions of
#: app.accounts.service._LIVE_SESSION), what may its person do, and where is the round.
_POLL = """
SELECT r.version, r.status, r.opens_at, r.closes_at, u.platform_role, u.totp_enabled_at
FROM user_sessions s
JOIN users u ON u.id = s.user_id
JOIN rounds r ON r.id = {round_id}
WHERE s.token_hash = {token_hash}
  AND s.revoked_at IS NULL
  AND s.two_factor_pending = {false}
  AND s.expires_at > {now}
  AND u.is_active = {true}
"""

#: The round page's question, in one round trip (app/rounds/door.py): the live session's
#: person and unrevoked mandates (the columns and conditions of
#: app.accounts.service._LIVE_SESSION, one row per mandate), and the round's side of the kept
#: page's key (app.rounds.page_cache._STATE). No row: no such session, or no such round.
_PAGE = """
SELECT s.id, s.csrf_token, u.id, u.name, u.email, u.platform_role, u.totp_enabled_at,
       m.id, m.organisation_id, m.role, m.starts_at, m.expires_at, m.revoked_at,
       o.name, o.group_name,
       r.version, r.status, r.opens_at, r.closes_at, r.created_at,
       EXISTS (
         SELECT 1 FROM comments c
         WHERE c.round_id = r.id AND c.author_id = u.id
           AND (c.created_at > {since} OR c.visibility <> 'visible')
       )
FROM user_sessions s
JOIN users u ON u.id = s.user_id
JOIN rounds r ON r.id = {round_id}
LEFT JOIN mandates m ON m.user_id = u.id AND m.revoked_at IS NULL
LEFT JOIN organisations o ON o.id = m.organisation_id
WHERE s.token_hash = {token_hash}
  AND s.revoked_at IS NULL
  AND s.two_factor_pending = {false}
  AND s.expires_at > {now}
  AND u.is_active = {true}
ORDER BY m.starts_at, m.id
"""

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores a time on SQLite (naive UTC)


class QuickReads:
    """This process's reads on the event loop (see the module's docstring)."""

    def __init__(self, database_url: str, pool_size: int = 4) -> None:
        url = make_url(database_url)
        self.dialect = url.get_backend_name()
        self._sqlite: sqlite3.Connection | None = None
        self._pool: AsyncConnectionPool | None = None  # opened on first use (PostgreSQL)
        #: queries sent so far (bench/round_page.py counts a page's queries with it)
        self.queries = 0
        if self.dialect == "sqlite":
            self._path = url.database or ":memory:"
            self._poll = _POLL.format(round_id="?", token_hash="?", now="?", false="0", true="1")
            self._page = _PAGE.format(
                since="?", round_id="?", token_hash="?", now="?", false="0", true="1"
            )
        elif self.dialect == "postgresql":
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conninfo = conninfo
            self._pool_size = pool_size
            self._poll = _POLL.format(
                round_id="%s", token_hash="%s", now="now()", false="false", true="true"
            )
            self._page = _PAGE.format(
                since="%s", round_id="%s", token_hash="%s", now="%s", false="false", true="true"
            )
        else:  # pragma: no cover (the app runs on SQLite and PostgreSQL alone)
            raise ValueError(f"no quick reads for {self.dialect}")

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    async def _one(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        rows = await self._rows(sql, params, one=True)
        return rows[0] if rows else None

    async def _rows(
        self, sql: str, params: Sequence[Any], *, one: bool = False, wait: float = 5
    ) -> list[tuple[Any, ...]]:
        """The rows of one query; ``wait``: the longest wait for a pooled connection
        (PostgreSQL), after which ``psycopg_pool.PoolTimeout`` is raised."""
        self.queries += 1
        if self.dialect == "postgresql":
            if self._pool is None:
                # opened on the first use, in the event loop that serves the requests
                self._pool = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._pool_size,
                    open=False,
                    kwargs={"autocommit": True, "connect_timeout": 5},
                )
                await self._pool.open()
            async with self._pool.connection(timeout=wait) as connection:
                cursor = await connection.execute(sql, params)
                if one:
                    row = await cursor.fetchone()
                    return [row] if row is not None else []
                return await cursor.fetchall()
        if self._sqlite is None:
            self._sqlite = sqlite3.connect(self._path, check_same_thread=False, timeout=5)
            self._sqlite.execute("PRAGMA query_only = ON")
        results = self._sqlite.execute(sql, params)
        if one:
            found: tuple[Any, ...] | None = results.fetchone()
            return [found] if found is not None else []
        rows: list[tuple[Any, ...]] = results.fetchall()
        return rows

    async def database_answers(self) -> bool:
        """The health check: the database answers a trivial query."""
        try:
            return await self._one("SELECT 1", ()) is not None
        except Exception:  # unreachable, restarting, locked, pool exhausted: not healthy
            return False

    async def poll(self, token_hash: str, round_id: int) -> PollAnswer | None:
        """The round's version and status for a live session, or None (no such session or
        round: the ordinary route answers)."""
        if self.dialect == "postgresql":
            row = await self._one(self._poll, (round_id, token_hash))
        else:
            now = datetime.now(UTC).replace(tzinfo=None).strftime(SQLITE_TIME)
            row = await self._one(self._poll, (round_id, token_hash, now))
        if row is None:
            return None
        version, status, opens_at, closes_at, role, totp_enabled_at = row
        return PollAnswer(
            version=version,
            status=status,
            opens_at=_utc(opens_at),
            closes_at=_utc(closes_at),
            platform_role=role,
            two_factor_enabled=totp_enabled_at is not None,
        )

    async def page(self, token_hash: str, round_id: int, now: datetime) -> list[PageRow]:
        """The rows of the round page's question (``_PAGE``) for a session and a round, typed
        as SQLAlchemy reads them (aware UTC times, the vocabularies' members); no rows: no
        such live session, or no such round. ``now`` decides which comments are recent: made
        within the last ``rules.COMMENT_EDIT_WINDOW``."""
        since = now - COMMENT_EDIT_WINDOW
        if self.dialect == "postgresql":
            # the route answers when no connection comes at once (a restarting server: its
            # 503 promptly, not after the pool's reconnection attempts)
            rows = await self._rows(self._page, (since, round_id, token_hash, now), wait=0.5)
        else:
            rows = await self._rows(
                self._page, (_sqlite_time(since), round_id, token_hash, _sqlite_time(now))
            )
        return [_page_row(row) for row in rows]


class PageRow(NamedTuple):
    """One row of the round page's question, named as app.accounts.service._LIVE_SESSION
    and app.rounds.page_cache._STATE name their columns."""

    id: int
    csrf_token: str
    user_id: int
    name: str
    email: str
    platform_role: PlatformRole | None
    totp_enabled_at: datetime | None
    mandate_id: int | None
    organisation_id: int | None
    role: MandateRole | None
    starts_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    organisation_name: str | None
    group_name: Group | None
    version: int
    status: RoundStatus
    opens_at: datetime | None
    closes_at: datetime | None
    created_at: datetime
    recent: bool


def _page_row(row: Sequence[Any]) -> PageRow:
    (session_id, csrf, user_id, name, email, role, totp, mandate_id, organisation_id) = row[:9]
    (mandate_role, starts, expires, revoked, organisation_name, group) = row[9:15]
    (version, status, opens_at, closes_at, created_at, recent) = row[15:]
    return PageRow(
        session_id,
        csrf,
        user_id,
        name,
        email,
        PlatformRole(role) if role else None,
        _utc(totp),
        mandate_id,
        organisation_id,
        MandateRole(mandate_role) if mandate_role is not None else None,
        _utc(starts),
        _utc(expires),
        _utc(revoked),
        organisation_name,
        Group(group) if group is not None else None,
        version,
        RoundStatus(status),
        _utc(opens_at),
        _utc(closes_at),
        _utc(created_at),  # type: ignore[arg-type]
        bool(recent),
    )


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).strftime(SQLITE_TIME)


@dataclass(frozen=True, slots=True)
class PollAnswer:
    version: int
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    platform_role: str
    two_factor_enabled: bool


def _utc(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class HealthCheck:
    """``GET /healthz`` answered at the door: "ok" (200) when the database answers a trivial
    query, 503 when it does not; for load balancers and monitors, asked often, costing one read
    on the event loop and nothing of the app's routing."""

    def __init__(self, app: ASGIApp, reads: QuickReads) -> None:
        self.app = app
        self.reads = reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/healthz" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        healthy = await self.reads.database_answers()
        body = b"ok\n" if healthy else b"database unreachable\n"
        await send(
            {
                "type": "http.response.start",
                "status": 200 if healthy else 503,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
