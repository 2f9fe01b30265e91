"""Typed errors of the Labelstream API. Every error answer of the platform is `{"error": code, "message": text,
"details"?: ...}`; `ApiError.of` turns one into the exception class of its status code, keeping code and message."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx


class LabelstreamError(Exception):
    """Anything this package raises on purpose."""


class ApiError(LabelstreamError):
    """An error answer of the API: `status` (HTTP), `code` (the API's stable error code), `message` (in words)."""

    exit_code: ClassVar[int] = 1  # what the command line exits with (README of the package: "Exit codes")

    def __init__(self, status: int, code: str, message: str, *, details: Any = None, retry_after: float | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after = retry_after

    @staticmethod
    def of(response: httpx.Response) -> ApiError:
        """The exception for an error answer (any status >= 400)."""
        code, message, details = _body(response)
        cls = _BY_STATUS.get(response.status_code, ServerError if response.status_code >= 500 else ApiError)
        return cls(response.status_code, code, message, details=details, retry_after=retry_after_of(response.headers))


class InvalidInput(ApiError):
    """400, 413 or 422: the request was refused as it is (`message` names the field and the problem)."""

    exit_code = 2


class Unauthorized(ApiError):
    """401: no token, a bad or expired one, or wrong user name or password."""

    exit_code = 5


class Forbidden(ApiError):
    """403: the user's role may not do this."""

    exit_code = 5


class NotFound(ApiError):
    """404: no such dataset, sample, version, ..."""

    exit_code = 3


class Conflict(ApiError):
    """409 (a stale revision, a name taken, a version not published yet) or 428 (a precondition missing)."""

    exit_code = 4


class RateLimited(ApiError):
    """429 after the client's retries: `retry_after` says when to try again."""

    exit_code = 6


class ServerError(ApiError):
    """5xx after the client's retries."""

    exit_code = 7


class ChecksumMismatch(LabelstreamError):
    """A download whose SHA-256 differs from the one the API states."""

    exit_code = 8


class Failed(LabelstreamError):
    """A background task (sync run, import, version, export) ended `failed`; the message is its error."""

    exit_code = 9


class PositionTooOld(LabelstreamError):
    """A live reader's stored position is older than deletions are kept on the topic: delete it to rebuild."""

    exit_code = 4


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    422: InvalidInput,
    428: Conflict,
    429: RateLimited,
}


def _body(response: httpx.Response) -> tuple[str, str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"], str(body.get("message", "")), body.get("details")
    text = response.text.strip()[:500] or response.reason_phrase
    return f"http_{response.status_code}", text, None


def retry_after_of(headers: httpx.Headers) -> float | None:
    """Seconds of a `Retry-After` header given in seconds (the platform's form); None when absent or a date."""
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
