"""Small helpers the test modules share: reading pages, htmx requests, form dates, counting
queries. (Test data is built in tests/factories.py; signed-in browsers come from there too.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import utcnow

#: The header htmx sends with its requests: the app answers with a fragment.
HTMX = {"HX-Request": "true"}


def soup(html: str) -> BeautifulSoup:
    """The page, parsed."""
    return BeautifulSoup(html, "html.parser")


def local(when: datetime) -> str:
    """A ``datetime-local`` form value (read as UTC by the app)."""
    return when.strftime("%Y-%m-%dT%H:%M")


def days_ahead(days: int = 14) -> str:
    """The ``datetime-local`` form value ``days`` days from now."""
    return local(utcnow() + timedelta(days=days))


@contextmanager
def counted_queries(db: Session) -> Iterator[list[str]]:
    """The SQL statements run meanwhile on ``db``'s engine (the list grows as they run)."""
    engine = db.get_bind().engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        # the test's own savepoints (commits inside the rolled-back transaction) are not the page's
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
