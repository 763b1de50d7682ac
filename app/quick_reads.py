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
from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

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

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores a time on SQLite (naive UTC)


class QuickReads:
    """This process's reads on the event loop (see the module's docstring)."""

    def __init__(self, database_url: str, pool_size: int = 2) -> None:
        url = make_url(database_url)
        self.dialect = url.get_backend_name()
        self._sqlite: sqlite3.Connection | None = None
        self._pool: AsyncConnectionPool | None = None  # opened on first use (PostgreSQL)
        if self.dialect == "sqlite":
            self._path = url.database or ":memory:"
            self._poll = _POLL.format(round_id="?", token_hash="?", now="?", false="0", true="1")
        elif self.dialect == "postgresql":
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conninfo = conninfo
            self._pool_size = pool_size
            self._poll = _POLL.format(
                round_id="%s", token_hash="%s", now="now()", false="false", true="true"
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
            async with self._pool.connection(timeout=5) as connection:
                cursor = await connection.execute(sql, params)
                return await cursor.fetchone()
        if self._sqlite is None:
            self._sqlite = sqlite3.connect(self._path, check_same_thread=False, timeout=5)
            self._sqlite.execute("PRAGMA query_only = ON")
        row: tuple[Any, ...] | None = self._sqlite.execute(sql, params).fetchone()
        return row

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
