"""Search finds only what the person may see (both backends): the caucus by its group's
members, sealed positions before the close by their own organisation, hidden and pending
comment text by its author and the moderators, draft rounds by the moderators, meeting rows as
app.meetings.confidentiality.may_see says. The total and the facets never count the rest."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.rules import Viewer
from app.bodies.service import viewer_of as body_viewer_of
from app.db import utcnow
from app.decisions.models import Decision
from app.meetings.confidentiality import Restriction, may_see
from app.meetings.models import AgendaItem, MeetingDocument, Minutes
from app.minutes import rules as minutes_rules
from app.search import service
from app.search.service import SearchQuery
from app.vocabulary import (
    Confidentiality,
    Group,
    MinutesStatus,
    PlatformRole,
    RoundStatus,
    SearchKind,
    Visibility,
)
from tests import factories
from tests.test_search_service import viewer_of


def _found(db, viewer: Viewer | None, word: str, **options) -> set[tuple[SearchKind, int]]:  # type: ignore[no-untyped-def]
    """What ``viewer`` finds, checked against the total and facets: they count exactly it."""
    results = service.search(db, viewer, SearchQuery(word, **options), utcnow())
    found = {(hit.kind, hit.source_id) for hit in results.hits}
    for page in range(2, results.pages + 1):
        more = service.search(db, viewer, SearchQuery(word, **options, page=page), utcnow())
        found |= {(hit.kind, hit.source_id) for hit in more.hits}
    assert results.total == len(found)
    for name in ("kind", "year", "language"):
        assert sum(n for _, n in results.facets[name]) == len(found), name
    kinds: dict[str, int] = {}
    for kind, _ in found:
        kinds[kind.value] = kinds.get(kind.value, 0) + 1
    assert dict(results.facets["kind"]) == kinds
    if viewer is not None:
        count, _ = service.count_new(db, viewer, SearchQuery(word, **options), 0, utcnow())
        assert count == len(found)
    return found


def _moderator(db) -> Viewer:  # type: ignore[no-untyped-def]
    return viewer_of(
        factories.user(db, platform_role=PlatformRole.MODERATOR), role=PlatformRole.MODERATOR
    )


def _observer(db) -> Viewer:  # type: ignore[no-untyped-def]
    return viewer_of(
        factories.user(db, platform_role=PlatformRole.OBSERVER), role=PlatformRole.OBSERVER
    )


def test_caucus_texts_are_found_by_that_groups_members_only(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    post = factories.caucus_post(db, round_, reps[Group.WORKERS], w, "Quorum strategy xylophone")
    draft = factories.group_statement(
        db, round_, Group.WORKERS, reps[Group.WORKERS], "Xylophone draft"
    )
    factories.caucus_invitation(
        db, round_, Group.WORKERS, reps[Group.WORKERS]
    )  # moderators may read
    colleague_org = factories.organisation(db, Group.WORKERS)  # a workers' organisation not invited
    colleague = viewer_of(factories.member(db, colleague_org), colleague_org)
    caucus = {(SearchKind.CAUCUS_POST, post.id), (SearchKind.STATEMENT, draft.id)}

    assert _found(db, viewer_of(reps[Group.WORKERS], w), "xylophone") == caucus
    other_member = factories.member(db, w)
    assert _found(db, viewer_of(other_member, w), "xylophone", group=Group.WORKERS) == caucus
    for outsider in (
        viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS]),
        viewer_of(reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT]),
        colleague,
        _observer(db),
        _moderator(db),
        None,
    ):
        assert _found(db, outsider, "xylophone") == set()
        assert _found(db, outsider, "xylophone", kinds=frozenset({SearchKind.CAUCUS_POST})) == set()

    draft.published_at = utcnow()
    db.flush()
    published = {(SearchKind.STATEMENT, draft.id)}
    assert (
        _found(db, viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS]), "xylophone")
        == published
    )
    assert _found(db, _moderator(db), "xylophone") == published


def test_sealed_positions_are_hidden_before_the_close_except_to_their_organisation(db):
    round_, orgs, reps = factories.three_groups_round(db, sealed=True)
    e = orgs[Group.EMPLOYERS]
    position = factories.position(db, round_, e, reps[Group.EMPLOYERS], statement="Sealed zeppelin")
    mine = {(SearchKind.POSITION, position.id)}
    assert _found(db, viewer_of(reps[Group.EMPLOYERS], e), "zeppelin") == mine
    assert _found(db, viewer_of(factories.member(db, e), e), "zeppelin", stance="support") == mine
    for other in (
        viewer_of(reps[Group.WORKERS], orgs[Group.WORKERS]),
        _moderator(db),
        _observer(db),
    ):
        assert _found(db, other, "zeppelin") == set()
        assert _found(db, other, "zeppelin", group=Group.EMPLOYERS) == set()

    round_.closes_at = utcnow() - timedelta(minutes=1)  # past its deadline: closed now
    db.flush()
    assert _found(db, viewer_of(reps[Group.WORKERS], orgs[Group.WORKERS]), "zeppelin") == mine
    round_.status = RoundStatus.PUBLISHED
    round_.closes_at = utcnow() + timedelta(days=1)
    db.flush()
    assert _found(db, _moderator(db), "zeppelin") == mine


def test_hidden_and_pending_comment_text_is_found_by_its_author_and_moderators(db):
    round_, orgs, reps = factories.three_groups_round(db)
    w = orgs[Group.WORKERS]
    hidden = factories.comment(db, round_, reps[Group.WORKERS], w, "Hidden quokka")
    hidden.visibility = Visibility.HIDDEN
    pending = factories.comment(db, round_, reps[Group.WORKERS], w, "Pending quokka")
    pending.visibility = Visibility.PENDING
    shown = factories.comment(db, round_, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS], "Quokka")
    db.flush()
    everything = {(SearchKind.COMMENT, c.id) for c in (hidden, pending, shown)}
    visible = {(SearchKind.COMMENT, shown.id)}
    assert _found(db, viewer_of(reps[Group.WORKERS], w), "quokka") == everything
    assert _found(db, _moderator(db), "quokka") == everything
    colleague = viewer_of(factories.member(db, w), w)  # same organisation, not the author
    for other in (
        colleague,
        viewer_of(reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS]),
        _observer(db),
    ):
        assert _found(db, other, "quokka") == visible
        assert _found(db, other, "quokka", organisation_id=w.id) == set()


def test_draft_rounds_are_found_by_moderators_only(db):
    round_, orgs, reps = factories.three_groups_round(
        db, status=RoundStatus.DRAFT, title="Walrus protocol", brief="Walrus"
    )
    paragraphs = factories.draft(db, round_, "The walrus clause.")
    comment = factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Walrus")
    every = {
        (SearchKind.ROUND, round_.id),
        (SearchKind.PARAGRAPH, paragraphs[0].id),
        (SearchKind.COMMENT, comment.id),
    }
    moderator = _moderator(db)
    assert _found(db, moderator, "walrus") == every
    admin = viewer_of(factories.user(db, platform_role=PlatformRole.ADMIN), role=PlatformRole.ADMIN)
    assert _found(db, admin, "walrus") == every
    for other in (viewer_of(reps[Group.WORKERS], orgs[Group.WORKERS]), _observer(db), None):
        assert _found(db, other, "walrus") == set()
        assert _found(db, other, "walrus", consultation_id=round_.consultation_id) == set()
    # the consultation with only a draft round is the moderators' too
    assert (SearchKind.CONSULTATION, round_.consultation_id) not in _found(
        db, viewer_of(reps[Group.WORKERS], orgs[Group.WORKERS]), "consultation"
    )


def test_meeting_rows_are_found_as_their_confidentiality_says(db):
    body, orgs, holders, _, _ = factories.seated_body(db)
    now = utcnow()
    clerk = holders[Group.WORKERS]
    public_meeting = factories.meeting(db, body)
    closed_meeting = factories.meeting(db, body)
    closed_meeting.public = False
    restrictions = [
        dict(confidentiality=Confidentiality.PUBLIC),
        dict(confidentiality=Confidentiality.MEMBERS),
        dict(confidentiality=Confidentiality.GROUP, restricted_group=Group.WORKERS),
        dict(confidentiality=Confidentiality.GROUP, restricted_group=Group.EMPLOYERS),
        dict(confidentiality=Confidentiality.MEMBERS, release_at=now - timedelta(hours=1)),
        dict(
            confidentiality=Confidentiality.GROUP, restricted_group=Group.WORKERS, released_at=now
        ),
    ]
    rows: list[tuple[SearchKind, object, object, object]] = []  # kind, row, item, meeting
    for meeting in (public_meeting, closed_meeting):
        for n, restriction in enumerate(restrictions):
            item = AgendaItem(meeting_id=meeting.id, number=n + 1, title=f"Item {n}", **restriction)
            db.add(item)
            db.flush()
            for doc_restriction in (restrictions[0], restriction):
                document = MeetingDocument(
                    meeting_id=meeting.id,
                    agenda_item_id=item.id,
                    title="Narwhal study",
                    language="en",
                    sha256="0" * 64,
                    size=1,
                    kind="pdf",
                    file_name="study.pdf",
                    text="On narwhals.",
                    uploaded_by_id=clerk.id,
                    **doc_restriction,
                )
                db.add(document)
                db.flush()
                rows.append((SearchKind.MEETING_DOCUMENT, document, item, meeting))
            loose = MeetingDocument(
                meeting_id=meeting.id,
                title="Narwhal annex",
                language="en",
                sha256="0" * 64,
                size=1,
                kind="pdf",
                file_name="annex.pdf",
                uploaded_by_id=clerk.id,
                **restriction,
            )
            decision = Decision(
                meeting_id=meeting.id,
                agenda_item_id=item.id,
                text="Narwhals are protected.",
                method="consensus",
                opened_by_id=clerk.id,
            )
            db.add_all([loose, decision])
            db.flush()
            rows += [
                (SearchKind.MEETING_DOCUMENT, loose, None, meeting),
                (SearchKind.DECISION, decision, item, meeting),
            ]
        for version, (status, restriction) in enumerate(
            [
                (MinutesStatus.DRAFT, restrictions[0]),
                (MinutesStatus.PUBLISHED, restrictions[1]),
                (MinutesStatus.PUBLISHED, restrictions[0]),
                (MinutesStatus.PUBLISHED, restrictions[2]),
            ]
        ):
            minutes = Minutes(
                meeting_id=meeting.id,
                version=version + 1,
                status=status,
                preamble="The narwhal chaired.",
                drafted_by_id=clerk.id,
                **restriction,
            )
            db.add(minutes)
            db.flush()
            rows.append((SearchKind.MINUTES, minutes, None, meeting))

    outsider_org = factories.organisation(db, Group.WORKERS)
    viewers = {
        "workers member": viewer_of(holders[Group.WORKERS], orgs[Group.WORKERS]),
        "employers member": viewer_of(holders[Group.EMPLOYERS], orgs[Group.EMPLOYERS]),
        "outsider": viewer_of(factories.member(db, outsider_org), outsider_org),
        "moderator": _moderator(db),
        "observer": _observer(db),
        "anonymous": None,
    }
    for name, viewer in viewers.items():
        seen_as = body_viewer_of(db, viewer, body.id)
        expected = set()
        for kind, row, item, meeting in rows:
            if not (meeting.public or seen_as.member or seen_as.secretariat):  # type: ignore[attr-defined]
                continue
            if kind is SearchKind.MINUTES:
                allowed = minutes_rules.may_read(
                    row.status,
                    Restriction.of(row),
                    seen_as,
                    now,  # type: ignore[attr-defined]
                )
            else:
                allowed = (
                    kind is SearchKind.DECISION or may_see(Restriction.of(row), seen_as, now)
                ) and (item is None or may_see(Restriction.of(item), seen_as, now))
            if allowed:
                expected.add((kind, row.id))  # type: ignore[attr-defined]
        found = _found(
            db,
            viewer,
            "narwhal",
            kinds=frozenset({SearchKind.MEETING_DOCUMENT, SearchKind.MINUTES}),
        )
        found |= _found(db, viewer, "narwhal", kinds=frozenset({SearchKind.DECISION}))
        assert found == expected, name
    # the worlds differ: the rule is not trivially all or nothing
    assert (
        len(
            {
                frozenset(_found(db, v, "narwhal", kinds=frozenset({SearchKind.DECISION})))
                for v in viewers.values()
            }
        )
        >= 4
    )
