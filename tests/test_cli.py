"""The ``tripartite`` command-line contract that outside scripts rely on."""

import json

from typer.testing import CliRunner

from app.cli import cli
from app.vocabulary import Group

runner = CliRunner()


def _env(url: str, tmp_path) -> dict[str, str]:
    return {
        "TRIPARTITE_DATABASE_URL": url,
        "TRIPARTITE_DATA_DIR": str(tmp_path),
        "TRIPARTITE_DEMO_PASSWORD": "demo-password-for-tests",
    }


def test_every_command_has_help():
    for args in ([], ["serve"], ["db"], ["db", "upgrade"], ["demo"], ["create-admin"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_demo_json_contract(fresh_url, tmp_path):
    env = _env(fresh_url, tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(cli, ["demo", "--json"], env=env)
    assert result.exit_code == 0, result.output
    demo = json.loads(result.output)
    assert set(demo) == {"password", "accounts", "rounds"}
    assert demo["password"] == "demo-password-for-tests"
    for account in demo["accounts"]:
        assert set(account) == {"email", "name", "role", "organisation", "group"}
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
    # a second run loads nothing new and describes the same demo
    again = json.loads(runner.invoke(cli, ["demo", "--json"], env=env).output)
    assert again["accounts"] == demo["accounts"]


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
