"""Once a round is closed, its record stands: no participant's write can change it.

Every POST route about a round (found in the application's route table) is classified below:
a participant's write, refused in every status after open; the spokespeople's sign-off, the
one participant act between the close and the publication; a moderator's explicit action
(recorded in the audit log, tested elsewhere); or what is not the round's record. A route the
table does not classify fails the suite, by name.

Then, for each status after open (closed, signing off, published, and open past its deadline),
each invited participant — the three groups' representatives, a spokesperson, a second
organisation of the same group — sends every participant write, with the data that would
work in an open round (flags on one comment from every organisation: enough to hide it, were
flags taken). Each is refused with a 409 saying why; nothing in the database changes; the
summary's fingerprint is the same; and no flag link or form is offered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.caucus.models import (
    CaucusInvitation,
    CaucusPost,
    GroupStatement,
    GroupStatementEndorsement,
)
from app.comments.models import Comment, Flag
from app.db import utcnow
from app.documents.models import Attachment
from app.drafts.models import Amendment, AmendmentSupport
from app.positions.models import Position
from app.rounds.models import GroupSignoff, Round, RoundInvitation
from app.summaries.service import load_header, load_record
from app.summaries.summary import fingerprint
from app.vocabulary import Group, MandateRole, RoundStatus
from tests import factories
from tests.conftest import text_of
from tests.helpers import soup
from tests.security.world import app_routes
from tests.word_files import docx_with

MARK = f"zq{uuid.uuid4().hex[:10]}late"

#: Participants' writes: each refused (409) once the round is no longer open. The value: the
#: form each participant sends (``{own}``: the participant's own comment, ``{other}``: someone
#: else's, ``{group}``: their group, ``{statement}``: their group's draft statement).
PARTICIPANT_WRITES: dict[str, dict[str, str]] = {
    "/rounds/{round_id}/comments": {"body": MARK},
    "/rounds/{round_id}/comments/{comment_id}/replies": {"comment_id": "{other}", "body": MARK},
    "/rounds/{round_id}/comments/{comment_id}/edit": {"comment_id": "{own}", "body": MARK},
    "/rounds/{round_id}/comments/{comment_id}/flag": {"comment_id": "{target}", "reason": MARK},
    "/rounds/{round_id}/positions": {"stance": "oppose", "statement": MARK, "base_version": "1"},
    "/rounds/{round_id}/paragraphs/{paragraph_id}/amendments": {"text": MARK},
    "/rounds/{round_id}/amendments/{amendment_id}/support": {},
    "/rounds/{round_id}/caucus/{group}/posts": {"body": MARK},
    "/rounds/{round_id}/caucus/{group}/statement": {"statement_id": "{statement}", "text": MARK},
    "/rounds/{round_id}/caucus/{group}/statement/endorse": {
        "statement_id": "{statement}",
        "action": "endorse",
    },
    "/rounds/{round_id}/caucus/{group}/statement/publish": {"statement_id": "{statement}"},
}
#: Participants' files (sent with a file, as the form does): a position paper, and a file of
#: their group's caucus; refused (409) like every other participant write.
PARTICIPANT_UPLOADS: dict[str, list[dict[str, str]]] = {
    "/rounds/{round_id}/attachments": [
        {"title": MARK, "place": "position", "language": "en"},
        {"title": MARK, "place": "caucus", "language": "en"},
    ],
}
#: The file they send.
WORD_FILE = {"file": ("late.docx", docx_with(MARK), "application/octet-stream")}
#: The spokespeople confirm the draft outcome or file a reservation between the close and the
#: publication (that is what sign-off is); refused once the round is published.
SIGN_OFF = {"/rounds/{round_id}/signoff/decision": {"decision": "reservation", "reservation": MARK}}
#: Moderators' explicit actions, each recorded in the audit log (tests/http/test_moderation.py,
#: tests/http/test_lifecycle.py and the authorisation matrix test them).
MODERATORS = {
    "/rounds/{round_id}/open",
    "/rounds/{round_id}/invitations",
    "/rounds/{round_id}/close",
    "/rounds/{round_id}/outcome",
    "/rounds/{round_id}/extend",
    "/rounds/{round_id}/reopen",
    "/rounds/{round_id}/publish",
    "/rounds/{round_id}/premoderation",
    "/rounds/{round_id}/briefs",
    "/rounds/{round_id}/briefs/language",
    "/rounds/{round_id}/signoff",
    "/rounds/{round_id}/officers",
    "/rounds/{round_id}/draft",
    "/rounds/{round_id}/draft/import",
    "/rounds/{round_id}/revise",
    "/rounds/{round_id}/comments/{comment_id}/hide",
    "/rounds/{round_id}/comments/{comment_id}/restore",
    "/rounds/{round_id}/comments/{comment_id}/approve",
    "/rounds/{round_id}/comments/{comment_id}/dismiss-flags",
    "/rounds/{round_id}/comments/{comment_id}/lock",
    "/rounds/{round_id}/comments/{comment_id}/unlock",
}
#: Not the round's record: who may read a group's caucus (private to the group).
NOT_THE_RECORD = {"/rounds/{round_id}/caucus/{group}/moderators"}

STATUSES = ("closed", "signing", "published", "past its deadline")
PARTICIPANTS = ("workers", "spokesperson", "second_union", "employers", "government")


def test_every_write_about_a_round_is_classified(client):
    posts = {
        path
        for method, path in app_routes(client.app.fastapi_app)
        if method == "POST" and path.startswith("/rounds/")
    }
    classified = {
        *PARTICIPANT_WRITES,
        *PARTICIPANT_UPLOADS,
        *SIGN_OFF,
        *MODERATORS,
        *NOT_THE_RECORD,
    }
    assert posts - classified == set(), "classify these routes in this file"
    assert classified - posts == set(), "these routes are gone: remove them from this file"


@dataclass
class Closed:
    round_id: int
    ids: dict[str, int]
    people: dict[str, Any]
    groups: dict[str, Group]


def closed_round(db: Session, status: str) -> Closed:
    """A round with everything a participant could write to, in the given status."""
    now = utcnow()
    orgs = {g: factories.organisation(db, g) for g in Group}
    second = factories.organisation(db, Group.WORKERS)
    people = {
        "workers": factories.member(db, orgs[Group.WORKERS]),
        "spokesperson": factories.member(db, orgs[Group.WORKERS], MandateRole.FOCAL_POINT),
        "second_union": factories.member(db, second),
        "employers": factories.member(db, orgs[Group.EMPLOYERS], MandateRole.FOCAL_POINT),
        "government": factories.member(db, orgs[Group.GOVERNMENT], MandateRole.FOCAL_POINT),
    }
    org_of = {
        "workers": orgs[Group.WORKERS],
        "spokesperson": orgs[Group.WORKERS],
        "second_union": second,
        "employers": orgs[Group.EMPLOYERS],
        "government": orgs[Group.GOVERNMENT],
    }
    round_ = factories.consultation_round(
        db, [*orgs.values(), second], opens_at=now - timedelta(days=9)
    )
    for group, org in orgs.items():
        factories.position(db, round_, org, people[group.value])
    ids: dict[str, int] = {}
    # the comment everyone else flags (enough organisations to hide it, were flags taken)
    target = factories.comment(db, round_, people["government"], orgs[Group.GOVERNMENT], "Hi.")
    ids["target"] = target.id
    ids["target_of_government"] = factories.comment(
        db, round_, people["workers"], orgs[Group.WORKERS], "Hello."
    ).id
    for name, person in people.items():  # posted moments ago: editable, were it open
        ids[f"own_{name}"] = factories.comment(db, round_, person, org_of[name], "Mine.").id
    paragraph = factories.draft(db, round_)[0]
    ids["paragraph"] = paragraph.id
    ids["amendment"] = factories.amendment(
        db, paragraph, orgs[Group.GOVERNMENT], people["government"]
    ).id
    for group in Group:
        person = people[group.value]
        factories.caucus_post(db, round_, person, orgs[group], "Between us.")
        statement = factories.group_statement(db, round_, group, person, "Our draft.")
        ids[f"statement_{group.value}"] = statement.id
    if status == "past its deadline":  # still "open" in the database: the clock closed it
        round_.closes_at = now - timedelta(minutes=1)
    else:
        round_.status = (
            RoundStatus.PUBLISHED if status == "published" else RoundStatus.CLOSED
        ).value
        round_.closes_at = round_.closed_at = now - timedelta(days=1)
        round_.outcome = "The groups agreed on portability."
    if status == "published":
        round_.published_at = now
    if status in ("signing", "published"):
        round_.signoff_deadline = now + timedelta(days=3)
        spokespeople = {
            Group.WORKERS: people["spokesperson"],
            Group.EMPLOYERS: people["employers"],
            Group.GOVERNMENT: people["government"],
        }
        db.add_all(
            GroupSignoff(
                round_id=round_.id,
                group_name=group.value,
                spokesperson_id=spokespeople[group].id,
                organisation_id=orgs[group].id,
                status="requested" if status == "signing" else "confirmed",
                decided_at=None if status == "signing" else now,
            )
            for group in Group
        )
    db.flush()
    groups = {name: Group(org.group_name) for name, org in org_of.items()}
    return Closed(round_.id, ids, people, groups)


def snapshot(db: Session, round_id: int) -> dict[str, Any]:
    """Everything participants write about the round, and the summary's fingerprint."""
    db.expire_all()

    def rows(*columns: Any, where: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in db.execute(select(*columns).where(where).order_by(columns[0]))]

    comments = select(Comment.id).where(Comment.round_id == round_id)
    statements = select(GroupStatement.id).where(GroupStatement.round_id == round_id)
    amendments = select(Amendment.id).where(Amendment.round_id == round_id)
    return {
        "fingerprint": fingerprint(load_record(db, load_header(db, round_id))),
        "round": rows(Round.id, Round.version, Round.status, where=Round.id == round_id),
        "comments": rows(
            Comment.id,
            Comment.body,
            Comment.visibility,
            Comment.moderation_reason,
            Comment.edited_at,
            where=Comment.round_id == round_id,
        ),
        "flags": rows(Flag.id, where=Flag.comment_id.in_(comments)),
        "positions": rows(
            Position.id, Position.version, Position.statement, where=Position.round_id == round_id
        ),
        "amendments": rows(Amendment.id, Amendment.text, where=Amendment.round_id == round_id),
        "supports": rows(AmendmentSupport.id, where=AmendmentSupport.amendment_id.in_(amendments)),
        "caucus posts": rows(CaucusPost.id, where=CaucusPost.round_id == round_id),
        "statements": rows(
            GroupStatement.id,
            GroupStatement.text,
            GroupStatement.published_at,
            where=GroupStatement.round_id == round_id,
        ),
        "endorsements": rows(
            GroupStatementEndorsement.id,
            where=GroupStatementEndorsement.statement_id.in_(statements),
        ),
        "signoffs": rows(
            GroupSignoff.id,
            GroupSignoff.status,
            GroupSignoff.reservation,
            where=GroupSignoff.round_id == round_id,
        ),
        "invitations": rows(RoundInvitation.id, where=RoundInvitation.round_id == round_id),
        "caucus invitations": rows(
            CaucusInvitation.id, where=CaucusInvitation.round_id == round_id
        ),
        "attachments": rows(Attachment.id, Attachment.title, where=Attachment.round_id == round_id),
    }


def request_for(
    world: Closed, template: str, form: dict[str, str], name: str
) -> tuple[str, dict[str, str]]:
    """The address and form a participant sends (their own comment, their group's caucus...)."""
    group = world.groups[name]
    values = {
        "{own}": str(world.ids[f"own_{name}"]),
        "{other}": str(world.ids["target"]),
        "{target}": str(world.ids["target_of_government" if name == "government" else "target"]),
        "{statement}": str(world.ids[f"statement_{group.value}"]),
    }
    data = {key: values.get(value, value) for key, value in form.items()}
    params = {
        "round_id": str(world.round_id),
        "comment_id": data.pop("comment_id", ""),
        "paragraph_id": str(world.ids["paragraph"]),
        "amendment_id": str(world.ids["amendment"]),
        "group": group.value,
    }
    path = template
    for key, value in params.items():
        path = path.replace(f"{{{key}}}", value)
    assert "{" not in path, path
    return path, data


Submit = Callable[[str, dict[str, str]], Any]


@pytest.mark.parametrize("status", STATUSES)
def test_no_participant_write_changes_the_record_once_the_round_is_closed(make_client, db, status):
    world = closed_round(db, status)
    browsers = {name: factories.signed_in(make_client, db, p) for name, p in world.people.items()}
    before = snapshot(db, world.round_id)
    writes = dict(PARTICIPANT_WRITES)
    if status != "signing":
        writes.update(SIGN_OFF)
    sent = [(template, form, {}) for template, form in writes.items()] + [
        (template, form, WORD_FILE)
        for template, forms in PARTICIPANT_UPLOADS.items()
        for form in forms
    ]
    wrong = []
    for template, form, files in sent:
        for name, browser in browsers.items():
            path, data = request_for(world, template, form, name)
            for headers in ({}, {"HX-Request": "true"}):
                with_files = {"files": files} if files else {}
                response = browser.submit(path, data, headers=headers, **with_files)
                expected = 409
                if template in SIGN_OFF and status == "closed":
                    expected = 403  # no sign-off was asked for: nobody is a spokesperson
                if response.status_code != expected:
                    what = f"{template} {data.get('place', '')}".strip()
                    wrong.append(f"{what} as {name} {headers}: {response.status_code}")
                elif not text_of(response.text):
                    wrong.append(f"{template} as {name} {headers}: no message")
    after = snapshot(db, world.round_id)
    assert after["fingerprint"] == before["fingerprint"]
    assert not wrong, "\n".join(wrong)
    assert after == before
    # and the flag is not offered: no link on the page, no form at its address
    flag = f"/rounds/{world.round_id}/comments/{world.ids['target']}/flag"
    for name in ("workers", "employers"):
        page = soup(browsers[name].get(f"/rounds/{world.round_id}").text)
        assert page.select_one('a[href$="/flag"]') is None, name
        form = browsers[name].get(flag)
        assert form.status_code == 409
        assert "can no longer be flagged" in text_of(form.text)
