"""Rules of a round: column rotation, status over time, who may post, what may be posted."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.accounts.rules import Speaking, Viewer
from app.errors import DomainError
from app.rounds.rules import (
    COMMENT_MAX,
    STATEMENT_MAX,
    balanced_ids,
    check_comment,
    check_position,
    column_order,
    effective_status,
    idempotency_key,
    may_edit_comment,
    may_read,
    positions_visible,
    speaker_for,
)
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus, Stance

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
FAST = settings(max_examples=150, database=None, deadline=None)


def representative(*organisation_ids: int, user_id: int = 7) -> Viewer:
    mandates = tuple(
        Speaking(100 + org, org, f"Organisation {org}", W, MandateRole.REPRESENTATIVE)
        for org in organisation_ids
    )
    return Viewer(user_id, "Ama Mensah", "ama@test.example", None, mandates)


def platform(role: PlatformRole) -> Viewer:
    return Viewer(9, "Pat", "pat@test.example", role)


# --- column order ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [1, 2, 3, 10, 998])
def test_three_consecutive_rounds_each_put_a_different_group_first(start):
    orders = [column_order(round_id) for round_id in range(start, start + 3)]
    assert {order[0] for order in orders} == set(Group)
    # and the same holds for every position: over three rounds, each group sits in each place
    for place in range(3):
        assert {order[place] for order in orders} == set(Group)


@FAST
@given(st.integers(min_value=1, max_value=10**9))
def test_column_order_is_a_deterministic_permutation_of_the_three_groups(round_id):
    order = column_order(round_id)
    assert len(order) == 3
    assert set(order) == set(Group)
    assert column_order(round_id) == order
    # the rotation repeats every three rounds and keeps the cyclic sequence
    assert column_order(round_id + 3) == order
    assert column_order(round_id + 1) != order


# --- status over time --------------------------------------------------------------------------


def test_a_scheduled_round_opens_on_time_by_itself():
    opens, closes = NOW + timedelta(hours=1), NOW + timedelta(days=3)
    assert effective_status(RoundStatus.SCHEDULED, opens, closes, NOW) is RoundStatus.SCHEDULED
    assert effective_status(RoundStatus.SCHEDULED, opens, closes, opens) is RoundStatus.OPEN
    later = opens + timedelta(minutes=1)
    assert effective_status(RoundStatus.SCHEDULED, opens, closes, later) is RoundStatus.OPEN


def test_an_open_round_past_its_deadline_is_closed():
    opens, closes = NOW - timedelta(days=1), NOW + timedelta(minutes=5)
    assert effective_status(RoundStatus.OPEN, opens, closes, NOW) is RoundStatus.OPEN
    assert effective_status(RoundStatus.OPEN, opens, closes, closes) is RoundStatus.CLOSED
    # a scheduled round whose whole window has passed is closed, not open
    assert (
        effective_status(RoundStatus.SCHEDULED, opens, closes, closes + timedelta(seconds=1))
        is RoundStatus.CLOSED
    )


@pytest.mark.parametrize("status", [RoundStatus.DRAFT, RoundStatus.CLOSED, RoundStatus.PUBLISHED])
def test_other_statuses_do_not_move_with_time(status):
    past = NOW - timedelta(days=10)
    assert effective_status(status, past, past + timedelta(days=1), NOW) is status


def test_drafts_are_for_moderators_only():
    assert not may_read(representative(1), RoundStatus.DRAFT)
    assert not may_read(platform(PlatformRole.OBSERVER), RoundStatus.DRAFT)
    assert may_read(platform(PlatformRole.MODERATOR), RoundStatus.DRAFT)
    assert may_read(platform(PlatformRole.ADMIN), RoundStatus.DRAFT)
    assert may_read(representative(1), RoundStatus.OPEN)
    assert may_read(platform(PlatformRole.OBSERVER), RoundStatus.PUBLISHED)


def test_sealed_positions_are_visible_only_once_the_round_closes():
    assert positions_visible(False, RoundStatus.OPEN)
    assert not positions_visible(True, RoundStatus.OPEN)
    assert positions_visible(True, RoundStatus.CLOSED)
    assert positions_visible(True, RoundStatus.PUBLISHED)


# --- who speaks --------------------------------------------------------------------------------


def test_a_representative_of_an_invited_organisation_speaks_for_it():
    viewer = representative(5, 6)
    speaking = speaker_for(viewer, [1, 6, 9], RoundStatus.OPEN)
    assert speaking.organisation_id == 6


@pytest.mark.parametrize("status", [RoundStatus.CLOSED, RoundStatus.PUBLISHED])
def test_nobody_posts_in_a_closed_round(status):
    with pytest.raises(DomainError) as refused:
        speaker_for(representative(1), [1], status)
    assert refused.value.status_code == 409
    assert "closed" in refused.value.message


@pytest.mark.parametrize("status", [RoundStatus.DRAFT, RoundStatus.SCHEDULED])
def test_nobody_posts_before_a_round_opens(status):
    with pytest.raises(DomainError) as refused:
        speaker_for(representative(1), [1], status)
    assert refused.value.status_code == 409
    assert "not open yet" in refused.value.message


def test_a_representative_of_an_organisation_not_invited_is_refused():
    with pytest.raises(DomainError) as refused:
        speaker_for(representative(4), [1, 2, 3], RoundStatus.OPEN)
    assert refused.value.status_code == 403
    assert "not invited" in refused.value.message


@pytest.mark.parametrize("role", list(PlatformRole))
def test_platform_roles_read_but_do_not_post(role):
    with pytest.raises(DomainError) as refused:
        speaker_for(platform(role), [1, 2, 3], RoundStatus.OPEN)
    assert refused.value.status_code == 403
    assert "read" in refused.value.message


def test_a_person_without_any_mandate_is_refused():
    with pytest.raises(DomainError) as refused:
        speaker_for(representative(), [1], RoundStatus.OPEN)
    assert refused.value.status_code == 403


# --- positions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stance", [Stance.SUPPORT, Stance.NEUTRAL, Stance.ABSTAIN])
def test_a_statement_is_optional_with_most_stances(stance):
    assert check_position(stance.value, "") == (stance, "")


@pytest.mark.parametrize("stance", [Stance.OPPOSE, Stance.SUPPORT_WITH_RESERVATIONS])
@pytest.mark.parametrize("statement", ["", "   ", "\n\r\n\t "])
def test_a_statement_is_required_to_oppose_or_to_have_reservations(stance, statement):
    with pytest.raises(DomainError) as refused:
        check_position(stance.value, statement)
    assert refused.value.field == "statement"
    assert refused.value.status_code == 422
    assert "statement is required" in refused.value.message


def test_a_reasoned_opposition_is_accepted_and_tidied():
    stance, statement = check_position("oppose", "  We oppose\r\nthe quota.  ")
    assert stance is Stance.OPPOSE
    assert statement == "We oppose\nthe quota."


@pytest.mark.parametrize("value", ["", "approve", "SUPPORT", "support ", "veto"])
def test_unknown_stances_are_refused(value):
    with pytest.raises(DomainError) as refused:
        check_position(value, "Because.")
    assert refused.value.field == "stance"
    assert refused.value.status_code == 422


def test_statements_are_limited_to_20000_characters():
    assert STATEMENT_MAX == 20_000
    assert check_position("support", "a" * 20_000)[1] == "a" * 20_000
    with pytest.raises(DomainError) as refused:
        check_position("support", "a" * 20_001)
    assert refused.value.field == "statement"
    assert "20,001" in refused.value.message and "20,000" in refused.value.message


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x0b", "\x0c"])
def test_statements_with_control_characters_are_refused(bad):
    with pytest.raises(DomainError) as refused:
        check_position("support", f"We support{bad} it.")
    assert refused.value.field == "statement"
    assert "control characters" in refused.value.message


def test_tabs_and_line_breaks_are_ordinary_text():
    assert check_position("support", "Point one:\n\tfirst\r\nsecond")[1] == (
        "Point one:\n\tfirst\nsecond"
    )


# --- comments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "  ", "\n\n"])
def test_an_empty_comment_is_refused(body):
    with pytest.raises(DomainError) as refused:
        check_comment(body)
    assert refused.value.field == "body"
    assert "required" in refused.value.message


def test_comments_are_limited_to_5000_characters():
    assert COMMENT_MAX == 5_000
    assert check_comment("b" * 5_000) == "b" * 5_000
    with pytest.raises(DomainError) as refused:
        check_comment("b" * 5_001)
    assert refused.value.field == "body"
    assert "5,001" in refused.value.message


@pytest.mark.parametrize("bad", ["\x00", "\x08", "\x1c", "\x1f", "\x7f"])
def test_comments_with_control_characters_are_refused(bad):
    with pytest.raises(DomainError) as refused:
        check_comment(f"Agreed{bad} with the draft")
    assert refused.value.field == "body"
    assert refused.value.status_code == 422


@pytest.mark.parametrize("bad", ["\x9b", "\x80"])
def test_c1_control_characters_are_refused_too(bad):
    with pytest.raises(DomainError):
        check_comment(f"Agreed{bad}[31m with the draft")


def test_the_author_may_edit_for_fifteen_minutes():
    author = representative(1, user_id=7)
    posted = NOW
    assert may_edit_comment(author, 7, posted, posted + timedelta(minutes=14, seconds=59))
    assert may_edit_comment(author, 7, posted, posted + timedelta(minutes=15))
    assert not may_edit_comment(author, 7, posted, posted + timedelta(minutes=15, seconds=1))
    assert not may_edit_comment(author, 7, posted, posted + timedelta(hours=2))


def test_nobody_else_may_edit_a_comment():
    someone_else = representative(1, user_id=8)
    assert not may_edit_comment(someone_else, 7, NOW, NOW + timedelta(seconds=5))
    assert not may_edit_comment(platform(PlatformRole.MODERATOR), 7, NOW, NOW)


# --- balanced order ----------------------------------------------------------------------------


def test_balanced_order_takes_turns_in_the_given_order_with_unequal_groups():
    items = [(1, G), (2, W), (3, E), (4, G), (5, G), (6, G), (7, E)]
    assert balanced_ids(items, (W, G, E)) == [2, 1, 3, 4, 7, 5, 6]
    assert balanced_ids(items, (E, W, G)) == [3, 2, 1, 7, 4, 5, 6]
    assert balanced_ids(items, (G, E, W)) == [1, 3, 2, 4, 7, 5, 6]


def test_balanced_order_with_a_silent_group_and_an_empty_discussion():
    assert balanced_ids([(1, W), (2, W), (3, E)], (G, W, E)) == [1, 3, 2]
    assert balanced_ids([], (G, W, E)) == []
    assert balanced_ids([(4, G), (8, G)], (E, W, G)) == [4, 8]


def test_balanced_order_keeps_each_groups_own_order():
    items = [(9, W), (3, W), (5, W), (1, G)]
    assert balanced_ids(items, (W, E, G)) == [9, 1, 3, 5]


@FAST
@given(st.lists(st.sampled_from(list(Group)), max_size=60), st.permutations(list(Group)))
def test_balanced_order_interleaves_every_voice_early(groups, order):
    items = [(i + 1, group) for i, group in enumerate(groups)]
    result = balanced_ids(items, order)
    by_id = dict(items)
    # every comment once, nothing lost or added
    assert sorted(result) == [i for i, _ in items]
    # the first screen carries every group that spoke, in the column order
    speaking = [g for g in order if g in set(groups)]
    assert [by_id[i] for i in result[: len(speaking)]] == speaking
    # within a group, the original order is kept
    for group in Group:
        assert [i for i in result if by_id[i] is group] == [i for i, g in items if g is group]
    # in any prefix, no group is more than one turn ahead of a group that still has comments
    for n in range(len(result) + 1):
        seen = {g: sum(1 for i in result[:n] if by_id[i] is g) for g in Group}
        left = {g: groups.count(g) - seen[g] for g in Group}
        for a in Group:
            for b in Group:
                if left[b] > 0:
                    assert seen[a] <= seen[b] + 1


# --- idempotency keys --------------------------------------------------------------------------


def test_a_forms_idempotency_key_is_kept_when_well_formed():
    key = secrets.token_urlsafe(16)
    assert idempotency_key(key) == key
    assert idempotency_key("a" * 64) == "a" * 64


@pytest.mark.parametrize(
    "value", ["", "short", "a" * 65, "key with spaces", "form-key-0001\x00", "clé-unicode-0001"]
)
def test_a_malformed_idempotency_key_is_ignored_not_stored(value):
    """A bad key loses only the duplicate protection: the post itself goes on (and never
    reaches the database with a NUL in it)."""
    assert idempotency_key(value) is None


def test_posting_wait():
    from datetime import UTC, datetime, timedelta

    from app.rounds.rules import POSTING_WINDOW, posting_wait

    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert posting_wait(None, now) == 0
    assert posting_wait(now - POSTING_WINDOW, now) == 0
    assert posting_wait(now - POSTING_WINDOW + timedelta(seconds=30), now) == 31
    assert posting_wait(now, now) == int(POSTING_WINDOW.total_seconds()) + 1


@pytest.mark.parametrize("typed", ["²", "①", "٣", "12a", "1234567890"])
def test_a_filter_that_is_not_an_ascii_number_is_no_filter(typed):
    from app.rounds.page import discussion_params

    assert discussion_params(organisation=typed).organisation_id is None
    assert discussion_params(organisation="42").organisation_id == 42
