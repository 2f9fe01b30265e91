"""Which operations of the platform's OpenAPI documents the client calls: each method that calls one is marked
with `@operation(document, operation_id)`, and a unit test checks that every one exists and that its bodies have
a model (tests/unit/test_client_models_match_openapi.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])
OPERATIONS: list[tuple[str, str]] = []  # (document: dataset, labeling, media, sync, gateway; operationId)


def operation(document: str, operation_id: str) -> Callable[[F], F]:
    def mark(method: F) -> F:
        OPERATIONS.append((document, operation_id))
        return method

    return mark
