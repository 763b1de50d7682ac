"""What the shared audit log may hold. Pure: action codes in, decisions out.

A group's caucus is private to the group: drafting, revising and endorsing its statement and
letting the moderators in or out leave no trace in the shared log (its readers are
observers, moderators and administrators, none of them in the group). Only the publication
of a group statement, which is public, is recorded there."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.numbers import format_decimal

from app.i18n import LANGUAGES, N_, current_language, format_datetime, ngettext
from app.i18n import gettext as _
from app.markdown import plain_text
from app.moderation.rules import shown_reason
from app.officers.rules import ROLE_LABELS as OFFICER_ROLE_LABELS
from app.officers.rules import OfficerRole
from app.rounds.rules import ROUND_STATUS_LABELS
from app.vocabulary import Group, RoundStatus

#: Action codes of what happens inside a caucus, by prefix.
CAUCUS_PREFIXES = ("caucus.", "group_statement.")
#: Caucus actions that are public, and so belong in the shared log.
PUBLIC_CAUCUS_ACTIONS = frozenset({"group_statement.published"})


def is_shared(action: str) -> bool:
    """Whether an action may be written to, and read from, the shared audit log."""
    return action in PUBLIC_CAUCUS_ACTIONS or not action.startswith(CAUCUS_PREFIXES)


# -- the log written as sentences ---------------------------------------------------------------
#
# An event is told in the reader's language: who did what to what ("Elena Rossi closed the
# round “Fees” early, 14 days before its deadline of 16 Dec 2026."), what changed ("Status:
# open → closed"), and the rest of what was recorded in words (ids as names, dates for the
# reader, yes/no). The codes and the raw data stay available beside it (the page's technical
# details, the CSV).


@dataclass(frozen=True)
class Names:
    """The names the events' ids stand for, loaded for a whole page of events at once."""

    users: Mapping[int, str] = field(default_factory=dict)
    organisations: Mapping[int, str] = field(default_factory=dict)
    rounds: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    action: str
    actor: str | None
    subject_type: str
    subject_id: int | None
    at: datetime
    details: Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """One field's change: ``label: before → after``."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Fact:
    """Something else the event recorded, in words: ``label: value``."""

    label: str
    value: str


@dataclass(frozen=True)
class Told:
    sentence: str
    changes: tuple[Change, ...] = ()
    facts: tuple[Fact, ...] = ()


def wanted(events: Iterable[Event]) -> tuple[set[int], set[int], set[int]]:
    """The user, organisation and round ids the events name (load them in one query each)."""
    users: set[int] = set()
    organisations: set[int] = set()
    rounds: set[int] = set()
    for e in events:
        d = e.details
        if e.subject_type == "round" and e.subject_id:
            rounds.add(e.subject_id)
        if e.subject_type == "user" and e.subject_id:
            users.add(e.subject_id)
        if e.subject_type == "organisation" and e.subject_id:
            organisations.add(e.subject_id)
        for key in ("round_id", "previous_round_id"):
            if isinstance(d.get(key), int):
                rounds.add(d[key])
        if isinstance(d.get("organisation_id"), int):
            organisations.add(d["organisation_id"])
        for value in d.get("organisations") or ():
            if isinstance(value, int):
                organisations.add(value)
        for value in (d.get("spokespersons") or {}).values():
            if isinstance(value, int):
                users.add(value)
        for role in OfficerRole:
            officer = d.get(role.value)
            if isinstance(officer, Mapping):
                if isinstance(officer.get("user_id"), int):
                    users.add(officer["user_id"])
                if isinstance(officer.get("organisation_id"), int):
                    organisations.add(officer["organisation_id"])
    return users, organisations, rounds


#: What each action says, by code (whole sentences: every language words them its own way).
#: ``%(actor)s`` is who acted, ``%(subject)s`` what it was about; other keys come from the
#: event's data (see ``_values``).
SENTENCES: Mapping[str, str] = {
    "account.created": N_("The account of %(subject)s was created."),
    "account.deactivated": N_("%(actor)s deactivated the account of %(subject)s."),
    "account.reactivated": N_("%(actor)s reactivated the account of %(subject)s."),
    "account.password_changed": N_("%(actor)s changed their password."),
    "account.two_factor_enabled": N_("%(actor)s turned on two-factor sign-in."),
    "account.two_factor_disabled": N_("%(actor)s turned off two-factor sign-in."),
    "account.recovery_code_used": N_("%(actor)s signed in with a recovery code."),
    "account.two_factor_reset": N_("The two-factor sign-in of %(subject)s was reset."),
    "api_token.created": N_("%(actor)s created the API token “%(name)s”."),
    "api_token.revoked": N_("%(actor)s revoked the API token “%(name)s”."),
    "demo.loaded": N_("The demonstration data was loaded."),
    "consultation.created": N_("%(actor)s created the consultation “%(title)s”."),
    "organisation.registered": N_("%(actor)s registered the organisation %(name)s."),
    "invitation.issued": N_("%(actor)s invited %(email)s to join as %(role)s."),
    "invitation.accepted": N_("%(actor)s accepted an invitation to join as %(role)s."),
    "invitation.cancelled": N_("%(actor)s cancelled %(subject)s."),
    "mandate.created": N_("%(actor)s now speaks for %(organisation)s as %(role)s."),
    "mandate.revoked": N_("%(actor)s revoked a mandate to speak for %(organisation)s."),
    "round.created": N_("%(actor)s created %(subject)s."),
    "round.invitations_set": N_("%(actor)s changed the organisations invited to %(subject)s."),
    "round.scheduled": N_("%(actor)s scheduled %(subject)s to open on %(opens_at)s."),
    "round.opened": N_("%(actor)s opened %(subject)s."),
    "round.closed": N_("%(actor)s closed %(subject)s."),
    "round.closed.early": N_(
        "%(actor)s closed %(subject)s early, %(left)s before its deadline of %(deadline)s."
    ),
    "round.closed.at_deadline": N_("%(actor)s closed %(subject)s after its deadline."),
    "round.outcome_revised": N_("%(actor)s revised the outcome of %(subject)s."),
    "round.extended": N_("%(actor)s extended the deadline of %(subject)s."),
    "round.reopened": N_("%(actor)s reopened %(subject)s."),
    "round.published": N_("%(actor)s published %(subject)s with its outcome."),
    "round.signoff_requested": N_("%(actor)s asked the groups to sign off %(subject)s."),
    "round.signoff_requested.by": N_(
        "%(actor)s asked the groups to sign off %(subject)s by %(deadline)s."
    ),
    "round.officers_set": N_("%(actor)s set the officers of %(subject)s."),
    "round.premoderation_on": N_(
        "%(actor)s turned on approval of comments before they are shown in %(subject)s."
    ),
    "round.premoderation_off": N_(
        "%(actor)s turned off approval of comments before they are shown in %(subject)s."
    ),
    "round.brief_language": N_("%(actor)s set the language of the brief of %(subject)s."),
    "round.brief_translated": N_("%(actor)s saved a translation of the brief of %(subject)s."),
    "round.brief_translated.removed": N_(
        "%(actor)s removed a translation of the brief of %(subject)s."
    ),
    "signoff.confirmed": N_("%(actor)s confirmed the outcome of %(subject)s for the %(group)s."),
    "signoff.reservation": N_(
        "%(actor)s signed off the outcome of %(subject)s for the %(group)s, with a reservation."
    ),
    "signoff.requested": N_("The sign-off of %(subject)s by the %(group)s is requested again."),
    "group_statement.published": N_(
        "%(actor)s published the statement of the %(group)s in %(subject)s."
    ),
    "position.posted": N_("%(actor)s posted the position of %(organisation)s in %(round)s."),
    "draft.imported": N_("%(actor)s imported the draft text of %(subject)s."),
    "decision.opened": N_("%(actor)s opened a decision on the agenda item “%(title)s”."),
    "decision.vote_cast": N_("%(actor)s cast the vote of %(organisation)s on %(subject)s."),
    "decision.recorded": N_("%(actor)s recorded %(subject)s."),
    "decision.divergent_position": N_(
        "%(actor)s recorded the divergent position of the %(group)s on %(subject)s."
    ),
    "action.added": N_("%(actor)s added the action “%(title)s” to %(subject)s."),
    "action.progress": N_("%(actor)s reported progress on the action “%(title)s”."),
    "action.confirmed": N_(
        "%(actor)s confirmed, for the %(group)s, the progress reported on the action “%(title)s”."
    ),
    "action.disputed": N_(
        "%(actor)s disputed, for the %(group)s, the progress reported on the action “%(title)s”."
    ),
    "attachment.added": N_("%(actor)s attached a document to %(subject)s."),
    "attachment.version_added": N_(
        "%(actor)s uploaded a new version of a document of %(subject)s."
    ),
    "draft.replaced": N_("%(actor)s replaced the draft text of %(subject)s."),
    "draft.revised": N_("%(actor)s drafted %(subject)s as a revision of %(previous)s."),
    "amendment.proposed": N_(
        "%(actor)s proposed an amendment to paragraph %(paragraph)s in %(round)s for "
        "%(organisation)s."
    ),
    "amendment.supported": N_("%(actor)s supported %(subject)s in %(round)s for %(organisation)s."),
    "comment.flagged": N_("%(actor)s flagged %(subject)s in %(round)s."),
    "comment.hidden_pending_review": N_(
        "%(subject)s in %(round)s was hidden pending review: %(threshold)s organisations "
        "flagged it."
    ),
    "comment.hidden": N_("%(actor)s hid %(subject)s in %(round)s."),
    "comment.restored": N_("%(actor)s showed %(subject)s in %(round)s again."),
    "comment.flags_dismissed": N_("%(actor)s dismissed the flags on %(subject)s in %(round)s."),
    "comment.approved": N_("%(actor)s approved %(subject)s in %(round)s."),
    "comment.edited_awaiting_approval": N_(
        "%(actor)s edited %(subject)s in %(round)s; the edit awaits a moderator's approval."
    ),
    "thread.locked": N_("%(actor)s locked the discussion under %(subject)s in %(round)s."),
    "thread.unlocked": N_("%(actor)s unlocked the discussion under %(subject)s in %(round)s."),
    "denied.round": N_("%(actor)s tried a moderator's action on %(subject)s and was refused."),
    # tripartite bodies and their meetings (a group-only item's title is never recorded)
    "body.created": N_("%(actor)s created the body “%(name)s”."),
    "body.settings_changed": N_("%(actor)s changed the rules of the body “%(name)s”."),
    "seat.added": N_("%(actor)s gave %(organisation)s a seat on %(subject)s."),
    "seat.changed": N_(
        "%(actor)s changed the holder or the alternate of the seat of %(organisation)s on "
        "%(subject)s."
    ),
    "meeting.convened": N_("%(actor)s convened the meeting “%(title)s”."),
    "meeting.document_added": N_("%(actor)s added a document to %(subject)s."),
    "agenda.item_added": N_("%(actor)s put an item on the agenda of %(subject)s."),
    "agenda.item_accepted": N_("%(actor)s accepted a proposed item on the agenda of %(subject)s."),
    "agenda.item_declined": N_("%(actor)s declined a proposed item for the agenda of %(subject)s."),
    "agenda.issued": N_("%(actor)s issued the agenda of %(subject)s."),
    "agenda.changed": N_(
        "%(actor)s changed the issued agenda of %(subject)s, with the agreement its rules require."
    ),
    "attendance.marked": N_("%(actor)s marked the attendance of %(organisation)s at %(subject)s."),
    "calendar.feed_created": N_("%(actor)s created a private calendar feed."),
    "calendar.feed_revoked": N_("%(actor)s revoked their private calendar feed."),
    "minutes.drafted": N_("%(actor)s wrote version %(version)s of %(subject)s."),
    "minutes.sent": N_("%(actor)s sent %(subject)s to the member organisations for comments."),
    "minutes.commented": N_("%(actor)s commented on %(subject)s for %(organisation)s."),
    "minutes.approved": N_("%(actor)s recorded the approval of %(subject)s."),
    "minutes.published": N_("%(actor)s published %(subject)s: they are final."),
    "minutes.corrected": N_(
        "%(actor)s began version %(version)s of %(subject)s, correcting the published minutes."
    ),
    "release.marked": N_("%(actor)s marked the release of %(subject)s: it is public now."),
}
#: An action no sentence was written for (an older code): said plainly, its code beside it.
UNKNOWN = N_("%(actor)s: an action recorded as “%(code)s”, on %(subject)s.")

#: What an event can be about, in a sentence ("round 12" when it has no name).
SUBJECTS: Mapping[str, str] = {
    "round": N_("round %(id)s"),
    "comment": N_("comment %(id)s"),
    "position": N_("position %(id)s"),
    "mandate": N_("mandate %(id)s"),
    "invitation": N_("invitation %(id)s"),
    "organisation": N_("organisation %(id)s"),
    "user": N_("user %(id)s"),
    "consultation": N_("consultation %(id)s"),
    "amendment": N_("amendment %(id)s"),
    "api_token": N_("API token %(id)s"),
    "body": N_("body %(id)s"),
    "meeting": N_("meeting %(id)s"),
    "decision": N_("decision %(id)s"),
    "minutes": N_("minutes %(id)s"),
    "agenda_item": N_("agenda item %(id)s"),
    "meeting_document": N_("meeting document %(id)s"),
}
ROUND_NAMED = N_("the round “%(title)s”")
#: A named round after a preposition, as the language contracts it ("de le tour « … »" is
#: "du tour « … »" in French): the article belongs to the round's name, the preposition to
#: the sentence.
CONTRACTIONS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "fr": ((" de le tour « ", " du tour « "), (" à le tour « ", " au tour « ")),
}

#: The labels of the recorded data shown as facts or changes.
LABELS: Mapping[str, str] = {
    "status": N_("Status"),
    "closes_at": N_("Deadline"),
    "outcome": N_("Outcome"),
    "visibility": N_("Visibility"),
    "reason": N_("Reason"),
    "reservation": N_("Reservation"),
    "deadline": N_("Sign-off deadline"),
    "spokespersons": N_("Spokespersons"),
    "signoff": N_("Sign-off"),
    "no_answer_by_signoff_deadline": N_("No answer by the sign-off deadline"),
    "confirmations_reset": N_("Confirmations asked again"),
    "title": N_("Title"),
    "weighting": N_("Weighting"),
    "sealed": N_("Sealed until the close"),
    "organisations": N_("Organisations"),
    "paragraphs": N_("Paragraphs"),
    "language": N_("Language"),
    "social_partners_first": N_("Social partners speak first"),
    "flags": N_("Flags"),
    "version": N_("Version"),
    "country": N_("Country"),
    "group": N_("Group"),
    "email": N_("Email"),
    "role": N_("Role"),
    "by": N_("By"),
    "opens_at": N_("Opens"),
    "threshold": N_("Flags needed to hide"),
}
_VISIBILITY = {
    "visible": N_("visible"),
    "hidden": N_("hidden"),
    "pending": N_("awaiting approval"),
}
_SIGNOFF = {
    "requested": N_("no answer"),
    "confirmed": N_("confirmed"),
    "reservation": N_("signed off with a reservation"),
}
_GROUP_IN_SENTENCE = {
    "government": N_("government group"),
    "workers": N_("workers group"),
    "employers": N_("employers group"),
}
_ROLES = {
    "admin": N_("administrator"),
    "moderator": N_("moderator"),
    "observer": N_("observer"),
    "focal_point": N_("focal point"),
    "representative": N_("representative"),
}
#: Data shown in the sentence or the changes, not again as facts; ids named elsewhere.
_NOT_FACTS = frozenset(
    {
        "before",
        "after",
        "early",
        "round_id",
        "organisation_id",
        "previous_round_id",
        "statement_id",
        "invitation_id",
        "paragraph",
        "name",
        "replaced",
        "removed",
        *(role.value for role in OfficerRole),
    }
)


def sentence_code(action: str, details: Mapping[str, Any]) -> str:
    """The key of ``SENTENCES`` an action is told by (a variant when its data says more)."""
    if action.startswith("denied.round."):
        return "denied.round"
    if action == "round.closed" and "early" in details:
        return "round.closed.early" if details["early"] else "round.closed.at_deadline"
    if action == "round.signoff_requested" and details.get("deadline"):
        return "round.signoff_requested.by"
    if action == "round.brief_translated" and details.get("removed"):
        return "round.brief_translated.removed"
    return action


def tell(event: Event, names: Names) -> Told:
    """The event in the reader's language: a sentence, what changed, the rest in words."""
    d = event.details
    code = sentence_code(event.action, d)
    values = _values(event, names)
    template = SENTENCES.get(code, UNKNOWN)
    if code == "round.closed.early" and "left" not in values:
        template = SENTENCES["round.closed"]
    sentence = _(template) % _Blank(values | {"code": event.action})
    for long, short in CONTRACTIONS.get(current_language(), ()):
        sentence = sentence.replace(long, short)
    sentence = sentence[:1].upper() + sentence[1:]
    said = set(_PLACEHOLDER.findall(template))  # data the sentence tells is not repeated
    return Told(sentence, tuple(_changes(d, names)), tuple(_facts(d, names, said)))


class _Blank(dict[str, str]):
    """The values of a sentence; one its event did not record (an older event) is blank."""

    def __missing__(self, key: str) -> str:
        return "…"


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _values(event: Event, names: Names) -> dict[str, str]:
    d = event.details
    round_id = d.get("round_id") if isinstance(d.get("round_id"), int) else None
    values: dict[str, Any] = {k: format_value(k, v, names) for k, v in d.items()}
    values |= {
        "actor": event.actor or _("the system"),
        "subject": subject(event.subject_type, event.subject_id, names),
        "round": subject("round", round_id, names) if round_id else _("a round"),
        "organisation": _organisation(d.get("organisation_id"), names),
        "name": str(d.get("name", "")),
        "title": str(d.get("title", "")),
        "email": str(d.get("email", "")),
        "paragraph": str(d.get("paragraph", "")),
        "threshold": str(d.get("threshold", "")),
        "role": _(_ROLES[d["role"]]) if d.get("role") in _ROLES else str(d.get("role", "")),
        "group": _(_GROUP_IN_SENTENCE[d["group"]]) if d.get("group") in _GROUP_IN_SENTENCE else "",
        "previous": subject("round", d.get("previous_round_id"), names),
    }
    if isinstance(d.get("deadline"), str):
        values["deadline"] = _date(d["deadline"], with_time=True)
    before = d.get("before")
    if event.action == "round.closed" and isinstance(before, Mapping):
        deadline = _parse(before.get("closes_at"))
        if deadline is not None and d.get("early"):
            values["deadline"] = format_datetime(deadline, with_time=False)
            values["left"] = _duration(deadline - _aware(event.at))
    return values


def subject(subject_type: str, subject_id: Any, names: Names) -> str:
    """What an event is about, in a sentence: a round by its title, a person or an
    organisation by name, anything else by kind and number."""
    if subject_type == "round" and subject_id in names.rounds:
        return _(ROUND_NAMED) % {"title": names.rounds[subject_id]}
    if subject_type == "user" and subject_id in names.users:
        return names.users[subject_id]
    if subject_type == "organisation" and subject_id in names.organisations:
        return names.organisations[subject_id]
    template = SUBJECTS.get(subject_type)
    if subject_id is None:
        return _(template) % {"id": ""} if template else subject_type
    return _(template) % {"id": subject_id} if template else f"{subject_type} {subject_id}"


def _organisation(value: Any, names: Names) -> str:
    if isinstance(value, int):
        return names.organisations.get(value) or _(SUBJECTS["organisation"]) % {"id": value}
    return _("an organisation")


def _changes(d: Mapping[str, Any], names: Names) -> Iterator[Change]:
    before, after = d.get("before"), d.get("after")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in [*before, *(k for k in after if k not in before)]:
            old, new = before.get(key), after.get(key)
            if old != new:
                yield Change(
                    _label(key), format_value(key, old, names), format_value(key, new, names)
                )
    elif isinstance(before, str) and isinstance(after, str) and before != after:
        key = "visibility" if _visibility_word(after) else "outcome"
        yield Change(_label(key), format_value(key, before, names), format_value(key, after, names))


def _facts(d: Mapping[str, Any], names: Names, said: set[str]) -> Iterator[Fact]:
    for role in OfficerRole:
        if role.value in d:
            yield Fact(OFFICER_ROLE_LABELS[role], _officer(d[role.value], names))
    for key in sorted(d):
        if key in _NOT_FACTS or key in said or d[key] is None or d[key] == [] or d[key] == {}:
            continue
        yield Fact(_label(key), format_value(key, d[key], names))


def _label(key: str) -> str:
    return _(LABELS[key]) if key in LABELS else key.replace("_", " ").capitalize()


def _officer(value: Any, names: Names) -> str:
    if not isinstance(value, Mapping):
        return _("none")
    person = names.users.get(value.get("user_id", 0)) or str(value.get("name") or _("none"))
    organisation = names.organisations.get(value.get("organisation_id", 0))
    return (
        _("%(person)s (%(organisation)s)") % {"person": person, "organisation": organisation}
        if organisation
        else person
    )


def format_value(key: str, value: Any, names: Names) -> str:
    """A recorded value as a person reads it: dates for the reader, ids as names, codes as
    words, yes/no, "none"."""
    if value is None:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in ("organisations", "no_answer_by_signoff_deadline") and isinstance(value, list):
        return ", ".join(
            _organisation(v, names) if isinstance(v, int) else _group(v) for v in value
        ) or _("none")
    if key == "spokespersons" and isinstance(value, Mapping):
        return "; ".join(
            _("%(label)s: %(value)s")
            % {"label": _group(g), "value": names.users.get(p) or _("none") if p else _("none")}
            for g, p in value.items()
        )
    if key == "signoff" and isinstance(value, Mapping):
        return "; ".join(
            _("%(label)s: %(value)s")
            % {"label": _group(g), "value": _(_SIGNOFF[s]) if s in _SIGNOFF else str(s)}
            for g, s in value.items()
        )
    if key == "status" and value in set(RoundStatus):
        return ROUND_STATUS_LABELS[RoundStatus(value)]
    if key == "visibility" or (isinstance(value, str) and _visibility_word(value)):
        return _visibility_word(str(value)) or str(value)
    if key == "group":
        return _group(value)
    if key == "role" and value in _ROLES:
        return _(_ROLES[value])
    if key == "language" and value in LANGUAGES:
        return LANGUAGES[value]
    if key == "outcome" and isinstance(value, str):
        return plain_text(value) or _("none")
    if key == "reason" and isinstance(value, str):
        return shown_reason(value) or ""
    if isinstance(value, str):
        parsed = _parse(value) if _LOOKS_LIKE_A_TIME.match(value) else None
        return format_datetime(parsed) if parsed else value
    if isinstance(value, Mapping):
        return "; ".join(
            _("%(label)s: %(value)s") % {"label": _label(k), "value": format_value(k, v, names)}
            for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(format_value(key, v, names) for v in value)
    if isinstance(value, float):
        return format_decimal(value, locale=current_language())
    return str(value)


def _visibility_word(value: str) -> str | None:
    """“hidden (pending)” as recorded when a comment is shown again: “hidden (awaiting
    approval)”; None when the value is not a visibility."""
    if value in _VISIBILITY:
        return _(_VISIBILITY[value])
    found = re.fullmatch(r"(\w+) \((\w+)\)", value)
    if found and found[1] in _VISIBILITY and found[2] in _VISIBILITY:
        return _("%(now)s (was %(before)s)") % {
            "now": _(_VISIBILITY[found[1]]),
            "before": _(_VISIBILITY[found[2]]),
        }
    return None


def _group(value: Any) -> str:
    return Group(value).label if value in set(Group) else str(value)


_LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _date(value: str, with_time: bool) -> str:
    parsed = _parse(value)
    return format_datetime(parsed, with_time=with_time) if parsed else value


def _duration(left: timedelta) -> str:
    """“14 days”, “5 hours”, “20 minutes”: how long before the deadline."""
    seconds = max(0, int(left.total_seconds()))
    days, hours, minutes = seconds // 86_400, seconds // 3_600, seconds // 60
    if days:
        return ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
    if hours:
        return ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
    return ngettext("%(num)d minute", "%(num)d minutes", max(1, minutes)) % {"num": max(1, minutes)}
