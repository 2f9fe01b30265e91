"""Prometheus metrics shared by every service (exposed at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "labelstream_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram("labelstream_http_request_seconds", "HTTP request latency", ["service", "method", "route"])
OUTBOX_PUBLISHED = Counter("labelstream_outbox_published_total", "Outbox records published to Kafka", ["service"])
OUTBOX_ERRORS = Counter("labelstream_outbox_publish_errors_total", "Failed outbox publish attempts", ["service"])
EVENTS_CONSUMED = Counter(
    "labelstream_events_consumed_total", "Events handled by consumers", ["group", "type", "outcome"]
)
CONSUMER_LAG = Gauge("labelstream_consumer_lag", "Messages behind the partition end", ["group", "topic", "partition"])
