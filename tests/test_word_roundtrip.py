"""A revised draft's tracked changes, as LibreOffice reads them: each .docx and .odt is opened
in LibreOffice (headless, a profile of its own per run), all its changes accepted (or all
rejected), and its text saved: accepted, it is the revised draft; rejected, the previous one.

Skipped where LibreOffice or its UNO bridge is missing, except under CI=true (.ci/run installs
both), where that fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.drafts.rules import compare_drafts
from app.exports import gather, odt, word
from app.exports.papers import SECRETARIAT, Front, RevisedPaper
from app.markdown import plain_text

SCRIPT = Path(__file__).parent / "office" / "changes_to_text.py"
SYSTEM_PYTHON = "/usr/bin/python3"
NOTE = "The changes are tracked."
END = "—"


def _office_ready() -> str | None:
    """Why LibreOffice cannot run here, or None."""
    if shutil.which("soffice") is None:
        return "LibreOffice (soffice) is not installed"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "python3-uno (LibreOffice's UNO bridge) is not installed"
    return None


MISSING = _office_ready() if Path(SYSTEM_PYTHON).exists() else "no system python"
IN_CI = os.environ.get("CI") == "true"
#: skipped without LibreOffice, except in CI, where the test runs and fails (below)
pytestmark = pytest.mark.skipif(MISSING is not None and not IN_CI, reason=MISSING or "")

PREVIOUS = [
    "# Article 1",
    "Each agreement covers old-age pensions and survivors' benefits.",
    "Periods of insurance completed in either country are added together.",
    "This paragraph is removed in the revision.",
    "Pensions are paid in full abroad, without reduction.",
    "- data is exchanged\n- under safeguards",
]
REVISED = [
    "# Article 1",
    "Each agreement covers old-age, invalidity and survivors' pensions.",
    "Periods of insurance completed in either country are added together.",
    "Pensions are paid in full abroad, without any reduction or suspension.",
    "A joint committee follows the agreement's application.",
    "- data is exchanged\n- under strict safeguards",
]


def paper() -> RevisedPaper:
    front = Front(
        "Revised draft",
        "Pension portability",
        "Social security",
        "Round 2",
        "4 May 2026",
        "en",
        "Page",
    )
    return RevisedPaper(
        front=front,
        heading="Revised draft",
        note=NOTE,
        paragraphs=gather.tracked(compare_drafts(PREVIOUS, REVISED)),
        author=SECRETARIAT,
        date="2026-05-04T09:30:00Z",
    )


def draft_lines(text: str) -> list[str]:
    """The draft's lines as LibreOffice saved them: between the note and the closing dash."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    start, end = lines.index(NOTE), lines.index(END)
    return [line for line in lines[start + 1 : end] if line.strip()]


def expected(paragraphs: list[str]) -> list[str]:
    return [line for p in paragraphs for line in plain_text(p).split("\n") if line.strip()]


@pytest.mark.parametrize("fmt", ["docx", "odt"])
@pytest.mark.parametrize(
    ("action", "paragraphs"), [("accept", REVISED), ("reject", PREVIOUS)], ids=["accept", "reject"]
)
def test_libreoffice_accepts_and_rejects_the_tracked_changes(
    tmp_path: Path, fmt: str, action: str, paragraphs: list[str]
) -> None:
    if MISSING:
        pytest.fail(f"CI needs LibreOffice for this test: {MISSING}")
    writer = word.revised_docx if fmt == "docx" else odt.revised_odt
    source = tmp_path / f"revised.{fmt}"
    source.write_bytes(writer(paper()))
    target = tmp_path / "out.txt"
    subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT), action, str(source), str(target), str(tmp_path / "profile")],
        check=True,
        timeout=180,
    )
    assert draft_lines(target.read_text("utf-8-sig")) == expected(paragraphs)
