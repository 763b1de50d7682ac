"""schemathesis against the API's own OpenAPI schema: no 5xx, and every answer (errors too)
conforms to the schema. Examples are bounded so that CI stays fast."""

import schemathesis
from hypothesis import HealthCheck, given, settings

from app.api import tokens
from app.vocabulary import Group, RoundStatus, Stance
from tests import factories

EXAMPLES_PER_OPERATION = 12


def test_the_api_keeps_to_its_schema(make_client, db):
    closed, orgs, reps = factories.three_groups_round(db, status=RoundStatus.CLOSED)
    factories.position(db, closed, orgs[Group.WORKERS], reps[Group.WORKERS], Stance.OPPOSE, "No")
    factories.comment(db, closed, reps[Group.WORKERS], orgs[Group.WORKERS], "Why not")
    factories.three_groups_round(db, sealed=True)
    _token, plain = tokens.create(db, "schemathesis", None)
    db.commit()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", make_client().app)
    headers = {"Authorization": f"Bearer {plain}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            case.call_and_validate(headers=headers)

        conforms()
        checked.append(operation.label)
    assert len(checked) == 15
