"""Every template autoescapes, whatever its name (one test proves it)."""

from pathlib import Path

from app.web import TEMPLATES_DIR, templates


def test_autoescape_is_on_for_every_template_name():
    env = templates.env
    for name in ("x.html", "x.jinja", "x.txt", "x"):
        assert env.autoescape is True or env.autoescape(name)
    rendered = env.from_string("{{ value }}").render(value="<script>alert(1)</script>")
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_no_template_marks_values_safe():
    for path in Path(TEMPLATES_DIR).rglob("*.html"):
        assert "|safe" not in path.read_text().replace(" ", ""), path
