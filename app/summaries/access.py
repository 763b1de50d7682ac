"""Who may read a round's summary and exports, and with what. Pure."""

from __future__ import annotations

from enum import StrEnum

from app.errors import Conflict, NotFound
from app.i18n import gettext as _
from app.vocabulary import RoundStatus


class Audience(StrEnum):
    """Public outputs leave out the text of hidden and pending comments; moderators' outputs
    include it, marked."""

    PUBLIC = "public"
    MODERATOR = "moderator"


def summary_audience(
    *, moderates: bool, status: RoundStatus, sealed: bool, may_see_round: bool = True
) -> Audience:
    """The audience a reader gets for a round's summary, or why there is none yet.

    Anyone who may see a round reads its summary once it has closed. Moderators (and
    administrators) may preview it while the round is open, unless its positions are sealed:
    sealed positions stay unseen by everyone until the close.
    """
    if not may_see_round or status is RoundStatus.DRAFT:
        raise NotFound(_("There is no such round."))
    closed = status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED)
    if closed:
        return Audience.MODERATOR if moderates else Audience.PUBLIC
    if not moderates:
        raise Conflict(_("The summary of this round is available once the round has closed."))
    if status is RoundStatus.SCHEDULED:
        raise Conflict(_("This round has not opened yet: there is nothing to summarise."))
    if sealed:
        raise Conflict(
            _("This round's positions are sealed until it closes, so it cannot be previewed.")
        )
    return Audience.MODERATOR
