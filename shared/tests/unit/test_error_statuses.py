"""Domain errors carry no HTTP status: the edge maps their kind, the most specific kind in the class hierarchy."""

from __future__ import annotations

import pytest
from labelstream_shared.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PreconditionRequiredError,
    TooLargeError,
    TooManyRequestsError,
    UnauthenticatedError,
)
from labelstream_shared.web import http_status


class StaleThingError(ConflictError):
    code = "stale_thing"


class SomethingOddError(DomainError):
    code = "odd"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (SomethingOddError("x"), 400),
        (UnauthenticatedError("x"), 401),
        (ForbiddenError("x"), 403),
        (NotFoundError("x"), 404),
        (StaleThingError("x"), 409),
        (TooLargeError("x"), 413),
        (InvalidInputError("x"), 422),
        (PreconditionRequiredError("x"), 428),
        (TooManyRequestsError("x", retry_after_s=3), 429),
    ],
)
def test_each_kind_of_domain_error_has_one_status(error: DomainError, status: int) -> None:
    assert http_status(error) == status
    assert not hasattr(error, "status_code")
