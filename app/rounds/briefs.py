"""A round's brief in several languages: the reader gets the version in their language when
there is one, else the original with a note saying so. Moderators add the versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.rules import Viewer
from app.audit.service import record
from app.db import utcnow
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import gettext as _
from app.rounds import rules
from app.rounds.models import Round, RoundBrief
from app.search import index as search_index
from app.vocabulary import SearchKind

BRIEF_MAX = 20_000


@dataclass(frozen=True)
class BriefChoice:
    text: str
    #: The language the text is written in.
    language: str
    #: False when the reader's language has no version and the original is shown instead.
    in_reader_language: bool


def choose(
    reader: str, original_language: str, original: str, versions: dict[str, str]
) -> BriefChoice:
    """The brief to show a reader of ``reader``'s language. Pure."""
    if reader == original_language:
        return BriefChoice(original, original_language, True)
    if versions.get(reader):
        return BriefChoice(versions[reader], reader, True)
    return BriefChoice(original, original_language, False)


def versions(db: Session, round_id: int) -> dict[str, str]:
    return {
        row.language: row.brief
        for row in db.execute(
            select(RoundBrief.language, RoundBrief.brief).where(RoundBrief.round_id == round_id)
        )
    }


def _editable(db: Session, viewer: Viewer, round_id: int, *, lock: bool = False) -> Round:
    """The round whose brief versions the viewer may change; ``lock``: read afresh and locked
    until commit, so that two saves at the same moment (two tabs) come one after the other."""
    if not viewer.may_moderate:
        raise Forbidden(_("Only moderators add the brief in other languages."))
    query = select(Round).where(Round.id == round_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    round_ = db.scalar(query)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_


def load(db: Session, viewer: Viewer, round_id: int) -> Round:
    return _editable(db, viewer, round_id)


def set_original_language(db: Session, viewer: Viewer, round_id: int, language: str) -> None:
    round_ = _editable(db, viewer, round_id, lock=True)
    if language not in i18n.LANGUAGES:
        raise DomainError(_("Choose English, Français or Español."), field="original_language")
    if language == round_.brief_language:
        return
    db.execute(
        delete(RoundBrief).where(RoundBrief.round_id == round_id, RoundBrief.language == language)
    )
    record(db, viewer.user_id, "round.brief_language", "round", round_id, language=language)
    round_.brief_language = language
    round_.version += 1
    # the Core delete above bypasses the search index's flush listener (the language change
    # itself re-languages the round's texts at the flush)
    search_index.reindex_round(db, round_id, (SearchKind.BRIEF,))


def save_version(db: Session, viewer: Viewer, round_id: int, language: str, text: str) -> bool:
    """Add, replace or (with an empty text) remove the brief in ``language``. Returns whether a
    version now exists."""
    round_ = _editable(db, viewer, round_id, lock=True)
    if language not in i18n.LANGUAGES:
        raise DomainError(_("Choose English, Français or Español."), field="language")
    if language == round_.brief_language:
        raise DomainError(
            _("This is the language the brief is written in; change it at the top of this page."),
            field="language",
        )
    text = rules.clean_text(
        text,
        field=f"brief-{language}",
        label=_("The brief"),
        max_length=BRIEF_MAX,
        required=False,
    )
    existing = db.scalar(
        select(RoundBrief).where(RoundBrief.round_id == round_id, RoundBrief.language == language)
    )
    if not text:
        if existing is not None:
            db.delete(existing)
    elif existing is None:
        db.add(
            RoundBrief(
                round_id=round_id, language=language, brief=text, updated_by_id=viewer.user_id
            )
        )
    else:
        existing.brief = text
        existing.updated_by_id = viewer.user_id
        existing.updated_at = utcnow()
    record(
        db,
        viewer.user_id,
        "round.brief_translated",
        "round",
        round_id,
        language=language,
        removed=not text,
    )
    round_.version += 1
    return bool(text)
