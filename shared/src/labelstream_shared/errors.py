"""Domain errors every service raises: the kind of problem, a stable machine-readable `code`, a message and details.
They know nothing of HTTP: the one exception handler at the edge (web.py, `HTTP_STATUS`) maps each kind to a status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of errors a client can act on (a bad request unless a subclass says which kind)."""

    code = "bad_request"

    def __init__(self, message: str, *, details: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(DomainError):
    code = "not_found"


class ConflictError(DomainError):
    code = "conflict"


class InvalidInputError(DomainError):
    code = "invalid"


class PreconditionRequiredError(DomainError):
    """A write that must name the state it is based on (a revision) and does not."""

    code = "precondition_required"


class TooLargeError(DomainError):
    code = "too_large"


class UnauthenticatedError(DomainError):
    """No caller, or one the platform no longer recognises (bad, expired or revoked token)."""

    code = "unauthenticated"


class ForbiddenError(DomainError):
    """A known caller whose role does not allow the operation."""

    code = "forbidden"


class TooManyRequestsError(DomainError):
    """Too many attempts in a while: refused until `retry_after_s` seconds have passed."""

    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int, details: object | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after_s = retry_after_s
