"""Vocabulary columns (status, group, stance, visibility, roles, weighting) are typed by their
enums: read as members, stored as the very strings written before they were typed."""

import pytest
from sqlalchemy import Enum, select, text

from app.db import Base, read
from app.organisations.models import Organisation
from app.rounds.models import Round
from app.rounds.queries import invited_organisations
from app.vocabulary import Group, RoundStatus, Stance, Weighting
from tests import factories


def test_rows_read_members_and_the_database_holds_the_strings(db):
    round_, orgs, reps = factories.three_groups_round(db, weighting=Weighting.PLENARY)
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS], Stance.OPPOSE)
    db.flush()
    stored = db.execute(
        text(
            "SELECT r.status, r.weighting, o.group_name, p.stance FROM rounds r "
            "JOIN positions p ON p.round_id = r.id "
            "JOIN organisations o ON o.id = p.organisation_id WHERE r.id = :id"
        ),
        {"id": round_.id},
    ).one()
    assert tuple(stored) == ("open", "2:1:1", "workers", "oppose")
    assert all(type(value) is str for value in stored)

    db.expire_all()
    fresh = db.get(Round, round_.id)
    assert fresh is not None
    assert fresh.status is RoundStatus.OPEN and fresh.weighting is Weighting.PLENARY
    groups = [group for _id, _name, group in read(db, invited_organisations(round_.id))]
    assert sorted(groups) == sorted(Group) and all(type(g) is Group for g in groups)
    assert db.scalar(select(Round.id).where(Round.status == "open", Round.id == round_.id))


def test_an_attribute_set_to_a_string_holds_the_member_and_an_unknown_one_is_refused():
    round_ = Round(status="closed", weighting="1:1:1")
    assert round_.status is RoundStatus.CLOSED and round_.weighting is Weighting.EQUAL
    round_.status = RoundStatus.PUBLISHED
    assert round_.status is RoundStatus.PUBLISHED
    with pytest.raises(ValueError):
        round_.status = "archived"
    with pytest.raises(ValueError):
        Organisation(name="Students", group_name="students", country="X")


def test_every_vocabulary_column_stores_the_values_of_its_enum():
    columns = [
        column
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Enum)
    ]
    assert len(columns) >= 12
    for column in columns:
        vocabulary = column.type.enum_class
        assert vocabulary is not None
        assert column.type.enums == [member.value for member in vocabulary], column
        assert not column.type.native_enum, column
