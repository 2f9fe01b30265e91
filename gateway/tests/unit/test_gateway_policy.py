from __future__ import annotations

import pytest
from labelstream_gateway.auth import Claims, Principal, Tokens, UnauthenticatedError
from labelstream_gateway.policy import allowed_roles, is_allowed

SECRET = "a-test-secret-of-at-least-32-bytes-long"


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [
        ("GET", "datasets/d/samples", {"admin", "annotator", "viewer"}),
        ("POST", "datasets", {"admin"}),
        ("DELETE", "datasets/d", {"admin"}),
        ("POST", "datasets/d/samples/deletions", {"admin"}),
        ("POST", "datasets/d/samples/deletion-preview", {"admin", "annotator", "viewer"}),
        ("PUT", "labeling/datasets/d/samples/s/annotation", {"admin", "annotator"}),
        ("DELETE", "labeling/datasets/d/samples/s/annotation/shapes", {"admin", "annotator"}),
        ("POST", "labeling/datasets/d/labels", {"admin", "annotator"}),
        ("POST", "labeling/jobs", {"admin"}),
        ("POST", "sync/datasets/d/runs", {"admin", "annotator"}),
        ("PUT", "sync/datasets/d/uploads/a/b.jpg", {"admin", "annotator"}),
        ("POST", "datasets/d/versions", {"admin"}),
        ("POST", "anything/new", {"admin"}),
        ("GET", "webhooks", {"admin"}),
        ("GET", "webhooks/w1/deliveries", {"admin"}),
        ("POST", "webhooks/w1/deliveries/x/redeliver", {"admin"}),
        ("PUT", "webhooks/settings", {"admin"}),
    ],
)
def test_policy_table(method: str, path: str, roles: set[str]) -> None:
    assert set(allowed_roles(method, path)) == roles


def test_a_viewer_only_reads() -> None:
    assert is_allowed("viewer", "GET", "/labeling/jobs")
    assert not is_allowed("annotator", "GET", "/webhooks")
    assert not is_allowed("viewer", "PUT", "/labeling/datasets/d/samples/s/annotation")


def test_tokens_are_signed_and_expire() -> None:
    tokens = Tokens(SECRET, ttl_s=60)
    token, _ = tokens.issue(Principal("ann", "annotator"), generation="g1")
    assert tokens.check(token) == Claims("ann", "annotator", generation="g1")
    with pytest.raises(UnauthenticatedError):
        Tokens(SECRET + "-other", ttl_s=60).check(token)
    expired, _ = Tokens(SECRET, ttl_s=-10).issue(Principal("ann", "annotator"), generation="g1")
    with pytest.raises(UnauthenticatedError, match="expired"):
        tokens.check(expired)
