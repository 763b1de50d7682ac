"""The rules of minutes: who reads them in which state, when they may still change, when
members may comment, and how a restricted row's release is said. Pure
(tests/unit/test_minutes_rules.py).

Draft minutes, minutes sent for comments and approved minutes are for the body's members and
its secretariat; published minutes follow their confidentiality (app.meetings.confidentiality),
and the secretariat, which writes them, always reads them. Published minutes are final: a
correction is a new version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.i18n import N_
from app.i18n import gettext as _
from app.meetings.confidentiality import BodyViewer, Restriction, may_see, released
from app.vocabulary import Confidentiality, Group, MinutesStatus

#: The states in which the secretariat still edits the text.
EDITABLE = frozenset({MinutesStatus.DRAFT, MinutesStatus.COMMENTS})


def may_read(
    status: MinutesStatus, restriction: Restriction, viewer: BodyViewer, now: datetime
) -> bool:
    if viewer.secretariat:
        return True
    if status is not MinutesStatus.PUBLISHED:
        return viewer.member
    return may_see(restriction, viewer, now)


def edit_refusal(status: MinutesStatus) -> str | None:
    """Why minutes in this state may not be edited (None: they may)."""
    if status in EDITABLE:
        return None
    if status is MinutesStatus.APPROVED:
        return _("Approved minutes are final: publish them, then write a correction.")
    return _("Published minutes are final: write a correction.")


def comments_open(status: MinutesStatus, comments_until: datetime | None, now: datetime) -> bool:
    return status is MinutesStatus.COMMENTS and comments_until is not None and now <= comments_until


GROUP_ONLY = {
    Group.GOVERNMENT: N_("Government group only"),
    Group.WORKERS: N_("Workers group only"),
    Group.EMPLOYERS: N_("Employers group only"),
}


def confidentiality_label(level: Confidentiality, group: Group | None) -> str:
    if level is Confidentiality.PUBLIC:
        return _("Public")
    if level is Confidentiality.MEMBERS:
        return _("Members only")
    if group is None:
        return _("One group only")
    return _(GROUP_ONLY[group])


def release_sentence(
    restriction: Restriction,
    release_event: str,
    now: datetime,
    format_date: Callable[[datetime], str],
    group_event: bool = False,
) -> str:
    """When a restricted row becomes public, as a sentence: "Public on 1 June 2027", "Public
    once the Convention is submitted", "Stays members only", "Public since 3 March 2027".
    ``format_date`` writes a date for the reader. ``group_event``: the row has a release event
    the reader may not read (another group's): "… or when its group releases it"."""
    write = format_date
    if restriction.confidentiality is Confidentiality.PUBLIC:
        return _("Public")
    if released(restriction, now):
        since = restriction.released_at or restriction.release_at
        assert since is not None
        return _("Public since %(date)s") % {"date": write(since)}
    if restriction.release_at is not None and release_event:
        return _("Public on %(date)s, or once %(event)s") % {
            "date": write(restriction.release_at),
            "event": release_event,
        }
    if restriction.release_at is not None and group_event:
        return _("Public on %(date)s, or when its group releases it") % {
            "date": write(restriction.release_at)
        }
    if restriction.release_at is not None:
        return _("Public on %(date)s") % {"date": write(restriction.release_at)}
    if group_event:
        return _("Public when its group releases it")
    if release_event:
        return _("Public once %(event)s") % {"event": release_event}
    if restriction.confidentiality is Confidentiality.MEMBERS:
        return _("Stays members only")
    return _("Stays for one group only")
