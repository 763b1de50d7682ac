"""The search index follows every write of an indexed row in the writer's own transaction:
a new row is found, an edit replaces its text, a deletion removes it (both backends)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.db import utcnow
from app.drafts import service as drafts
from app.rounds import briefs
from app.search import index, schema
from app.search.models import SearchEntry
from app.vocabulary import Group, PlatformRole, RoundStatus, SearchKind
from tests import factories


def _entry(db: Session, kind: SearchKind, source_id: int) -> SearchEntry | None:
    return db.scalar(
        select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.source_id == source_id)
    )


def _found(db: Session, words: str, *scopes: Group | None) -> set[tuple[SearchKind, int]]:
    ids = index.match_ids(db.connection(), words, scopes or (None,))
    rows = db.execute(
        select(SearchEntry.kind, SearchEntry.source_id).where(SearchEntry.id.in_(ids))
    )
    return {(kind, source_id) for kind, source_id in rows}


def test_a_new_comment_is_found_an_edit_replaces_it_and_a_deletion_removes_it(db):
    round_, orgs, reps = factories.three_groups_round(db)
    comment = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Pensions")
    assert (SearchKind.COMMENT, comment.id) in _found(db, "pensions")
    entry = _entry(db, SearchKind.COMMENT, comment.id)
    assert entry is not None
    assert (entry.round_id, entry.consultation_id) == (round_.id, round_.consultation_id)
    assert entry.organisation_id == orgs[Group.WORKERS].id
    entry_id = entry.id

    comment.body = "Portability of **benefits**"
    db.flush()
    db.expire_all()
    assert (SearchKind.COMMENT, comment.id) not in _found(db, "pensions")
    assert (SearchKind.COMMENT, comment.id) in _found(db, "portable benefit")
    edited = _entry(db, SearchKind.COMMENT, comment.id)
    assert edited is not None and edited.id == entry_id  # the watermark keeps its place
    assert edited.body == "Portability of benefits"  # markdown indexed as plain text

    db.delete(comment)
    db.flush()
    assert _entry(db, SearchKind.COMMENT, comment.id) is None
    assert _found(db, "portability") == set()


def test_state_changes_alone_write_nothing(db):
    round_, orgs, reps = factories.three_groups_round(db)
    comment = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Hidden")
    before = _entry(db, SearchKind.COMMENT, comment.id)
    assert before is not None
    round_.version += 1
    comment.visibility = "hidden"
    db.flush()
    after = _entry(db, SearchKind.COMMENT, comment.id)
    assert after is not None and after.id == before.id


def test_rounds_consultations_positions_and_drafts_are_indexed(db):
    round_, orgs, reps = factories.three_groups_round(
        db, title="Migration policy", brief="Les travailleurs migrants"
    )
    position = factories.position(
        db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS], statement="Skills first"
    )
    paragraphs = factories.draft(db, round_, "Social security coordination.")
    amendment = factories.amendment(
        db, paragraphs[0], orgs[Group.WORKERS], reps[Group.WORKERS], "Equal treatment."
    )
    assert (SearchKind.ROUND, round_.id) in _found(db, "migration")
    assert (SearchKind.ROUND, round_.id) in _found(db, "travailleur")
    assert (SearchKind.POSITION, position.id) in _found(db, "skill")
    assert (SearchKind.PARAGRAPH, paragraphs[0].id) in _found(db, "coordination")
    assert (SearchKind.AMENDMENT, amendment.id) in _found(db, "equal treatment")
    consultation_entry = _entry(db, SearchKind.CONSULTATION, round_.consultation_id)
    assert consultation_entry is not None and consultation_entry.language == "mul"
    round_entry = _entry(db, SearchKind.ROUND, round_.id)
    assert round_entry is not None and round_entry.language == "en"

    round_.outcome = "The council agreed on portability."
    db.flush()
    assert (SearchKind.OUTCOME, round_.id) in _found(db, "portable")
    round_.outcome = None
    db.flush()
    assert _entry(db, SearchKind.OUTCOME, round_.id) is None


def test_caucus_posts_live_in_their_groups_partition_until_a_statement_is_published(db):
    round_, orgs, reps = factories.three_groups_round(db)
    post = factories.caucus_post(
        db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Strike fund"
    )
    statement = factories.group_statement(
        db, round_, Group.WORKERS, reps[Group.WORKERS], "Our joint declaration"
    )
    assert _found(db, "strike") == set()
    assert _found(db, "strike", Group.EMPLOYERS) == set()
    assert (SearchKind.CAUCUS_POST, post.id) in _found(db, "strike", Group.WORKERS)
    assert (SearchKind.STATEMENT, statement.id) in _found(db, "declaration", Group.WORKERS)
    assert _found(db, "declaration") == set()

    statement.published_at = factories.utcnow()
    db.flush()
    assert (SearchKind.STATEMENT, statement.id) in _found(db, "declaration")
    assert _found(db, "declaration", Group.WORKERS) == set()
    entry = _entry(db, SearchKind.STATEMENT, statement.id)
    assert entry is not None and entry.scope is None and entry.group_name == Group.WORKERS


def test_a_draft_imported_again_replaces_the_paragraphs_entries(db):
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    viewer = Viewer(moderator.id, moderator.name, moderator.email, PlatformRole.MODERATOR)
    round_ = factories.consultation_round(db)
    drafts.import_draft(db, viewer, round_.id, "Old words about wages.")
    assert {kind for kind, _ in _found(db, "wages")} == {SearchKind.PARAGRAPH}
    drafts.import_draft(db, viewer, round_.id, "New words about holidays.")
    assert _found(db, "wages") == set()
    assert {kind for kind, _ in _found(db, "holidays")} == {SearchKind.PARAGRAPH}


def test_the_brief_language_relanguages_the_round_and_its_versions(db):
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    viewer = Viewer(moderator.id, moderator.name, moderator.email, PlatformRole.MODERATOR)
    round_ = factories.consultation_round(db, status=RoundStatus.DRAFT, brief="Les travailleurs")
    paragraphs = factories.draft(db, round_, "Les travailleuses et les travailleurs.")
    briefs.save_version(db, viewer, round_.id, "fr", "Version française du mandat.")
    french = db.scalar(select(SearchEntry).where(SearchEntry.kind == SearchKind.BRIEF))
    assert french is not None and french.language == "fr"
    briefs.set_original_language(db, viewer, round_.id, "fr")
    db.flush()
    round_entry = _entry(db, SearchKind.ROUND, round_.id)
    paragraph_entry = _entry(db, SearchKind.PARAGRAPH, paragraphs[0].id)
    assert round_entry is not None and round_entry.language == "fr"
    assert paragraph_entry is not None and paragraph_entry.language == "fr"
    # the French version was removed by a Core delete: its entry goes with it
    assert _entry(db, SearchKind.BRIEF, french.source_id) is None


def test_meeting_rows_are_indexed_with_their_meeting(db):
    from app.decisions.models import Decision
    from app.meetings.models import AgendaItem, MeetingDocument

    body, _, holders, _, _ = factories.seated_body(db)
    meeting = factories.meeting(db, body)
    item = AgendaItem(meeting_id=meeting.id, number=1, title="Minimum wage")
    db.add(item)
    db.flush()
    document = MeetingDocument(
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        title="Wage study",
        language="es",
        sha256="0" * 64,
        size=1,
        kind="pdf",
        file_name="estudio.pdf",
        text="La migración laboral",
        uploaded_by_id=holders[Group.WORKERS].id,
    )
    decision = Decision(
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        text="Raise the minimum wage.",
        method="consensus",
        opened_by_id=holders[Group.WORKERS].id,
    )
    db.add_all([document, decision])
    db.flush()
    assert (SearchKind.MEETING_DOCUMENT, document.id) in _found(db, "migracion")
    assert (SearchKind.DECISION, decision.id) in _found(db, "raise")
    entry = _entry(db, SearchKind.DECISION, decision.id)
    assert entry is not None
    assert (entry.meeting_id, entry.agenda_item_id) == (meeting.id, item.id)


def test_rebuild_gives_back_what_the_listener_wrote(db):
    round_, orgs, reps = factories.three_groups_round(db)
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Overtime rules")
    before = {(e.kind, e.source_id, e.id, e.body) for e in db.scalars(select(SearchEntry))}
    connection = db.connection()
    connection.execute(
        SearchEntry.__table__.update()
        .where(SearchEntry.kind == SearchKind.COMMENT)
        .values(body="stale")
    )
    index.rebuild(connection)
    db.expire_all()
    after = {(e.kind, e.source_id, e.id, e.body) for e in db.scalars(select(SearchEntry))}
    assert after == before
    assert _found(db, "overtime")


def test_a_post_writes_the_rows_a_batch_writes(db):
    """One entry (a post) goes straight to the driver, a batch through SQLAlchemy: the same
    entry row, stored alike (the time as SQLAlchemy stores it), with the same FTS5 row in the
    same partition on SQLite and the same document (``tsvector``) on PostgreSQL."""
    round_, orgs, reps = factories.three_groups_round(db)
    made = [
        factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], text_)
        for text_ in (
            "Overtime rules for **seasonal** workers",
            "Les travailleurs saisonniers",
            # words PostgreSQL's parser reads otherwise than the index's own split
            "Write to jane.doe@union.example about co-operation",
        )
    ]
    db.flush()  # each comment's entry written alone, as a post writes it

    def stored() -> list[tuple[object, ...]]:
        rows = db.execute(
            text(
                "SELECT kind, source_id, id, language, scope, round_id, consultation_id, "
                "organisation_id, author_id, open, body, CAST(created_at AS TEXT) "
                "FROM search_entries WHERE kind = 'comment' ORDER BY source_id"
            )
        ).all()
        found = [tuple(row) for row in rows]
        if db.get_bind().dialect.name == "postgresql":
            found += [
                tuple(row)
                for row in db.execute(
                    text(
                        "SELECT source_id, CAST(document AS TEXT) FROM search_entries "
                        "WHERE kind = 'comment' ORDER BY source_id"
                    )
                )
            ]
        if db.get_bind().dialect.name == "sqlite":
            for key in schema.PARTITIONS:
                table = schema.fts_table(key)
                found += [
                    (table, *row)
                    for row in db.execute(text(f"SELECT rowid, terms FROM {table} ORDER BY rowid"))
                ]
        return found

    one_by_one = stored()
    assert {row[1] for row in one_by_one[:3]} == {c.id for c in made}
    if db.get_bind().dialect.name == "postgresql":  # the periods of when each was made
        documents = dict(one_by_one[3:])
        for comment in made:
            for lexeme in schema.period_lexemes(comment.created_at):
                assert f"'{lexeme}'" in documents[comment.id]
    index.rebuild(db.connection(), [SearchKind.COMMENT])  # both at once: the batch path
    assert stored() == one_by_one


def _partitions(db: Session, entry: SearchEntry) -> list[str]:
    """The FTS5 tables holding the entry (SQLite; PostgreSQL's partitions are conditions)."""
    if db.get_bind().dialect.name != "sqlite":
        return []
    return [
        schema.fts_table(key)
        for key in schema.PARTITIONS
        if db.execute(
            text(f"SELECT 1 FROM {schema.fts_table(key)} WHERE rowid = :id"), {"id": entry.id}
        ).first()
    ]


def _open(db: Session, kind: SearchKind, source_id: int) -> bool:
    db.expire_all()
    entry = _entry(db, kind, source_id)
    assert entry is not None
    if db.get_bind().dialect.name == "sqlite":  # in one partition, the one its flag says
        key = schema.partition(entry.scope, entry.open)
        assert _partitions(db, entry) == [schema.fts_table(key)]
    return entry.open


def test_an_entry_is_open_while_every_signed_in_person_may_find_it(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w, rep = orgs[Group.WORKERS], reps[Group.WORKERS]
    comment = factories.comment(db, round_, rep, w, "Portability")
    position = factories.position(db, round_, w, rep, statement="Portability")
    paragraph = factories.draft(db, round_, "Portability of pensions.")[0]
    amendment = factories.amendment(db, paragraph, w, rep, "Portability of all pensions.")
    assert _open(db, SearchKind.COMMENT, comment.id)
    assert _open(db, SearchKind.POSITION, position.id)
    assert _open(db, SearchKind.PARAGRAPH, paragraph.id)
    assert _open(db, SearchKind.ROUND, round_.id)
    entry = _entry(db, SearchKind.COMMENT, comment.id)
    assert entry is not None and entry.author_id == rep.id

    comment.visibility = "hidden"  # a moderator hides it: found by moderators and its author
    amendment.withdrawn_at = utcnow()
    db.flush()
    assert not _open(db, SearchKind.COMMENT, comment.id)
    assert not _open(db, SearchKind.AMENDMENT, amendment.id)
    comment.visibility = "visible"
    db.flush()
    assert _open(db, SearchKind.COMMENT, comment.id)

    round_.sealed = True  # sealed while open: positions are their organisations' alone
    db.flush()
    assert not _open(db, SearchKind.POSITION, position.id)
    assert _open(db, SearchKind.COMMENT, comment.id)
    round_.status = RoundStatus.CLOSED
    db.flush()
    assert _open(db, SearchKind.POSITION, position.id)
    round_.status = RoundStatus.OPEN  # reopened: sealed again
    db.flush()
    assert not _open(db, SearchKind.POSITION, position.id)

    draft = factories.consultation_round(db, [w], status=RoundStatus.DRAFT)
    in_draft = factories.comment(db, draft, rep, w, "Portability")
    assert not _open(db, SearchKind.COMMENT, in_draft.id)
    assert not _open(db, SearchKind.ROUND, draft.id)
    draft.status = RoundStatus.OPEN
    db.flush()
    assert _open(db, SearchKind.COMMENT, in_draft.id)
    assert _open(db, SearchKind.ROUND, draft.id)
    # the rebuild agrees with what the listener kept
    before = {(e.kind, e.source_id): e.open for e in db.scalars(select(SearchEntry))}
    index.rebuild(db.connection())
    db.expire_all()
    assert {(e.kind, e.source_id): e.open for e in db.scalars(select(SearchEntry))} == before
