"""Who may see a restricted agenda item, meeting document or minutes, and when it becomes
public (app.meetings.confidentiality)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.meetings.confidentiality import (
    OUTSIDER,
    BodyViewer,
    Restriction,
    body_viewer,
    effective,
    may_see,
    released,
)
from app.vocabulary import Confidentiality, Group

NOW = datetime(2027, 3, 12, 10, 0)
groups = st.sampled_from(list(Group))
moments = st.one_of(
    st.none(), st.integers(-1000, 1000).map(lambda hours: NOW + timedelta(hours=hours))
)
viewers = st.builds(BodyViewer, member_groups=st.frozensets(groups), secretariat=st.booleans())
unreleased = st.builds(
    Restriction,
    confidentiality=st.sampled_from(list(Confidentiality)),
    restricted_group=groups,
    release_at=st.one_of(st.none(), st.integers(1, 1000).map(lambda h: NOW + timedelta(hours=h))),
    released_at=st.none(),
)
restrictions = st.builds(
    Restriction,
    confidentiality=st.sampled_from(list(Confidentiality)),
    restricted_group=st.one_of(st.none(), groups),
    release_at=moments,
    released_at=moments,
)


@given(groups, viewers, st.one_of(st.none(), st.integers(1, 1000)))
def test_group_only_is_for_that_groups_members_alone(group, viewer, release_in):
    release_at = None if release_in is None else NOW + timedelta(hours=release_in)
    restriction = Restriction(Confidentiality.GROUP, group, release_at, None)
    assert may_see(restriction, viewer, NOW) == (group in viewer.member_groups)


@given(groups)
def test_the_secretariat_is_not_in_a_groups_room(group):
    restriction = Restriction(Confidentiality.GROUP, group)
    assert not may_see(restriction, BodyViewer(secretariat=True), NOW)
    others = frozenset(set(Group) - {group})
    assert not may_see(restriction, BodyViewer(others, secretariat=True), NOW)
    assert may_see(restriction, BodyViewer(frozenset({group})), NOW)


@given(viewers, st.one_of(st.none(), groups))
def test_members_only_is_for_members_and_the_secretariat(viewer, group):
    restriction = Restriction(Confidentiality.MEMBERS, group)
    assert may_see(restriction, viewer, NOW) == (bool(viewer.member_groups) or viewer.secretariat)


@given(unreleased)
def test_an_outsider_sees_nothing_restricted_before_its_release(restriction):
    assert may_see(restriction, OUTSIDER, NOW) == (
        restriction.confidentiality is Confidentiality.PUBLIC
    )


@given(restrictions, viewers)
def test_an_outsider_sees_only_what_is_public_now(restriction, viewer):
    public_now = effective(restriction, NOW) is Confidentiality.PUBLIC
    assert may_see(restriction, OUTSIDER, NOW) == public_now
    if public_now:
        assert may_see(restriction, viewer, NOW)


@given(restrictions, viewers)
def test_whoever_an_outsider_may_see_a_member_may_see(restriction, viewer):
    if may_see(restriction, OUTSIDER, NOW):
        assert may_see(restriction, viewer, NOW)


@given(st.sampled_from(list(Confidentiality)), groups, st.integers(0, 1000))
def test_released_at_a_time_public_from_that_time(level, group, hours):
    at = NOW - timedelta(hours=hours)
    restriction = Restriction(level, group, release_at=at)
    assert released(restriction, NOW)
    assert may_see(restriction, OUTSIDER, NOW)
    assert may_see(restriction, OUTSIDER, at)  # from that very time
    before = at - timedelta(seconds=1)
    assert may_see(restriction, OUTSIDER, before) == (level is Confidentiality.PUBLIC)


@given(st.sampled_from(list(Confidentiality)), groups, moments)
def test_marked_released_is_public_whatever_the_date(level, group, release_at):
    restriction = Restriction(level, group, release_at=release_at, released_at=NOW)
    assert released(restriction, NOW)
    assert effective(restriction, NOW) is Confidentiality.PUBLIC
    assert may_see(restriction, OUTSIDER, NOW)


@given(st.lists(st.tuples(st.integers(1, 20), groups), max_size=10), st.sets(st.integers(1, 20)))
def test_a_persons_groups_on_a_body_are_those_of_their_seated_organisations(mandated, seated):
    viewer = body_viewer(mandated, seated, secretariat=False)
    assert viewer.member_groups == {g for org, g in mandated if org in seated}
    assert viewer.member == bool(viewer.member_groups)
    assert body_viewer(mandated, seated, secretariat=True).secretariat
