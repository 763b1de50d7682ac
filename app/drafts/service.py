"""Draft texts: importing a round's draft, proposing and supporting amendments, and publishing
a revised draft as the next round. Each use case takes a Session, raises domain errors and
never commits; every write bumps the round's version (live pages and caches see it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Viewer
from app.audit.service import record
from app.comments.models import Comment
from app.db import utcnow
from app.drafts import rules
from app.drafts.models import Amendment, AmendmentSupport, DraftParagraph
from app.errors import Conflict, DomainError, NotFound
from app.i18n import N_
from app.i18n import gettext as _
from app.positions.service import current_status, invited_organisation_ids
from app.rounds import rules as round_rules
from app.rounds.models import Round, RoundInvitation
from app.rounds.service import claim_round, lock_numbering, lock_round, require_moderator
from app.search import index as search_index
from app.vocabulary import RoundStatus, SearchKind


def _round(db: Session, round_id: int) -> Round:
    round_ = db.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_


def paragraph_texts(db: Session, round_id: int) -> list[str]:
    return list(
        db.scalars(
            select(DraftParagraph.text)
            .where(DraftParagraph.round_id == round_id)
            .order_by(DraftParagraph.number)
        )
    )


def contributions(db: Session, round_id: int) -> int:
    """Amendments and paragraph comments in the round (they pin its draft text)."""
    amendments = db.scalar(select(func.count(Amendment.id)).where(Amendment.round_id == round_id))
    comments = db.scalar(
        select(func.count(Comment.id)).where(
            Comment.round_id == round_id, Comment.paragraph_id.is_not(None)
        )
    )
    return int(amendments or 0) + int(comments or 0)


# -- the moderator's draft text ---------------------------------------------------------------


def check_import(db: Session, viewer: Viewer, round_id: int) -> Round:
    """The round whose draft text this moderator may set now, or the refusal."""
    require_moderator(viewer)
    round_ = _round(db, round_id)
    rules.may_import(current_status(round_), contributions(db, round_id))
    return round_


def import_draft(db: Session, viewer: Viewer, round_id: int, text: str) -> list[DraftParagraph]:
    """Set (or replace) the round's draft text: the markdown split into numbered paragraphs."""
    check_import(db, viewer, round_id)
    texts = rules.check_draft(text)
    lock_round(db, round_id)
    check_import(db, viewer, round_id)  # again, under the lock
    replaced = len(paragraph_texts(db, round_id))
    db.execute(delete(DraftParagraph).where(DraftParagraph.round_id == round_id))
    paragraphs = [
        DraftParagraph(round_id=round_id, number=number, text=paragraph)
        for number, paragraph in enumerate(texts, start=1)
    ]
    db.add_all(paragraphs)
    db.flush()
    # the Core delete above bypasses the search index's flush listener
    search_index.reindex_round(db, round_id, (SearchKind.PARAGRAPH,))
    claim_round(db, round_id)
    record(
        db,
        viewer.user_id,
        "draft.replaced" if replaced else "draft.imported",
        "round",
        round_id,
        paragraphs=len(paragraphs),
        replaced=replaced,
    )
    return paragraphs


# -- amendments -------------------------------------------------------------------------------


def _speaker(db: Session, viewer: Viewer, round_: Round) -> int:
    """The invited organisation the viewer speaks for in this open round (else the refusal)."""
    speaking = round_rules.speaker_for(
        viewer, invited_organisation_ids(db, round_.id), current_status(round_)
    )
    return speaking.organisation_id


def _still_open(db: Session, round_id: int) -> None:
    """Claim the round (version bumped, row locked until commit) and check it still takes
    posts: a close or the deadline racing this write comes either before it or after it."""
    status, _premoderated = claim_round(db, round_id)
    if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        raise Conflict(_("This round is closed: nothing more can be posted."))
    if status is not RoundStatus.OPEN:
        raise Conflict(_("This round is not open yet."))


def paragraph_in(db: Session, round_id: int, paragraph_id: int) -> DraftParagraph:
    paragraph = db.get(DraftParagraph, paragraph_id)
    if paragraph is None or paragraph.round_id != round_id:
        raise NotFound(_("There is no such paragraph in this round."))
    return paragraph


def propose(
    db: Session, viewer: Viewer, round_id: int, paragraph_id: int, text: str, reason: str
) -> Amendment:
    """An organisation proposes replacement text for a paragraph (it counts as supporting it).
    The same text proposed again by the same organisation (a double click) is the same
    amendment."""
    round_ = _round(db, round_id)
    paragraph = paragraph_in(db, round_id, paragraph_id)
    organisation_id = _speaker(db, viewer, round_)
    text, reason = rules.check_amendment(text, reason, paragraph.text)
    _still_open(db, round_id)
    repeat = db.scalar(
        select(Amendment).where(
            Amendment.paragraph_id == paragraph_id,
            Amendment.organisation_id == organisation_id,
            Amendment.text == text,
            Amendment.withdrawn_at.is_(None),
        )
    )
    if repeat is not None:
        return repeat
    amendment = Amendment(
        round_id=round_id,
        paragraph_id=paragraph_id,
        organisation_id=organisation_id,
        author_id=viewer.user_id,
        text=text,
        reason=reason,
        created_at=utcnow(),
    )
    db.add(amendment)
    db.flush()
    db.add(
        AmendmentSupport(
            amendment_id=amendment.id,
            organisation_id=organisation_id,
            supported_by_id=viewer.user_id,
        )
    )
    record(
        db,
        viewer.user_id,
        "amendment.proposed",
        "amendment",
        amendment.id,
        round_id=round_id,
        paragraph=paragraph.number,
        organisation_id=organisation_id,
    )
    return amendment


def support(db: Session, viewer: Viewer, round_id: int, amendment_id: int) -> Amendment:
    """The viewer's organisation supports an amendment (once; not its own)."""
    round_ = _round(db, round_id)
    amendment = db.get(Amendment, amendment_id)
    if amendment is None or amendment.round_id != round_id or amendment.withdrawn_at is not None:
        raise NotFound(_("There is no such amendment in this round."))
    organisation_id = _speaker(db, viewer, round_)
    _still_open(db, round_id)
    supporters = db.scalars(
        select(AmendmentSupport.organisation_id).where(
            AmendmentSupport.amendment_id == amendment_id
        )
    )
    rules.may_support(organisation_id, amendment.organisation_id, supporters)
    db.add(
        AmendmentSupport(
            amendment_id=amendment_id,
            organisation_id=organisation_id,
            supported_by_id=viewer.user_id,
            created_at=utcnow(),
        )
    )
    db.flush()
    record(
        db,
        viewer.user_id,
        "amendment.supported",
        "amendment",
        amendment_id,
        round_id=round_id,
        organisation_id=organisation_id,
    )
    return amendment


# -- a revised draft as the next round --------------------------------------------------------


def next_round_number(db: Session, round_id: int) -> int | None:
    """The number of the round that revises this one's draft, if there is one."""
    return db.scalar(select(Round.number).where(Round.previous_round_id == round_id).limit(1))


def next_number(db: Session, consultation_id: int) -> int:
    """The number the consultation's next round takes."""
    last = db.scalar(select(func.max(Round.number)).where(Round.consultation_id == consultation_id))
    return (last or 0) + 1


def previous_texts(db: Session, round_: Round) -> list[str]:
    """The draft a revision starts from: the round's paragraphs, or its brief split into
    paragraphs when it had no draft text."""
    return paragraph_texts(db, round_.id) or rules.split_paragraphs(round_.brief)


def check_revision(db: Session, viewer: Viewer, round_id: int) -> Round:
    require_moderator(viewer)
    round_ = _round(db, round_id)
    rules.may_revise(current_status(round_), next_round_number(db, round_id))
    return round_


@dataclass(frozen=True)
class Revision:
    """What a moderator fills in to publish a revised draft."""

    title: str
    brief: str
    closes_at: datetime | None
    paragraphs: tuple[str, ...]


def _checked(revision: Revision) -> tuple[str, str, list[str]]:
    """The revision's title, brief and paragraphs, cleaned, or the refusal (422)."""
    title = round_rules.clean_text(
        revision.title,
        field="title",
        label=N_("Title"),
        max_length=200,
        required=True,
        one_line=True,
    )
    brief = round_rules.clean_text(
        revision.brief, field="brief", label=N_("Brief"), max_length=20_000, required=True
    )
    paragraphs = rules.revised_paragraphs(revision.paragraphs)
    if revision.closes_at is None:
        raise DomainError(_("A round needs a deadline."), field="closes_at")
    if revision.closes_at <= utcnow():
        raise DomainError(_("The deadline must be in the future."), field="closes_at")
    return title, brief, paragraphs


def _next_round(previous: Round, number: int, title: str, brief: str, revision: Revision) -> Round:
    """The next round, set up like the previous one (weighting, sealing, moderation, subject)."""
    return Round(
        consultation_id=previous.consultation_id,
        number=number,
        title=title,
        brief=brief,
        brief_language=previous.brief_language,
        weighting=previous.weighting,
        sealed=previous.sealed,
        premoderated=previous.premoderated,
        kind=previous.kind,
        social_partners_first=previous.social_partners_first,
        closes_at=revision.closes_at,
        previous_round_id=previous.id,
    )


def publish_revision(db: Session, viewer: Viewer, round_id: int, revision: Revision) -> Round:
    """The revised draft as the next round of the same consultation: a draft round numbered
    after the last one, inviting the same organisations with the same weighting, linked to the
    round it revises."""
    previous = check_revision(db, viewer, round_id)
    title, brief, paragraphs = _checked(revision)
    lock_round(db, round_id)
    check_revision(db, viewer, round_id)  # again, under the lock: one revision per round
    lock_numbering(db, previous.consultation_id)  # a round created meanwhile takes another
    number = next_number(db, previous.consultation_id)
    round_ = _next_round(previous, number, title, brief, revision)
    round_.created_by_id = viewer.user_id
    db.add(round_)
    db.flush()
    invited = invited_organisation_ids(db, previous.id)
    db.add_all(RoundInvitation(round_id=round_.id, organisation_id=o) for o in invited)
    db.add_all(
        DraftParagraph(round_id=round_.id, number=n, text=text)
        for n, text in enumerate(paragraphs, start=1)
    )
    claim_round(db, previous.id)  # its page now links to the revision
    record(
        db,
        viewer.user_id,
        "draft.revised",
        "round",
        round_.id,
        previous_round_id=previous.id,
        title=title,
        paragraphs=len(paragraphs),
        organisations=sorted(invited),
    )
    return round_
