"""Who gets through every route: a table of expected outcomes per role, checked against the
application's own route table (a route the table does not list fails the suite, by name).

Each route is requested by each role against the same world (tests/security/world.py): a
request's writes are rolled back afterwards. Path parameters name real objects of the right
kind (a draft round to open, a hidden comment to restore, ...), POSTs carry a valid CSRF token
and minimal valid form data: what is checked is who passes the authorisation check.

Outcomes: ``ok`` is any 2xx or 3xx answer except a redirect to sign in; ``login`` is that
redirect (``303 /login?next=...``); otherwise the status code. A ``422`` (the form refused as
invalid) means the request got past authorisation: it counts as ``ok`` (PASSED below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import factories
from tests.helpers import days_ahead
from tests.security.world import ROLES, app_routes, build, clients_for, undone
from tests.word_files import docx_with

pytestmark = pytest.mark.usefixtures("cheap_passwords")

#: What a role that passed the authorisation check may get back.
PASSED = {"ok": {"ok", "422"}}

SIGNED_IN = ("rep", "other_rep", "focal", "observer", "moderator", "admin")


def expect(default: str, **by_role: str) -> dict[str, str]:
    """An outcome per role: ``default`` for all, then the exceptions."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, unknown
    return {role: by_role.get(role, default) for role in ROLES}


def public() -> dict[str, str]:
    return expect("ok")


def page() -> dict[str, str]:
    """Any signed-in person; anonymous visitors (and API tokens, which open no page) sign in."""
    return expect("ok", anonymous="login", token="login")


def only(*roles: str, refused: str = "403") -> dict[str, str]:
    """These signed-in roles get through; the other signed-in ones are refused."""
    return {
        **{role: refused for role in SIGNED_IN},
        **{role: "ok" for role in roles},
        "anonymous": "login",
        "token": "login",
    }


MODERATORS = ("moderator", "admin")
#: A draft round's moderator actions: to anyone else the round does not exist.
DRAFT_ONLY = only(*MODERATORS, refused="404")
POSTERS = ("rep", "focal")  # the invited organisation's people (focal points post too)


#: A group's caucus: the people of its organisations invited to the round (the workers' here).
CAUCUS = only(*POSTERS, refused="404")
IN_CAUCUS = {"group": "caucus_group"}


#: A body's decision, its action and the body (tests/security/world.py, DEC's part).
DEC = {"decision_id": "dec_decision"}
DEC_ACTION = {"action_id": "dec_action"}
DEC_BODY = {"body_id": "dec_body"}
#: The secretariat's actions on minutes: the body's members (the workers' rep and focal point)
#: are refused; to the others, members-only minutes do not exist.
MINUTES_SECRETARIAT = {**only(*MODERATORS), "other_rep": "404", "observer": "404"}


def api() -> dict[str, str]:
    return expect("401", token="ok")


#: A small Word file for the draft text's import (tests/word_files.py).
WORD_FILE = ("draft.docx", docx_with("One.", "Two."), "application/octet-stream")

#: A body's settings as its form sends them.
BODY_SETTINGS = {
    "name": "Another council",
    "country": "Ardenia",
    "kind": "council",
    "notice_days": "5",
    "quorum_overall": "3",
    "quorum_per_group": "1",
    "without_quorum": "refuse",
    "agenda_change": "unanimity",
    "weighting": "1:1:1",
}

#: A country's year that the world's consultation names (tests/security/world.py).
CYCLE = "/cycle/Ardenia/2026"


@dataclass
class Case:
    expected: dict[str, str]
    #: path parameter -> key of World.ids (defaults: see DEFAULT_PARAMS)
    params: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    path: str | None = None  # a concrete path instead of the template (the static mount)
    #: files uploaded with the form (multipart): field -> (name, bytes, content type)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    fmt: str = "csv"  # the format a ``{fmt}`` asks for
    why: str = ""


DEFAULT_PARAMS = {
    "round_id": "round",
    "consultation_id": "consultation",
    "position_id": "position",
    "comment_id": "comment",
    "organisation_id": "organisation",
    "mandate_id": "mandate",
    "invitation_id": "invitation",
    "user_id": "user",
    "token_id": "api_token",
    "attachment_id": "attachment",
    "number": "version_number",
    "body_id": "body",
    "meeting_id": "meeting",
    "item_id": "agenda_item",
    "seat_id": "seat",
    "document_id": "meeting_document",
    "saved_id": "saved_search",
}

# fmt: off
TABLE: dict[tuple[str, str], Case] = {
    # -- accounts ---------------------------------------------------------------------------
    ("GET", "/healthz"): Case(public()),
    ("GET", "/"): Case(page()),
    ("GET", "/login"): Case(public()),
    ("POST", "/login"): Case(public(), data={"email": "{plain_email}", "password": "{password}"}),
    ("POST", "/logout"): Case(public()),
    ("POST", "/language"): Case(public(), data={"language": "fr", "next": "/"}),
    ("GET", "/account"): Case(page()),
    ("POST", "/account/time-zone"): Case(page(), data={"time_zone": "Europe/Paris"}),
    ("POST", "/account/password"): Case(
        page(), data={"current_password": "{password}", "new_password": "a new long passphrase"}
    ),
    ("GET", "/invitations/{token}"): Case(public(), why="the link itself is the credential"),
    # two-factor sign-in: the second step needs the session the password step began (without
    # one: back to /login); the set-up pages are each person's own
    ("GET", "/login/two-factor"): Case(public()),
    ("POST", "/login/two-factor"): Case(public(), data={"code": "123456"}),
    ("GET", "/account/two-factor"): Case(page()),
    ("POST", "/account/two-factor/start"): Case(
        expect("ok", anonymous="login", token="login", moderator="409", admin="409"),
        why="moderators and administrators are enrolled already (409: it is on)",
    ),
    ("POST", "/account/two-factor/confirm"): Case(
        expect("ok", anonymous="login", token="login", moderator="409", admin="409"),
        data={"code": "123456", "password": "{password}"},
        why="422 without an enrolment begun; 409 for the enrolled",
    ),
    ("POST", "/account/two-factor/recovery-codes"): Case(page(), data={"password": "{password}"}),
    ("POST", "/account/two-factor/off"): Case(
        expect("ok", anonymous="login", token="login", moderator="403", admin="403"),
        data={"password": "{password}"},
        why="moderators and administrators must keep it on",
    ),
    ("POST", "/invitations/accept"): Case(
        public(), data={"token": "{invitation_token}", "name": "New Rep",
                        "password": "a long enough passphrase"},
    ),
    # -- organisations and people (administrators; focal points for their organisation) -----
    ("GET", "/admin/organisations"): Case(only("admin")),
    ("POST", "/admin/organisations"): Case(
        only("admin"),
        data={"name": "Matrix Union", "group": "workers", "country": "Ardenia",
              "focal_point_name": "Fay Focal", "focal_point_email": "fay@matrix.example"},
    ),
    ("GET", "/organisations/{organisation_id}"): Case(page()),
    ("POST", "/organisations/{organisation_id}/invitations"): Case(
        only("focal"),
        data={"name": "Nia New", "email": "nia@matrix.example", "role": "representative"},
        why="the organisation chooses its representatives; an admin only names a first focal "
        "point, and this organisation has one",
    ),
    ("POST", "/organisations/{organisation_id}/mandates/{mandate_id}/revoke"): Case(
        only("focal"), data={"reason": "Left the union."}
    ),
    ("POST", "/invitations/{invitation_id}/cancel"): Case(only("focal", "admin")),
    ("GET", "/admin/people"): Case(only("admin")),
    ("POST", "/admin/people/invitations"): Case(
        only("admin"), data={"name": "Mo Mod", "email": "mo@matrix.example", "role": "moderator"}
    ),
    ("POST", "/admin/people/{user_id}/deactivate"): Case(only("admin"), data={"reason": "Left."}),
    ("POST", "/admin/people/{user_id}/reactivate"): Case(
        only("admin"), params={"user_id": "inactive"}
    ),
    # -- consultations and rounds ------------------------------------------------------------
    ("GET", "/consultations/new"): Case(only(*MODERATORS)),
    ("POST", "/consultations"): Case(
        only(*MODERATORS), data={"title": "A consultation", "brief": "Why."}
    ),
    ("GET", "/consultations/{consultation_id}"): Case(page()),
    ("GET", "/consultations/{consultation_id}/rounds/new"): Case(only(*MODERATORS)),
    ("POST", "/consultations/{consultation_id}/rounds"): Case(
        only(*MODERATORS),
        data={"title": "Round two", "brief": "More.", "closes_at": "{future}",
              "weighting": "1:1:1"},
    ),
    ("GET", "/rounds/{round_id}"): Case(page()),
    ("GET", "/rounds/{round_id}/comments"): Case(page()),
    ("GET", "/rounds/{round_id}/live"): Case(page()),
    ("GET", "/rounds/{round_id}/stream"): Case(page()),
    # a draft round is a 404 for everyone else (tests/security/test_draft_rounds.py)
    ("POST", "/rounds/{round_id}/open"): Case(DRAFT_ONLY, params={"round_id": "draft"}),
    ("POST", "/rounds/{round_id}/invitations"): Case(
        DRAFT_ONLY, params={"round_id": "draft"},
        data={"organisations": ["{org_government}", "{org_workers}", "{org_employers}"]},
    ),
    # -- positions and comments (the invited organisation's people) -------------------------
    ("POST", "/rounds/{round_id}/positions"): Case(
        only(*POSTERS), data={"stance": "support", "statement": "Yes.", "base_version": "1"}
    ),
    ("GET", "/rounds/{round_id}/positions/{position_id}/history"): Case(page()),
    ("POST", "/rounds/{round_id}/comments"): Case(only(*POSTERS), data={"body": "A comment."}),
    ("GET", "/rounds/{round_id}/positions/{position_id}/comment"): Case(only(*POSTERS)),
    ("GET", "/rounds/{round_id}/comments/{comment_id}/reply"): Case(only(*POSTERS)),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/replies"): Case(
        only(*POSTERS), data={"body": "A reply."}
    ),
    ("GET", "/rounds/{round_id}/comments/{comment_id}/edit"): Case(
        only("rep", refused="409"), params={"comment_id": "own_comment"},
        why="only its author, for 15 minutes; anyone else is told it can no longer be changed",
    ),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/edit"): Case(
        only("rep"), params={"comment_id": "own_comment"}, data={"body": "Mine, edited."}
    ),
    ("GET", "/rounds/{round_id}/comments/{comment_id}/flag"): Case(
        page(), why="the form is a read; the POST checks who flags"
    ),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/flag"): Case(
        only(*POSTERS), data={"reason": "Off topic."}
    ),
    # -- the round's lifecycle (moderators) --------------------------------------------------
    ("GET", "/rounds/{round_id}/close"): Case(only(*MODERATORS)),
    ("GET", "/rounds/{round_id}/outcome"): Case(only(*MODERATORS), params={"round_id": "closed"}),
    ("GET", "/rounds/{round_id}/extend"): Case(only(*MODERATORS)),
    ("GET", "/rounds/{round_id}/reopen"): Case(only(*MODERATORS), params={"round_id": "closed"}),
    ("GET", "/rounds/{round_id}/publish"): Case(only(*MODERATORS), params={"round_id": "closed"}),
    ("POST", "/rounds/{round_id}/close"): Case(only(*MODERATORS), data={"outcome": "Agreed."}),
    ("POST", "/rounds/{round_id}/outcome"): Case(
        only(*MODERATORS), params={"round_id": "closed"}, data={"outcome": "Revised."}
    ),
    ("POST", "/rounds/{round_id}/extend"): Case(
        only(*MODERATORS), data={"closes_at": "{future}", "reason": "More time."}
    ),
    ("POST", "/rounds/{round_id}/reopen"): Case(
        only(*MODERATORS), params={"round_id": "closed"},
        data={"closes_at": "{future}", "reason": "A group asked."},
    ),
    ("POST", "/rounds/{round_id}/publish"): Case(only(*MODERATORS), params={"round_id": "signed"}),
    ("POST", "/rounds/{round_id}/premoderation"): Case(only(*MODERATORS), data={"on": "1"}),
    ("GET", "/rounds/{round_id}/briefs"): Case(only(*MODERATORS)),
    ("POST", "/rounds/{round_id}/briefs"): Case(
        only(*MODERATORS), data={"language": "es", "brief": "Nota informativa."}
    ),
    ("POST", "/rounds/{round_id}/briefs/language"): Case(
        only(*MODERATORS), data={"original_language": "fr"}
    ),
    ("POST", "/rounds/{round_id}/signoff"): Case(
        only(*MODERATORS), params={"round_id": "closed"},
        data={"signoff_deadline": "{future}", "spokesperson_government": "{government_rep}",
              "spokesperson_workers": "{focal}", "spokesperson_employers": "{employers_rep}"},
    ),
    ("POST", "/rounds/{round_id}/signoff/decision"): Case(
        only("focal"), params={"round_id": "signing"}, data={"decision": "confirm"},
        why="the focal point named spokesperson for the group",
    ),
    # -- moderating comments -----------------------------------------------------------------
    ("POST", "/rounds/{round_id}/comments/{comment_id}/hide"): Case(
        only(*MODERATORS), data={"reason_code": "off_topic", "note": "Not about the brief."}
    ),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/restore"): Case(
        only(*MODERATORS), params={"comment_id": "hidden"}
    ),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/approve"): Case(
        only(*MODERATORS), params={"comment_id": "pending"}
    ),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/dismiss-flags"): Case(
        only(*MODERATORS), params={"comment_id": "flagged"}
    ),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/lock"): Case(only(*MODERATORS)),
    ("POST", "/rounds/{round_id}/comments/{comment_id}/unlock"): Case(
        only(*MODERATORS), params={"comment_id": "locked"}
    ),
    # -- a group's caucus: its own invited organisations' people only; everyone else is told
    # there is no such page (moderators too, until the group invites them: then they read)
    ("GET", "/rounds/{round_id}/caucus/{group}"): Case(CAUCUS, params=IN_CAUCUS),
    ("GET", "/rounds/{round_id}/caucus/{group}/posts"): Case(CAUCUS, params=IN_CAUCUS),
    ("POST", "/rounds/{round_id}/caucus/{group}/posts"): Case(
        CAUCUS, params=IN_CAUCUS, data={"body": "Between us, again."}
    ),
    ("POST", "/rounds/{round_id}/caucus/{group}/moderators"): Case(
        CAUCUS, params=IN_CAUCUS, data={"invite": "1"}
    ),
    ("POST", "/rounds/{round_id}/caucus/{group}/statement"): Case(
        CAUCUS, params=IN_CAUCUS, data={"statement_id": "{statement}", "text": "Our text."}
    ),
    ("POST", "/rounds/{round_id}/caucus/{group}/statement/endorse"): Case(
        CAUCUS, params=IN_CAUCUS, data={"statement_id": "{statement}", "action": "endorse"}
    ),
    ("POST", "/rounds/{round_id}/caucus/{group}/statement/publish"): Case(
        CAUCUS, params=IN_CAUCUS, data={"statement_id": "{statement}"}
    ),
    # -- the round's officers (moderators) ---------------------------------------------------
    ("GET", "/rounds/{round_id}/officers"): Case(only(*MODERATORS)),
    ("POST", "/rounds/{round_id}/officers"): Case(
        only(*MODERATORS),
        data={"chair_user": "{government_rep}", "vice_chair_employers": "{employers_rep}",
              "vice_chair_workers": "{rep}", "social_partners_first": "1"},
    ),
    # -- draft texts: the moderator's draft and revision, the invited organisations' amendments
    ("GET", "/rounds/{round_id}/draft"): Case(DRAFT_ONLY, params={"round_id": "draft"}),
    ("POST", "/rounds/{round_id}/draft"): Case(
        DRAFT_ONLY, params={"round_id": "draft"}, data={"text": "One.\n\nTwo."}
    ),
    ("POST", "/rounds/{round_id}/draft/import"): Case(
        DRAFT_ONLY, params={"round_id": "draft"}, files={"file": WORD_FILE}
    ),
    ("POST", "/rounds/{round_id}/paragraphs/{paragraph_id}/amendments"): Case(
        only(*POSTERS), params={"paragraph_id": "paragraph"}, data={"text": "A better one."}
    ),
    ("POST", "/rounds/{round_id}/amendments/{amendment_id}/support"): Case(
        only(*POSTERS), params={"amendment_id": "amendment"},
        why="the amendment is the government organisation's; the workers' people support it",
    ),
    ("GET", "/rounds/{round_id}/revise"): Case(only(*MODERATORS), params={"round_id": "closed"}),
    ("POST", "/rounds/{round_id}/revise"): Case(
        only(*MODERATORS), params={"round_id": "closed"},
        data={"title": "Round two", "brief": "Revised.", "closes_at": "{future}",
              "paragraphs": ["One.", "Two."]},
    ),
    ("GET", "/moderation"): Case(only(*MODERATORS)),
    ("GET", "/audit"): Case(only("observer", *MODERATORS)),
    # -- the Convention 144 cycle: the countries, a year, the annual report (readers of record)
    ("GET", "/cycle"): Case(only("observer", *MODERATORS)),
    ("GET", "/cycle/{country}/{year}"): Case(only("observer", *MODERATORS), path=CYCLE),
    ("GET", "/cycle/{country}/{year}/report"): Case(
        only("observer", *MODERATORS), path=CYCLE + "/report"
    ),
    ("GET", "/cycle/{country}/{year}/report.pdf"): Case(
        only("observer", *MODERATORS), path=CYCLE + "/report.pdf"
    ),
    ("GET", "/cycle/{country}/{year}/report.xlsx"): Case(
        only("observer", *MODERATORS), path=CYCLE + "/report.xlsx"
    ),
    # -- notifications -----------------------------------------------------------------------
    ("GET", "/notifications"): Case(page()),
    ("GET", "/notifications/count"): Case(page()),
    ("POST", "/notifications/read"): Case(page()),
    ("POST", "/notifications/preference"): Case(page(), data={"preference": "digest"}),
    # -- saved searches: each person's own (another's does not exist for them) ---------------
    ("GET", "/search/saved"): Case(page()),
    ("POST", "/search/saved"): Case(page(), data={"name": "Mine", "q": "comment"}),
    ("POST", "/search/saved/{saved_id}/delete"): Case(only("rep", refused="404")),
    # -- summaries and downloads (anyone who may see the round, once it has closed) ----------
    ("GET", "/rounds/{round_id}/summary"): Case(page(), params={"round_id": "closed"}),
    ("GET", "/rounds/{round_id}/summary.{fmt}"): Case(page(), params={"round_id": "closed"}),
    # the round's documents: the draft (the open round has one), its revision, the record
    ("GET", "/rounds/{round_id}/draft.{fmt}"): Case(page(), fmt="docx"),
    ("GET", "/rounds/{round_id}/revised.{fmt}"): Case(
        expect("404", anonymous="login", token="login"), fmt="odt",
        why="no round revises the world's rounds: tests/http/test_word_out.py downloads one",
    ),
    ("GET", "/rounds/{round_id}/record.{fmt}"): Case(
        page(), params={"round_id": "closed"}, fmt="odt"
    ),
    # -- attachments: exactly as visible as what they hang on (a caucus file: its members) ----
    ("GET", "/rounds/{round_id}/attachments"): Case(page()),
    ("POST", "/rounds/{round_id}/attachments"): Case(
        only(*MODERATORS), data={"title": "Study", "place": "round", "language": "en"},
        files={"file": WORD_FILE},
    ),
    ("POST", "/attachments/{attachment_id}/versions"): Case(
        only(*MODERATORS), files={"file": WORD_FILE}
    ),
    ("GET", "/attachments/{attachment_id}"): Case(page()),
    ("GET", "/attachments/{attachment_id}/versions/{number}"): Case(page()),
    # -- API tokens and the JSON API ---------------------------------------------------------
    ("GET", "/admin/api-tokens"): Case(only("admin")),
    ("POST", "/admin/api-tokens"): Case(only("admin"), data={"name": "Statistics unit"}),
    ("POST", "/admin/api-tokens/{token_id}/revoke"): Case(only("admin")),
    ("GET", "/api/openapi.json"): Case(public(), why="the API's documentation"),
    ("GET", "/api/v1/schema/summary.json"): Case(public(), why="a published JSON Schema"),
    ("GET", "/api/v1/schema/summary-export.json"): Case(public(), why="a published JSON Schema"),
    ("GET", "/api/v1/consultations"): Case(api()),
    ("GET", "/api/v1/consultations/{consultation_id}"): Case(api()),
    ("GET", "/api/v1/rounds"): Case(api()),
    ("GET", "/api/v1/rounds/{round_id}"): Case(api()),
    ("GET", "/api/v1/rounds/{round_id}/summary"): Case(api(), params={"round_id": "closed"}),
    ("GET", "/api/v1/rounds/{round_id}/positions"): Case(api()),
    ("GET", "/api/v1/rounds/{round_id}/comments"): Case(api()),
    # -- tripartite bodies and meetings: the list, bodies and public meetings are public; the
    # secretariat (moderators) runs them; members of the body propose and mark their seats ----
    ("GET", "/bodies"): Case(public()),
    ("GET", "/bodies/new"): Case(only(*MODERATORS)),
    ("POST", "/bodies"): Case(only(*MODERATORS), data=BODY_SETTINGS),
    ("GET", "/bodies/{body_id}"): Case(public()),
    ("POST", "/bodies/{body_id}/settings"): Case(only(*MODERATORS), data=BODY_SETTINGS),
    ("POST", "/bodies/{body_id}/seats"): Case(
        only(*MODERATORS), data={"organisation": "{outsider_org}", "holder": "{other_rep}"}
    ),
    ("POST", "/seats/{seat_id}"): Case(only(*MODERATORS), data={"holder": "{rep}"}),
    ("GET", "/bodies/{body_id}/calendar.ics"): Case(public(), why="the body's public calendar"),
    ("GET", "/bodies/{body_id}/meetings/new"): Case(only(*MODERATORS)),
    ("POST", "/bodies/{body_id}/meetings"): Case(
        only(*MODERATORS), data={"title": "Plenary", "starts_at": "{future}", "place": "Geneva"}
    ),
    ("GET", "/meetings/{meeting_id}"): Case(public(), why="a public meeting"),
    ("GET", "/meetings/{meeting_id}/quorum"): Case(public(), why="a public meeting's box"),
    ("POST", "/meetings/{meeting_id}/agenda"): Case(
        only("rep", "focal", *MODERATORS), data={"title": "Social security"},
        why="the body's members propose, the secretariat adds",
    ),
    ("POST", "/agenda-items/{item_id}/accept"): Case(
        only(*MODERATORS, refused="404") | {"rep": "403", "focal": "403"},
        why="a members-only proposal: outside the body it does not exist",
    ),
    ("POST", "/agenda-items/{item_id}/decline"): Case(
        only(*MODERATORS, refused="404") | {"rep": "403", "focal": "403"},
        why="a members-only proposal: outside the body it does not exist",
    ),
    ("POST", "/meetings/{meeting_id}/agenda/issue"): Case(only(*MODERATORS)),
    ("POST", "/meetings/{meeting_id}/agenda/changes"): Case(
        only(*MODERATORS), params={"meeting_id": "issued_meeting"},
        data={"title": "Urgent", "groups": ["government", "workers", "employers"]},
    ),
    ("POST", "/meetings/{meeting_id}/attendance"): Case(
        only("rep", *MODERATORS), data={"seat_id": "{seat}", "status": "holder"},
        why="the seat's holder (its alternate marks only 'alternate'), or the secretariat",
    ),
    ("POST", "/meetings/{meeting_id}/documents"): Case(
        only(*MODERATORS), data={"title": "Paper", "language": "en"}, files={"file": WORD_FILE}
    ),
    ("GET", "/meeting-documents/{document_id}"): Case(
        expect("404", rep="ok", focal="ok", moderator="ok", admin="ok"),
        why="a members-only document: outside the body it does not exist",
    ),
    ("GET", "/calendar"): Case(page()),
    ("POST", "/calendar/feed"): Case(page()),
    ("POST", "/calendar/feed/revoke"): Case(page()),
    ("GET", "/calendar/{token}.ics"): Case(
        expect("404"), why="the secret address is the credential (an unknown one here)"
    ),
    ("GET", "/api/v1/bodies"): Case(api()),
    ("GET", "/api/v1/bodies/{body_id}/meetings"): Case(api()),
    ("GET", "/api/v1/bodies/{body_id}/decisions"): Case(api()),
    ("GET", "/api/v1/schema/body.json"): Case(public(), why="a published JSON Schema"),
    ("GET", "/api/v1/schema/meeting.json"): Case(public(), why="a published JSON Schema"),
    ("GET", "/api/v1/schema/decision.json"): Case(public(), why="a published JSON Schema"),
    # -- decisions, their actions and a body's register (DEC; tests/security/world.py's body:
    # the workers' seat is the rep's, with the colleague as alternate; every seat present;
    # the agenda items are public, so outsiders are refused, not told nothing exists) -------
    ("POST", "/agenda-items/{item_id}/decision"): Case(
        only(*MODERATORS), params={"item_id": "dec_item"},
        data={"text": "Raise the minimum wage.", "method": "consensus"},
        why="the secretariat opens a decision",
    ),
    ("GET", "/decisions/{decision_id}"): Case(page(), params=DEC),
    ("POST", "/decisions/{decision_id}/votes"): Case(
        only("rep"), params=DEC, data={"vote": "for"},
        why="the seat's holder, present; the focal point holds no seat",
    ),
    ("POST", "/decisions/{decision_id}/record"): Case(
        only(*MODERATORS), params=DEC, why="the secretariat (or the meeting's chair)"
    ),
    ("POST", "/decisions/{decision_id}/divergent"): Case(
        only(*POSTERS), params=DEC, data={"text": "We diverge."},
        why="a group's members on the body (the workers' union is seated)",
    ),
    ("POST", "/decisions/{decision_id}/actions"): Case(
        only(*MODERATORS), params=DEC, data={"what": "Publish it.", "owner": "secretariat"}
    ),
    ("GET", "/actions/{action_id}"): Case(page(), params=DEC_ACTION),
    ("POST", "/actions/{action_id}/notes"): Case(
        only(*POSTERS, *MODERATORS), params=DEC_ACTION, data={"text": "Done.", "status": "done"},
        why="the owner's people (the workers' union owns it) or the secretariat",
    ),
    ("POST", "/actions/{action_id}/confirmations"): Case(
        only(*POSTERS), params=DEC_ACTION, data={"verdict": "confirmed"},
        why="a group's members on the body",
    ),
    ("GET", "/action-files/{file_id}"): Case(page(), params={"file_id": "dec_file"}),
    ("GET", "/bodies/{body_id}/decisions"): Case(page(), params=DEC_BODY),
    ("GET", "/bodies/{body_id}/decisions.csv"): Case(page(), params=DEC_BODY),
    ("GET", "/bodies/{body_id}/decisions.xlsx"): Case(page(), params=DEC_BODY),
    ("GET", "/bodies/{body_id}/decisions.pdf"): Case(page(), params=DEC_BODY),
    # -- minutes and the release register: the body's members read them, its secretariat
    # (moderators, administrators) writes them; to anyone else minutes that are not public
    # do not exist (tests/security/minutes_world.py)
    ("POST", "/meetings/{meeting_id}/minutes"): Case(
        only(*MODERATORS), params={"meeting_id": "minutes_meeting"},
        data={"preamble": "Matrix.", "confidentiality": "members"},
        why="the meeting is public: everyone else knows it, and is refused",
    ),
    ("GET", "/minutes/{minutes_id}"): Case(
        expect("404", rep="ok", focal="ok", moderator="ok", admin="ok"),
        params={"minutes_id": "minutes_draft"},
    ),
    ("POST", "/minutes/{minutes_id}/send"): Case(
        MINUTES_SECRETARIAT, params={"minutes_id": "minutes_draft"},
        data={"comments_until": "{minutes_until}"},
    ),
    ("POST", "/minutes/{minutes_id}/comments"): Case(
        {**MINUTES_SECRETARIAT, "rep": "ok", "focal": "ok", "moderator": "403", "admin": "403"},
        params={"minutes_id": "minutes_comments"},
        data={"text": "Say that we objected.", "organisation_id": "{org_workers}",
              "agenda_item_id": ""},
        why="member organisations comment; the secretariat reads",
    ),
    ("POST", "/minutes/{minutes_id}/approve"): Case(
        MINUTES_SECRETARIAT, params={"minutes_id": "minutes_comments"},
        data={"approval": "written"},
    ),
    ("POST", "/minutes/{minutes_id}/publish"): Case(
        MINUTES_SECRETARIAT, params={"minutes_id": "minutes_approved"}
    ),
    ("POST", "/minutes/{minutes_id}/correct"): Case(
        MINUTES_SECRETARIAT, params={"minutes_id": "minutes_published"}
    ),
    ("GET", "/bodies/{body_id}/releases"): Case(
        {**only("rep", "focal", *MODERATORS, refused="404")}, params={"body_id": "minutes_body"}
    ),
    ("POST", "/releases/{kind}/{row_id}"): Case(
        MINUTES_SECRETARIAT, params={"kind": "release_kind", "row_id": "minutes_published"}
    ),
    # -- search ------------------------------------------------------------------------------
    # a word of the world's comment ("A government comment."): a page with results and names
    ("GET", "/search"): Case(page(), path="/search?q=comment"),
    # -- static files ------------------------------------------------------------------------
    ("GET", "/static"): Case(public(), path="/static/style.css"),
}
# fmt: on


def outcome(response: Any) -> str:
    status = response.status_code
    location = response.headers.get("location", "")
    if status in (302, 303, 307) and location.startswith("/login?next="):
        return "login"
    if 200 <= status < 400:
        return "ok"
    return str(status)


def fill(value: Any, world: Any) -> Any:
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    replacements = {
        "{plain_email}": world.people["plain"].email,
        "{password}": factories.PASSWORD,
        "{invitation_token}": world.invitation_token,
        "{future}": days_ahead(),
        **{f"{{{key}}}": str(v) for key, v in world.ids.items()},
        **{f"{{{key}}}": str(person.id) for key, person in world.people.items()},
    }
    return replacements.get(value, value)


def concrete_path(template: str, case: Case, world: Any) -> str:
    if case.path:
        return case.path
    params = {**DEFAULT_PARAMS, **case.params}
    path = template.replace("{token}", world.invitation_token).replace("{fmt}", case.fmt)
    for name, key in params.items():
        path = path.replace(f"{{{name}}}", str(world.ids[key]))
    assert "{" not in path, f"no value for a parameter of {template}"
    return path


def request(
    client: Any, method: str, path: str, data: dict[str, Any], files: dict[str, Any] | None = None
) -> Any:
    """The request, leaving the browser's cookies as they were (signing in or out, or changing
    the password, gives it another session)."""
    saved = dict(client.cookies.items())
    try:
        if method == "GET":
            return client.get(path)
        if files:
            return client.submit(path, data, files=files)
        return client.submit(path, data)
    finally:
        client.cookies.clear()
        for name, value in saved.items():
            client.cookies.set(name, value)


def test_every_route_is_in_the_table(client):
    routes = set(app_routes(client.app.fastapi_app))
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert not missing, (
        "routes without an entry in the authorisation table "
        f"(tests/security/test_authorisation_matrix.py): {missing}"
    )
    assert not stale, f"table entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(role, make_client, db, settings):
    world = build(db, settings)
    client = clients_for(world, make_client, db, (role,))[role]
    routes = set(app_routes(client.app.fastapi_app))
    mismatches = []
    for (method, template), case in TABLE.items():
        if (method, template) not in routes:
            continue  # reported by test_every_route_is_in_the_table
        path = concrete_path(template, case, world)
        data = {k: fill(v, world) for k, v in case.data.items()}
        with undone(db):
            try:
                got = outcome(request(client, method, path, data, case.files))
            except Exception as error:  # noqa: BLE001 - a crash is a finding, reported below
                got = f"500 ({type(error).__name__}: {error})"
        wanted = case.expected[role]
        if got not in PASSED.get(wanted, {wanted}):
            mismatches.append(f"{method} {template} ({path}): expected {wanted}, got {got}")
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)


#: Ids that exist but do not belong where the path puts them (another round's comment, another
#: organisation's mandate...): (role, method, path with World.ids keys, form data, refusals).
REFUSED = ("403", "404")
REFUSED_AS_INVALID = ("403", "404", "422")  # "not in this round": the form refused
CROSSED = [
    (
        "moderator",
        "POST",
        "/rounds/{round}/comments/{elsewhere_comment}/hide",
        {"reason_code": "off_topic"},
        REFUSED,
    ),
    ("moderator", "POST", "/rounds/{round}/comments/{elsewhere_comment}/lock", {}, REFUSED),
    (
        "rep",
        "POST",
        "/rounds/{round}/comments/{elsewhere_comment}/edit",
        {"body": "Moved."},
        REFUSED,
    ),
    ("rep", "GET", "/rounds/{round}/comments/{elsewhere_comment}/edit", {}, REFUSED),
    (
        "focal",
        "POST",
        "/rounds/{round}/comments/{elsewhere_comment}/replies",
        {"body": "Hi."},
        REFUSED_AS_INVALID,
    ),
    (
        "focal",
        "POST",
        "/rounds/{round}/comments/{elsewhere_comment}/flag",
        {"reason": "Spam."},
        REFUSED,
    ),
    ("rep", "GET", "/rounds/{round}/positions/{closed_position}/history", {}, REFUSED),
    ("rep", "GET", "/rounds/{round}/positions/{closed_position}/comment", {}, REFUSED),
    (
        "rep",
        "POST",
        "/rounds/{round}/comments",
        {"body": "On it.", "position_id": "{closed_position}"},
        REFUSED_AS_INVALID,
    ),
    (
        "focal",
        "POST",
        "/organisations/{organisation}/mandates/{outsider_mandate}/revoke",
        {"reason": "Not ours."},
        REFUSED,
    ),
    (
        "focal",
        "POST",
        "/organisations/{outsider_org}/mandates/{outsider_mandate}/revoke",
        {"reason": "Not ours."},
        REFUSED,
    ),
    ("focal", "POST", "/invitations/{outsider_invitation}/cancel", {}, REFUSED),
    (
        "focal",
        "POST",
        "/organisations/{outsider_org}/invitations",
        {"name": "Eve", "email": "eve@test.example", "role": "focal_point"},
        REFUSED,
    ),
    # a paragraph or an amendment of the open round named in another round
    ("rep", "POST", "/rounds/{closed}/paragraphs/{paragraph}/amendments", {"text": "X."}, REFUSED),
    ("focal", "POST", "/rounds/{closed}/amendments/{amendment}/support", {}, REFUSED),
    ("rep", "POST", "/rounds/{draft}/amendments/{amendment}/support", {}, REFUSED),
    ("rep", "GET", "/rounds/{draft}", {}, REFUSED),
    ("rep", "GET", "/rounds/{draft}/summary", {}, REFUSED),
    ("token", "GET", "/api/v1/rounds/{draft}", {}, REFUSED),
    # a caucus's file to anyone outside the caucus, a draft round's to anyone but moderators
    ("employers_rep", "GET", "/attachments/{caucus_attachment}", {}, ("404",)),
    ("other_rep", "GET", "/attachments/{caucus_attachment}/versions/1", {}, ("404",)),
    ("moderator", "GET", "/attachments/{caucus_attachment}", {}, ("404",)),
    ("observer", "GET", "/attachments/{caucus_attachment}", {}, ("404",)),
    ("admin", "GET", "/attachments/{caucus_attachment}", {}, ("404",)),
    ("rep", "GET", "/attachments/{draft_attachment}", {}, ("404",)),
    ("observer", "GET", "/attachments/{draft_attachment}", {}, ("404",)),
    ("employers_rep", "POST", "/attachments/{caucus_attachment}/versions", {}, ("404",)),
    # another group's caucus, or this caucus's statement named in another round
    ("rep", "GET", "/rounds/{round}/caucus/employers", {}, ("404",)),
    ("focal", "POST", "/rounds/{round}/caucus/government/posts", {"body": "Hi."}, ("404",)),
    (
        "rep",
        "POST",
        "/rounds/{closed}/caucus/workers/statement/publish",
        {"statement_id": "{statement}"},
        REFUSED_AS_INVALID + ("409",),
    ),
]


def test_ids_that_belong_elsewhere_name_nothing(make_client, db, settings):
    """Changing an id in the address never reaches another round's or organisation's things
    (nor a draft round, before it is announced), and writes nothing."""
    from tests.security.test_csrf import changed, snapshot

    world = build(db, settings)
    clients = clients_for(world, make_client, db, tuple(sorted({c[0] for c in CROSSED})))
    before = snapshot(db)
    wrong = []
    for role, method, template, data, refusals in CROSSED:
        path = template.format(**world.ids)
        form = {k: v.format(**world.ids) for k, v in data.items()}
        got = outcome(request(clients[role], method, path, form))
        if got not in refusals:
            wrong.append(f"{method} {path} ({template}) as {role}: {got}")
        written = changed(before, snapshot(db))
        # a refused moderator action is itself recorded; a token's use is noted on it
        if set(written) - {"audit_events", "api_tokens"}:
            wrong.append(f"{method} {template} as {role} wrote to {written}")
            before = snapshot(db)
    assert not wrong, "\n".join(wrong)
