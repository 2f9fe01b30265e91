"""The client's connection against a fake gateway (httpx.MockTransport): sessions, retries, errors, pages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from labelstream import Client
from labelstream.api.http import RetryPolicy
from labelstream.errors import Conflict, InvalidInput, NotFound, RateLimited, ServerError, Unauthorized
from labelstream.models import Session, ShapeIn, User

Handler = Callable[[httpx.Request], httpx.Response]
DATASET = {
    "id": "d1", "name": "cats", "description": "", "labeling_type": "object_detection",
    "input_path": {"bucket": "raw", "prefix": "in/"}, "output_path": {"bucket": "raw", "prefix": "out/"},
    "labels": [], "label_set_revision": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": None,
}  # fmt: skip
VERSION = {
    "id": "v1", "dataset_id": "d1", "name": "V001", "number": 1, "description": "", "status": "publishing",
    "is_current": False, "sample_count": 0,
    "statistics": {"samples": 0, "labeled_samples": 0, "shapes": 0, "labels": []},
    "manifest": {"bucket": "raw", "key": "o/m.jsonl", "url": "s3://raw/o/m.jsonl"},
    "statistics_file": {"bucket": "raw", "key": "o/s.json", "url": "s3://raw/o/s.json"},
    "error": None, "created_at": "2026-01-01T00:00:00Z",
    "published_at": None,
}  # fmt: skip


def session_json(token: str, *, expires_in: float = 900) -> dict[str, object]:
    return {"token": token, "expires_at": int(time.time() + expires_in), "user": {"username": "ann", "role": "admin"}}


class FakeGateway:
    """Answers login/refresh itself and hands every other request to `route`; records what it was sent."""

    def __init__(self, route: Handler, *, expires_in: float = 900) -> None:
        self.route = route
        self.expires_in = expires_in
        self.sent: list[httpx.Request] = []
        self.logins = 0
        self.refreshes = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if request.url.path == "/api/auth/login":
            self.logins += 1
            return httpx.Response(200, json=session_json(f"t{self.logins}", expires_in=self.expires_in))
        if request.url.path == "/api/auth/refresh":
            self.refreshes += 1
            if request.headers.get("authorization") == "Bearer expired":
                return httpx.Response(401, json={"error": "unauthenticated", "message": "token expired"})
            return httpx.Response(200, json=session_json(f"r{self.refreshes}"))
        return self.route(request)


def client_of(
    gateway: FakeGateway, *, session: Session | None = None, on_session: Callable[[Session], None] | None = None
) -> Client:
    retry = RetryPolicy(attempts=4, backoff_s=0.0, max_wait_s=0.0)
    transport = httpx.MockTransport(gateway)
    return Client(
        "http://gw", username="ann", password="pw", transport=transport, retry=retry, session=session,
        on_session=on_session,
    )  # fmt: skip


def error(status: int, code: str, message: str = "problem", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "message": message}, headers=headers)


def test_logs_in_once_and_sends_the_bearer_token() -> None:
    gateway = FakeGateway(lambda r: httpx.Response(200, json=DATASET))
    with client_of(gateway) as client:
        assert client.datasets.get("d1").name == "cats"
        client.datasets.get("d1")
    assert gateway.logins == 1
    assert [r.headers["authorization"] for r in gateway.sent[1:]] == ["Bearer t1", "Bearer t1"]


def test_a_session_near_its_end_is_refreshed_before_the_request() -> None:
    gateway = FakeGateway(lambda r: httpx.Response(200, json=DATASET), expires_in=30)
    seen: list[Session] = []
    with client_of(gateway, on_session=seen.append) as client:
        client.datasets.get("d1")  # logs in: a session with 30 s left
        client.datasets.get("d1")  # refreshed before this one
    assert (gateway.logins, gateway.refreshes) == (1, 1)
    assert gateway.sent[-1].headers["authorization"] == "Bearer r1"
    assert [s.token for s in seen] == ["t1", "r1"]


def test_a_401_logs_in_again_when_refreshing_fails_and_sends_once_more() -> None:
    answers = iter([error(401, "unauthenticated", "log in again"), httpx.Response(200, json=DATASET)])
    gateway = FakeGateway(lambda r: next(answers))
    expired = Session(token="expired", expires_at=int(time.time() + 600), user=User(username="ann", role="admin"))
    with client_of(gateway, session=expired) as client:
        assert client.datasets.get("d1").id == "d1"
    assert (gateway.refreshes, gateway.logins) == (1, 1)
    assert gateway.sent[-1].headers["authorization"] == "Bearer t1"


def test_a_second_401_is_raised_with_the_api_s_message() -> None:
    gateway = FakeGateway(lambda r: error(401, "unauthenticated", "no such user"))
    with client_of(gateway) as client, pytest.raises(Unauthorized, match="no such user") as raised:
        client.datasets.get("d1")
    assert raised.value.code == "unauthenticated"


def test_retries_429_and_503_honouring_retry_after() -> None:
    answers = iter([error(429, "too_many_requests", **{"Retry-After": "2"}), error(503, "unavailable"),
                    httpx.Response(201, json=DATASET)])  # fmt: skip
    waits: list[float] = []
    gateway = FakeGateway(lambda r: next(answers))
    client = client_of(gateway)
    client.connection._sleep = waits.append
    client.connection.retry = RetryPolicy(attempts=4, backoff_s=0.25, max_wait_s=10)
    created = client.datasets.create(
        name="cats",
        labeling_type="object_detection",
        input_path=DATASET["input_path"],  # type: ignore[arg-type]
        output_path=DATASET["output_path"],  # type: ignore[arg-type]
    )
    assert created.id == "d1"
    assert waits[0] == 2.0 and 0.25 <= waits[1] <= 0.5  # Retry-After, then backoff (2 x 0.25 with jitter)


def test_a_post_is_not_sent_again_after_a_502_but_a_get_and_a_post_with_an_idempotency_key_are() -> None:
    gateway = FakeGateway(lambda r: error(502, "bad_gateway"))
    with client_of(gateway) as client:
        with pytest.raises(ServerError):
            client.datasets.create(
                name="cats",
                labeling_type="object_detection",
                input_path=DATASET["input_path"],  # type: ignore[arg-type]
                output_path=DATASET["output_path"],  # type: ignore[arg-type]
            )
        assert sum(r.method == "POST" and r.url.path == "/api/datasets" for r in gateway.sent) == 1
        with pytest.raises(ServerError):
            client.datasets.get("d1")
        assert sum(r.method == "GET" for r in gateway.sent) == 4
        with pytest.raises(ServerError):
            client.versions.publish("d1")
        publications = [r for r in gateway.sent if r.method == "POST" and "versions" in r.url.path]
        keys = {r.headers["idempotency-key"] for r in publications}
        assert len(publications) == 4 and len(keys) == 1  # the same key on every attempt: the service makes one
        with pytest.raises(ServerError):
            client.versions.publish("d1")
        again = [r.headers["idempotency-key"] for r in gateway.sent if r.method == "POST" and "versions" in r.url.path]
        assert len(set(again)) == 2  # another call is another request: a new key


def test_a_publication_whose_answer_was_lost_is_answered_by_the_first_one() -> None:
    made: dict[str, dict[str, object]] = {}
    attempts = {"n": 0}

    def route(request: httpx.Request) -> httpx.Response:
        key = request.headers["idempotency-key"]
        made.setdefault(key, {**VERSION, "id": f"v-{len(made) + 1}"})  # the service applies it each time it arrives
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise httpx.ReadTimeout("answer lost", request=request)
        return httpx.Response(202, json=made[key])

    with client_of(FakeGateway(route)) as client:
        assert client.versions.publish("d1").id == "v-1"
    assert len(made) == 1 and attempts["n"] == 2


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [(404, "not_found", NotFound), (409, "conflict", Conflict), (422, "invalid", InvalidInput),
     (429, "too_many_requests", RateLimited), (500, "internal", ServerError)],
)  # fmt: skip
def test_error_answers_raise_typed_exceptions(status: int, code: str, exception: type[Exception]) -> None:
    gateway = FakeGateway(lambda r: error(status, code, "name: taken"))
    with client_of(gateway) as client, pytest.raises(exception) as raised:
        client.datasets.delete("d1")
    assert (raised.value.status, raised.value.code, raised.value.message) == (status, code, "name: taken")  # type: ignore[attr-defined]


def test_listings_follow_the_cursor_to_the_end() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json={"items": [DATASET, {**DATASET, "id": "d2"}], "next_cursor": "d2"})
        assert cursor == "d2"
        return httpx.Response(200, json={"items": [{**DATASET, "id": "d3"}], "next_cursor": None})

    with client_of(FakeGateway(route)) as client:
        assert [d.id for d in client.datasets.list()] == ["d1", "d2", "d3"]


def test_annotations_are_saved_with_the_revision_held() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.headers["if-match"] == '"3"'
        assert body == {"shapes": [{"kind": "rectangle", "label": "cat", "points": [[1.0, 2.0], [3.0, 4.0]]}]}
        return error(409, "stale_revision", "revision: the annotation is at revision 4")

    shape = ShapeIn(kind="rectangle", label="cat", points=[(1, 2), (3, 4)])
    with client_of(FakeGateway(route)) as client, pytest.raises(Conflict, match="revision 4"):
        client.annotations.save("d1", "s1", [shape], revision=3)
