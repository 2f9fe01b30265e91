"""Fuzzing the whole API through the gateway with schemathesis (issue 11): the cases, the world they run in, checks.

Every operation of the published OpenAPI documents (gateway/ui/openapi/*.json: the four services' and the gateway's
own, the same documents the UI's types come from; a unit test keeps them equal to the code) is called through the
gateway with a logged-in admin's token, so authentication and role checks are in the path. Each case is generated
by schemathesis (valid data and, as often, invalid data) and checked: no 5xx, the status code is one the document
declares, and the body matches the schema declared for it.

The cases run in a world of their own (build_world): a dedicated admin (so deleting or demoting users never hits
the one the fuzz runs as, nor the bootstrap admin other tests log in with), on a bucket of its own an image dataset
with its sample, a labeling job, labels, a version, a sync run and an import, a video dataset with its sample, and a
dataset (with a sample) for deleteSamples and deleteDataset. Most cases name those objects in their path (so they
go past 404); the others keep the generated values (mostly unknown ids: 404).

Used by tests/e2e/test_api_fuzz.py (bounded, in `make test`) and `make fuzz` (long; LS_FUZZ_EXAMPLES, LS_FUZZ_SEED).
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from labelstream_testing.gateway import mp4, png
from schemathesis import Case as AnyCase
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.core.transport import Response
from schemathesis.schemas import APIOperation

Operation = APIOperation[Any, Any, Any, Any]
Case = AnyCase[Any]

OPENAPI_DIR = Path(__file__).parents[1] / "gateway" / "ui" / "openapi"
DOCUMENTS = ("gateway", "dataset", "labeling", "media", "sync")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
DEFAULT_SEED = 20261130
BOOTSTRAP_ADMIN = os.environ.get("LS_TEST_ADMIN_USER", "admin")

# Each call hashes a password (argon2, slow on purpose: about 0.8 s here): a third of the cases of the others.
PASSWORD_HASHING = frozenset({"login", "createUser", "changeOwnPassword"})
# Their failures count towards the gateway's login throttle (per user name and per client address, for a minute):
# after them the fuzz waits until the bootstrap admin may log in again, so no later test gets a 429.
THROTTLED = frozenset({"login", "changeOwnPassword"})
# operationId -> why it is not fuzzed
EXCLUDED: dict[str, str] = {
    "healthz": "not under /api: each service's own, not reachable through the gateway",
    "readyz": "not under /api: each service's own, not reachable through the gateway",
    "streamEvents": "server-sent events: the answer never ends (tests/e2e/test_ui_live_updates.py covers it)",
}


@dataclass
class World:
    """The objects the fuzz cases name in their paths; `headers` log in as the fuzz's own admin."""

    base_url: str
    headers: dict[str, str]
    username: str
    bootstrap_password: str
    # the path parameters of the objects the cases are about: the image's (with the job, label, ...), the video's
    subjects: list[dict[str, str]] = field(default_factory=list)
    # operationId -> path parameters that replace the subjects' for it (deleteSamples and deleteDataset delete in
    # a dataset of their own: the subjects stay for the operations after them)
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    # operationId -> query strings a valid case may have that generation seldom finds (getFrame: t or n, not both)
    queries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    operation: str
    check: str
    status: int
    request: str
    message: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.check} (HTTP {self.status})\n  {self.request}\n  {self.message}"


def operations() -> list[Operation]:
    """Every /api operation of the published documents minus EXCLUDED, document by document, each document's
    deletions last (so the world's label, version, ... are there for the operations that read or change them)."""
    found: list[Operation] = []
    for name in DOCUMENTS:
        schema = schemathesis.openapi.from_path(OPENAPI_DIR / f"{name}.json")
        document = [_parsed(result) for result in schema.get_all_operations()]
        document = [op for op in document if operation_id(op) not in EXCLUDED]
        found += sorted(document, key=lambda op: op.method.upper() == "DELETE")
    return found


def _parsed(result: Ok[Operation] | Err[InvalidSchema]) -> Operation:
    """An operation schemathesis cannot read fails the run rather than going unfuzzed."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def operation_id(operation: Operation) -> str:
    return str(operation.definition.raw["operationId"])


# --- the world --------------------------------------------------------------------------------------------------


def _eventually(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


def _log_in_as_new_admin(client: httpx.Client, *, admin_password: str, username: str) -> None:
    login = client.post("/api/auth/login", json={"username": BOOTSTRAP_ADMIN, "password": admin_password})
    assert login.status_code == 200, login.text
    boot = {"Authorization": f"Bearer {login.json()['token']}"}
    user = {"username": username, "password": "fuzz-pw-1", "role": "admin"}
    created = client.post("/api/auth/users", json=user, headers=boot)
    assert created.status_code == 201, created.text
    token = client.post("/api/auth/login", json={"username": username, "password": "fuzz-pw-1"}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"


def _dataset(client: httpx.Client, *, name: str, bucket: str, prefix: str, labeling_type: str) -> str:
    body = {
        "name": name,
        "labeling_type": labeling_type,
        "input_path": {"bucket": bucket, "prefix": prefix},
        "output_path": {"bucket": bucket, "prefix": f"{prefix}out/"},
    }
    created = client.post("/api/datasets", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _uploaded_sample(client: httpx.Client, dataset_id: str, *, name: str, content: bytes) -> str:
    """Upload a file into the dataset; returns its sample once media-svc processed it and labeling-svc knows it."""
    upload = f"/api/sync/datasets/{dataset_id}/uploads/{name}"
    _eventually(lambda: client.put(upload, content=content).status_code == 201, timeout=30, what="upload")

    def samples() -> list[dict[str, Any]]:
        return list(client.get(f"/api/datasets/{dataset_id}/samples").json()["items"])

    _eventually(lambda: [s for s in samples() if s["media_status"] == "ready"] != [], timeout=60, what="processed")
    sample_id = str(samples()[0]["id"])
    annotation = f"/api/labeling/datasets/{dataset_id}/samples/{sample_id}/annotation"
    _eventually(lambda: client.get(annotation).status_code == 200, timeout=30, what="labeling-svc knows the sample")
    return sample_id


def build_world(base_url: str, *, admin_password: str, bucket_maker: Callable[[str], None]) -> World:
    """A dedicated admin; an image dataset with its sample, a job, labels, a version, a sync run and an import; a
    video dataset with its sample; a dataset with a sample for deleteSamples and then deleteDataset to delete."""
    tag = uuid.uuid4().hex[:10]
    bucket = f"fuzz-{tag}"
    bucket_maker(bucket)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        username = f"fuzz-admin-{tag}"
        _log_in_as_new_admin(client, admin_password=admin_password, username=username)
        image_dataset = _dataset(
            client, name=f"fuzz {tag}", bucket=bucket, prefix="image/", labeling_type="image_segmentation"
        )
        video_dataset = _dataset(
            client, name=f"fuzz {tag} video", bucket=bucket, prefix="video/", labeling_type="video_labeling"
        )
        doomed = _dataset(
            client, name=f"fuzz {tag} to delete", bucket=bucket, prefix="doomed/", labeling_type="object_detection"
        )
        image = _uploaded_sample(client, image_dataset, name="picture.png", content=png(64, 48, (200, 40, 90)))
        video = _uploaded_sample(client, video_dataset, name="clip.mp4", content=mp4(seconds=1.0, fps=10))
        _uploaded_sample(client, doomed, name="doomed.png", content=png(32, 32, (10, 10, 10)))
        job = client.post("/api/labeling/jobs", json={"dataset_id": image_dataset, "name": f"fuzz job {tag}"})
        assert job.status_code == 201, job.text
        for name in ("car", "doomed"):
            label = client.post(
                f"/api/labeling/datasets/{image_dataset}/labels", json={"name": name, "color": "#ff0000"}
            )
            assert label.status_code == 201, label.text
        version = client.post(f"/api/datasets/{image_dataset}/versions", json={"description": "fuzz"})
        assert version.status_code == 202, version.text
        run = client.post(f"/api/sync/datasets/{image_dataset}/runs")
        assert run.status_code == 202, run.text
        imports = client.get(f"/api/sync/datasets/{image_dataset}/imports").json()["items"]
        assert imports, "the upload is an import task"
        image_ids = {
            "dataset_id": image_dataset,
            "sample_id": image,
            "job_id": job.json()["id"],
            "name": "car",
            "username": username,
            "version_id": version.json()["id"],
            "run_id": run.json()["id"],
            "task_id": imports[0]["id"],
        }
        return World(
            base_url=base_url,
            headers=dict(client.headers),
            username=username,
            bootstrap_password=admin_password,
            subjects=[image_ids, {**image_ids, "dataset_id": video_dataset, "sample_id": video}],
            overrides={
                "deleteSamples": {"dataset_id": doomed},
                "deleteDataset": {"dataset_id": doomed},
                "deleteLabel": {"name": "doomed"},
            },
            queries={"getFrame": [{"t": 0.5}, {"n": 3}]},
        )


# --- the cases --------------------------------------------------------------------------------------------------


def _path_parameters(world: World, operation: Operation) -> list[dict[str, str]]:
    """The world's path parameters for `operation`, one set per subject it tells apart (image, video)."""
    names = {p.name for p in operation.path_parameters}
    found: list[dict[str, str]] = []
    for subject in world.subjects:
        ids = {**subject, **world.overrides.get(operation_id(operation), {})}
        fixed = {name: value for name, value in ids.items() if name in names}
        if fixed and fixed not in found:
            found.append(fixed)
    return found


def _keep_world_safe(world: World, case: Case) -> None:
    """The fuzz never deletes or demotes the admin it runs as, nor the bootstrap admin other tests use."""
    if case.path_parameters and case.path_parameters.get("username") in (world.username, BOOTSTRAP_ADMIN):
        case.path_parameters["username"] = "nobody-of-the-fuzz"


def case_strategy(world: World, operation: Operation) -> st.SearchStrategy[Case]:
    """Valid and invalid cases; most name the world's objects in the path (about 3 in 4 where it has one subject
    for the operation, 6 in 7 with two), the rest keep the generated ids (mostly unknown: 404)."""
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(mode) for mode in modes]
    for fixed in _path_parameters(world, operation):
        strategies += [operation.as_strategy(mode, path_parameters=fixed) for mode in modes] * 3
        strategies += [
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed, query=query)
            for query in world.queries.get(operation_id(operation), [])
        ]
    return st.one_of(strategies)


def describe(case: Case) -> str:
    body = "" if case.body is None or not isinstance(case.body, (dict, list, str)) else f" body={case.body!r:.300}"
    return f"{case.method} {case.formatted_path} query={case.query!r:.200}{body}"


def _record(
    findings: dict[tuple[str, int, str], Finding],
    operation: Operation,
    case: Case,
    response: Response,
    check: str,
    failure: Failure,
) -> None:
    key = (check, response.status_code, failure.title)
    if key not in findings:
        findings[key] = Finding(
            operation=f"{operation.method.upper()} {operation.path}",
            check=check,
            status=response.status_code,
            request=describe(case),
            message=f"{failure.title}: {failure.message}"[:1200] + f"\n  response: {response.text[:300]!r}",
        )


@dataclass
class OperationRun:
    """What fuzzing one operation did: how many cases, their status codes, what failed."""

    operation: str
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        codes = ", ".join(f"{code}x{n}" for code, n in sorted(self.statuses.items()))
        return f"{self.operation}: {self.cases} cases ({codes}), {len(self.findings)} findings"


def refresh_token(world: World) -> None:
    """A fresh token for the fuzz's admin: a long run outlasts one (15 minutes by default), and then every case
    would only be a 401."""
    with httpx.Client(base_url=world.base_url, headers=world.headers, timeout=30) as client:
        refreshed = client.post("/api/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    world.headers["Authorization"] = f"Bearer {refreshed.json()['token']}"


def wait_out_login_throttle(world: World, *, timeout: float = 90) -> None:
    """Until the bootstrap admin's login is answered 200 again (not 429: the address's failures expired)."""
    login = {"username": BOOTSTRAP_ADMIN, "password": world.bootstrap_password}
    with httpx.Client(base_url=world.base_url, timeout=30) as client:
        answered = lambda: client.post("/api/auth/login", json=login).status_code == 200  # noqa: E731
        _eventually(answered, timeout=timeout, what="the login throttle let the admin in", interval=2)


def fuzz_operation(world: World, operation: Operation, *, examples: int, fuzz_seed: int) -> OperationRun:
    """Run up to `examples` cases of `operation`; every failed check is a finding (one per check, status, kind)."""
    refresh_token(world)
    if operation_id(operation) in PASSWORD_HASHING:
        examples = max(1, examples // 3)
    findings: dict[tuple[str, int, str], Finding] = {}
    outcome = OperationRun(operation=f"{operation_id(operation)} ({operation.method.upper()} {operation.path})")
    session = requests.Session()

    @seed(fuzz_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )
    @given(case=case_strategy(world, operation))
    def run(case: Case) -> None:
        _keep_world_safe(world, case)
        response = case.call(base_url=world.base_url, session=session, headers=world.headers, timeout=30)
        outcome.cases += 1
        outcome.statuses[response.status_code] += 1
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check], headers=world.headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    _record(findings, operation, case, response, check.__name__, failure)
            except Failure as failure:
                _record(findings, operation, case, response, check.__name__, failure)

    try:
        run()
    finally:
        session.close()
        if operation_id(operation) in THROTTLED:
            wait_out_login_throttle(world)
    outcome.findings = list(findings.values())
    return outcome


def fuzz_settings() -> tuple[int, int]:
    return int(os.environ.get("LS_FUZZ_EXAMPLES", "30")), int(os.environ.get("LS_FUZZ_SEED", str(DEFAULT_SEED)))
