"""Cheap checks that the docs keep up with the code (Datasette's test_docs.py)."""

from pathlib import Path

from app.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme():
    for name in Settings.model_fields:
        assert f"TRIPARTITE_{name.upper()}" in README, name


def test_the_readme_starts_with_the_two_commands():
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_the_demo_password_default_is_in_the_readme():
    assert Settings().demo_password in README


def test_the_readme_says_how_to_start_over_with_a_fresh_demo_and_the_makefile_does_it():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "make demo-reset" in README and "tripartite demo --reset" in README
    recipe = makefile.split("\ndemo-reset:", 1)[1].split("\n\n", 1)[0]
    assert "tripartite demo --reset" in recipe


def test_the_committed_summary_schemas_are_the_ones_the_app_publishes():
    import json
    from pathlib import Path

    from app.api.schema_file import FILES

    for name, schema in FILES.items():
        committed = json.loads((Path(__file__).parent.parent / "docs" / name).read_text())
        assert committed == schema(), (
            f"docs/{name} is out of date: regenerate it with "
            ".venv/bin/python -m app.api.schema_file"
        )


def test_the_proxy_in_deploy_md_passes_on_no_host_a_client_chose():
    """Host header poisoning: nginx's ``$host``/``$http_host`` are whatever the client sent
    (nginx answers any name on a default server), so the documented proxy neither forwards
    them nor redirects to them, and drops names that are not the site's."""
    import re

    deploy = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
    nginx = "\n".join(re.findall(r"```nginx\n(.*?)```", deploy, re.S))
    assert "proxy_pass" in nginx
    assert not re.search(r"\$(host|http_host|http_x_forwarded_host|server_name)\b", nginx)
    forwarded = re.findall(r"proxy_set_header\s+Host\s+([^;]+);", nginx)
    assert forwarded and all(name == "consult.example.org" for name in forwarded), forwarded
    assert "X-Forwarded-Host" not in nginx
    assert re.search(r"listen 443 ssl default_server;[^}]*return 444;", nginx, re.S)
