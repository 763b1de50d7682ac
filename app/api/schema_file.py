"""Write the published JSON Schemas (the summary's, a body's, a meeting's, a decision's) to docs/.

Run ``python -m app.api.schema_file`` after changing ``app/api/schemas.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from app.api.routes import export_json_schema, record_json_schema, summary_json_schema

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "summary.schema.json": summary_json_schema,
    "summary-export.schema.json": export_json_schema,
    "body.schema.json": partial(record_json_schema, "body"),
    "meeting.schema.json": partial(record_json_schema, "meeting"),
    "decision.schema.json": partial(record_json_schema, "decision"),
}

if __name__ == "__main__":
    for name, schema in FILES.items():
        (DOCS / name).write_text(json.dumps(schema(), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {DOCS / name}")
