"""Domain errors every service raises; one exception handler maps them to HTTP (see web.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of errors a client can act on. `code` is stable and machine-readable."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: object | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers  # response headers the answer needs (Retry-After)


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInputError(DomainError):
    status_code = 422
    code = "invalid"


class TooLargeError(DomainError):
    status_code = 413
    code = "too_large"
