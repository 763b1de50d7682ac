"""Writing to the append-only audit log, and what its readers may read of it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session

from app.audit import rules
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
    if not rules.is_shared(action):
        # a programming error: what a caucus does stays in it (app.audit.rules)
        raise ValueError(f"{action} is private to a caucus: not for the shared audit log")
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=json.dumps(details, sort_keys=True, default=str),
    )
    db.add(event)
    return event


def shared() -> ColumnElement[bool]:
    """The events every reader of the audit log may read (its page, its CSV, the summary's
    XLSX): not the caucus-private ones that earlier versions recorded (the log is
    append-only, so those rows stay; they are left out of every output)."""
    private = or_(
        *(AuditEvent.action.startswith(p, autoescape=True) for p in rules.CAUCUS_PREFIXES)
    )
    return or_(AuditEvent.action.in_(sorted(rules.PUBLIC_CAUCUS_ACTIONS)), ~private)
