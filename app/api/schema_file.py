"""Write the summary's JSON Schema to docs/summary.schema.json.

Run ``python -m app.api.schema_file`` after changing ``app/api/schemas.py``."""

from __future__ import annotations

import json
from pathlib import Path

from app.api.routes import summary_json_schema

TARGET = Path(__file__).resolve().parent.parent.parent / "docs" / "summary.schema.json"

if __name__ == "__main__":
    TARGET.write_text(json.dumps(summary_json_schema(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {TARGET}")
