"""Controls only when they can work, and context where a decision is taken (issue 14, sections 3
and 4): what the round page and the moderators' confirmation pages show, read as a person
reads them. (tests/security/test_controls_match_actions.py checks every control against the
server for every role and state.)"""

from datetime import timedelta

from app.comments.models import Flag
from app.db import utcnow
from app.i18n import format_datetime
from app.rounds.models import GroupSignoff, Round, RoundInvitation
from app.vocabulary import Group, PlatformRole, RoundStatus, Visibility
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in
from tests.helpers import days_ahead, soup
from tests.http.test_lifecycle import moderator_and_round, sign_off


def _date(when) -> str:
    return format_datetime(when, with_time=True)


def test_a_round_closed_early_shows_when_it_closed_and_the_deadline_it_had(make_client, db):
    deadline = utcnow() + timedelta(days=13)
    moderator, round_, _orgs, _reps = moderator_and_round(make_client, db, closes_at=deadline)
    closed = moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Agreed early."})
    assert closed.status_code == 303
    db.expire_all()
    stored = db.get(Round, round_.id)
    assert stored.deadline_before_close == deadline
    assert stored.closes_at < deadline  # the machine field still says when posting ended
    line = text_of(str(soup(moderator.get(f"/rounds/{round_.id}").text).select_one(".deadline")))
    assert f"Closed early on {_date(stored.closed_at)}" in line
    assert f"its deadline was {_date(deadline)}" in line

    reopened = moderator.submit(
        f"/rounds/{round_.id}/reopen", {"closes_at": days_ahead(20), "reason": "A group asked."}
    )
    assert reopened.status_code == 303
    db.expire_all()
    assert db.get(Round, round_.id).deadline_before_close is None


def test_a_round_closed_at_its_deadline_says_only_that(make_client, db):
    moderator, round_, _orgs, _reps = moderator_and_round(
        make_client,
        db,
        opens_at=utcnow() - timedelta(days=9),
        closes_at=utcnow() - timedelta(hours=2),
    )
    assert moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Done."}).status_code == 303
    db.expire_all()
    assert db.get(Round, round_.id).deadline_before_close is None
    line = text_of(str(soup(moderator.get(f"/rounds/{round_.id}").text).select_one(".deadline")))
    assert "Closed; the deadline was" in line and "early" not in line


def test_the_close_early_page_lists_time_left_silent_organisations_and_waiting_items(
    make_client, db
):
    moderator, round_, orgs, reps = moderator_and_round(
        make_client, db, closes_at=utcnow() + timedelta(days=13, hours=2)
    )
    second_union = factories.organisation(db, Group.WORKERS, name="Second Union")
    db.add(RoundInvitation(round_id=round_.id, organisation_id=second_union.id))
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    government = (reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT])
    flagged = factories.comment(db, round_, *government, "Flagged.")
    db.add(Flag(comment_id=flagged.id, reporter_id=reps[Group.WORKERS].id, reason="Off topic."))
    pending = factories.comment(db, round_, *government, "Pending.")
    pending.visibility = Visibility.PENDING.value
    db.commit()

    page = soup(moderator.get(f"/rounds/{round_.id}/close").text)
    context = page.select_one(".decision-context")
    assert context is not None
    words = text_of(str(context))
    assert "13 days 2 hours left" in words or "13 days 1 hour left" in words
    assert "1 of 4 invited organisations posted a position." in words
    silent = [text_of(str(li)) for li in context.select(".silent-organisations li")]
    assert any(s.startswith("Government") and orgs[Group.GOVERNMENT].name in s for s in silent)
    assert any(s.startswith("Workers") and "Second Union" in s for s in silent)
    assert not any(orgs[Group.WORKERS].name in s for s in silent)  # it posted
    assert "1 flagged comment to review" in words
    assert "1 comment awaiting approval" in words
    assert "Not asked for yet." in words


def test_publish_is_shown_disabled_with_its_reason_until_every_group_signed_off(make_client, db):
    moderator, round_, orgs, _reps = moderator_and_round(
        make_client,
        db,
        opens_at=utcnow() - timedelta(days=9),
        closes_at=utcnow() - timedelta(hours=2),
    )
    assert moderator.submit(f"/rounds/{round_.id}/close", {"outcome": "Done."}).status_code == 303
    page = soup(moderator.get(f"/rounds/{round_.id}").text)
    nav = page.select_one("nav.moderate")
    assert not nav.select(f'a[href$="/rounds/{round_.id}/publish"]')
    assert "Publish (not yet: Ask each group's spokesperson" in text_of(str(nav))
    # the publication page says why too, and its button does not pretend
    publish_page = soup(moderator.get(f"/rounds/{round_.id}/publish").text)
    assert publish_page.select_one(f'form[action$="/rounds/{round_.id}/publish"] button').has_attr(
        "disabled"
    )
    assert "Ask each group's spokesperson" in text_of(
        str(publish_page.select_one(".error-message"))
    )
    assert moderator.submit(f"/rounds/{round_.id}/publish").status_code == 409

    # asked: the request is folded away, and the page lists who has not answered
    voices = sign_off(make_client, db, moderator, round_, orgs, answer=False)
    page = soup(moderator.get(f"/rounds/{round_.id}").text)
    request = page.select_one('[aria-labelledby="signoff-request-heading"]')
    assert request.select_one("details.signoff-change form") is not None
    assert "Closed at its deadline" in text_of(str(request))
    assert "Answers are due by" in text_of(str(request))
    missing = text_of(str(request.select_one(".missing-signoffs")))
    assert all(voices[g].name in missing for g in Group)

    # every group answered: no request form any more, and Publish is a link
    for group in Group:
        voice = signed_in(make_client, db, voices[group])
        assert (
            voice.submit(
                f"/rounds/{round_.id}/signoff/decision", {"decision": "confirm"}
            ).status_code
            == 303
        )
    page = soup(moderator.get(f"/rounds/{round_.id}").text)
    assert page.select_one('[aria-labelledby="signoff-request-heading"]') is None
    assert page.select(f'nav.moderate a[href$="/rounds/{round_.id}/publish"]')
    form = {f"spokesperson_{g.value}": str(voices[g].id) for g in Group}
    asked_again = moderator.submit(
        f"/rounds/{round_.id}/signoff", {**form, "signoff_deadline": days_ahead(3)}
    )
    assert asked_again.status_code == 409


def test_a_published_round_offers_no_officers_flags_or_paragraph_invitation(make_client, db):
    round_, orgs, reps = factories.three_groups_round(
        db,
        status=RoundStatus.PUBLISHED,
        opens_at=utcnow() - timedelta(days=9),
        closes_at=utcnow() - timedelta(days=1),
    )
    round_.outcome = "Agreed."
    factories.draft(db, round_)
    factories.comment(db, round_, reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT], "On record.")
    db.add_all(
        GroupSignoff(
            round_id=round_.id,
            group_name=g.value,
            spokesperson_id=reps[g].id,
            organisation_id=orgs[g].id,
            status="confirmed",
        )
        for g in Group
    )
    moderator = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.MODERATOR))
    rep = signed_in(make_client, db, reps[Group.WORKERS])
    db.commit()
    for browser in (moderator, rep):
        html = browser.get(f"/rounds/{round_.id}").text
        words = text_of(html)
        assert "Change the officers" not in words and "Name the officers" not in words
        assert "Organisations comment on each paragraph" not in words
        assert "read-only" in words
        assert not soup(html).select('a[href$="/flag"]')
    officers = moderator.submit(f"/rounds/{round_.id}/officers", {"chair_name": "Someone"})
    assert officers.status_code == 409
    premoderation = moderator.submit(f"/rounds/{round_.id}/premoderation", {"on": "1"})
    assert premoderation.status_code == 409


def test_dismiss_flags_is_offered_only_on_a_comment_with_open_flags(make_client, db):
    moderator, round_, orgs, reps = moderator_and_round(make_client, db)
    government = (reps[Group.GOVERNMENT], orgs[Group.GOVERNMENT])
    plain = factories.comment(db, round_, *government, "Nobody flagged this.")
    flagged = factories.comment(db, round_, *government, "Someone flagged this.")
    db.add(Flag(comment_id=flagged.id, reporter_id=reps[Group.WORKERS].id, reason="Spam."))
    db.commit()
    page = soup(moderator.get(f"/rounds/{round_.id}").text)

    def dismiss(comment_id: int) -> list[object]:
        return page.select(f'form[action$="/comments/{comment_id}/dismiss-flags"]')

    assert dismiss(flagged.id) and not dismiss(plain.id)
    assert (
        moderator.submit(f"/rounds/{round_.id}/comments/{plain.id}/dismiss-flags").status_code
        == 409
    )
    ok = moderator.submit(f"/rounds/{round_.id}/comments/{flagged.id}/dismiss-flags")
    assert ok.status_code == 303
    page = soup(moderator.get(f"/rounds/{round_.id}").text)
    assert not dismiss(flagged.id)  # its flags are resolved: nothing left to dismiss
