"""Acceptance (issue 11): the whole API fuzzed through the gateway with schemathesis. Every /api operation of the
published OpenAPI documents (tests/fuzz.py says which are left out and why) gets a bounded number of generated
cases, valid and invalid, from a fixed seed, as a logged-in admin in a dataset of its own: no answer may be a 5xx,
have a status code its document does not declare, or a body that does not match the declared schema.

`make test` runs LS_FUZZ_EXAMPLES=30 cases per operation (45-80 s); `make fuzz` runs 250."""

from __future__ import annotations

import pytest

from conftest import GATEWAY_URL
from tests.fuzz import Operation, World, build_world, fuzz_operation, fuzz_settings, operation_id, operations
from tests.storage import ensure_bucket, minio_client
from tests.support import GATEWAY_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

EXAMPLES, SEED = fuzz_settings()


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(
        GATEWAY_URL, admin_password=GATEWAY_ADMIN_PASSWORD, bucket_maker=lambda b: ensure_bucket(minio_client(), b)
    )


@pytest.mark.parametrize("operation", operations(), ids=operation_id)
def test_fuzz_operation_through_the_gateway(world: World, operation: Operation) -> None:
    outcome = fuzz_operation(world, operation, examples=EXAMPLES, fuzz_seed=SEED)
    print(f"seed {SEED}: {outcome.summary()}")
    assert outcome.cases > 0
    assert not outcome.findings, "\n".join(str(finding) for finding in outcome.findings)
