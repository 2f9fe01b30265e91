"""Which service answers which part of /api: the first path segment decides."""

from __future__ import annotations

# /api/<segment>/... -> service. A service owns its segments; the gateway forwards the path unchanged.
API_SEGMENTS: dict[str, str] = {
    "datasets": "dataset-svc",
    "exports": "dataset-svc",
    "labeling": "labeling-svc",
    "media": "media-svc",
    "sync": "sync-svc",
    "webhooks": "webhook-svc",
}


def service_for(path: str) -> str | None:
    """The service owning `path` (relative to /api/), or None."""
    return API_SEGMENTS.get(path.split("/", 1)[0])
