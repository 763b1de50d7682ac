"""A control is offered only when its action succeeds, and what is not offered is refused.

For each role and each state of a round, the round page is read as that person, with the action
pages it links to (the close page, a reply form, the caucus, ...); every form found there
(action and method) is an offered control. Then, against the same world (each request's writes
undone, tests/security/world.py):

- every offered control's action is accepted by the server, submitted with the form's own
  values (plausible data where the person would type something);
- every POST route about a round (from the application's route table) that the pages do not
  offer for its natural target (a hidden comment for "restore", a flagged one for "dismiss
  flags", ...) is refused: 403, 404 or 409. A hidden button is not a permission, and a shown
  button is a promise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from app.comments.models import Flag
from app.db import utcnow
from app.rounds.models import GroupSignoff, Round
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus, Visibility
from tests import factories
from tests.helpers import days_ahead, soup
from tests.security.world import app_routes, undone
from tests.word_files import docx_with

pytestmark = pytest.mark.usefixtures("cheap_passwords")

ROLES = ("rep", "focal", "moderator", "admin", "observer")
STATES = (
    "draft",
    "open",
    "deadline passed",
    "closed early",
    "signing off",
    "signed off",
    "published",
)
ACCEPTED = {"ok"}
REFUSED = {"403", "404", "409", "410"}


@dataclass
class Place:
    """One round in one state, and the natural target of each kind of path parameter."""

    round_id: int
    targets: dict[str, dict[str, str]]  # route template -> path parameter -> value


@dataclass
class World:
    people: dict[str, Any]
    orgs: dict[Group, Any]
    places: dict[str, Place]


def _round(db: Session, world_orgs: dict[Group, Any], state: str) -> Round:
    now = utcnow()
    invited = list(world_orgs.values())
    if state == "draft":
        return factories.consultation_round(db, invited, status=RoundStatus.DRAFT)
    if state == "open":
        return factories.consultation_round(db, invited)
    past = {"opens_at": now - timedelta(days=9), "closes_at": now - timedelta(hours=1)}
    if state == "deadline passed":
        return factories.consultation_round(db, invited, **past)
    status = RoundStatus.PUBLISHED if state == "published" else RoundStatus.CLOSED
    round_ = factories.consultation_round(db, invited, status=status, **past)
    round_.outcome = "The groups agreed on portability."
    round_.closed_at = past["closes_at"]
    if state == "closed early":
        round_.deadline_before_close = now + timedelta(days=6)
    if state == "published":
        round_.published_at = now
    return round_


def _signoffs(
    db: Session, round_: Round, people: dict[str, Any], orgs: dict[Group, Any], state: str
) -> None:
    if state not in ("signing off", "signed off", "published"):
        return
    round_.signoff_deadline = utcnow() + timedelta(days=3)
    spokespeople = {
        Group.GOVERNMENT: people["government_rep"],
        Group.WORKERS: people["focal"],
        Group.EMPLOYERS: people["employers_rep"],
    }
    waiting = Group.WORKERS if state == "signing off" else None
    db.add_all(
        GroupSignoff(
            round_id=round_.id,
            group_name=group.value,
            spokesperson_id=spokespeople[group].id,
            organisation_id=orgs[group].id,
            status="requested" if group is waiting else "confirmed",
            decided_at=None if group is waiting else utcnow(),
        )
        for group in Group
    )


def _place(db: Session, people: dict[str, Any], orgs: dict[Group, Any], state: str) -> Place:
    round_ = _round(db, orgs, state)
    _signoffs(db, round_, people, orgs, state)
    workers = (people["rep"], orgs[Group.WORKERS])
    government = (people["government_rep"], orgs[Group.GOVERNMENT])
    factories.position(db, round_, orgs[Group.GOVERNMENT], people["government_rep"])
    comment = factories.comment(db, round_, *government, "A government comment.")
    own = factories.comment(db, round_, *workers, "Mine.")
    hidden = factories.comment(db, round_, *government, "Hidden.")
    hidden.visibility = Visibility.HIDDEN.value
    hidden.moderated_by_id = people["moderator"].id
    hidden.moderated_at = utcnow()
    hidden.moderation_reason = "Off topic"
    pending = factories.comment(db, round_, *government, "Pending.")
    pending.visibility = Visibility.PENDING.value
    flagged = factories.comment(db, round_, *government, "Flagged.")
    db.add(
        Flag(
            comment_id=flagged.id,
            reporter_id=people["employers_rep"].id,
            organisation_id=orgs[Group.EMPLOYERS].id,
            reason="Off topic.",
        )
    )
    locked = factories.comment(db, round_, *government, "Locked.")
    locked.locked = True
    paragraph = factories.draft(db, round_)[0]
    amendment = factories.amendment(db, paragraph, orgs[Group.GOVERNMENT], people["government_rep"])
    statement = factories.group_statement(db, round_, Group.WORKERS, people["rep"], "Our draft.")
    db.flush()
    by_comment = {
        "hide": comment.id,
        "restore": hidden.id,
        "approve": pending.id,
        "dismiss-flags": flagged.id,
        "lock": comment.id,
        "unlock": locked.id,
        "flag": comment.id,
        "replies": comment.id,
        "edit": own.id,
    }
    targets: dict[str, dict[str, str]] = {}
    for verb, comment_id in by_comment.items():
        template = f"/rounds/{{round_id}}/comments/{{comment_id}}/{verb}"
        targets[template] = {"comment_id": str(comment_id)}
    common = {
        "paragraph_id": str(paragraph.id),
        "amendment_id": str(amendment.id),
        "group": Group.WORKERS.value,
        "statement": str(statement.id),
    }
    targets["*"] = common
    return Place(round_.id, targets)


def build(db: Session) -> World:
    orgs = {g: factories.organisation(db, g) for g in Group}
    member = factories.member
    people: dict[str, Any] = {
        "rep": member(db, orgs[Group.WORKERS]),
        "focal": member(db, orgs[Group.WORKERS], MandateRole.FOCAL_POINT),
        "government_rep": member(db, orgs[Group.GOVERNMENT], MandateRole.FOCAL_POINT),
        "employers_rep": member(db, orgs[Group.EMPLOYERS], MandateRole.FOCAL_POINT),
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
        "admin": factories.user(db, platform_role=PlatformRole.ADMIN),
    }
    places = {state: _place(db, people, orgs, state) for state in STATES}
    db.commit()
    return World(people, orgs, places)


def plausible(world: World, place: Place) -> dict[str, dict[str, Any]]:
    """What a person would type into each action's form (a form's own values come first)."""
    future = days_ahead(30)  # later than any deadline of the world
    people, orgs = world.people, world.orgs
    statement = place.targets["*"]["statement"]
    caucus = "/rounds/{round_id}/caucus/{group}"
    return {
        "/rounds/{round_id}/invitations": {"organisations": [str(o.id) for o in orgs.values()]},
        "/rounds/{round_id}/positions": {"stance": "support", "statement": "Yes."},
        "/rounds/{round_id}/comments": {"body": "A comment."},
        "/rounds/{round_id}/comments/{comment_id}/replies": {"body": "A reply."},
        "/rounds/{round_id}/comments/{comment_id}/edit": {"body": "Mine, edited."},
        "/rounds/{round_id}/comments/{comment_id}/flag": {"reason": "Off topic."},
        "/rounds/{round_id}/comments/{comment_id}/hide": {"reason_code": "off_topic"},
        "/rounds/{round_id}/close": {"outcome": "Agreed."},
        "/rounds/{round_id}/outcome": {"outcome": "Revised."},
        "/rounds/{round_id}/extend": {"closes_at": future, "reason": "More time."},
        "/rounds/{round_id}/reopen": {"closes_at": future, "reason": "A group asked."},
        "/rounds/{round_id}/premoderation": {"on": "1"},
        "/rounds/{round_id}/briefs": {"language": "es", "brief": "Nota informativa."},
        "/rounds/{round_id}/briefs/language": {"original_language": "fr"},
        "/rounds/{round_id}/signoff": {
            "signoff_deadline": future,
            "spokesperson_government": str(people["government_rep"].id),
            "spokesperson_workers": str(people["focal"].id),
            "spokesperson_employers": str(people["employers_rep"].id),
        },
        "/rounds/{round_id}/signoff/decision": {"decision": "confirm"},
        f"{caucus}/posts": {"body": "Between us."},
        f"{caucus}/moderators": {"invite": "1"},
        f"{caucus}/statement": {"statement_id": statement, "text": "Our text."},
        f"{caucus}/statement/endorse": {"statement_id": statement, "action": "endorse"},
        f"{caucus}/statement/publish": {"statement_id": statement},
        "/rounds/{round_id}/officers": {
            "chair_user": str(people["government_rep"].id),
            "vice_chair_employers": str(people["employers_rep"].id),
            "vice_chair_workers": str(people["rep"].id),
            "social_partners_first": "1",
        },
        "/rounds/{round_id}/draft": {"text": "One.\n\nTwo."},
        # a document (where it goes: the form's own first choice; see also NOT_OFFERED)
        "/rounds/{round_id}/attachments": {"title": "A study", "language": "en"},
        "/rounds/{round_id}/paragraphs/{paragraph_id}/amendments": {"text": "A better one."},
        "/rounds/{round_id}/revise": {
            "title": "Round two",
            "brief": "Revised.",
            "closes_at": future,
            "paragraphs": ["One.", "Two."],
        },
    }


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$")


class RouteTable:
    def __init__(self, app: Any) -> None:
        routes = app_routes(app)
        self.posts = [t for m, t in routes if m == "POST" and t.startswith("/rounds/{round_id}")]
        self.gets = [t for m, t in routes if m == "GET" and t.startswith("/rounds/{round_id}")]
        self._post = [(t, _pattern(t)) for t in self.posts]
        self._get = [(t, _pattern(t)) for t in self.gets]

    def post_template(self, path: str) -> str | None:
        return next((t for t, p in self._post if p.match(path)), None)

    def get_template(self, path: str) -> str | None:
        return next((t for t, p in self._get if p.match(path)), None)


def outcome(response: Any) -> str:
    location = response.headers.get("location", "")
    if response.status_code in (302, 303, 307) and location.startswith("/login?next="):
        return "login"
    return "ok" if 200 <= response.status_code < 400 else str(response.status_code)


@dataclass
class Offered:
    path: str
    fields: dict[str, Any]
    #: The form has a file field: it is sent with a file (a small Word file), as chosen.
    takes_file: bool = False


#: What a person chooses in a form's file field.
WORD_FILE = {"file": ("paper.docx", docx_with("One.", "Two."), "application/octet-stream")}
#: The actions that take a file: refused or not, they are sent one (a refusal is then about
#: who asks, not about a missing file).
FILE_ACTIONS = {"/rounds/{round_id}/attachments", "/rounds/{round_id}/draft/import"}
#: What a person would choose in a form they were not offered (where a document goes: the
#: round's documents).
NOT_OFFERED = {"/rounds/{round_id}/attachments": {"place": "round"}}


def _put(fields: dict[str, Any], name: str, value: str) -> None:
    """A field's value; a name sent several times (checkboxes, paragraphs) becomes a list."""
    if name in fields:
        old = fields[name]
        fields[name] = [*old, value] if isinstance(old, list) else [old, value]
    else:
        fields[name] = value


def forms_on(html: str, page_path: str) -> list[Offered]:
    """Every POST form of a page: its action's path and the values it would send."""
    found = []
    for form in soup(html).find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        path = urlsplit(form.get("action") or page_path).path
        fields: dict[str, Any] = {}
        put = partial(_put, fields)
        takes_file = False
        for element in form.find_all(["input", "select", "textarea"]):
            name = element.get("name")
            if not name or name == "csrftoken" or element.has_attr("disabled"):
                continue
            kind = (element.get("type") or "text").lower()
            if element.name == "select":
                options = element.find_all("option")
                chosen = next((o for o in options if o.has_attr("selected")), None)
                chosen = chosen or (options[0] if options else None)
                put(name, chosen.get("value", chosen.text) if chosen else "")
            elif element.name == "textarea":
                put(name, element.text)
            elif kind == "file":
                takes_file = True
            elif kind in ("checkbox", "radio"):
                if element.has_attr("checked"):
                    put(name, element.get("value", "on"))
            elif kind not in ("submit", "button"):
                put(name, element.get("value", ""))
        disabled = any(b.has_attr("disabled") for b in form.find_all("button"))
        if not disabled:
            found.append(Offered(path, fields, takes_file))
    return found


def links_on(html: str, round_path: str) -> list[str]:
    """The round's own action pages a page links to (not the page itself or downloads)."""
    paths = []
    for a in soup(html).find_all("a", href=True):
        parts = urlsplit(a["href"])
        if parts.path.startswith(round_path + "/") and not parts.query:
            paths.append(parts.path)
    return list(dict.fromkeys(paths))


SKIPPED_PAGES = ("/summary", "/live", "/history")


def offered_controls(client: Any, routes: RouteTable, round_id: int) -> dict[str, list[Offered]]:
    """What the round page offers, with the forms of the action pages it links to (one page
    per kind of link), by route template."""
    round_path = f"/rounds/{round_id}"
    page = client.get(round_path)
    offered: dict[str, list[Offered]] = {}
    if page.status_code != 200:
        return offered
    forms = forms_on(page.text, round_path)
    seen_templates: set[str] = set()
    for link in links_on(page.text, round_path):
        template = routes.get_template(link)
        if template is None or template in seen_templates or link.endswith(SKIPPED_PAGES):
            continue
        seen_templates.add(template)
        linked = client.get(link)
        assert linked.status_code == 200, f"offered link {link} answers {linked.status_code}"
        forms += forms_on(linked.text, link)
    for form in forms:
        template = routes.post_template(form.path)
        if template is not None and form.path.startswith(round_path + "/"):
            offered.setdefault(template, []).append(form)
    return offered


def natural_path(template: str, place: Place) -> str:
    params = {"round_id": str(place.round_id), **place.targets["*"]}
    params.update(place.targets.get(template, {}))
    path = template
    for name, value in params.items():
        path = path.replace(f"{{{name}}}", value)
    assert "{" not in path, f"no natural target for {template}"
    return path


def submit(
    client: Any, db: Session, path: str, data: dict[str, Any], *, with_file: bool = False
) -> str:
    files = {"files": WORD_FILE} if with_file else {}
    with undone(db):
        try:
            return outcome(client.submit(path, data, **files))
        except Exception as error:  # noqa: BLE001 - a crash is a finding, reported below
            return f"500 ({type(error).__name__}: {error})"


def check(role: str, make_client: Any, db: Session) -> list[str]:
    world = build(db)
    client = factories.signed_in(make_client, db, world.people[role])
    db.commit()
    routes = RouteTable(client.app.fastapi_app)
    wrong: list[str] = []
    for state, place in world.places.items():
        typed = plausible(world, place)
        with undone(db):
            offered = offered_controls(client, routes, place.round_id)
        for template in routes.posts:
            natural = natural_path(template, place)
            forms = list({f.path: f for f in offered.get(template, [])}.values())
            for form in forms:  # each comment, paragraph... it is offered for
                # the form's own values, and what the person types into it
                data = {k: v for k, v in form.fields.items() if v not in ("", [])}
                data.update(typed.get(template, {}))
                got = submit(client, db, form.path, data, with_file=form.takes_file)
                if got not in ACCEPTED:
                    wrong.append(f"{state}: offered {form.path} ({template}) answers {got}")
            if natural not in {f.path for f in forms}:
                got = submit(
                    client,
                    db,
                    natural,
                    {**typed.get(template, {}), **NOT_OFFERED.get(template, {})},
                    with_file=template in FILE_ACTIONS,
                )
                if got not in REFUSED:
                    wrong.append(f"{state}: not offered {natural} ({template}) answers {got}")
    return wrong


@pytest.mark.parametrize("role", ROLES)
def test_offered_controls_work_and_the_others_are_refused(role, make_client, db):
    wrong = check(role, make_client, db)
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
