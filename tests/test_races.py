"""A close racing concurrent posters, on both databases: nothing is accepted after the close,
nothing accepted is lost, and every refused poster is told the round is closed."""

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from app.accounts.rules import Speaking, Viewer
from app.comments import service as comments
from app.comments.models import Comment
from app.db import make_engine, make_sessionmaker, open_session, utcnow
from app.errors import DomainError
from app.migrate import upgrade
from app.moderation import lifecycle
from app.organisations.models import Organisation
from app.rounds.models import Consultation, Round, RoundInvitation
from app.vocabulary import Group, MandateRole, PlatformRole
from tests import factories

POSTERS = 6
POSTS_EACH = 15


def test_close_racing_posters(fresh_url):
    upgrade(fresh_url)
    engine = make_engine(fresh_url, pool_size=POSTERS + 2)
    factory = make_sessionmaker(engine)
    with open_session(factory, write=True) as db:
        orgs = [
            Organisation(name=f"Org {i}", group_name=list(Group)[i % 3].value, country="Ardenia")
            for i in range(POSTERS)
        ]
        db.add_all(orgs)
        consultation = Consultation(title="Race", brief="")
        db.add(consultation)
        db.flush()
        round_ = Round(
            consultation_id=consultation.id,
            number=1,
            title="Race",
            brief="b",
            status="open",
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=1),
        )
        db.add(round_)
        db.flush()
        db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o.id) for o in orgs)
        people = [factories.user(db) for _ in range(POSTERS)]
        moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
        db.commit()
        round_id = round_.id
        speakers = [
            Viewer(
                p.id,
                p.name,
                p.email,
                None,
                (Speaking(i, o.id, o.name, o.group, MandateRole.REPRESENTATIVE),),
            )
            for i, (p, o) in enumerate(zip(people, orgs, strict=True))
        ]
        closer = Viewer(moderator.id, moderator.name, moderator.email, PlatformRole.MODERATOR)

    accepted: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(POSTERS + 1)

    def poster(viewer: Viewer) -> None:
        start.wait()
        for n in range(POSTS_EACH):
            with open_session(factory, write=True) as db:
                try:
                    comment = comments.post(
                        db,
                        viewer,
                        round_id,
                        f"Post {n}",
                        parent_id=None,
                        position_id=None,
                        idempotency_key="",
                    )
                    db.commit()
                except DomainError as error:
                    with lock:
                        refused.append(error.message)
                    continue
                with lock:
                    accepted.append(comment.id)

    def close() -> None:
        start.wait()
        deadline = time.monotonic() + 30
        while len(accepted) < POSTERS * 2 and time.monotonic() < deadline:
            time.sleep(0.001)  # close in the middle of the posting, not before it
        with open_session(factory, write=True) as db:
            lifecycle.close(db, closer, round_id, "Closed while people were posting.")
            db.commit()

    threads = [threading.Thread(target=poster, args=(v,)) for v in speakers]
    threads.append(threading.Thread(target=close))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    with factory() as db:
        closed_at = db.scalar(select(Round.closed_at).where(Round.id == round_id))
        stored = db.execute(
            select(Comment.id, Comment.created_at).where(Comment.round_id == round_id)
        ).all()
    engine.dispose()
    assert closed_at is not None
    assert sorted(c.id for c in stored) == sorted(accepted)  # nothing accepted is lost
    assert all(c.created_at <= closed_at for c in stored)  # nothing accepted after the close
    assert len(accepted) + len(refused) == POSTERS * POSTS_EACH
    assert all("closed" in message for message in refused)
    assert accepted and refused  # the close really raced the posters
