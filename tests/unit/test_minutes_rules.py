"""Who reads minutes in which state, when they may change, when members comment, and how a
release is said (app.minutes.rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.meetings.confidentiality import OUTSIDER, BodyViewer, Restriction, may_see
from app.minutes import rules
from app.vocabulary import Confidentiality, Group, MinutesStatus

NOW = datetime(2027, 3, 12, 10, 0)
viewers = st.builds(
    BodyViewer, member_groups=st.frozensets(st.sampled_from(list(Group))), secretariat=st.booleans()
)
restrictions = st.builds(
    Restriction,
    confidentiality=st.sampled_from(list(Confidentiality)),
    restricted_group=st.one_of(st.none(), st.sampled_from(list(Group))),
    release_at=st.one_of(
        st.none(), st.just(NOW - timedelta(days=1)), st.just(NOW + timedelta(days=1))
    ),
    released_at=st.one_of(st.none(), st.just(NOW - timedelta(hours=1))),
)
UNPUBLISHED = [s for s in MinutesStatus if s is not MinutesStatus.PUBLISHED]


@given(st.sampled_from(UNPUBLISHED), restrictions, viewers)
def test_minutes_not_yet_published_are_for_members_and_the_secretariat(status, restriction, viewer):
    assert rules.may_read(status, restriction, viewer, NOW) == (viewer.member or viewer.secretariat)
    assert not rules.may_read(status, restriction, OUTSIDER, NOW)


@given(restrictions, viewers)
def test_published_minutes_follow_their_confidentiality_and_the_secretariat_reads_them(
    restriction, viewer
):
    expected = viewer.secretariat or may_see(restriction, viewer, NOW)
    assert rules.may_read(MinutesStatus.PUBLISHED, restriction, viewer, NOW) == expected


@given(st.sampled_from(list(MinutesStatus)))
def test_only_drafts_and_minutes_out_for_comments_are_edited(status):
    refusal = rules.edit_refusal(status)
    assert (refusal is None) == (status in (MinutesStatus.DRAFT, MinutesStatus.COMMENTS))
    if status is MinutesStatus.PUBLISHED:
        assert refusal == "Published minutes are final: write a correction."


@given(st.sampled_from(list(MinutesStatus)), st.integers(-100, 100))
def test_comments_are_open_while_out_for_comments_until_the_last_moment(status, minutes):
    until = NOW + timedelta(minutes=minutes)
    assert rules.comments_open(status, until, NOW) == (
        status is MinutesStatus.COMMENTS and minutes >= 0
    )
    assert not rules.comments_open(status, None, NOW)


def _date(value: datetime) -> str:
    return value.date().isoformat()


def test_a_release_said_in_a_sentence():
    say = rules.release_sentence
    assert say(Restriction(Confidentiality.PUBLIC), "", NOW, _date) == "Public"
    members = Restriction(Confidentiality.MEMBERS)
    assert say(members, "", NOW, _date) == "Stays members only"
    assert say(members, "the Convention is submitted", NOW, _date) == (
        "Public once the Convention is submitted"
    )
    dated = Restriction(Confidentiality.MEMBERS, release_at=datetime(2027, 6, 1))
    assert say(dated, "", NOW, _date) == "Public on 2027-06-01"
    released = Restriction(Confidentiality.GROUP, Group.WORKERS, released_at=datetime(2027, 3, 3))
    assert say(released, "the strike ends", NOW, _date) == "Public since 2027-03-03"
    past = Restriction(Confidentiality.MEMBERS, release_at=datetime(2027, 3, 1))
    assert say(past, "", NOW, _date) == "Public since 2027-03-01"
    group = Restriction(Confidentiality.GROUP, Group.WORKERS)
    assert say(group, "", NOW, _date) == "Stays for one group only"
    assert rules.confidentiality_label(Confidentiality.GROUP, Group.WORKERS) == (
        "Workers group only"
    )
