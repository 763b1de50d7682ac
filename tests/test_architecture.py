"""The seams docs/architecture.md describes, checked on the code itself (by reading the modules'
imports and assignments, not by a list kept by hand)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
#: Modules of pure rules: the domain core, tested without web or database.
PURE = ("rules.py", "tally.py", "summary.py", "access.py", "subjects.py", "text_rules.py")
WEB_OR_DATABASE = ("fastapi", "starlette", "sqlalchemy", "app.db", "app.web", "jinja2")


def modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "locale" not in p.parts)


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def package(path: Path) -> str:
    return ".".join(path.relative_to(APP.parent).with_suffix("").parts[:2])


def test_no_routes_module_imports_another_packages_routes():
    """Only app/main.py, which assembles the application, gathers the routers."""
    wrong = []
    for path in modules():
        if path == APP / "main.py":
            continue
        for name in imports(path):
            if name.startswith("app.") and name.endswith(".routes"):
                if not name.startswith(package(path) + "."):
                    wrong.append(f"{path.relative_to(APP)} imports {name}")
    assert not wrong, wrong


def test_the_template_environment_is_configured_in_app_web_alone():
    wrong = []
    for path in modules():
        if path.name == "web.py" and path.parent == APP:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                targets = [node.func.value] if node.func.attr == "update" else []
            for target in targets:
                text = ast.unparse(target)
                if "env.globals" in text or "env.filters" in text:
                    wrong.append(f"{path.relative_to(APP)}: {text}")
    assert not wrong, wrong


#: Exceptions that are not refusals of an action: signals the app turns into a redirect (to sign
#: in, to set up two-factor sign-in) or into a page of their own before any route runs (a form
#: whose CSRF token is missing or stale: app.csrf), and the body-size guard of the middleware
#: (answered 413 there).
NOT_REFUSALS = {
    "SignInRequired",
    "TwoFactorEnrolmentRequired",
    "BodyTooLarge",
    "FormExpired",
    # the file store's own; app.documents.service turns it into the refusal people read
    "FileTooLarge",
}


def test_there_is_one_refusal_type():
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if (
                    bases & {"Exception", "ValueError"}
                    and node.name not in {"DomainError"} | NOT_REFUSALS
                ):
                    # an exception of its own must be a kind of DomainError
                    raise AssertionError(f"{path.relative_to(APP)}: {node.name}({bases})")


def test_the_domain_rules_import_no_web_or_database_code():
    wrong = []
    for path in modules():
        if path.name not in PURE:
            continue
        for name in imports(path):
            if name.startswith(WEB_OR_DATABASE):
                wrong.append(f"{path.relative_to(APP)} imports {name}")
    assert not wrong, wrong


def test_only_the_application_and_the_command_line_import_the_api():
    """The API reads the packages; no package reads the API (its filters live with the data)."""
    wrong = []
    for path in modules():
        if path in (APP / "main.py", APP / "cli.py") or package(path) == "app.api":
            continue
        for name in imports(path):
            if name == "app.api" or name.startswith("app.api."):
                wrong.append(f"{path.relative_to(APP)} imports {name}")
    assert not wrong, wrong
