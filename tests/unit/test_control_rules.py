"""The "may X now" rules behind the round page's controls and the actions themselves: each
returns the refusal (or None when the action would succeed). No web, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from app.caucus.rules import StatementState, require_publishable
from app.caucus.rules import publish_refusal as statement_publish_refusal
from app.errors import Conflict, DomainError
from app.moderation import rules
from app.officers.rules import change_refusal
from app.vocabulary import Group, RoundStatus

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
S = RoundStatus
ALL_CONFIRMED = {g: "confirmed" for g in Group}
WORKERS_WAITING = {**ALL_CONFIRMED, Group.WORKERS: "requested"}


def allowed(refusal: DomainError | None) -> bool:
    return refusal is None


@pytest.mark.parametrize(
    ("status", "close", "extend", "reopen", "flag", "premoderation", "officers"),
    [
        (S.DRAFT, False, False, False, False, False, True),
        (S.SCHEDULED, False, True, False, False, True, True),
        (S.OPEN, True, True, False, True, True, True),
        (S.CLOSED, False, False, True, False, False, True),
        (S.PUBLISHED, False, False, False, False, False, False),
    ],
)
def test_what_each_status_allows(status, close, extend, reopen, flag, premoderation, officers):
    assert allowed(rules.close_refusal(status)) is close
    assert allowed(rules.extend_refusal(status)) is extend
    assert allowed(rules.reopen_refusal(status)) is reopen
    assert allowed(rules.flag_refusal(status)) is flag
    assert allowed(rules.premoderation_refusal(status)) is premoderation
    assert allowed(change_refusal(status)) is officers


def test_the_outcome_is_revised_only_while_recorded_closed():
    assert rules.outcome_refusal(S.CLOSED) is None
    for status in (S.OPEN, S.PUBLISHED, S.DRAFT):
        assert isinstance(rules.outcome_refusal(status), Conflict)


@pytest.mark.parametrize(
    ("status", "recorded", "outcome", "signoffs", "deadline", "why"),
    [
        (S.OPEN, S.OPEN, None, {}, None, "Close the round before publishing it."),
        (S.CLOSED, S.OPEN, None, {}, None, "Close the round with its outcome"),
        (S.PUBLISHED, S.PUBLISHED, "Agreed.", ALL_CONFIRMED, None, "already published"),
        (S.CLOSED, S.CLOSED, "  ", ALL_CONFIRMED, None, "Write the outcome"),
        (S.CLOSED, S.CLOSED, "Agreed.", {}, None, "Ask each group's spokesperson"),
        (S.CLOSED, S.CLOSED, "Agreed.", WORKERS_WAITING, NOW + timedelta(days=1), "workers"),
    ],
)
def test_publication_is_refused_with_its_reason(status, recorded, outcome, signoffs, deadline, why):
    refusal = rules.publish_refusal(status, recorded, outcome, signoffs, deadline, NOW)
    assert refusal is not None
    assert why in refusal.message


@pytest.mark.parametrize(
    ("signoffs", "deadline"),
    [
        (ALL_CONFIRMED, None),
        ({**ALL_CONFIRMED, Group.EMPLOYERS: "reservation"}, None),
        (WORKERS_WAITING, NOW - timedelta(minutes=1)),  # the sign-off deadline passed
    ],
)
def test_publication_is_allowed_once_every_group_answered_or_the_deadline_passed(
    signoffs, deadline
):
    assert rules.publish_refusal(S.CLOSED, S.CLOSED, "Agreed.", signoffs, deadline, NOW) is None


def test_sign_off_is_asked_for_after_the_close_until_every_group_answered():
    ask = rules.signoff_request_refusal
    assert ask(S.CLOSED, "Agreed.", {}) is None
    assert ask(S.CLOSED, "Agreed.", WORKERS_WAITING) is None  # changing the request
    assert "Every group has answered" in ask(S.CLOSED, "Agreed.", ALL_CONFIRMED).message
    for recorded, outcome in ((S.OPEN, None), (S.CLOSED, ""), (S.PUBLISHED, "Agreed.")):
        refusal = ask(recorded, outcome, {})
        assert refusal is not None and refusal.status_code == 409


def test_flags_are_dismissed_only_when_there_are_open_ones():
    assert isinstance(rules.dismiss_flags_refusal(0), Conflict)
    assert rules.dismiss_flags_refusal(2) is None


def test_the_checks_raise_the_very_refusal_the_page_shows():
    with pytest.raises(rules.FlaggingClosed) as raised:
        rules.check_flaggable(S.PUBLISHED)
    refusal = rules.flag_refusal(S.PUBLISHED)
    assert refusal is not None and raised.value.message == refusal.message
    with pytest.raises(Conflict) as closed:
        rules.check_close(S.DRAFT)
    assert closed.value.message == rules.close_refusal(S.DRAFT).message


def test_a_group_statement_is_published_once_an_organisation_endorsed_it():
    assert statement_publish_refusal(False, 1) is None
    assert statement_publish_refusal(False, 0).status_code == 409
    assert isinstance(statement_publish_refusal(True, 3), Conflict)
    with pytest.raises(DomainError):
        require_publishable(StatementState(published=False, endorsements=0))
