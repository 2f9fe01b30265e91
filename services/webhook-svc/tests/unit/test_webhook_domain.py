"""The domain rules of webhooks, without IO: signatures, the SSRF guard, the retry schedule and the dead state."""

from __future__ import annotations

import ipaddress
import random
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from labelstream_shared.clock import utc_now
from webhook_svc.domain.deliveries import AttemptResult, Delivery, RetryPolicy
from webhook_svc.domain.endpoints import UnknownEventTypeError, checked_event_types
from webhook_svc.domain.signature import new_secret, signature_header, verify_signature
from webhook_svc.domain.targets import TargetRefusedError, check_addresses, parse_target, refusal

BODY = b'{"id":"e1","type":"io.labelstream.LabelChanged.v1"}'


def test_a_signature_verifies_with_its_secret_only_and_within_the_tolerance() -> None:
    secret = new_secret()
    header = signature_header(secret, 1_700_000_000, BODY)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature(secret, header, BODY, now=1_700_000_100)
    assert not verify_signature(secret, header, BODY + b" ", now=1_700_000_100)
    assert not verify_signature(new_secret(), header, BODY, now=1_700_000_100)
    assert not verify_signature(secret, header, BODY, now=1_700_000_000 + 301)  # a replay, later
    assert not verify_signature(secret, "v1=abc", BODY, now=1_700_000_000)
    rotated = f"{header},v1={'0' * 64}"
    assert verify_signature(secret, rotated, BODY, now=1_700_000_000)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("example.com/hook", "only http and https"),
        ("http:///path", "no host"),
        ("https://user:pw@example.com/", "user name or password"),
        ("http://example.com:99999/", "not a valid URL"),
        ("https://example.com/" + "a" * 2048, "longer than"),
    ],
)
def test_only_http_urls_with_a_host_are_targets(url: str, problem: str) -> None:
    with pytest.raises(TargetRefusedError, match=problem):
        parse_target(url)


def test_a_target_has_a_default_port_and_an_ipv6_host_without_brackets() -> None:
    assert parse_target("https://Example.com/x").port == 443
    assert parse_target("http://[::1]:8080/").host == "::1"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.0.1", "private"),
        ("100.64.0.1", "not globally routable"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str, why: str) -> None:
    found = refusal(ipaddress.ip_address(address), allow_private=False)
    assert found is not None
    assert why in found


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


def test_the_setting_allows_loopback_and_private_but_never_link_local_multicast_or_unspecified() -> None:
    for allowed in ("127.0.0.1", "10.0.0.1", "::1", "fd00::1", "::ffff:192.168.1.1"):
        assert refusal(ipaddress.ip_address(allowed), allow_private=True) is None
    for refused in ("169.254.169.254", "fe80::1", "0.0.0.0", "224.0.0.1", "::"):
        assert refusal(ipaddress.ip_address(refused), allow_private=True) is not None


def test_one_refused_address_of_a_name_refuses_it_naming_the_address() -> None:
    with pytest.raises(TargetRefusedError, match=r"'hooks.example' resolves to 10.0.0.7, which is a private address"):
        check_addresses("hooks.example", ["93.184.216.34", "10.0.0.7"], allow_private=False)
    with pytest.raises(TargetRefusedError, match="does not resolve"):
        check_addresses("nowhere.example", [], allow_private=True)
    check_addresses("hooks.example", ["93.184.216.34"], allow_private=False)
    with pytest.raises(TargetRefusedError, match=r"^169.254.169.254 is a link-local address$"):  # no setting helps
        check_addresses("169.254.169.254", ["169.254.169.254"], allow_private=False)
    with pytest.raises(TargetRefusedError, match=r"loopback address \(an admin may allow private targets"):
        check_addresses("127.0.0.1", ["127.0.0.1"], allow_private=False)


def test_event_types_are_checked_against_the_contracts() -> None:
    assert checked_event_types(["LabelChanged", "DataAdded", "LabelChanged"]) == ["LabelChanged", "DataAdded"]
    assert checked_event_types(["*"]) == ["*"]
    with pytest.raises(UnknownEventTypeError, match=r"\['LabelChange'\].*LabelChanged"):
        checked_event_types(["LabelChange"])
    with pytest.raises(UnknownEventTypeError):
        checked_event_types(["SamplesProjected"])  # the browsers' signal, not offered


def test_the_default_schedule_spans_a_day_in_exponential_then_hourly_steps() -> None:
    waits = RetryPolicy().schedule_s()
    assert waits[:4] == [10, 20, 40, 80]
    assert max(waits) == 3600
    assert 23 * 3600 < sum(waits) <= 24 * 3600
    assert 25 <= len(waits) <= 35


def test_a_wait_is_at_least_half_its_step_and_at_most_the_step() -> None:
    policy, rng = RetryPolicy(base_s=10, cap_s=100), random.Random(7)
    for failures, step in ((1, 10), (2, 20), (4, 80), (5, 100), (50, 100)):
        waits = [policy.delay_s(failures, rng=rng) for _ in range(50)]
        assert all(step / 2 <= w <= step for w in waits)
        assert len(set(waits)) > 1  # jitter


def delivery(**changes: object) -> Delivery:
    now = utc_now()
    base = Delivery(
        id="0000000000000001aa", endpoint_id="e", event_id="ev", event_type="LabelChanged", key="k", body="{}",
        created_at=now, retry_since=now, next_attempt_at=now,
    )  # fmt: skip
    return base.model_copy(update=changes)


def test_an_attempt_delivers_retries_or_kills_by_the_budget() -> None:
    policy = RetryPolicy(base_s=10, cap_s=3600, budget_s=3600)
    first = delivery()
    at = first.created_at
    ok = first.after_attempt(AttemptResult(204), at=at, policy=policy)
    assert (ok.status, ok.attempts, ok.delivered_at, ok.last_status_code) == ("delivered", 1, at, 204)
    failed = first.after_attempt(AttemptResult(500, "answered 500: boom"), at=at, policy=policy)
    assert (failed.status, failed.failures, failed.last_error) == ("retrying", 1, "answered 500: boom")
    assert at + timedelta(seconds=5) <= failed.next_attempt_at <= at + timedelta(seconds=10)
    late = failed.after_attempt(AttemptResult(None, "refused"), at=at + timedelta(seconds=3590), policy=policy)
    assert (late.status, late.attempts, late.last_error) == ("dead", 2, "refused")


def test_a_redelivery_queues_a_dead_delivery_with_a_fresh_budget() -> None:
    dead = delivery(status="dead", attempts=9, failures=9)
    at = utc_now() + timedelta(hours=30)
    again = dead.redelivered(at=at)
    assert (again.status, again.attempts, again.failures, again.retry_since, again.next_attempt_at) == (
        "pending", 9, 0, at, at,
    )  # fmt: skip
    assert again.is_open


def test_the_readme_verifier_that_receivers_copy_accepts_our_signatures_only() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # the README's own example
    secret, now = new_secret(), int(time.time())
    assert namespace["verify_signature"](secret, signature_header(secret, now, BODY), BODY)
    assert not namespace["verify_signature"](secret, signature_header(secret, now, BODY), BODY + b"x")
    assert not namespace["verify_signature"](secret, signature_header(secret, now - 400, BODY), BODY)
