"""What the shared audit log may hold. Pure: action codes in, decisions out.

A group's caucus is private to the group: drafting, revising and endorsing its statement and
letting the moderators in or out leave no trace in the shared log (its readers are
observers, moderators and administrators, none of them in the group). Only the publication
of a group statement, which is public, is recorded there."""

from __future__ import annotations

#: Action codes of what happens inside a caucus, by prefix.
CAUCUS_PREFIXES = ("caucus.", "group_statement.")
#: Caucus actions that are public, and so belong in the shared log.
PUBLIC_CAUCUS_ACTIONS = frozenset({"group_statement.published"})


def is_shared(action: str) -> bool:
    """Whether an action may be written to, and read from, the shared audit log."""
    return action in PUBLIC_CAUCUS_ACTIONS or not action.startswith(CAUCUS_PREFIXES)
