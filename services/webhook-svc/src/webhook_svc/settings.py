from __future__ import annotations

from labelstream_shared.settings import ServiceSettings

from webhook_svc.domain.deliveries import RetryPolicy


class WebhookSettings(ServiceSettings):
    service_name: str = "webhook-svc"
    http_port: int = 8005
    # The Kafka consumer group that records deliveries (LS_CONSUMER_GROUP); tests run their own.
    consumer_group: str = "webhook-svc"
    # Retry schedule (domain/deliveries.py): waits double from the base up to the cap; dead past the budget.
    retry_base_s: float = 10.0
    retry_cap_s: float = 3600.0
    retry_budget_s: float = 24 * 3600.0
    delivery_timeout_s: float = 10.0
    # Attempts under way at once in one process, in all and per endpoint (a slow receiver holds only its share).
    max_in_flight: int = 16
    max_in_flight_per_endpoint: int = 4
    delivery_poll_interval_s: float = 0.5
    # How long a delivery waiting behind an older one of its key is put off at least, before it is looked at again
    # (it is made due at once when the older one is delivered or dead).
    blocked_wait_s: float = 1.0
    paused_recheck_s: float = 30.0

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base_s=self.retry_base_s, cap_s=self.retry_cap_s, budget_s=self.retry_budget_s)
