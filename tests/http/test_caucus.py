"""A group's caucus: messages, the moderators' invitation, and the group statement drafted,
endorsed and published there (with and without htmx), on both databases. What never leaks
out of a caucus is tested from every role in tests/security/test_caucus_isolation.py."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.caucus.models import (
    CaucusInvitation,
    CaucusPost,
    GroupStatement,
    GroupStatementEndorsement,
)
from app.caucus.rules import fingerprint
from app.db import utcnow
from app.notifications.models import Notification
from app.organisations.models import Organisation
from app.rounds.models import Round, RoundInvitation
from app.vocabulary import Group, PlatformRole, RoundStatus
from tests import factories
from tests.conftest import text_of
from tests.helpers import HTMX, counted_queries, soup


@dataclass
class CaucusWorld:
    round: Round
    orgs: dict[Group, Organisation]
    reps: dict[Group, object]
    second_union: Organisation
    second_unionist: object
    outsider: object  # a workers' representative whose union is not invited

    def url(self, group=Group.WORKERS, rest=""):
        return f"/rounds/{self.round.id}/caucus/{group.value}{rest}"


def build(db, **round_options):
    round_, orgs, reps = factories.three_groups_round(db, **round_options)
    n = next(factories._ids)
    second_union = factories.organisation(db, Group.WORKERS, name=f"Second Union {n}")
    db.add(RoundInvitation(round_id=round_.id, organisation_id=second_union.id))
    second = factories.member(db, second_union, name="Sam Second")
    outsider_union = factories.organisation(db, Group.WORKERS, name=f"Outside Union {n}")
    outsider = factories.member(db, outsider_union, name="Olga Outside")
    db.flush()
    return CaucusWorld(round_, orgs, reps, second_union, second, outsider)


def send(browser, world, body, **kwargs):
    return browser.submit(world.url(rest="/posts"), {"body": body}, **kwargs)


def posted_id(response):
    assert response.status_code == 303, response.text
    match = re.search(r"#caucus-post-(\d+)$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def statement_form(page_html):
    """The statement form's hidden fields as the page gives them."""
    form = soup(page_html).select_one("#statement-form")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def audit_details(db, prefix):
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix))).all()
    return [(row.action, json.loads(row.details)) for row in rows]


# -- entering --------------------------------------------------------------------------------


def test_members_enter_their_groups_caucus_and_everyone_else_is_told_there_is_none(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    page = member.get(world.url())
    assert page.status_code == 200
    assert "Workers' caucus" in text_of(page.text)
    assert "Private" in text_of(page.text)
    # the round page links to it, for members only
    round_page = soup(member.get(f"/rounds/{world.round.id}").text)
    assert round_page.select_one(f'a[href$="{world.url()}"]') is not None
    refused = {
        "employers": world.reps[Group.EMPLOYERS],
        "outside union": world.outsider,
        "moderator": factories.user(db, platform_role=PlatformRole.MODERATOR),
        "observer": factories.user(db, platform_role=PlatformRole.OBSERVER),
    }
    for who, person in refused.items():
        browser = factories.signed_in(make_client, db, person)
        assert browser.get(world.url()).status_code == 404, who
        assert world.url() not in browser.get(f"/rounds/{world.round.id}").text, who
    # an unknown group, or a round that does not exist, looks the same
    assert member.get(f"/rounds/{world.round.id}/caucus/bosses").status_code == 404
    assert member.get("/rounds/999999/caucus/workers").status_code == 404
    # without an account: sign in first (as for every page)
    anonymous = make_client().get(world.url())
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


def test_a_draft_round_has_no_caucus(make_client, db):
    world = build(db, status=RoundStatus.DRAFT)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    assert member.get(world.url()).status_code == 404


# -- messages --------------------------------------------------------------------------------


def test_posting_without_javascript_redirects_to_the_message(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    message_id = posted_id(send(member, world, "Shall we *insist* on portability?"))
    page = member.get(world.url())
    article = soup(page.text).select_one(f"#caucus-post-{message_id}")
    assert article is not None
    assert article.select_one("em").text == "insist"
    assert world.orgs[Group.WORKERS].name in text_of(str(article))
    # another member of the group reads it
    second = factories.signed_in(make_client, db, world.second_unionist)
    assert "Shall we insist on portability?" in text_of(second.get(world.url()).text)


def test_posting_with_htmx_appends_the_message_and_gives_a_fresh_form(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    response = send(member, world, "<script>alert(1)</script> Agreed.", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<script>alert(1)" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("article.caucus-post") is not None
    fresh = fragment.select_one("#caucus-post-form")
    assert fresh["hx-swap-oob"] == "true"
    assert fresh.select_one("textarea").text == ""


def test_a_refused_message_comes_back_with_the_error_beside_the_field(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    plain = send(member, world, "   ")
    assert plain.status_code == 422
    field = soup(plain.text).select_one("#caucus-post-body")
    assert field["aria-invalid"] == "true"
    assert "is required" in text_of(soup(plain.text).select_one("#caucus-post-error").text)
    too_long = send(member, world, "x" * 5_001, headers=HTMX)
    assert too_long.status_code == 422
    assert too_long.headers["HX-Retarget"] == "#caucus-post-form"
    assert "<html" not in too_long.text
    assert soup(too_long.text).select_one("textarea").text == "x" * 5_001
    assert db.scalar(select(CaucusPost.id).where(CaucusPost.round_id == world.round.id)) is None


def test_the_same_message_sent_twice_is_posted_once(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    first = posted_id(send(member, world, "Double click."))
    assert posted_id(send(member, world, "Double click.")) == first
    count = db.scalars(select(CaucusPost.id).where(CaucusPost.round_id == world.round.id)).all()
    assert count == [first]


def test_posting_is_limited_like_comments(make_client, db, settings):
    from contextlib import nullcontext

    from app.db import get_session
    from app.exports.stream import export_connections
    from app.main import asgi
    from tests.conftest import Browser

    world = build(db)
    app = asgi(settings.model_copy(update={"posting_limit": 2}))
    overrides = app.fastapi_app.dependency_overrides
    overrides[get_session] = lambda: db
    overrides[export_connections] = lambda: lambda: nullcontext(db.connection())
    with Browser(app, follow_redirects=False) as member:
        member.csrf()
        member.cookies.set(
            "tripartite_session", factories.session_cookie(db, world.reps[Group.WORKERS])
        )
        db.commit()
        posted_id(send(member, world, "One."))
        posted_id(send(member, world, "Two."))
        third = send(member, world, "Three.")
        assert third.status_code == 429
        assert int(third.headers["Retry-After"]) > 0
        assert soup(third.text).select_one("#caucus-post-body").text == "Three."


def test_new_messages_reach_the_other_members_by_polling(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    second = factories.signed_in(make_client, db, world.second_unionist)
    page = soup(second.get(world.url()).text)
    poll = page.select_one("#caucus-poller")["hx-get"]
    assert second.get(poll, headers=HTMX).status_code == 204
    posted_id(send(member, world, "Fresh news."))
    fresh = second.get(poll, headers=HTMX)
    assert fresh.status_code == 200
    assert "Fresh news." in text_of(fresh.text)
    assert 'hx-swap-oob="beforeend:#caucus-posts"' in fresh.text
    # the poller moved on; the author's own messages are not sent back to them
    after = soup(fresh.text).select_one("#caucus-poller")["hx-get"]
    assert second.get(after, headers=HTMX).status_code == 204
    assert member.get(poll, headers=HTMX).status_code == 204
    # without JavaScript, the address is the caucus page
    assert member.get(poll).status_code == 303


def test_a_closed_rounds_caucus_is_read_only(make_client, db):
    world = build(
        db,
        status=RoundStatus.CLOSED,
        opens_at=utcnow() - timedelta(days=5),
        closes_at=utcnow() - timedelta(days=1),
    )
    factories.caucus_post(db, world.round, world.reps[Group.WORKERS], world.orgs[Group.WORKERS])
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    page = member.get(world.url())
    assert page.status_code == 200
    assert soup(page.text).select_one("#caucus-post-form") is None
    assert soup(page.text).select_one("#statement-form") is None
    assert "no longer written in" in text_of(page.text)
    refused = send(member, world, "Too late.")
    assert refused.status_code == 409
    assert "no longer written in" in text_of(refused.text)


# -- the moderators' invitation --------------------------------------------------------------


def test_the_group_lets_the_moderators_read_and_can_stop(make_client, db):
    world = build(db)
    factories.caucus_post(
        db, world.round, world.reps[Group.WORKERS], world.orgs[Group.WORKERS], "Read me."
    )
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    admin = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.ADMIN)
    )
    assert moderator.get(world.url()).status_code == 404
    invited = member.submit(world.url(rest="/moderators"), {"invite": "1"})
    assert invited.status_code == 303
    for reader in (moderator, admin):
        page = reader.get(world.url())
        assert page.status_code == 200
        assert "Read me." in text_of(page.text)
        assert soup(page.text).select_one("#caucus-post-form") is None
        assert soup(page.text).select_one("form[action$='/moderators']") is None
        # reading, not writing
        assert send(reader, world, "May I?").status_code == 403
        assert reader.submit(world.url(rest="/moderators"), {"invite": "0"}).status_code == 403
        round_page = soup(reader.get(f"/rounds/{world.round.id}").text)
        assert round_page.select_one(f'a[href$="{world.url()}"]') is not None
        # the other groups' caucuses stay closed to them
        assert reader.get(world.url(Group.EMPLOYERS)).status_code == 404
    # an observer is not a moderator
    observer = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER)
    )
    assert observer.get(world.url()).status_code == 404
    assert member.submit(world.url(rest="/moderators"), {"invite": "0"}).status_code == 303
    assert moderator.get(world.url()).status_code == 404
    # and again: the same invitation comes back
    assert member.submit(world.url(rest="/moderators"), {"invite": "1"}).status_code == 303
    assert moderator.get(world.url()).status_code == 200
    # the invitation keeps who let them in; the shared audit log (read outside the group)
    # has no trace of it
    invitation = db.scalar(
        select(CaucusInvitation).where(CaucusInvitation.round_id == world.round.id)
    )
    assert invitation.invited_by_id == world.reps[Group.WORKERS].id
    assert invitation.revoked_at is None
    assert audit_details(db, "caucus.") == []


# -- the group statement ---------------------------------------------------------------------


def test_a_statement_is_drafted_endorsed_and_published_without_javascript(make_client, db):
    world = build(db)
    first = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    second = factories.signed_in(make_client, db, world.second_unionist)
    round_url = f"/rounds/{world.round.id}"
    draft = first.submit(world.url(rest="/statement"), {"text": "Portability **first**."})
    assert draft.status_code == 303
    assert draft.headers["location"].endswith("#group-statement")
    statement = db.scalar(select(GroupStatement).where(GroupStatement.round_id == world.round.id))
    assert statement.published_at is None
    # drafts never appear outside the caucus
    employers = factories.signed_in(make_client, db, world.reps[Group.EMPLOYERS])
    assert "Portability" not in employers.get(round_url).text
    assert "Portability" not in first.get(round_url).text
    # publication needs an endorsement
    page = first.get(world.url()).text
    fields = {"statement_id": str(statement.id), "seen": statement_form(page)["seen"]}
    refused = first.submit(world.url(rest="/statement/publish"), fields)
    assert refused.status_code == 409
    assert "At least one organisation" in text_of(
        soup(refused.text).select_one("#publish-error").text
    )
    # each organisation endorses once, by any of its representatives
    for browser in (second, second, first):
        endorsed = browser.submit(
            world.url(rest="/statement/endorse"), {**fields, "action": "endorse"}
        )
        assert endorsed.status_code == 303
    endorsers = db.scalars(
        select(GroupStatementEndorsement.organisation_id).where(
            GroupStatementEndorsement.statement_id == statement.id
        )
    ).all()
    assert sorted(endorsers) == sorted([world.orgs[Group.WORKERS].id, world.second_union.id])
    # the first union withdraws, and the second publishes
    withdrawn = first.submit(world.url(rest="/statement/endorse"), {**fields, "action": "withdraw"})
    assert withdrawn.status_code == 303
    published = second.submit(world.url(rest="/statement/publish"), fields)
    assert published.status_code == 303
    shown = soup(employers.get(round_url).text).select_one("#group-statements")
    assert shown is not None
    assert "Statement of the workers group" in text_of(str(shown))
    assert shown.select_one("strong").text == "first"
    signed = text_of(str(shown.select_one(".signed-by")))
    assert "Second Union" in signed and world.orgs[Group.WORKERS].name not in signed
    # signatures close at publication; the text is final
    late = first.submit(world.url(rest="/statement/endorse"), {**fields, "action": "endorse"})
    assert late.status_code == 409
    revise = first.submit(
        world.url(rest="/statement"),
        {"statement_id": str(statement.id), "text": "Changed.", "seen": fields["seen"]},
    )
    assert revise.status_code == 409
    # the caucus shows it among its published statements, and a new draft can begin
    assert "Published statements" in text_of(first.get(world.url()).text)
    assert first.submit(world.url(rest="/statement"), {"text": "Next one."}).status_code == 303
    # the shared audit log has the publication only (public), with ids, never the text:
    # drafting and endorsing stay in the caucus
    events = audit_details(db, "group_statement.")
    assert [a for a, _d in events] == ["group_statement.published"]
    logged = json.dumps([d for _a, d in events])
    assert "Portability" not in logged and "Next one" not in logged
    assert events[0][1]["organisations"] == [world.second_union.id]


def test_statement_actions_with_htmx_swap_the_statement_section(make_client, db):
    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    drafted = member.submit(world.url(rest="/statement"), {"text": "Joint text."}, headers=HTMX)
    assert drafted.status_code == 200
    section = soup(drafted.text).select_one("#group-statement")
    assert section is not None and "<html" not in drafted.text
    # said once, in the page's status region (app/confirmations.py), and shown beside it
    assert json.loads(drafted.headers["HX-Trigger"])["confirmed"] == "The draft statement is saved."
    assert "The draft statement is saved." in text_of(str(section))
    hidden = {i["name"]: i["value"] for i in section.select("#statement-form input[type=hidden]")}
    assert hidden["seen"] == fingerprint("Joint text.")
    endorse = section.select_one("form[action$='/statement/endorse']")
    fields = {i["name"]: i["value"] for i in endorse.select("input[type=hidden]")}
    fields.pop("csrftoken")
    endorsed = member.submit(world.url(rest="/statement/endorse"), fields, headers=HTMX)
    assert endorsed.status_code == 200
    assert "Withdraw" in text_of(endorsed.text)
    assert "endorses" in text_of(str(soup(endorsed.text).select_one(".endorsements")))
    empty = member.submit(
        world.url(rest="/statement"),
        {"text": "", "statement_id": fields["statement_id"], "seen": fields["seen"]},
        headers=HTMX,
    )
    assert empty.status_code == 422
    assert empty.headers["HX-Retarget"] == "#group-statement"
    assert soup(empty.text).select_one("#statement-text")["aria-invalid"] == "true"
    published = member.submit(
        world.url(rest="/statement/publish"),
        {"statement_id": fields["statement_id"], "seen": fields["seen"]},
        headers=HTMX,
    )
    assert published.status_code == 200
    assert "published" in json.loads(published.headers["HX-Trigger"])["confirmed"]


def test_revising_the_draft_withdraws_its_endorsements(make_client, db):
    world = build(db)
    workers = world.orgs[Group.WORKERS]
    statement = factories.group_statement(
        db,
        world.round,
        Group.WORKERS,
        world.reps[Group.WORKERS],
        "Old text.",
        endorsed_by=[(workers, world.reps[Group.WORKERS])],
    )
    member = factories.signed_in(make_client, db, world.second_unionist)
    revised = member.submit(
        world.url(rest="/statement"),
        {"statement_id": str(statement.id), "text": "New text.", "seen": fingerprint("Old text.")},
    )
    assert revised.status_code == 303
    db.refresh(statement)
    assert statement.text == "New text."
    remaining = db.scalars(
        select(GroupStatementEndorsement.id).where(
            GroupStatementEndorsement.statement_id == statement.id
        )
    ).all()
    assert remaining == []
    assert audit_details(db, "group_statement.") == []  # the caucus's own business


def test_a_revision_built_on_an_older_text_is_refused_and_both_texts_are_kept(make_client, db):
    world = build(db)
    statement = factories.group_statement(
        db, world.round, Group.WORKERS, world.reps[Group.WORKERS], "Their latest text."
    )
    member = factories.signed_in(make_client, db, world.second_unionist)
    stale = member.submit(
        world.url(rest="/statement"),
        {
            "statement_id": str(statement.id),
            "text": "My edit of an older text.",
            "seen": fingerprint("An older text."),
        },
    )
    assert stale.status_code == 409
    page = soup(stale.text)
    assert "changed since you opened" in text_of(page.select_one("#statement-text-error").text)
    assert page.select_one("#statement-text").text == "My edit of an older text."
    assert "Their latest text." in text_of(str(page.select_one(".statement-draft")))
    # the form now carries the current text's fingerprint: sending it again overwrites
    again = {i["name"]: i.get("value", "") for i in page.select("#statement-form input")}
    again["text"] = "My edit of an older text."
    assert member.submit(world.url(rest="/statement"), again).status_code == 303


def test_one_draft_at_a_time_and_statements_belong_to_their_caucus(make_client, db):
    world = build(db)
    draft = factories.group_statement(db, world.round, Group.WORKERS, world.reps[Group.WORKERS])
    employers_draft = factories.group_statement(
        db, world.round, Group.EMPLOYERS, world.reps[Group.EMPLOYERS]
    )
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    second = member.submit(world.url(rest="/statement"), {"text": "A second draft."})
    assert second.status_code == 409
    assert "already has a draft" in text_of(second.text)
    # another caucus's statement is not found from this one
    for action in ("/statement/endorse", "/statement/publish"):
        crossed = member.submit(world.url(rest=action), {"statement_id": str(employers_draft.id)})
        assert crossed.status_code == 404
    assert draft.id != employers_draft.id


def test_drafting_tells_the_groups_own_people_only(make_client, db):
    world = build(db)
    focal = factories.member(db, world.orgs[Group.WORKERS], name="Fiona Focal")
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    assert member.submit(world.url(rest="/statement"), {"text": "Secret draft."}).status_code == 303
    told = set(
        db.scalars(
            select(Notification.user_id).where(Notification.kind.startswith("caucus."))
        ).all()
    )
    assert told == {focal.id, world.second_unionist.id}
    messages = db.scalars(
        select(Notification.message).where(Notification.kind.startswith("caucus."))
    ).all()
    assert all("Secret draft" not in m for m in messages)


# -- a constant number of queries ------------------------------------------------------------


def busy_caucus(db, world, messages, statements):
    workers = world.orgs[Group.WORKERS]
    author = world.reps[Group.WORKERS]
    for n in range(messages):
        factories.caucus_post(db, world.round, author, workers, f"Message {n}")
    signers = [(workers, author), (world.second_union, world.second_unionist)]
    for n in range(statements):
        factories.group_statement(
            db,
            world.round,
            Group.WORKERS,
            author,
            f"Published {n}",
            endorsed_by=signers,
            published=True,
        )
    factories.group_statement(
        db, world.round, Group.WORKERS, author, "The draft", endorsed_by=signers[:1]
    )


def test_caucus_and_round_pages_make_the_same_number_of_queries_however_busy(make_client, db):
    counts = {}
    for size, (messages, statements) in {"small": (1, 1), "big": (40, 8)}.items():
        world = build(db)
        busy_caucus(db, world, messages, statements)
        member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
        for name, url in (("caucus", world.url()), ("round", f"/rounds/{world.round.id}")):
            with counted_queries(db) as statements_run:
                response = member.get(url)
            assert response.status_code == 200
            counts[size, name] = len(statements_run)
        assert f"Published {statements - 1}" in text_of(member.get(world.url()).text)
    assert counts["small", "caucus"] == counts["big", "caucus"], counts
    assert counts["small", "round"] == counts["big", "round"], counts


def test_caucus_texts_and_officers_names_never_carry_executable_markup(make_client, db):
    from tests.security.xss import PAYLOADS, executable_markup, marked, plain_marked

    world = build(db)
    author, union = world.reps[Group.WORKERS], world.orgs[Group.WORKERS]
    for i, payload in enumerate(PAYLOADS):  # as the service writes them (no posting limit)
        factories.caucus_post(db, world.round, author, union, marked(i, payload))
    text = "\n\n".join(marked(i, p) for i, p in enumerate(PAYLOADS[:40]))
    factories.group_statement(
        db, world.round, Group.WORKERS, author, text, endorsed_by=[(union, author)], published=True
    )
    factories.group_statement(db, world.round, Group.WORKERS, author, text)
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    member = factories.signed_in(make_client, db, author)
    pages = {
        "caucus": member.get(world.url()),
        "poll": member.get(world.url(rest="/posts?after=0"), headers=HTMX),
        "round": member.get(f"/rounds/{world.round.id}"),
        "refused message": send(member, world, PAYLOADS[0] + "x" * 5_001),
    }
    for i, payload in enumerate(PAYLOADS[:12]):
        name = plain_marked(i, payload)[:200]
        saved = moderator.submit(f"/rounds/{world.round.id}/officers", {"chair_name": name})
        assert saved.status_code in (303, 422), saved.text
        pages[f"officers {i}"] = moderator.get(f"/rounds/{world.round.id}/officers")
        pages[f"round with chair {i}"] = moderator.get(f"/rounds/{world.round.id}")
    found = {name: executable_markup(r.text) for name, r in pages.items()}
    assert not {name: bad for name, bad in found.items() if bad}
    assert "XSSMARK000" in pages["caucus"].text and "XSSMARK000" in pages["round"].text


def test_a_published_statement_reaches_open_round_pages_live(make_client, db):
    world = build(db)
    reader = factories.signed_in(make_client, db, world.reps[Group.GOVERNMENT])
    page = soup(reader.get(f"/rounds/{world.round.id}").text)
    assert page.select_one("#group-statements").has_attr("hidden")  # there, empty, for later
    poll = page.select_one("#poller")["hx-get"]
    assert reader.get(poll, headers=HTMX).status_code == 204
    statement = factories.group_statement(
        db, world.round, Group.WORKERS, world.reps[Group.WORKERS], "Now public."
    )
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    endorse = {"statement_id": str(statement.id), "action": "endorse"}
    assert member.submit(world.url(rest="/statement/endorse"), endorse).status_code == 303
    assert reader.get(poll, headers=HTMX).status_code == 204  # an endorsement is not news
    published = {"statement_id": str(statement.id)}
    assert member.submit(world.url(rest="/statement/publish"), published).status_code == 303
    live = reader.get(poll, headers=HTMX)
    assert live.status_code == 200
    section = soup(live.text).select_one("#group-statements")
    assert section["hx-swap-oob"] == "true" and not section.has_attr("hidden")
    assert "Now public." in text_of(str(section))
    assert (
        "Statement of the workers group published."
        in section.select_one("article")["data-announce"]
    )


ODD = ["", "0", "-1", "9" * 400, "\x00", "x" * 50_000, "nan", "%00", "１２", "<b>"]


def test_odd_form_values_never_cause_a_server_error(make_client, db):
    from urllib.parse import quote

    world = build(db)
    member = factories.signed_in(make_client, db, world.reps[Group.WORKERS])
    moderator = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR)
    )
    officers = f"/rounds/{world.round.id}/officers"
    bad = []
    for value in ODD:
        forms = [
            (member, world.url(rest="/posts"), {"body": value}),
            (member, world.url(rest="/statement"), {"text": value, "statement_id": value}),
            (member, world.url(rest="/statement/endorse"), {"statement_id": value, "seen": value}),
            (member, world.url(rest="/statement/publish"), {"statement_id": value}),
            (member, world.url(rest="/moderators"), {"invite": value}),
            (
                moderator,
                officers,
                {
                    "chair_user": value,
                    "chair_name": value,
                    "vice_chair_employers": value,
                    "vice_chair_workers": value,
                    "social_partners_first": value,
                },
            ),
        ]
        for headers in ({}, HTMX):
            for browser, path, data in forms:
                response = browser.submit(path, data, headers=headers)
                if response.status_code >= 500:
                    bad.append((path, value[:20], response.status_code))
        poll = member.get(world.url(rest=f"/posts?after={quote(value[:500])}"), headers=HTMX)
        if poll.status_code >= 500:
            bad.append(("poll", value[:20], poll.status_code))
    assert not bad
