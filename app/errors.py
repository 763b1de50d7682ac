"""Domain errors: services raise them, routes turn them into clear 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a person can understand; ``field`` names the form field it concerns."""

    status_code = 422
    #: Extra response headers (Retry-After, WWW-Authenticate).
    headers: dict[str, str] | None = None

    def __init__(
        self, message: str, *, field: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code


class Unauthorized(DomainError):
    """No valid credentials for the API (a bearer token)."""

    status_code = 401
    headers = {"WWW-Authenticate": 'Bearer realm="tripartite"'}


class BadRequest(DomainError):
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class Gone(DomainError):
    status_code = 410


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
