"""Attachments: listing a round's, adding one or a new version, and finding one to download.

Every way to a file goes through ``may_see`` (app/documents/rules.py): the list, the download
of the current version and of an older one. A file someone may not see does not exist for
them (404), so its id tells nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Viewer
from app.audit.service import record
from app.caucus import rules as caucus_rules
from app.caucus.models import CaucusInvitation
from app.db import read, utcnow
from app.documents import rules
from app.documents.checks import FileKind, check_upload
from app.documents.models import Attachment, AttachmentVersion
from app.documents.storage import FileStore, FileTooLarge
from app.documents.text import extract_text
from app.errors import DomainError, NotFound
from app.i18n import gettext as _
from app.rounds.models import Round
from app.rounds.queries import header_of, invited_organisations, round_headers
from app.rounds.rules import effective_status
from app.vocabulary import Group, Place, RoundStatus


@dataclass(frozen=True)
class RoundPlace:
    """A round as its attachments see it."""

    id: int
    number: int
    title: str
    consultation_id: int
    consultation_title: str
    status: RoundStatus
    sealed: bool
    #: The invited organisations: id -> group, and id -> name.
    invited: dict[int, Group]
    names: dict[int, str]
    #: The groups that let the moderators into their caucus.
    moderators_invited: frozenset[Group]

    def caucus_access(self, viewer: Viewer, group: Group) -> caucus_rules.Access:
        return caucus_rules.access(
            viewer, group, self.invited, self.status, group in self.moderators_invited
        )

    def speaking(self, viewer: Viewer) -> int | None:
        """The invited organisation this person speaks for here (their first)."""
        return next(
            (m.organisation_id for m in viewer.mandates if m.organisation_id in self.invited), None
        )

    def group_of(self, viewer: Viewer) -> Group | None:
        org = self.speaking(viewer)
        return None if org is None else self.invited[org]

    def hanging(self, viewer: Viewer, attachment: Attachment) -> rules.Hanging:
        place = attachment.place
        caucus = (
            self.caucus_access(viewer, attachment.group_name)
            if place is Place.CAUCUS and attachment.group_name is not None
            else caucus_rules.Access.NONE
        )
        return rules.Hanging(place, self.status, self.sealed, attachment.organisation_id, caucus)


def _no_such_file() -> NotFound:
    return NotFound(_("There is no such file."))


def round_place(db: Session, round_id: int) -> RoundPlace:
    row = read(db, round_headers().where(Round.id == round_id)).one_or_none()
    if row is None:
        raise NotFound(_("There is no such round."))
    header = header_of(row, utcnow())
    invited = read(db, invited_organisations(round_id)).all()
    moderators_invited = frozenset(
        Group(g)
        for g in db.scalars(
            select(CaucusInvitation.group_name).where(
                CaucusInvitation.round_id == round_id, CaucusInvitation.revoked_at.is_(None)
            )
        )
    )
    return RoundPlace(
        header.id,
        header.number,
        header.title,
        header.consultation_id,
        header.consultation_title,
        header.status,
        header.sealed,
        {r.id: r.group_name for r in invited},
        {r.id: r.name for r in invited},
        moderators_invited,
    )


# -- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    number: int
    file_name: str
    size: int
    kind: FileKind
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class AttachmentView:
    id: int
    title: str
    language: str
    folder: str
    place: Place
    organisation: str | None
    group: Group | None
    #: Newest first: the first is the current one.
    versions: list[VersionView]
    may_add_version: bool

    @property
    def current(self) -> VersionView:
        return self.versions[0]


@dataclass
class Listing:
    round: RoundPlace
    #: By place, in reading order (folder by folder, each by title).
    sections: dict[Place, list[AttachmentView]] = field(default_factory=dict)
    #: Where this person may add a file.
    places: list[Place] = field(default_factory=list)
    #: The group whose caucus files this person sees (for the section's title).
    caucus_group: Group | None = None

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.sections.values())


def _may_add(viewer: Viewer, where: RoundPlace, hanging: rules.Hanging) -> bool:
    try:
        rules.may_add(viewer, hanging, where.invited)
    except DomainError:
        return False
    return True


def listing(db: Session, viewer: Viewer, round_id: int) -> Listing:
    """The attachments of a round this person may see (the consultation's included), with
    their versions: three reads, however many files."""
    where = round_place(db, round_id)
    attachments = list(
        db.scalars(
            select(Attachment).where(
                (Attachment.round_id == round_id)
                | (
                    (Attachment.consultation_id == where.consultation_id)
                    & (Attachment.place == Place.CONSULTATION)
                )
            )
        )
    )
    seen = [a for a in attachments if rules.may_see(viewer, where.hanging(viewer, a))]
    versions: dict[int, list[AttachmentVersion]] = defaultdict(list)
    uploaders: dict[int, str] = {}
    if seen:
        rows = db.scalars(
            select(AttachmentVersion)
            .where(AttachmentVersion.attachment_id.in_([a.id for a in seen]))
            .order_by(AttachmentVersion.number.desc())
        )
        for version in rows:
            versions[version.attachment_id].append(version)
        ids = {v.uploaded_by_id for vs in versions.values() for v in vs}
        names = read(db, select(User.id, User.name).where(User.id.in_(ids)))
        uploaders = {row.id: row.name for row in names}
    listing = Listing(where)
    for attachment in sorted(seen, key=lambda a: rules.folder_order(a.folder, a.title)):
        views = [
            VersionView(
                v.number,
                v.file_name,
                v.size,
                FileKind(v.kind),
                uploaders.get(v.uploaded_by_id, ""),
                v.uploaded_at,
            )
            for v in versions[attachment.id]
        ]
        if not views:
            continue
        item = AttachmentView(
            attachment.id,
            attachment.title,
            attachment.language,
            attachment.folder,
            attachment.place,
            where.names.get(attachment.organisation_id or 0),
            attachment.group_name,
            views,
            _may_add(viewer, where, where.hanging(viewer, attachment)),
        )
        listing.sections.setdefault(attachment.place, []).append(item)
    listing.sections = {p: listing.sections[p] for p in Place if p in listing.sections}
    group = where.group_of(viewer)
    member = group is not None and where.caucus_access(viewer, group) is caucus_rules.Access.MEMBER
    listing.places = rules.places_for(
        viewer,
        where.status,
        speaks_in_round=where.speaking(viewer) is not None,
        caucus_member=member,
    )
    listing.caucus_group = group
    return listing


# -- adding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An uploaded file: its bytes (seekable) and the name it came with."""

    source: BinaryIO
    file_name: str


@dataclass(frozen=True)
class Checked:
    kind: FileKind
    file_name: str
    sha256: str
    size: int
    text: str


def store_upload(upload: Upload, store: FileStore, max_bytes: int) -> Checked:
    """The file checked (its name, its type by its bytes, its safety), its text extracted,
    then its bytes stored: a refused file leaves nothing behind."""
    source = upload.source
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    if size == 0:
        raise DomainError(_("The file is empty: choose the file again."), field="file")
    if size > max_bytes:
        raise _too_large(max_bytes)
    kind, name = check_upload(source, upload.file_name)
    source.seek(0)
    text = extract_text(source, kind)
    source.seek(0)
    try:
        stored = store.put(source, max_bytes)
    except FileTooLarge as error:
        raise _too_large(max_bytes) from error
    return Checked(kind, name, stored.sha256, stored.size, text)


def _too_large(max_bytes: int) -> DomainError:
    return DomainError(
        _("The file is too large: the limit is %(size)s MB.")
        % {"size": f"{max_bytes / 1_000_000:.0f}"},
        field="file",
        status_code=413,
    )


def _audit(
    db: Session, viewer: Viewer, place: Place, action: str, round_id: int, **details: object
) -> None:
    """Recorded in the shared audit log; a caucus's files leave no trace there, as its
    messages (app/audit/rules.py)."""
    if place is not Place.CAUCUS:
        record(db, viewer.user_id, action, "round", round_id, **details)


def _hanging_new(
    viewer: Viewer, where: RoundPlace, place_value: str
) -> tuple[rules.Hanging, Group | None]:
    try:
        place = Place(place_value)
    except ValueError:
        raise DomainError(_("Choose where the document goes."), field="place") from None
    organisation_id = where.speaking(viewer) if place is Place.POSITION else None
    group = where.group_of(viewer) if place is Place.CAUCUS else None
    caucus = where.caucus_access(viewer, group) if group is not None else caucus_rules.Access.NONE
    hanging = rules.Hanging(place, where.status, where.sealed, organisation_id, caucus)
    rules.may_add(viewer, hanging, where.invited)
    return hanging, group


def check_place(db: Session, viewer: Viewer, round_id: int, place_value: str) -> None:
    """Refuse, before a file is read, anyone who may not add one there."""
    _hanging_new(viewer, round_place(db, round_id), place_value)


def hang(
    db: Session,
    *,
    consultation_id: int,
    round_id: int,
    place: Place,
    described: rules.Described,
    checked: Checked,
    uploader_id: int,
    organisation_id: int | None = None,
    group: Group | None = None,
) -> Attachment:
    """The rows of a new attachment and its first version (the file checked and stored):
    what adding one writes, whoever adds it (a person, the demo)."""
    attachment = Attachment(
        consultation_id=consultation_id,
        round_id=None if place is Place.CONSULTATION else round_id,
        place=place,
        organisation_id=organisation_id,
        group_name=group,
        title=described.title,
        language=described.language,
        folder=described.folder,
        created_by_id=uploader_id,
        current_version=1,
    )
    db.add(attachment)
    db.flush()
    _add_version(db, uploader_id, attachment, 1, checked)
    return attachment


def add(
    db: Session,
    viewer: Viewer,
    round_id: int,
    place_value: str,
    described: rules.Described,
    checked: Checked,
) -> Attachment:
    """A new attachment with its first version (the file already checked and stored)."""
    where = round_place(db, round_id)
    hanging, group = _hanging_new(viewer, where, place_value)
    attachment = hang(
        db,
        consultation_id=where.consultation_id,
        round_id=round_id,
        place=hanging.place,
        described=described,
        checked=checked,
        uploader_id=viewer.user_id,
        organisation_id=hanging.organisation_id,
        group=group,
    )
    _audit(
        db,
        viewer,
        hanging.place,
        "attachment.added",
        round_id,
        attachment=attachment.id,
        title=described.title,
        file=checked.file_name,
    )
    return attachment


def _add_version(
    db: Session, uploader_id: int, attachment: Attachment, number: int, checked: Checked
) -> AttachmentVersion:
    version = AttachmentVersion(
        attachment_id=attachment.id,
        number=number,
        sha256=checked.sha256,
        size=checked.size,
        kind=checked.kind.value,
        file_name=checked.file_name,
        uploaded_by_id=uploader_id,
        text=checked.text,
    )
    db.add(version)
    db.flush()
    return version


def add_version(db: Session, viewer: Viewer, attachment_id: int, checked: Checked) -> Attachment:
    """A newer version of an attachment; the older ones are kept."""
    attachment, where = _visible(db, viewer, attachment_id)
    rules.may_add(viewer, where.hanging(viewer, attachment), where.invited)
    # numbered under the attachment's row lock (FOR UPDATE; SQLite's write lock)
    locked = db.scalar(select(Attachment).where(Attachment.id == attachment_id).with_for_update())
    assert locked is not None
    number = (
        db.scalar(
            select(func.max(AttachmentVersion.number)).where(
                AttachmentVersion.attachment_id == attachment_id
            )
        )
        or 0
    ) + 1
    _add_version(db, viewer.user_id, locked, number, checked)
    locked.current_version = number
    _audit(
        db,
        viewer,
        locked.place,
        "attachment.version_added",
        where.id,
        attachment=locked.id,
        title=locked.title,
        version=number,
        file=checked.file_name,
    )
    return locked


# -- finding one to download --------------------------------------------------------------------


def _consultation_round(db: Session, attachment: Attachment) -> int | None:
    """The round a consultation's document is read through: its most readable round (one that
    is no longer a draft, if there is one)."""
    rows = read(
        db,
        select(Round.id, Round.status, Round.opens_at, Round.closes_at)
        .where(Round.consultation_id == attachment.consultation_id)
        .order_by(Round.number),
    ).all()
    now = utcnow()
    readable: list[int] = [
        r.id
        for r in rows
        if effective_status(r.status, r.opens_at, r.closes_at, now) is not RoundStatus.DRAFT
    ]
    every: list[int] = [r.id for r in rows]
    chosen = readable or every
    return chosen[0] if chosen else None


def _visible(db: Session, viewer: Viewer, attachment_id: int) -> tuple[Attachment, RoundPlace]:
    attachment = db.get(Attachment, attachment_id)
    if attachment is None:
        raise _no_such_file()
    round_id = attachment.round_id
    if round_id is None:
        round_id = _consultation_round(db, attachment)
    if round_id is None:
        raise _no_such_file()
    where = round_place(db, round_id)
    if not rules.may_see(viewer, where.hanging(viewer, attachment)):
        raise _no_such_file()
    return attachment, where


def round_of(db: Session, viewer: Viewer, attachment_id: int) -> int:
    """The round whose documents list shows this attachment (404 if it is not for them)."""
    return _visible(db, viewer, attachment_id)[1].id


@dataclass(frozen=True)
class Download:
    title: str
    number: int
    current: bool
    sha256: str
    size: int
    kind: FileKind
    file_name: str


def download(
    db: Session, viewer: Viewer, attachment_id: int, number: int | None = None
) -> Download:
    """The version to send (the current one unless ``number``), if this person may see it."""
    attachment, _where = _visible(db, viewer, attachment_id)
    wanted = attachment.current_version if number is None else number
    version = db.scalar(
        select(AttachmentVersion).where(
            AttachmentVersion.attachment_id == attachment_id, AttachmentVersion.number == wanted
        )
    )
    if version is None:
        raise _no_such_file()
    return Download(
        attachment.title,
        version.number,
        version.number == attachment.current_version,
        version.sha256,
        version.size,
        FileKind(version.kind),
        version.file_name,
    )
