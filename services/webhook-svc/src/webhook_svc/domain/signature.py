"""Webhook signatures (the scheme Stripe uses): each attempt is signed anew with the endpoint's secret.

    Labelstream-Timestamp: 1767225600
    Labelstream-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "1767225600." + raw body)>

A receiver verifies with `verify_signature` below (standard library only: copy it, with `signature`): it recomputes
the HMAC over the timestamp, a dot and the raw request body exactly as received (before any JSON parsing), compares in
constant time, and refuses timestamps further than a tolerance (5 minutes) from now, so a captured request cannot be
replayed later. Several `v1=` entries may appear (a future secret rotation): one match suffices.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Labelstream-Signature"
TIMESTAMP_HEADER = "Labelstream-Timestamp"
EVENT_ID_HEADER = "Labelstream-Event-Id"
EVENT_TYPE_HEADER = "Labelstream-Event-Type"
DELIVERY_ID_HEADER = "Labelstream-Delivery-Id"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    """A secret for an endpoint registered without one: 32 random bytes, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> bool:
    """True when `header` (Labelstream-Signature) signs `body` with `secret` within `tolerance_s` of now."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in fields if key.strip() == "t"]
    signatures = [value.strip() for key, value in fields if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        return False
    t = int(timestamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        return False
    expected = signature(secret, t, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)


def delivery_headers(
    *, secret: str, body: bytes, event_id: str, event_type: str, delivery_id: str, timestamp: int
) -> dict[str, str]:
    """Every header of one attempt."""
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        DELIVERY_ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secret, timestamp, body),
    }
