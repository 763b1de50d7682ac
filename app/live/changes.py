"""SQLite's in-process broadcast: the app's sessions note which rounds' versions they moved
(every write to a round bumps ``Round.version``, on the object or by an UPDATE statement) and,
once committed, tell the broker, which reads those versions at once. Nothing is told of a
rolled-back change. PostgreSQL needs none of this: its trigger notifies at commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from app.live.broker import Broker
from app.rounds.models import Round

KEY = "tripartite_rounds_changed"
#: Noted for an UPDATE statement on rounds whose rows are not known: every watched round.
SOME_ROUND = None


def _note(session: Session, round_id: int | None) -> None:
    session.info.setdefault(KEY, set()).add(round_id)


def tell_at_commit(factory: sessionmaker[Session], broker: Broker) -> None:
    """Sessions made by ``factory`` tell ``broker`` about the rounds they changed."""

    @event.listens_for(factory, "after_flush")
    def after_flush(session: Session, _context: Any) -> None:
        for instance in session.dirty:
            if isinstance(instance, Round) and inspect(instance).attrs.version.history.added:
                _note(session, instance.id)

    @event.listens_for(factory, "do_orm_execute")
    def on_execute(state: ORMExecuteState) -> None:
        if state.is_update and getattr(state.statement, "table", None) is Round.__table__:
            _note(state.session, SOME_ROUND)

    @event.listens_for(factory, "after_commit")
    def after_commit(session: Session) -> None:
        changed = session.info.pop(KEY, None)
        if changed:
            broker.rounds_committed(changed)

    @event.listens_for(factory, "after_rollback")
    def after_rollback(session: Session) -> None:
        session.info.pop(KEY, None)
