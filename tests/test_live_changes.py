"""SQLite's in-process broadcast (app/live/changes.py): every committed write to a round is told
to the broker at commit, whichever way it bumped the version (the ORM, an UPDATE through the
session, or the posting path's one-statement claim), and a rolled-back one is not."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.accounts.service import viewer_for_token
from app.comments import service as comments
from app.db import make_engine, make_sessionmaker
from app.live.changes import tell_at_commit
from app.migrate import upgrade
from app.moderation import lifecycle
from app.vocabulary import PlatformRole
from tests import factories


class Ear:
    def __init__(self) -> None:
        self.told: list[set[int | None]] = []

    def rounds_committed(self, round_ids: Iterable[int | None]) -> None:
        self.told.append(set(round_ids))


def test_every_committed_write_to_a_round_is_told_and_a_rolled_back_one_is_not(fresh_url):
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=2)
    factory = make_sessionmaker(engine)
    ear = Ear()
    tell_at_commit(factory, ear)  # type: ignore[arg-type]
    try:
        with factory() as db:
            union = factories.organisation(db)
            rep = factories.member(db, union)
            moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
            round_ = factories.consultation_round(db, [union])
            rep_token = factories.session_cookie(db, rep)
            moderator_token = factories.session_cookie(db, moderator)
            db.commit()
            ear.told.clear()

            def viewer(token: str, db: Session = db):  # type: ignore[no-untyped-def]
                signed = viewer_for_token(db, token)
                assert signed is not None
                return signed.viewer

            def post(key: str) -> None:
                comments.post(
                    db,
                    viewer(rep_token),
                    round_.id,
                    "A comment the readers must see at once.",
                    parent_id=None,
                    position_id=None,
                    idempotency_key=key,
                )

            post("first")
            db.rollback()
            assert ear.told == []  # nothing committed, nothing told

            post("second")
            db.commit()
            assert ear.told, "a posted comment was not told at commit"

            ear.told.clear()
            lifecycle.close(db, viewer(moderator_token), round_.id, "Closed for the test.")
            db.commit()
            assert any(round_.id in ids or None in ids for ids in ear.told)
    finally:
        engine.dispose()
