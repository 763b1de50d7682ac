"""Who may see and add an attachment, and what its title, language and folder may be. Pure.

An attachment is exactly as visible as what it hangs on:

- the consultation's documents and a round's: whoever may read the round (a draft round's,
  its moderators alone);
- an organisation's position paper: as its position, so in a sealed round only the
  organisation itself until the round closes (moderators included: sealed means sealed);
- a caucus file: the caucus's members (and the moderators, when the group let them in);
  anyone else is told there is no such file, as the caucus pages do.

Adding follows the same places: moderators add the consultation's and the round's documents;
a representative adds their own organisation's position paper while the round is open, and
files to their group's caucus while it can be written in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.accounts.rules import Viewer
from app.caucus.rules import WRITABLE
from app.caucus.rules import Access as CaucusAccess
from app.documents.checks import FileKind
from app.errors import DomainError, Forbidden
from app.i18n import LANGUAGES, N_
from app.i18n import gettext as _
from app.rounds.rules import may_read, positions_visible
from app.text_rules import clean_line
from app.vocabulary import Group, Place, RoundStatus

TITLE_MAX = 200
FOLDER_MAX = 100

#: The places, as a reader calls them.
PLACE_LABELS = {
    Place.CONSULTATION: N_("The consultation's documents"),
    Place.ROUND: N_("This round's documents"),
    Place.POSITION: N_("Position papers"),
    Place.CAUCUS: N_("Your group's caucus files"),
}

#: What a file is, as a reader calls it (names of formats: the same in every language).
KIND_LABELS = {
    FileKind.PDF: "PDF",
    FileKind.DOCX: "Word",
    FileKind.ODT: "OpenDocument",
    FileKind.XLSX: "Excel",
    FileKind.ODS: "OpenDocument",
    FileKind.PNG: "PNG",
    FileKind.JPEG: "JPEG",
}


@dataclass(frozen=True)
class Hanging:
    """Where an attachment hangs, as the access rules see it."""

    place: Place
    #: The round's status (for the consultation's own documents: the most readable of its
    #: rounds, so a consultation whose rounds are all drafts keeps its documents to moderators).
    status: RoundStatus
    sealed: bool = False
    organisation_id: int | None = None
    #: The viewer's access to the caucus of the attachment's group (caucus files only).
    caucus: CaucusAccess = CaucusAccess.NONE


def may_see(viewer: Viewer, hanging: Hanging) -> bool:
    """Whether this person may see (and download) an attachment hanging there."""
    if not may_read(viewer, hanging.status):
        return False
    if hanging.place is Place.POSITION:
        assert hanging.organisation_id is not None
        return positions_visible(hanging.sealed, hanging.status) or viewer.speaks_for(
            hanging.organisation_id
        )
    if hanging.place is Place.CAUCUS:
        return hanging.caucus is not CaucusAccess.NONE
    return True


def may_add(viewer: Viewer, hanging: Hanging, invited: Mapping[int, Group]) -> None:
    """Refuse (403, or 409 for the round's state) anyone who may not add a file there."""
    place = hanging.place
    if place in (Place.CONSULTATION, Place.ROUND):
        if not viewer.may_moderate:
            raise Forbidden(_("Only moderators add the consultation's and the round's documents."))
        return
    if place is Place.POSITION:
        org = hanging.organisation_id
        if org is None or org not in invited or not viewer.speaks_for(org):
            raise Forbidden(_("You may add a position paper only for your own organisation."))
        if hanging.status is not RoundStatus.OPEN:
            raise DomainError(
                _("Position papers are added while the round is open."),
                field="place",
                status_code=409,
            )
        return
    if hanging.caucus is not CaucusAccess.MEMBER:
        raise Forbidden(_("Only the group's members add files to its caucus."))
    if hanging.status not in WRITABLE:
        raise DomainError(
            _("The round is closed: its caucus can be read but no longer added to."),
            field="place",
            status_code=409,
        )


def places_for(
    viewer: Viewer, status: RoundStatus, *, speaks_in_round: bool, caucus_member: bool
) -> list[Place]:
    """The places this person may add a file to in a round, for the form's choice."""
    places: list[Place] = []
    if viewer.may_moderate:
        places += [Place.ROUND, Place.CONSULTATION]
    if speaks_in_round and status is RoundStatus.OPEN:
        places.append(Place.POSITION)
    if caucus_member and status in WRITABLE:
        places.append(Place.CAUCUS)
    return places


@dataclass(frozen=True)
class Described:
    title: str
    language: str
    folder: str


def check_description(title: str, language: str, folder: str) -> Described:
    """The title (required), language (one of the platform's) and folder (optional); each on
    one line, without control characters (app.text_rules)."""
    title = clean_line(title, "title")
    if not title:
        raise DomainError(_("Give the document a title."), field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(
            _("Shorten the title to %(max)d characters.") % {"max": TITLE_MAX}, field="title"
        )
    if language not in LANGUAGES:
        raise DomainError(_("Choose the document's language."), field="language")
    folder = clean_line(folder, "folder")
    if len(folder) > FOLDER_MAX:
        raise DomainError(
            _("Shorten the folder's name to %(max)d characters.") % {"max": FOLDER_MAX},
            field="folder",
        )
    return Described(title, language, folder)


def folder_order(folder: str, title: str) -> tuple[int, str, str]:
    """A list of papers reads folder by folder (the loose ones first), each by title."""
    return (1 if folder else 0, folder.casefold(), title.casefold())
