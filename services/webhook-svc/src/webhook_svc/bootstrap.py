"""Wires webhook-svc once, in the FastAPI lifespan: the consumer that records deliveries and the worker that sends
them (both with the `consumers` role), and the endpoints API."""

from __future__ import annotations

from fastapi import FastAPI
from labelstream_shared.runtime import ServiceRuntime, Wiring, mongo_runner, service_app

from webhook_svc.adapters.http import DnsResolver, HttpSender
from webhook_svc.adapters.mongo import (
    MongoDeliveries,
    MongoEndpoints,
    MongoOptions,
    MongoWebhookTransaction,
    ensure_indexes,
)
from webhook_svc.app.delivery import DeliveryWorker
from webhook_svc.app.handlers import subscriptions
from webhook_svc.entrypoints import api
from webhook_svc.settings import WebhookSettings


def create_app(settings: WebhookSettings, *, fake_deps: api.WebhookDeps | None = None) -> FastAPI:
    async def wire(runtime: ServiceRuntime) -> Wiring:
        await ensure_indexes(runtime.db)
        run = mongo_runner(runtime, MongoWebhookTransaction)
        resolver = DnsResolver()
        sender = HttpSender(timeout_s=settings.delivery_timeout_s, max_connections=settings.max_in_flight)
        worker = DeliveryWorker(
            deliveries=MongoDeliveries(runtime.db),
            endpoints=MongoEndpoints(runtime.db),
            options=MongoOptions(runtime.db),
            resolver=resolver,
            sender=sender,
            policy=settings.retry_policy(),
            max_in_flight=settings.max_in_flight,
            per_endpoint=settings.max_in_flight_per_endpoint,
            poll_interval_s=settings.delivery_poll_interval_s,
            stale_after_s=max(60.0, 6 * settings.delivery_timeout_s),
            paused_recheck_s=settings.paused_recheck_s,
            blocked_wait_s=settings.blocked_wait_s,
        )
        return Wiring(
            deps=api.WebhookDeps(run=run, resolver=resolver),
            consumers=[runtime.consumer(group=settings.consumer_group, subscriptions=subscriptions(), run=run)],
            workers=[worker.run],
            closers=[sender.close],
        )

    return service_app(settings, routers=[api.router], wire=wire, fake_deps=fake_deps)
