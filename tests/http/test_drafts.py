"""Draft texts over HTTP, on both databases: a moderator imports the draft; representatives
propose amendments, support them once, comment on paragraphs; the live poll carries the new
tally; a moderator publishes a revised draft as the next round, which shows what changed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.comments.models import Comment
from app.db import utcnow
from app.drafts.models import Amendment, AmendmentSupport, DraftParagraph
from app.rounds.models import Round, RoundInvitation
from app.vocabulary import Group, PlatformRole, RoundStatus, Weighting
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import HTMX, counted_queries, days_ahead, soup
from tests.security.xss import PAYLOADS, executable_markup

DRAFT = """# Article 1

Each agreement covers pensions.

Periods of insurance are added together.

Pensions are paid in full abroad.

- data is exchanged
- under safeguards"""


@dataclass
class World:
    round: Round
    orgs: dict[str, object]
    people: dict[str, object]


def world(db, *, status=RoundStatus.OPEN, weighting=Weighting.EQUAL, paragraphs=True, suffix=""):
    """A round inviting two unions, one employers' federation and one ministry (and an
    organisation it does not invite), with a representative each and a moderator."""
    orgs = {
        "union": factories.organisation(db, Group.WORKERS, name="Union A" + suffix),
        "union2": factories.organisation(db, Group.WORKERS, name="Union B" + suffix),
        "employers": factories.organisation(db, Group.EMPLOYERS, name="Federation" + suffix),
        "ministry": factories.organisation(db, Group.GOVERNMENT, name="Ministry" + suffix),
        "outsider": factories.organisation(db, Group.WORKERS, name="Outsider union" + suffix),
    }
    invited = [o for key, o in orgs.items() if key != "outsider"]
    kwargs = {}
    if status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        now = utcnow()
        kwargs = {"opens_at": now - timedelta(days=9), "closes_at": now - timedelta(days=1)}
    round_ = factories.consultation_round(db, invited, status=status, weighting=weighting, **kwargs)
    people = {
        key: factories.member(db, org, name=f"Rep of {org.name}") for key, org in orgs.items()
    }
    people["moderator"] = factories.user(db, platform_role=PlatformRole.MODERATOR)
    if paragraphs:
        factories.draft(
            db,
            round_,
            "Each agreement covers pensions.",
            "Periods of insurance are added together.",
            "Pensions are paid in full abroad.",
        )
    return World(round_, orgs, people)


def paragraphs(db, round_id):
    return list(
        db.scalars(
            select(DraftParagraph)
            .where(DraftParagraph.round_id == round_id)
            .order_by(DraftParagraph.number)
        )
    )


def propose(browser, round_id, paragraph_id, text, reason="", **kwargs):
    return browser.submit(
        f"/rounds/{round_id}/paragraphs/{paragraph_id}/amendments",
        {"text": text, "reason": reason},
        **kwargs,
    )


def support(browser, round_id, amendment_id, **kwargs):
    return browser.submit(f"/rounds/{round_id}/amendments/{amendment_id}/support", **kwargs)


def actions(db, action):
    return db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


# -- importing the draft text ---------------------------------------------------------------------


def test_a_moderator_turns_the_brief_into_numbered_paragraphs(make_client, db):
    w = world(db, status=RoundStatus.DRAFT, paragraphs=False)
    w.round.brief = DRAFT
    moderator = signed_in(make_client, db, w.people["moderator"])
    before = soup(moderator.get(f"/rounds/{w.round.id}").text)
    offer = before.select_one(".draft-offer a")
    assert offer["href"].endswith(f"/rounds/{w.round.id}/draft")
    form = soup(moderator.get(offer["href"]).text)
    assert form.select_one("textarea#draft-text").text == DRAFT  # prefilled with the brief
    # a preview, nothing saved
    preview = moderator.submit(f"/rounds/{w.round.id}/draft", {"text": DRAFT, "preview": "1"})
    assert preview.status_code == 200
    assert [h.text for h in soup(preview.text).select("#preview h3")] == [
        "Article 1 (paragraph 1)",  # its heading is its label
        "Paragraph 2",
        "Paragraph 3",
        "Paragraph 4",
    ]
    assert paragraphs(db, w.round.id) == []
    saved = moderator.submit(f"/rounds/{w.round.id}/draft", {"text": DRAFT})
    assert saved.status_code == 303 and saved.headers["location"].endswith("#draft")
    stored = [(p.number, p.text) for p in paragraphs(db, w.round.id)]
    assert stored == [
        (1, "# Article 1\n\nEach agreement covers pensions."),
        (2, "Periods of insurance are added together."),
        (3, "Pensions are paid in full abroad."),
        (4, "- data is exchanged\n- under safeguards"),
    ]
    assert actions(db, "draft.imported") == 1
    page = soup(moderator.get(f"/rounds/{w.round.id}").text)
    assert [a["id"] for a in page.select("#draft article.paragraph")] == [
        f"paragraph-{n}" for n in range(1, 5)
    ]
    assert page.select_one("#paragraph-1 .prose h1").text == "Article 1"
    assert len(page.select("#paragraph-4 .prose li")) == 2
    # the brief is the draft: it is not shown twice
    assert page.select_one(".brief .prose") is None
    assert page.select_one('.brief a[href="#draft"]') is not None
    # replaced while nobody has contributed; the page says so
    again = moderator.submit(f"/rounds/{w.round.id}/draft", {"text": "One.\n\nTwo."})
    assert again.status_code == 303
    assert [p.text for p in paragraphs(db, w.round.id)] == ["One.", "Two."]
    assert actions(db, "draft.replaced") == 1


def test_importing_is_for_moderators_with_clear_refusals(make_client, db):
    w = world(db)
    rep = signed_in(make_client, db, w.people["union"])
    assert rep.get(f"/rounds/{w.round.id}/draft").status_code == 403
    assert rep.submit(f"/rounds/{w.round.id}/draft", {"text": "Mine."}).status_code == 403
    moderator = signed_in(make_client, db, w.people["moderator"])
    empty = moderator.submit(f"/rounds/{w.round.id}/draft", {"text": "  \n\n "})
    assert empty.status_code == 422
    field = soup(empty.text).select_one("#draft-text")
    assert field["aria-invalid"] == "true" and field["aria-describedby"] == "draft-text-error"
    assert "The draft text is required." in text_of(empty.text)
    # once an organisation has proposed an amendment, the paragraphs are fixed
    first = paragraphs(db, w.round.id)[0]
    factories.amendment(db, first, w.orgs["union"], w.people["union"])
    db.commit()
    refused = moderator.submit(f"/rounds/{w.round.id}/draft", {"text": "Other."})
    assert refused.status_code == 409
    assert moderator.get(f"/rounds/{w.round.id}/draft").status_code == 409
    assert "Replace the draft text" not in moderator.get(f"/rounds/{w.round.id}").text
    closed = world(db, status=RoundStatus.CLOSED, paragraphs=False, suffix=" (2)")
    moderator = signed_in(make_client, db, closed.people["moderator"])
    assert moderator.submit(f"/rounds/{closed.round.id}/draft", {"text": "A."}).status_code == 409


# -- proposing amendments -------------------------------------------------------------------------


def test_a_representative_proposes_an_amendment_shown_as_a_readable_diff(make_client, db):
    w = world(db)
    third = paragraphs(db, w.round.id)[2]
    union = signed_in(make_client, db, w.people["union"])
    page = soup(union.get(f"/rounds/{w.round.id}").text)
    form = page.select_one(f"#amendment-form-{third.id}")
    assert form.select_one("textarea[name=text]").text == third.text  # ready to edit
    posted = propose(
        union,
        w.round.id,
        third.id,
        "Pensions are paid in full abroad within 60 days.",
        "Late payment is the usual problem.",
    )
    assert posted.status_code == 303 and posted.headers["location"].endswith("#paragraph-3")
    amendment = db.scalar(select(Amendment).where(Amendment.paragraph_id == third.id))
    assert amendment.organisation_id == w.orgs["union"].id
    supporters = db.scalars(
        select(AmendmentSupport.organisation_id).where(
            AmendmentSupport.amendment_id == amendment.id
        )
    ).all()
    assert supporters == [w.orgs["union"].id]  # the proposer counts as supporting
    assert actions(db, "amendment.proposed") == 1
    # everyone reading the round sees it
    reader = signed_in(make_client, db, w.people["outsider"])
    region = soup(reader.get(f"/rounds/{w.round.id}").text).select_one("#paragraph-3-live")
    assert region.select_one("h5").get_text(" ", strip=True).startswith("Amendment 3.1")
    assert "proposed by Union A" in region.text
    assert region.select_one("del").get_text() == "[removed: abroad.]"
    assert region.select_one("ins").get_text() == "[added: abroad within 60 days.]"
    assert region.select_one("del .visually-hidden") is not None  # words, not colour only
    assert "Late payment is the usual problem." in region.text
    # workers: 1 of 2 invited unions; one third times one half
    support_line = region.select_one(".amendment-support")
    assert "Supported by 16.7% of the weight" in support_line.text
    assert "1 of 4 invited organisations" in support_line.text
    assert "16.7%" in support_line["data-announce"]
    rows = {
        r.select_one("th").get_text(strip=True): [td.get_text(" ", strip=True) for td in r("td")]
        for r in region.select(".amendment-tally tbody tr")
    }
    assert rows["Workers"][1:] == ["Union A", "1 of 2 invited organisations (50.0%)"]
    assert rows["Employers"][1:] == ["none", "0 of 1 invited organisation (0.0%)"]
    # each group's voices on the paragraph
    workers = region.select_one(".voices").get_text(" ", strip=True)
    assert "Union A : proposed 3.1" in workers
    # a reader who does not speak for an invited organisation gets no form and no button
    assert region.select_one(".support-form") is None
    assert soup(reader.get(f"/rounds/{w.round.id}").text).select_one(".amendment-form") is None


def test_one_organisation_may_propose_several_amendments_a_double_click_makes_one(make_client, db):
    w = world(db)
    first, second, _third = paragraphs(db, w.round.id)
    union = signed_in(make_client, db, w.people["union"])
    assert propose(union, w.round.id, first.id, "All benefits are covered.").status_code == 303
    assert propose(union, w.round.id, first.id, "All benefits are covered.").status_code == 303
    assert propose(union, w.round.id, first.id, "Pensions and care.").status_code == 303
    assert propose(union, w.round.id, second.id, "Periods add up.").status_code == 303
    texts = db.scalars(select(Amendment.text).where(Amendment.round_id == w.round.id)).all()
    assert sorted(texts) == ["All benefits are covered.", "Pensions and care.", "Periods add up."]
    page = soup(union.get(f"/rounds/{w.round.id}").text)
    labels = [h.get_text(" ", strip=True).split(" proposed")[0] for h in page.select("h5")]
    assert labels == ["Amendment 1.1", "Amendment 1.2", "Amendment 2.1"]


def test_proposals_are_refused_clearly(make_client, db):
    w = world(db)
    third = paragraphs(db, w.round.id)[2]
    outsider = signed_in(make_client, db, w.people["outsider"])
    assert propose(outsider, w.round.id, third.id, "Ours.").status_code == 403
    moderator = signed_in(make_client, db, w.people["moderator"])
    assert propose(moderator, w.round.id, third.id, "Mine.").status_code == 403
    union = signed_in(make_client, db, w.people["union"])
    # empty: 422, the form filled in, the error beside the field
    empty = propose(union, w.round.id, third.id, "", "Because we care.")
    assert empty.status_code == 422
    form = soup(empty.text).select_one(f"#amendment-form-{third.id}")
    assert form.find_parent("details").has_attr("open")
    field = form.select_one("textarea[name=text]")
    assert field["aria-invalid"] == "true"
    error_id = f"amendment-form-{third.id}-text-error"
    assert error_id in field["aria-describedby"]
    assert "The amended text is required." in form.select_one(f"#{error_id}").text
    assert form.select_one("textarea[name=reason]").text == "Because we care."
    # the same text as the paragraph changes nothing
    same = propose(union, w.round.id, third.id, f"  {third.text} ")
    assert same.status_code == 422 and "the same as the paragraph" in text_of(same.text)
    # under htmx, the form alone comes back in place
    partial = propose(union, w.round.id, third.id, "", "Why", headers=HTMX)
    assert partial.status_code == 422 and "<html" not in partial.text
    assert partial.headers["HX-Retarget"] == f"#amendment-form-{third.id}"
    # another round's paragraph, or none at all
    other = world(db, suffix=" (2)")
    elsewhere = paragraphs(db, other.round.id)[0]
    assert propose(union, w.round.id, elsewhere.id, "Text.").status_code == 404
    assert propose(union, w.round.id, 999_999, "Text.").status_code == 404
    assert db.scalar(select(func.count(Amendment.id))) == 0


def test_no_amendment_or_support_once_the_round_has_closed(make_client, db):
    w = world(db)
    third = paragraphs(db, w.round.id)[2]
    amendment = factories.amendment(db, third, w.orgs["union"], w.people["union"])
    w.round.closes_at = utcnow() - timedelta(minutes=1)  # the deadline passed
    db.commit()
    union = signed_in(make_client, db, w.people["union"])
    refused = propose(union, w.round.id, third.id, "Too late.")
    assert refused.status_code == 409 and "closed" in text_of(refused.text)
    employers = signed_in(make_client, db, w.people["employers"])
    late = support(employers, w.round.id, amendment.id)
    assert late.status_code == 409
    assert db.scalar(select(func.count(AmendmentSupport.id))) == 1
    page = soup(employers.get(f"/rounds/{w.round.id}").text)
    assert page.select_one(".support-form") is None and page.select_one(".amendment-form") is None
    draft_round = world(db, status=RoundStatus.DRAFT, suffix=" (2)")
    union = signed_in(make_client, db, draft_round.people["union"])
    first = paragraphs(db, draft_round.round.id)[0]
    assert propose(union, draft_round.round.id, first.id, "Early.").status_code == 404


# -- supporting amendments ------------------------------------------------------------------------


def test_organisations_support_an_amendment_once(make_client, db):
    w = world(db)
    third = paragraphs(db, w.round.id)[2]
    amendment = factories.amendment(db, third, w.orgs["union"], w.people["union"])
    employers = signed_in(make_client, db, w.people["employers"])
    page = soup(employers.get(f"/rounds/{w.round.id}").text)
    button = page.select_one(f"#amendment-{amendment.id} .support-form button")
    assert button.text == "Support amendment 3.1"
    version = db.scalar(select(Round.version).where(Round.id == w.round.id))
    done = support(employers, w.round.id, amendment.id)
    assert done.status_code == 303 and done.headers["location"].endswith("#paragraph-3")
    assert db.scalar(select(Round.version).where(Round.id == w.round.id)) > version
    assert actions(db, "amendment.supported") == 1
    twice = support(employers, w.round.id, amendment.id)
    assert twice.status_code == 409
    assert "already supports" in text_of(twice.text)
    # the page after: no button, the organisation named among the supporters
    region = soup(employers.get(f"/rounds/{w.round.id}").text).select_one("#paragraph-3-live")
    assert region.select_one(".support-form") is None
    assert "Your organisation supports this amendment." in region.text
    # workers 1/2 and employers 1/1: (1/3)(1/2) + (1/3)(1) = 50%
    assert "Supported by 50.0% of the weight" in region.text
    assert "Federation : supports 3.1" in region.select_one(".voices").get_text(" ", strip=True)
    # its own amendment: already counted
    union = signed_in(make_client, db, w.people["union"])
    own = support(union, w.round.id, amendment.id)
    assert own.status_code == 409 and "proposed this amendment" in text_of(own.text)
    # an organisation the round does not invite, and the moderator, may not
    outsider = signed_in(make_client, db, w.people["outsider"])
    assert support(outsider, w.round.id, amendment.id).status_code == 403
    moderator = signed_in(make_client, db, w.people["moderator"])
    assert support(moderator, w.round.id, amendment.id).status_code == 403
    # the second union of the same group adds to its group's share
    union2 = signed_in(make_client, db, w.people["union2"])
    partial = support(union2, w.round.id, amendment.id, headers=HTMX)
    assert partial.status_code == 200 and "<html" not in partial.text
    region = soup(partial.text).select_one("#paragraph-3-live")
    assert "Supported by 66.7% of the weight" in region.text  # 1/3 + 1/3
    assert db.scalar(select(func.count(AmendmentSupport.id))) == 3
    refused = support(union2, w.round.id, amendment.id, headers=HTMX)
    assert refused.status_code == 409
    assert "already supports" in soup(refused.text).select_one(".error").text
    assert support(union2, w.round.id, 999_999).status_code == 404


def test_the_plenary_weighting_counts_the_government_twice(make_client, db):
    w = world(db, weighting=Weighting.PLENARY)
    first = paragraphs(db, w.round.id)[0]
    amendment = factories.amendment(db, first, w.orgs["ministry"], w.people["ministry"])
    reader = signed_in(make_client, db, w.people["union"])
    region = soup(reader.get(f"/rounds/{w.round.id}").text).select_one("#paragraph-1-live")
    assert "Supported by 50.0% of the weight" in region.text
    assert "weighting 2:1:1" in region.text
    assert amendment.id


def test_proposing_under_htmx_swaps_the_paragraph_and_folds_the_form_away(make_client, db):
    w = world(db)
    second = paragraphs(db, w.round.id)[1]
    union = signed_in(make_client, db, w.people["union"])
    response = propose(union, w.round.id, second.id, "Periods add up, everywhere.", headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert json.loads(response.headers["HX-Trigger"])["confirmed"] == "Amendment 2.1 proposed."
    page = soup(response.text)
    assert page.select_one("#paragraph-2-live h5").text.startswith("Amendment 2.1")
    # the form is closed (folded in its "Propose an amendment"), emptied for the next one
    folded = page.select_one(f"#amendment-details-{second.id}")
    assert folded["hx-swap-oob"] == "true" and not folded.has_attr("open")
    fresh = folded.select_one(f"#amendment-form-{second.id}")
    assert fresh.select_one("textarea[name=text]").text == second.text


# -- live -----------------------------------------------------------------------------------------


def test_the_live_poll_carries_the_new_tally_of_each_paragraph(make_client, db):
    w = world(db)
    third = paragraphs(db, w.round.id)[2]
    amendment = factories.amendment(db, third, w.orgs["union"], w.people["union"])
    union = signed_in(make_client, db, w.people["union"])
    page = soup(union.get(f"/rounds/{w.round.id}").text)
    poller = page.select_one("#poller")["hx-get"]
    employers = signed_in(make_client, db, w.people["employers"])
    assert support(employers, w.round.id, amendment.id).status_code == 303
    live = union.get(poller, headers=HTMX)
    assert live.status_code == 200
    region = soup(live.text).select_one("#paragraph-3-live")
    assert region["hx-swap-oob"] == "true"
    assert "Supported by 50.0% of the weight" in region.text
    assert "Federation" in region.text
    announced = region.select_one(f"#amendment-{amendment.id}-support")["data-announce"]
    assert "50.0%" in announced
    # nothing changed since: 204
    version = db.scalar(select(Round.version).where(Round.id == w.round.id))
    assert union.get(f"/rounds/{w.round.id}/live?version={version}").status_code == 204


# -- comments on paragraphs -----------------------------------------------------------------------


def test_comments_on_a_paragraph_sit_under_it_with_their_replies(make_client, db):
    w = world(db)
    second = paragraphs(db, w.round.id)[1]
    union = signed_in(make_client, db, w.people["union"])
    page = soup(union.get(f"/rounds/{w.round.id}").text)
    form = page.select_one(f"#comment-form-paragraph-{second.id}")
    assert form["hx-target"] == f"#paragraph-comments-{second.id}"
    assert form.select_one("label").text == "Your comment on paragraph 2"
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    data["body"] = "Which periods count?"
    posted = union.post(form["action"], data=data)
    assert posted.status_code == 303
    comment = db.scalar(select(Comment).where(Comment.round_id == w.round.id))
    assert comment.paragraph_id == second.id
    employers = signed_in(make_client, db, w.people["employers"])
    reply = employers.submit(
        f"/rounds/{w.round.id}/comments/{comment.id}/replies", {"body": "Contributory ones."}
    )
    assert reply.status_code == 303
    answer = db.scalar(select(Comment).where(Comment.parent_id == comment.id))
    assert answer.paragraph_id == second.id  # a reply stays on the paragraph
    page = soup(employers.get(f"/rounds/{w.round.id}").text)
    under = page.select_one(f"#paragraph-comments-{second.id}")
    assert "Which periods count?" in under.text and "Contributory ones." in under.text
    assert "Which periods count?" not in page.select_one("#threads").text  # not twice
    voices = page.select_one("#paragraph-2-live .voices").get_text(" ", strip=True)
    assert "Union A : commented" in voices and "Federation : commented" in voices
    # under htmx, into the paragraph's thread list, the form emptied
    partial = union.submit(
        f"/rounds/{w.round.id}/comments",
        {"body": "And seasonal work?", "paragraph_id": str(second.id)},
        headers=HTMX,
    )
    assert partial.status_code == 200
    fresh = soup(partial.text).select_one(f"#comment-form-paragraph-{second.id}")
    assert fresh["hx-swap-oob"] == "true"
    assert fresh.select_one("input[name=paragraph_id]")["value"] == str(second.id)
    # the live poll of another reader puts it under the paragraph
    version = db.scalar(select(Round.version).where(Round.id == w.round.id))
    live = employers.get(f"/rounds/{w.round.id}/live?version={version - 1}&after={answer.id}")
    assert f"beforeend:#paragraph-comments-{second.id}" in live.text


def test_paragraph_comments_are_refused_like_other_comments(make_client, db):
    w = world(db)
    second = paragraphs(db, w.round.id)[1]
    union = signed_in(make_client, db, w.people["union"])
    empty = union.submit(
        f"/rounds/{w.round.id}/comments", {"body": " ", "paragraph_id": str(second.id)}
    )
    assert empty.status_code == 422
    form = soup(empty.text).select_one(f"#comment-form-paragraph-{second.id}")
    assert form.find_parent("details").has_attr("open")
    assert form.select_one("textarea")["aria-invalid"] == "true"
    other = world(db, suffix=" (2)")
    elsewhere = paragraphs(db, other.round.id)[0]
    refused = union.submit(
        f"/rounds/{w.round.id}/comments", {"body": "Hi.", "paragraph_id": str(elsewhere.id)}
    )
    assert refused.status_code == 422 and "not part of this round" in text_of(refused.text)
    outsider = signed_in(make_client, db, w.people["outsider"])
    assert (
        outsider.submit(
            f"/rounds/{w.round.id}/comments", {"body": "Hi.", "paragraph_id": str(second.id)}
        ).status_code
        == 403
    )


# -- a revised draft as the next round ------------------------------------------------------------


def test_a_moderator_publishes_a_revised_draft_as_the_next_round(make_client, db):
    w = world(db, status=RoundStatus.CLOSED, weighting=Weighting.PLENARY)
    first, second, third = paragraphs(db, w.round.id)
    amendment = factories.amendment(
        db,
        third,
        w.orgs["union"],
        w.people["union"],
        "Pensions are paid in full abroad within 60 days.",
        supporters=[w.orgs["employers"]],
    )
    moderator = signed_in(make_client, db, w.people["moderator"])
    page = soup(moderator.get(f"/rounds/{w.round.id}").text)
    link = page.select_one(".revise-offer a")["href"]
    form = soup(moderator.get(link).text)
    boxes = [t.text for t in form.select("textarea[name=paragraphs]")]
    assert boxes == [first.text, second.text, third.text, ""]
    assert form.select_one(f"button[name=apply][value='{amendment.id}']") is not None
    # "Apply" puts the amendment's text in its paragraph's box, nothing saved
    fields = {
        "title": "Round two",
        "brief": "The revised principles.",
        "closes_at": days_ahead(10),
    }
    applied = moderator.submit(
        f"/rounds/{w.round.id}/revise",
        {**fields, "paragraphs": boxes, "apply": str(amendment.id)},
    )
    assert applied.status_code == 200
    boxes = [t.text for t in soup(applied.text).select("textarea[name=paragraphs]")]
    assert boxes[2] == amendment.text
    # the second paragraph removed, one added at the end
    boxes[1] = ""
    boxes[3] = "A review after five years."
    published = moderator.submit(f"/rounds/{w.round.id}/revise", {**fields, "paragraphs": boxes})
    assert published.status_code == 303
    new = db.scalar(select(Round).where(Round.previous_round_id == w.round.id))
    assert (new.number, new.status, new.weighting) == (2, "draft", "2:1:1")
    assert new.consultation_id == w.round.consultation_id
    invited = set(
        db.scalars(
            select(RoundInvitation.organisation_id).where(RoundInvitation.round_id == new.id)
        )
    )
    assert invited == {o.id for k, o in w.orgs.items() if k != "outsider"}
    assert [p.text for p in paragraphs(db, new.id)] == [
        first.text,
        amendment.text,
        "A review after five years.",
    ]
    assert actions(db, "draft.revised") == 1
    assert published.headers["location"].endswith(f"/rounds/{new.id}#draft")
    # the new round links back and says what changed, paragraph by paragraph
    page = soup(moderator.get(f"/rounds/{new.id}").text)
    changes = page.select_one("#draft-changes")
    assert changes.select_one(f"a[href$='/rounds/{w.round.id}']") is not None
    items = [text_of(str(li)).replace(" :", ":") for li in changes.select("li.change")]
    assert items[0] == "Paragraph 1: unchanged"
    assert items[1].startswith("Former paragraph 2: removed")
    assert items[2].startswith("Paragraph 2: changed (paragraph 3 before)")
    assert "[added: abroad within 60 days." in items[2]
    assert items[3].startswith("Paragraph 3: added")
    # and the previous round points to its revision
    back = soup(moderator.get(f"/rounds/{w.round.id}").text)
    assert back.select_one(".next-round a")["href"].endswith(f"/rounds/{new.id}")
    assert back.select_one(".revise-offer") is None
    # once is enough
    again = moderator.submit(f"/rounds/{w.round.id}/revise", {**fields, "paragraphs": ["X."]})
    assert again.status_code == 409
    assert db.scalar(select(func.count(Round.id)).where(Round.previous_round_id == w.round.id)) == 1


def test_revisions_are_refused_clearly(make_client, db):
    w = world(db, status=RoundStatus.CLOSED)
    rep = signed_in(make_client, db, w.people["union"])
    assert rep.get(f"/rounds/{w.round.id}/revise").status_code == 403
    moderator = signed_in(make_client, db, w.people["moderator"])
    future = days_ahead(10)
    nothing = moderator.submit(
        f"/rounds/{w.round.id}/revise",
        {"title": "T", "brief": "B", "closes_at": future, "paragraphs": ["", " "]},
    )
    assert nothing.status_code == 422
    assert "at least one paragraph" in soup(nothing.text).select_one("#paragraphs-error").text
    no_deadline = moderator.submit(
        f"/rounds/{w.round.id}/revise",
        {"title": "T", "brief": "B", "closes_at": "", "paragraphs": ["Kept."]},
    )
    assert no_deadline.status_code == 422
    assert soup(no_deadline.text).select_one("#f-closes_at")["aria-invalid"] == "true"
    assert soup(no_deadline.text).select_one("textarea[name=paragraphs]").text == "Kept."
    open_round = world(db, suffix=" (2)")
    moderator = signed_in(make_client, db, open_round.people["moderator"])
    assert moderator.get(f"/rounds/{open_round.round.id}/revise").status_code == 409


def test_a_round_without_a_draft_text_is_revised_from_its_brief(make_client, db):
    w = world(db, status=RoundStatus.PUBLISHED, paragraphs=False)
    w.round.brief = "First idea.\n\nSecond idea."
    moderator = signed_in(make_client, db, w.people["moderator"])
    form = soup(moderator.get(f"/rounds/{w.round.id}/revise").text)
    assert [t.text for t in form.select("textarea[name=paragraphs]")] == [
        "First idea.",
        "Second idea.",
        "",
    ]


# -- a constant number of queries -----------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["union", "moderator"])
def test_the_draft_costs_the_same_queries_however_many_paragraphs_and_amendments(
    make_client, db, viewer
):
    counts = []
    for size in (2, 12):
        w = world(db, paragraphs=False, suffix=f" ({size})")
        texts = [f"Paragraph text {n}." for n in range(size)]
        made = factories.draft(db, w.round, *texts)
        for n, paragraph in enumerate(made):
            factories.amendment(
                db,
                paragraph,
                w.orgs["union2"],
                w.people["union2"],
                supporters=[w.orgs["employers"]],
            )
            factories.comment(db, w.round, w.people["ministry"], w.orgs["ministry"], f"On {n}")
            db.query(Comment).filter(Comment.body == f"On {n}").update(
                {"paragraph_id": paragraph.id}
            )
        reader = signed_in(make_client, db, w.people[viewer])
        with counted_queries(db) as statements:
            response = reader.get(f"/rounds/{w.round.id}")
        assert response.status_code == 200
        assert len(soup(response.text).select("#draft article.paragraph")) == size
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_reader_with_nothing_to_do_sees_the_draft_and_no_forms(make_client, db):
    w = world(db)
    observer = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER))
    page = soup(observer.get(f"/rounds/{w.round.id}").text)
    assert len(page.select("#draft article.paragraph")) == 3
    assert page.select_one("#draft form") is None
    assert re.search(r"3 numbered paragraphs", page.select_one("#draft").text)


# -- the summary and its PDF ----------------------------------------------------------------------


def test_the_summary_and_its_pdf_give_each_amendments_support(make_client, db):
    w = world(db, status=RoundStatus.CLOSED)
    third = paragraphs(db, w.round.id)[2]
    factories.amendment(
        db,
        third,
        w.orgs["union"],
        w.people["union"],
        "Pensions are paid in full abroad within 60 days.",
        supporters=[w.orgs["employers"]],
    )
    reader = signed_in(make_client, db, w.people["outsider"])
    page = soup(reader.get(f"/rounds/{w.round.id}/summary").text)
    section = page.select_one(".draft-summary")
    assert "Amendment 3.1" in section.text and "proposed by Union A" in section.text
    assert "Supported by 50.0% of the weight" in section.text
    assert "Federation" in section.text and "[added: abroad within 60 days.]" in section.text
    pdf = reader.get(f"/rounds/{w.round.id}/summary.pdf")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "Amendment 3.1" in text and "50.0%" in text


# -- output encoding -------------------------------------------------------------------------------


def test_payloads_in_paragraphs_amendments_and_reasons_never_run(make_client, db):
    w = world(db, paragraphs=False)
    made = factories.draft(db, w.round, *PAYLOADS[:40])
    union = signed_in(make_client, db, w.people["union"])
    for paragraph, payload in zip(made, reversed(PAYLOADS[:40]), strict=True):
        response = propose(union, w.round.id, paragraph.id, payload, reason=payload)
        assert response.status_code in (303, 422), response.text
    page = union.get(f"/rounds/{w.round.id}").text
    assert executable_markup(page) == []
    assert executable_markup(union.get(f"/rounds/{w.round.id}/live", headers=HTMX).text) == []
