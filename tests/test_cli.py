"""The ``tripartite`` command-line contract that outside scripts rely on."""

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.vocabulary import Group

runner = CliRunner()


def _env(url: str, tmp_path) -> dict[str, str]:
    return {
        "TRIPARTITE_DATABASE_URL": url,
        "TRIPARTITE_DATA_DIR": str(tmp_path),
        "TRIPARTITE_DEMO_PASSWORD": "demo-password-for-tests",
    }


def test_every_command_has_help():
    commands = [[], ["serve"], ["db"], ["db", "upgrade"], ["demo"], ["create-admin"]]
    for args in [*commands, ["search"], ["search", "reindex"]]:
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_demo_json_contract(fresh_url, tmp_path):
    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(cli, ["demo", "--json"], env=env)
    assert result.exit_code == 0, result.output
    demo = json.loads(result.output)
    assert set(demo) == {"password", "accounts", "rounds", "bodies"}
    assert demo["password"] == "demo-password-for-tests"
    for account in demo["accounts"]:
        assert set(account) == {"email", "name", "role", "organisation", "group", "totp_secret"}
        # moderators and administrators sign in with a second factor (the demo's key)
        assert (account["totp_secret"] is not None) == (account["role"] in ("moderator", "admin"))
    roles = {a["role"] for a in demo["accounts"]}
    assert {"admin", "moderator", "observer", "focal_point", "representative"} <= roles
    for account in demo["accounts"]:
        if account["role"] in ("admin", "moderator", "observer"):
            assert account["organisation"] is None and account["group"] is None
        else:
            assert account["group"] in {g.value for g in Group}
    organisations: dict[str, set[str]] = {}
    for account in demo["accounts"]:
        if account["organisation"]:
            organisations.setdefault(account["group"], set()).add(account["organisation"])
    sizes = sorted(len(names) for names in organisations.values())
    assert len(organisations) == 3 and sizes[0] < sizes[-1]  # unequal sizes: weight matters
    # every organisation has a focal point and at least one representative
    for names in organisations.values():
        for name in names:
            held = {a["role"] for a in demo["accounts"] if a["organisation"] == name}
            assert held == {"focal_point", "representative"}
    for round_ in demo["rounds"]:
        assert set(round_) == {"id", "title", "status", "url", "organisations"}
        for organisation in round_["organisations"]:
            assert set(organisation) == {"name", "group", "responded"}
            assert isinstance(organisation["responded"], bool)
    # a second run loads nothing new and describes the same demo
    again = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    assert again["accounts"] == demo["accounts"]
    assert again["rounds"] == demo["rounds"]
    # the tripartite bodies: the national council and its task team, each with its page
    assert [b["name"] for b in demo["bodies"]] == [
        "National Labour Advisory Council",
        "Task team on labour migration",
    ]
    for body in demo["bodies"]:
        assert set(body) == {"id", "name", "url"}
        assert body["url"].endswith(f"/bodies/{body['id']}")
    assert again["bodies"] == demo["bodies"]


def test_the_demo_says_which_organisations_answered_and_keeps_one_that_has_not(fresh_url, tmp_path):
    from sqlalchemy import create_engine, text

    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    demo = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    engine = create_engine(fresh_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.round_id, o.name FROM positions p "
                "JOIN organisations o ON o.id = p.organisation_id"
            )
        )
        posted = {(round_id, name) for round_id, name in rows}
    engine.dispose()
    for round_ in demo["rounds"]:
        for organisation in round_["organisations"]:
            assert organisation["responded"] == ((round_["id"], organisation["name"]) in posted)
    # a representative whose organisation has not answered the open round (the home page's
    # to-do list and the browser journeys start from them)
    open_round = next(r for r in demo["rounds"] if r["status"] == "open")
    silent = {o["name"] for o in open_round["organisations"] if not o["responded"]}
    answered = {o["name"] for o in open_round["organisations"] if o["responded"]}
    assert silent and answered
    assert any(
        a["role"] == "representative" and a["organisation"] in silent for a in demo["accounts"]
    )


def test_demo_reset_starts_over_with_a_fresh_demo(fresh_url, tmp_path):
    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert "Demo loaded." in runner.invoke(cli, ["demo"], env=env).output
    added = runner.invoke(
        cli,
        [
            "create-admin",
            "--email",
            "extra@x.example",
            "--name",
            "Extra",
            "--password",
            "extra admin pass 2026",
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    # without --reset, data already there is kept, politely, and the way to start over is said
    kept = runner.invoke(cli, ["demo"], env=env)
    assert kept.exit_code == 0
    assert "already holds data; demo not loaded" in kept.output
    assert "make demo-reset" in kept.output and "tripartite demo --reset" in kept.output
    before = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    assert "extra@x.example" in {a["email"] for a in before["accounts"]}
    reset = runner.invoke(cli, ["demo", "--reset"], env=env)
    assert reset.exit_code == 0, reset.output
    assert "Demo loaded." in reset.output
    after = json.loads(runner.invoke(cli, ["demo", "--reset", "--json"], env=env).output)
    assert "extra@x.example" not in {a["email"] for a in after["accounts"]}
    assert [a["email"] for a in after["accounts"]] == [
        a["email"] for a in before["accounts"] if a["email"] != "extra@x.example"
    ]
    assert [r["title"] for r in after["rounds"]] == [r["title"] for r in before["rounds"]]


def test_demo_reset_never_empties_a_database_that_is_not_the_demo(fresh_url, tmp_path):
    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    made = runner.invoke(
        cli,
        ["create-admin", "--email", "chief@ministry.example", "--name", "Chief"]
        + ["--password", "a production admin pass"],
        env=env,
    )
    assert made.exit_code == 0, made.output
    refused = runner.invoke(cli, ["demo", "--reset"], env=env)
    assert refused.exit_code == 1
    assert "deleted nothing" in refused.output
    kept = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    assert [a["email"] for a in kept["accounts"]] == ["chief@ministry.example"]


def test_the_demo_tells_the_two_factor_command_that_works_from_the_project_folder(
    fresh_url, tmp_path
):
    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    output = runner.invoke(cli, ["demo"], env=env).output
    assert "`.venv/bin/tripartite demo-code`" in output


def test_demo_accounts_sign_in_with_the_shared_password(fresh_url, tmp_path):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import asgi

    env = _env(fresh_url, tmp_path)
    runner.invoke(cli, ["db", "upgrade"], env=env)
    demo = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    settings = Settings(database_url=fresh_url, data_dir=tmp_path, secret_key="s")
    with TestClient(asgi(settings), follow_redirects=False) as client:
        client.get("/login")
        account = next(a for a in demo["accounts"] if a["role"] == "representative")
        response = client.post(
            "/login",
            data={
                "email": account["email"],
                "password": demo["password"],
                "csrftoken": client.cookies["csrftoken"],
            },
        )
        assert response.status_code == 303
        assert account["organisation"] in client.get("/").text


def test_create_admin(fresh_url, tmp_path):
    env = _env(fresh_url, tmp_path)
    runner.invoke(cli, ["db", "upgrade"], env=env)
    result = runner.invoke(
        cli,
        [
            "create-admin",
            "--email",
            "Chief@Ministry.example",
            "--name",
            "Chief",
            "--password",
            "a strong passphrase",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "chief@ministry.example" in result.output
    short = runner.invoke(
        cli,
        ["create-admin", "--email", "b@x.example", "--name", "B", "--password", "short"],
        env=env,
    )
    assert short.exit_code == 2
    assert "at least 12 characters" in short.output


def test_api_token_create_prints_the_token_as_its_last_word(fresh_url, tmp_path):
    from app.main import asgi
    from tests.conftest import Browser

    env = _env(fresh_url, tmp_path)
    runner.invoke(cli, ["db", "upgrade"], env=env)
    runner.invoke(cli, ["demo"], env=env)
    created = runner.invoke(cli, ["api-token", "create", "Ministry statistics"], env=env)
    assert created.exit_code == 0, created.output
    token = created.output.split()[-1]
    settings = Settings(database_url=fresh_url, data_dir=tmp_path, secret_key="s")
    with Browser(asgi(settings)) as api:
        auth = {"Authorization": f"Bearer {token}"}
        rounds = api.get("/api/v1/rounds", headers=auth).json()["items"]
        published = next(r for r in rounds if r["status"] == "published")
        summary = api.get(f"/api/v1/rounds/{published['id']}/summary", headers=auth)
        assert summary.status_code == 200 and summary.json()["fingerprint"].startswith("sha256:")
    listed = runner.invoke(cli, ["api-token", "list"], env=env)
    assert "Ministry statistics" in listed.output and token not in listed.output
    assert runner.invoke(cli, ["api-token", "revoke", "1"], env=env).exit_code == 0
    with Browser(asgi(settings)) as api:
        assert api.get("/api/v1/rounds", headers=auth).status_code == 401
    assert runner.invoke(cli, ["api-token", "create", "  "], env=env).exit_code == 2


@pytest.mark.parametrize(
    "poison", ["\x00", "\u202e", "\r\nBcc: everyone@test.example", "\u2028"], ids=repr
)
def test_names_given_on_the_command_line_are_one_clean_line(fresh_url, tmp_path, poison):
    """The command line creates names too (an administrator, an API token): refused like the
    forms' (app.text_rules.clean_line), with the error, never a crash or a stored control."""
    env = _env(fresh_url, tmp_path)
    runner.invoke(cli, ["db", "upgrade"], env=env)
    admin = runner.invoke(
        cli,
        ["create-admin", "--email", "a@x.example", "--name", f"Ad{poison}min"]
        + ["--password", "a strong passphrase"],
        env=env,
    )
    assert admin.exit_code == 2 and "error:" in admin.output, admin.output
    token = runner.invoke(cli, ["api-token", "create", f"Unit{poison}"], env=env)
    assert token.exit_code == 2 and "error:" in token.output, token.output
    listed = runner.invoke(cli, ["api-token", "list"], env=env)
    assert listed.exit_code == 0 and "Unit" not in listed.output


def test_export_writes_every_format(fresh_url, tmp_path):
    import csv
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    env = _env(fresh_url, tmp_path)
    runner.invoke(cli, ["db", "upgrade"], env=env)
    demo = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    published = next(r for r in demo["rounds"] if r["status"] == "published")["id"]
    files = {}
    for fmt in ("csv", "json", "xlsx", "pdf"):
        files[fmt] = tmp_path / f"round.{fmt}"
        result = runner.invoke(
            cli, ["export", str(published), "--format", fmt, "--output", str(files[fmt])], env=env
        )
        assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig"))))
    summary = json.loads(files["json"].read_text())
    positions = [r for r in rows if r["kind"] == "position"]
    assert len(positions) == sum(g["responded"] for g in summary["groups"].values()) > 0
    assert len(rows) == len(summary["items"])
    assert load_workbook(files["xlsx"], read_only=True).sheetnames[0] == "summary"
    first_page = " ".join(PdfReader(files["pdf"]).pages[0].extract_text().split())
    assert summary["round"]["title"] in first_page
    to_stdout = runner.invoke(cli, ["export", str(published), "--format", "csv"], env=env)
    assert to_stdout.output.lstrip("\ufeff").startswith("kind,round_id,group")
    unknown = runner.invoke(cli, ["export", "999", "--format", "csv"], env=env)
    assert unknown.exit_code == 2 and "no such round" in unknown.output
    bad = runner.invoke(cli, ["export", str(published), "--format", "docx"], env=env)
    assert bad.exit_code == 2 and "unknown format" in bad.output


def test_search_reindex_rebuilds_the_index_the_writers_keep(fresh_url, tmp_path):
    from sqlalchemy import func, select

    from app.db import make_engine
    from app.search.models import SearchEntry, SearchWord

    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(cli, ["demo"], env=env).exit_code == 0
    engine = make_engine(fresh_url, pool_size=1)

    def entries() -> set[tuple[str, int, int, str]]:
        with engine.connect() as connection:
            rows = connection.execute(
                select(SearchEntry.kind, SearchEntry.source_id, SearchEntry.id, SearchEntry.body)
            )
            return {(str(k), s, i, b) for k, s, i, b in rows}

    written = entries()
    assert len({kind for kind, *_ in written}) >= 5  # the demo's writers filled the index
    result = runner.invoke(cli, ["search", "reindex"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(written):,} entries indexed." in result.output
    assert entries() == written
    one = runner.invoke(cli, ["search", "reindex", "--kind", "comment"], env=env)
    assert one.exit_code == 0, one.output
    unknown = runner.invoke(cli, ["search", "reindex", "--kind", "gossip"], env=env)
    assert unknown.exit_code == 2 and "unknown kind gossip" in unknown.output
    words = runner.invoke(cli, ["search", "reindex", "--words"], env=env)
    assert words.exit_code == 0, words.output
    with engine.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(SearchWord)).scalar_one()
    assert kept > 0 and f"{kept:,} words kept." in words.output
    engine.dispose()
