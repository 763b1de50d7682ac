"""Writing to the append-only audit log."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from app.audit.models import AuditEvent


def record(
    db: Session,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the action it records)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=json.dumps(details, sort_keys=True, default=str),
    )
    db.add(event)
    return event
