"""Rules of a round's officers (who may chair, who may be vice-chair) and the balanced order in
which the social partners' opening statements come first. No database."""

from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import DomainError
from app.officers.rules import (
    Affiliation,
    OfficerRole,
    Person,
    balanced_ids,
    choose_chair,
    choose_vice_chair,
    may_chair,
    opening_order,
)
from app.rounds import rules as round_rules
from app.vocabulary import Group

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
FAST = settings(max_examples=150, database=None, deadline=None)

MINISTRY = Affiliation(1, "Ministry of Labour", G, invited=True)
UNION = Affiliation(2, "Trade Union Confederation", W, invited=True)
FEDERATION = Affiliation(3, "Employers' Federation", E, invited=True)
OTHER_FEDERATION = Affiliation(4, "Chamber of Commerce", E, invited=False)

MINISTER = Person(10, "Amina Haddad", (MINISTRY,))
NEUTRAL = Person(11, "Elena Rossi")  # a moderator, say: no mandate
UNIONIST = Person(12, "Grace Mwangi", (UNION,))
EMPLOYER = Person(13, "Henrik Larsen", (FEDERATION,))
UNINVITED_EMPLOYER = Person(14, "Mei Chen", (OTHER_FEDERATION,))


# -- officers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "allowed"),
    [(MINISTER, True), (NEUTRAL, True), (UNIONIST, False), (EMPLOYER, False)],
)
def test_the_chair_is_government_or_neutral(person, allowed):
    assert may_chair(person) is allowed


def test_a_chair_from_the_government_is_named_with_the_ministry():
    chair = choose_chair(MINISTER, True, "")
    assert chair is not None
    assert (chair.role, chair.user_id, chair.organisation) == (
        OfficerRole.CHAIR,
        10,
        "Ministry of Labour",
    )
    neutral = choose_chair(NEUTRAL, True, "")
    assert neutral is not None and neutral.organisation_id is None


def test_a_chair_without_an_account_is_a_name():
    chair = choose_chair(None, False, "  Justice Ana Ferreira ")
    assert chair is not None
    assert (chair.name, chair.user_id) == ("Justice Ana Ferreira", None)
    assert choose_chair(None, False, "") is None  # no chair


@pytest.mark.parametrize(
    ("person", "asked", "name", "field", "words"),
    [
        (UNIONIST, True, "", "chair_user", "speaks for a workers' organisation"),
        (EMPLOYER, True, "", "chair_user", "speaks for an employers' organisation"),
        (None, True, "", "chair_user", "Choose the chair in the list"),
        (MINISTER, True, "Someone", "chair_name", "not both"),
        (None, False, "A\x00B", "chair_name", "control characters"),
        (None, False, "x" * 201, "chair_name", "characters long"),
    ],
)
def test_refused_chairs_say_why_next_to_the_field(person, asked, name, field, words):
    with pytest.raises(DomainError) as refused:
        choose_chair(person, asked, name)
    assert refused.value.field == field
    assert words in refused.value.message
    assert refused.value.status_code == 422


@pytest.mark.parametrize(
    ("role", "person", "ok"),
    [
        (OfficerRole.VICE_CHAIR_EMPLOYERS, EMPLOYER, True),
        (OfficerRole.VICE_CHAIR_EMPLOYERS, UNIONIST, False),
        (OfficerRole.VICE_CHAIR_EMPLOYERS, MINISTER, False),
        (OfficerRole.VICE_CHAIR_EMPLOYERS, UNINVITED_EMPLOYER, False),
        (OfficerRole.VICE_CHAIR_EMPLOYERS, NEUTRAL, False),
        (OfficerRole.VICE_CHAIR_EMPLOYERS, None, False),
        (OfficerRole.VICE_CHAIR_WORKERS, UNIONIST, True),
        (OfficerRole.VICE_CHAIR_WORKERS, EMPLOYER, False),
    ],
)
def test_each_vice_chair_represents_an_invited_organisation_of_their_group(role, person, ok):
    if ok:
        officer = choose_vice_chair(role, person, True)
        assert officer is not None and officer.user_id == person.user_id
        assert officer.organisation_id in {UNION.organisation_id, FEDERATION.organisation_id}
        return
    with pytest.raises(DomainError) as refused:
        choose_vice_chair(role, person, True)
    assert refused.value.field == role.value
    group = "employers'" if role is OfficerRole.VICE_CHAIR_EMPLOYERS else "workers'"
    assert f"invited {group} organisation" in refused.value.message


def test_a_vice_chair_left_empty_is_nobody():
    assert choose_vice_chair(OfficerRole.VICE_CHAIR_WORKERS, None, False) is None


# -- the balanced order --------------------------------------------------------------------------


@pytest.mark.parametrize("order", list(permutations(Group)))
def test_the_social_partners_open_in_the_columns_order_then_the_government(order):
    assert opening_order(order)[-1] is G
    assert [g for g in opening_order(order) if g is not G] == [g for g in order if g is not G]


def test_the_openings_come_first_then_turns_in_the_columns_order():
    # government spoke first in time; the columns put the government first
    items = [(1, G), (2, G), (3, W), (4, E), (5, W), (6, G), (7, E)]
    order = (G, E, W)
    assert balanced_ids(items, order, social_partners_first=False) == [1, 4, 3, 2, 7, 5, 6]
    # employers' and workers' openings (4 and 3, in the columns' order), then the government's
    # (1); then the turns go on in the columns' order
    assert balanced_ids(items, order, social_partners_first=True) == [4, 3, 1, 2, 7, 5, 6]


def test_a_group_that_has_not_spoken_is_skipped():
    items = [(1, G), (2, G), (3, W)]
    assert balanced_ids(items, (G, E, W), social_partners_first=True) == [3, 1, 2]
    assert balanced_ids([], (G, E, W), social_partners_first=True) == []
    only_government = [(1, G), (2, G)]
    assert balanced_ids(only_government, (W, G, E), social_partners_first=True) == [1, 2]


GROUPED = st.lists(st.sampled_from(list(Group)), max_size=40).map(
    lambda groups: [(n, g) for n, g in enumerate(groups, start=1)]
)


@FAST
@given(items=GROUPED, order=st.permutations(list(Group)), first=st.booleans())
def test_the_order_keeps_every_comment_once_and_each_groups_own_order(items, order, first):
    ids = balanced_ids(items, tuple(order), social_partners_first=first)
    assert sorted(ids) == sorted(i for i, _g in items)
    group_of = dict(items)
    for group in Group:
        mine = [i for i in ids if group_of[i] is group]
        assert mine == sorted(mine)  # within a group: as it was given (chronological)


@FAST
@given(items=GROUPED, order=st.permutations(list(Group)))
def test_with_social_partners_first_only_the_openings_move(items, order):
    plain = round_rules.balanced_ids(items, tuple(order))
    ids = balanced_ids(items, tuple(order), social_partners_first=True)
    speaking = {g for _i, g in items}
    openings = len(speaking)
    assert set(ids[:openings]) == set(plain[:openings])  # the same first round of turns
    assert ids[openings:] == plain[openings:]  # and the same after it
    heads = [dict(items)[i] for i in ids[:openings]]
    if G in heads:
        assert heads[-1] is G  # the government opens after the social partners
