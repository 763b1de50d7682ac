"""The read-only JSON API: tokens, listings with cursors, ETags, and clear JSON errors."""

from datetime import timedelta

from sqlalchemy import select

from app.accounts.credentials import hash_token
from app.accounts.models import ApiToken
from app.api import tokens
from app.audit.models import AuditEvent
from app.db import utcnow
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance, Visibility
from tests import factories
from tests.conftest import text_of
from tests.factories import signed_in


def agency(make_client, db, name="UN agency"):
    _token, plain = tokens.create(db, name, None)
    db.commit()
    client = make_client()
    client.headers["Authorization"] = f"Bearer {plain}"
    return client, plain


def error_of(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()["error"]
    assert body["status"] == status and body["message"]
    return body["message"]


def test_without_a_valid_token_the_api_answers_401_in_json(make_client, db):
    client = make_client()
    message = error_of(client.get("/api/v1/rounds"), 401)
    assert "Authorization: Bearer" in message
    assert client.get("/api/v1/rounds").headers["www-authenticate"].startswith("Bearer")
    for header in ("Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer tpt_" + "x" * 43):
        error_of(client.get("/api/v1/consultations", headers={"Authorization": header}), 401)


def test_a_revoked_token_stops_working_at_once(make_client, db):
    client, plain = agency(make_client, db)
    assert client.get("/api/v1/rounds").status_code == 200
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    tokens.revoke(db, token.id, None)
    db.commit()
    assert "revoked" in error_of(client.get("/api/v1/rounds"), 401)


def test_tokens_are_stored_hashed_and_their_use_recorded(make_client, db):
    client, plain = agency(make_client, db)
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    assert plain not in (token.token_hash, token.name) and token.last_used_at is None
    client.get("/api/v1/consultations")
    db.refresh(token)
    assert token.last_used_at is not None and utcnow() - token.last_used_at < timedelta(minutes=1)


def test_rounds_page_through_with_a_cursor_and_hide_drafts(make_client, db):
    rounds = [factories.three_groups_round(db)[0] for _ in range(5)]
    draft, _o, _r = factories.three_groups_round(db, status=RoundStatus.DRAFT)
    client, _plain = agency(make_client, db)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/rounds", params=params).json()
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r.id for r in rounds] == [i for i in seen if i in {r.id for r in rounds}]
    assert draft.id not in seen and len(seen) == len(set(seen))
    assert pages >= 3
    one = client.get(f"/api/v1/rounds/{rounds[0].id}").json()
    assert {o["group"] for o in one["invited"]} == {"government", "workers", "employers"}
    assert one["outcome"] is None  # an open round has none yet
    error_of(client.get(f"/api/v1/rounds/{draft.id}"), 404)
    error_of(client.get("/api/v1/rounds/424242"), 404)


def test_consultations_list_their_rounds(make_client, db):
    round_, _o, _r = factories.three_groups_round(db)
    client, _plain = agency(make_client, db)
    one = client.get(f"/api/v1/consultations/{round_.consultation_id}").json()
    assert [r["id"] for r in one["rounds"]] == [round_.id]
    listing = client.get("/api/v1/consultations", params={"limit": 500}).json()
    assert round_.consultation_id in [c["id"] for c in listing["items"]]
    error_of(client.get("/api/v1/consultations/424242"), 404)


def test_bad_parameters_are_clear_4xx(make_client, db):
    round_, _o, _r = factories.three_groups_round(db)
    client, _plain = agency(make_client, db)
    for limit in (0, 501, -3):
        assert "limit" in error_of(client.get("/api/v1/rounds", params={"limit": limit}), 422)
    assert "cursor" in error_of(client.get("/api/v1/rounds", params={"cursor": "!!"}), 422)
    error_of(client.get(f"/api/v1/rounds/{round_.id}/comments", params={"cursor": "-1"}), 422)
    error_of(client.get("/api/v1/rounds/99999999999999999999"), 404)


def test_etags_let_clients_skip_unchanged_answers(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db, status=RoundStatus.CLOSED)
    factories.position(db, round_, orgs[Group.WORKERS], reps[Group.WORKERS])
    client, _plain = agency(make_client, db)
    for path in (f"/api/v1/rounds/{round_.id}/summary", f"/api/v1/rounds/{round_.id}/positions"):
        first = client.get(path)
        etag = first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    summary_tag = client.get(f"/api/v1/rounds/{round_.id}/summary").headers["etag"]
    factories.position(db, round_, orgs[Group.EMPLOYERS], reps[Group.EMPLOYERS], Stance.OPPOSE)
    db.commit()
    changed = client.get(
        f"/api/v1/rounds/{round_.id}/summary", headers={"If-None-Match": summary_tag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != summary_tag


def test_summary_only_after_close_and_sealed_positions_stay_sealed(make_client, db):
    open_round, orgs, reps = factories.three_groups_round(db, sealed=True)
    factories.position(db, open_round, orgs[Group.WORKERS], reps[Group.WORKERS])
    client, _plain = agency(make_client, db)
    assert "once the round has closed" in error_of(
        client.get(f"/api/v1/rounds/{open_round.id}/summary"), 409
    )
    assert "sealed" in error_of(client.get(f"/api/v1/rounds/{open_round.id}/positions"), 409)
    open_round.status = RoundStatus.CLOSED.value
    db.commit()
    positions = client.get(f"/api/v1/rounds/{open_round.id}/positions").json()["items"]
    assert [(p["group"], p["stance"]) for p in positions] == [("workers", "support")]
    summary = client.get(f"/api/v1/rounds/{open_round.id}/summary").json()
    assert summary["groups"]["workers"]["responded"] == 1
    assert summary["fingerprint"].startswith("sha256:")


def test_comments_keep_hidden_ones_in_place_without_their_text(make_client, db):
    round_, orgs, reps = factories.three_groups_round(db)
    factories.comment(db, round_, reps[Group.WORKERS], orgs[Group.WORKERS], "Fine words")
    hidden = factories.comment(db, round_, reps[Group.EMPLOYERS], orgs[Group.EMPLOYERS], "Abuse")
    hidden.visibility = Visibility.HIDDEN.value
    db.commit()
    client, _plain = agency(make_client, db)
    items = client.get(f"/api/v1/rounds/{round_.id}/comments").json()["items"]
    assert [(c["body"], c["visibility"]) for c in items] == [
        ("Fine words", "visible"),
        (None, "hidden"),
    ]


def test_the_openapi_schema_documents_the_api_alone(make_client, db):
    schema = make_client().get("/api/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/v1/consultations",
        "/api/v1/consultations/{consultation_id}",
        "/api/v1/rounds",
        "/api/v1/rounds/{round_id}",
        "/api/v1/rounds/{round_id}/summary",
        "/api/v1/rounds/{round_id}/positions",
        "/api/v1/rounds/{round_id}/comments",
        "/api/v1/schema/summary.json",
        "/api/v1/schema/summary-export.json",
        "/api/v1/bodies",
        "/api/v1/bodies/{body_id}/meetings",
        "/api/v1/bodies/{body_id}/decisions",
        "/api/v1/schema/body.json",
        "/api/v1/schema/meeting.json",
        "/api/v1/schema/decision.json",
    }
    assert "ApiToken" in schema["components"]["securitySchemes"]
    published = make_client().get("/api/v1/schema/summary.json").json()
    assert "fingerprint" in published["required"] and "items" not in published["properties"]
    export = make_client().get("/api/v1/schema/summary-export.json").json()
    assert "items" in export["required"]


def test_an_admin_creates_a_token_shown_once_and_revokes_it(make_client, db):
    admin = signed_in(make_client, db, factories.user(db, platform_role=PlatformRole.ADMIN))
    refused = admin.submit("/admin/api-tokens", {"name": "   "})
    assert refused.status_code == 422 and "Give the token a name" in text_of(refused.text)
    created = admin.submit("/admin/api-tokens", {"name": "Statistics unit"})
    assert created.status_code == 200
    plain = created.text.split('id="new-token">')[1].split("<")[0]
    assert plain.startswith("tpt_")
    listing = admin.get("/admin/api-tokens").text
    assert "Statistics unit" in listing and plain not in listing  # shown once only
    api = make_client()
    api.headers["Authorization"] = f"Bearer {plain}"
    assert api.get("/api/v1/rounds").status_code == 200
    token = db.scalar(select(ApiToken).where(ApiToken.name == "Statistics unit"))
    assert admin.submit(f"/admin/api-tokens/{token.id}/revoke").status_code == 303
    assert api.get("/api/v1/rounds").status_code == 401
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "api_token")
    ).all()
    assert actions == ["api_token.created", "api_token.revoked"]


def test_only_admins_manage_tokens(make_client, db):
    for role in (PlatformRole.MODERATOR, PlatformRole.OBSERVER):
        person = signed_in(make_client, db, factories.user(db, platform_role=role))
        assert person.get("/admin/api-tokens").status_code == 403
        assert person.submit("/admin/api-tokens", {"name": "Mine"}).status_code == 403


def test_consultations_with_only_drafts_stay_unannounced(make_client, db):
    draft, _o, _r = factories.three_groups_round(db, status=RoundStatus.DRAFT)
    client, _plain = agency(make_client, db)
    listed = client.get("/api/v1/consultations", params={"limit": 500}).json()["items"]
    assert draft.consultation_id not in [c["id"] for c in listed]
    error_of(client.get(f"/api/v1/consultations/{draft.consultation_id}"), 404)


def test_validation_errors_say_what_is_allowed(make_client, db):
    client, _plain = agency(make_client, db)
    message = error_of(client.get("/api/v1/rounds", params={"limit": 9999}), 422)
    assert "limit" in message and "500" in message
