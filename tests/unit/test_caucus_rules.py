"""Rules of a group's caucus: who enters it (every role, every status), what may be written
there and when, and when a group statement may be endorsed and published. No database."""

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.rules import Speaking, Viewer
from app.caucus.rules import (
    POST_MAX,
    STATEMENT_MAX,
    Access,
    StatementState,
    access,
    check_post,
    check_statement,
    fingerprint,
    is_repeat,
    member_mandates,
    parse_group,
    require_draft,
    require_publishable,
    require_seen,
    require_writable,
)
from app.errors import DomainError
from app.vocabulary import Group, MandateRole, PlatformRole, RoundStatus

G, W, E = Group.GOVERNMENT, Group.WORKERS, Group.EMPLOYERS
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

#: The round invites organisations 1 and 2 (workers), 3 (employers), 4 (government);
#: organisation 5 (workers) is not invited.
INVITED = {1: W, 2: W, 3: E, 4: G}


def person(*mandates: tuple[int, Group], role: MandateRole = MandateRole.REPRESENTATIVE) -> Viewer:
    return Viewer(
        7,
        "Ama Mensah",
        "ama@test.example",
        None,
        tuple(Speaking(100 + org, org, f"Org {org}", group, role) for org, group in mandates),
    )


def platform(role: PlatformRole) -> Viewer:
    return Viewer(9, "Staff", "staff@test.example", role)


#: Every role, and what it gets in the workers' caucus (moderators not invited, then invited).
ROLES = [
    ("anonymous", None, Access.NONE, Access.NONE),
    ("workers representative", person((1, W)), Access.MEMBER, Access.MEMBER),
    (
        "workers focal point",
        person((2, W), role=MandateRole.FOCAL_POINT),
        Access.MEMBER,
        Access.MEMBER,
    ),
    ("workers rep of a non-invited union", person((5, W)), Access.NONE, Access.NONE),
    ("employers representative", person((3, E)), Access.NONE, Access.NONE),
    ("government representative", person((4, G)), Access.NONE, Access.NONE),
    ("observer", platform(PlatformRole.OBSERVER), Access.NONE, Access.NONE),
    ("moderator", platform(PlatformRole.MODERATOR), Access.NONE, Access.READ),
    ("administrator", platform(PlatformRole.ADMIN), Access.NONE, Access.READ),
    ("no mandate at all", Viewer(8, "Plain", "plain@test.example", None), Access.NONE, Access.NONE),
    # a person holding mandates in two groups is a member of each group's caucus
    ("employers and workers mandates", person((3, E), (1, W)), Access.MEMBER, Access.MEMBER),
]


@pytest.mark.parametrize(
    ("role", "viewer", "uninvited", "invited"), ROLES, ids=[r[0] for r in ROLES]
)
@pytest.mark.parametrize(
    "status", [RoundStatus.SCHEDULED, RoundStatus.OPEN, RoundStatus.CLOSED, RoundStatus.PUBLISHED]
)
def test_who_enters_the_workers_caucus(role, viewer, uninvited, invited, status):
    assert access(viewer, W, INVITED, status, moderators_invited=False) is uninvited
    assert access(viewer, W, INVITED, status, moderators_invited=True) is invited


@pytest.mark.parametrize(("role", "viewer", "_u", "_i"), ROLES, ids=[r[0] for r in ROLES])
def test_a_draft_round_has_no_caucus_for_anyone(role, viewer, _u, _i):
    for invited in (False, True):
        assert access(viewer, W, INVITED, RoundStatus.DRAFT, invited) is Access.NONE


def test_each_group_has_its_own_caucus():
    employers = person((3, E))
    assert access(employers, E, INVITED, RoundStatus.OPEN, False) is Access.MEMBER
    assert access(employers, W, INVITED, RoundStatus.OPEN, False) is Access.NONE
    assert access(employers, G, INVITED, RoundStatus.OPEN, False) is Access.NONE
    # another group's invitation of the moderators lets nobody else in
    workers = person((1, W))
    assert access(workers, E, INVITED, RoundStatus.OPEN, True) is Access.NONE


def test_members_speak_for_their_organisations_of_that_group_only():
    viewer = person((3, E), (1, W), (5, W))
    assert [m.organisation_id for m in member_mandates(viewer, W, INVITED)] == [1]
    assert [m.organisation_id for m in member_mandates(viewer, E, INVITED)] == [3]
    assert member_mandates(viewer, G, INVITED) == ()


@pytest.mark.parametrize(
    ("value", "group"),
    [("workers", W), ("employers", E), ("government", G), ("Workers", None), ("", None)],
)
def test_parse_group(value, group):
    assert parse_group(value) is group


@pytest.mark.parametrize(
    ("status", "writable"),
    [
        (RoundStatus.SCHEDULED, True),
        (RoundStatus.OPEN, True),
        (RoundStatus.CLOSED, False),
        (RoundStatus.PUBLISHED, False),
    ],
)
def test_a_caucus_is_written_in_until_the_round_closes(status, writable):
    if writable:
        require_writable(status)
    else:
        with pytest.raises(DomainError) as refused:
            require_writable(status)
        assert refused.value.status_code == 409


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "required"),
        ("   \n ", "required"),
        ("a\x00b", "control characters"),
        ("x" * (POST_MAX + 1), "characters long"),
    ],
)
def test_messages_are_checked(text, problem):
    with pytest.raises(DomainError) as refused:
        check_post(text)
    assert problem in refused.value.message
    assert refused.value.field == "body"


def test_statements_are_checked():
    assert check_statement("  Our **joint** text.\r\n") == "Our **joint** text."
    for text in ("", "x" * (STATEMENT_MAX + 1)):
        with pytest.raises(DomainError) as refused:
            check_statement(text)
        assert refused.value.field == "text"


@pytest.mark.parametrize(
    ("last_body", "age", "body", "repeat"),
    [
        ("Same.", timedelta(seconds=3), "Same.", True),
        ("Same.", timedelta(seconds=29), "Same.", True),
        ("Same.", timedelta(seconds=30), "Same.", False),
        ("Other.", timedelta(seconds=3), "Same.", False),
        (None, None, "Same.", False),
    ],
)
def test_the_same_message_sent_twice_is_one_message(last_body, age, body, repeat):
    last_at = NOW - age if age is not None else None
    assert is_repeat(last_body, last_at, body, NOW) is repeat


def test_a_form_built_from_an_older_text_is_refused():
    text = "Our draft."
    require_seen(text, fingerprint(text))
    require_seen(text, "")  # not checked
    with pytest.raises(DomainError) as refused:
        require_seen("Our revised draft.", fingerprint(text))
    assert refused.value.status_code == 409
    assert fingerprint(text) != fingerprint(text + " ")


@pytest.mark.parametrize(
    ("state", "refusal"),
    [
        (StatementState(published=False, endorsements=0), "At least one organisation"),
        (StatementState(published=True, endorsements=3), "is published"),
        (StatementState(published=False, endorsements=1), None),
        (StatementState(published=False, endorsements=4), None),
    ],
)
def test_publication_needs_an_endorsement_and_happens_once(state, refusal):
    if refusal is None:
        require_publishable(state)
        return
    with pytest.raises(DomainError) as refused:
        require_publishable(state)
    assert refusal in refused.value.message
    assert refused.value.status_code == 409


def test_a_published_statement_is_no_longer_endorsed_or_changed():
    require_draft(StatementState(published=False, endorsements=0))
    with pytest.raises(DomainError):
        require_draft(StatementState(published=True, endorsements=1))
