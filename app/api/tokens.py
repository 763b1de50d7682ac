"""API tokens: made by an administrator, shown once, stored as a SHA-256, revocable, with the
last time each was used recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.credentials import hash_token, new_token
from app.accounts.models import ApiToken, User
from app.audit.service import record
from app.db import utcnow
from app.errors import DomainError, NotFound, Unauthorized
from app.recorder import Recorder
from app.text_rules import clean_line

PREFIX = "tpt_"
NAME_MAX = 100
#: last_used_at is written at most this often per token (no write on every read).
USE_RESOLUTION = timedelta(minutes=1)
_SHAPE = re.compile(r"tpt_[A-Za-z0-9_-]{20,100}")


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def check_name(name: str) -> str:
    name = clean_line(name, "name")
    if not name:
        raise DomainError("Give the token a name that says who uses it.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"The name is longer than {NAME_MAX} characters.", field="name")
    return name


def create(db: Session, name: str, created_by: int | None) -> tuple[ApiToken, str]:
    """A new token and its plain value (shown once, never stored)."""
    secret, _ = new_token()
    plain = PREFIX + secret
    token = ApiToken(user_id=created_by, name=check_name(name), token_hash=hash_token(plain))
    db.add(token)
    db.flush()
    record(db, created_by, "api_token.created", "api_token", token.id, name=token.name)
    return token, plain


def revoke(db: Session, token_id: int, actor_id: int | None) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise NotFound("There is no such API token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(db, actor_id, "api_token.revoked", "api_token", token.id, name=token.name)
    return token


def listing(db: Session) -> list[TokenRow]:
    rows = db.execute(
        select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.created_at,
            User.name.label("created_by"),
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .outerjoin(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    )
    return [TokenRow(*r) for r in rows]


def authenticate(db: Session, authorization: str | None, recorder: Recorder) -> int:
    """The id of the active token in an ``Authorization: Bearer`` header, or a 401. Its last
    use is noted by the recorder (the request itself only reads)."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise Unauthorized(
            "This API needs a token: send “Authorization: Bearer <token>”. "
            "An administrator creates tokens."
        )
    if not _SHAPE.fullmatch(value):
        raise Unauthorized("This is not a Tripartite API token.")
    row = db.execute(
        select(ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at).where(
            ApiToken.token_hash == hash_token(value)
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("This API token is not known.")
    if row.revoked_at is not None:
        raise Unauthorized("This API token has been revoked.")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= USE_RESOLUTION:
        recorder.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return int(row.id)
