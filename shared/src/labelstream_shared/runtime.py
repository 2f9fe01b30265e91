"""A service's runtime: the clients it needs, built once, and the background work it runs
(topic creation, the outbox relay, Kafka consumers) with graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, FastAPI
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from labelstream_shared.consumer import EventProcessor, IncomingMessage, RawMessageProcessor, Subscription
from labelstream_shared.events.topics import EVENT_TOPICS, dead_letter_topic
from labelstream_shared.kafka import KafkaPublisher, check_kafka, ensure_topics
from labelstream_shared.kafka_consumer import KafkaConsumerLoop, KafkaDeadLetterSink
from labelstream_shared.mongo import (
    Document,
    MongoTransaction,
    MongoTransactionRunner,
    connect,
    ensure_plumbing_indexes,
)
from labelstream_shared.mongo_outbox import MongoLease, MongoOutboxStore
from labelstream_shared.outbox import OutboxRelay, first_of
from labelstream_shared.settings import ServiceSettings
from labelstream_shared.storage import ObjectStorage
from labelstream_shared.uow import Transaction, TransactionRunner
from labelstream_shared.web import ReadinessCheck, create_app

TxT = TypeVar("TxT", bound=Transaction)
P2 = TypeVar("P2")
BackgroundWork = Callable[[asyncio.Event], Awaitable[None]]  # runs until the event is set

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_S = 10.0
# Each client's close at shutdown, at most: closing a change stream or ending sessions waits for a MongoDB that no
# longer answers (30 s and 5 s measured), which made a pod outlive its 30 s termination grace when MongoDB went away
# at the same time (helm uninstall); the process exits next anyway.
CLOSE_TIMEOUT_S = 3.0


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.mongo = connect(settings.mongo_url)
        self.db = self.mongo[settings.database_name]
        self.storage = ObjectStorage(settings)
        self.publisher = KafkaPublisher(
            bootstrap_servers=settings.kafka_bootstrap_servers, client_id=settings.service_name
        )
        self.dead_letters = KafkaDeadLetterSink(self.publisher)
        self.outbox_store = MongoOutboxStore(self.db)
        self.topics_ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def source(self) -> str:
        return f"/labelstream/{self.settings.service_name}"

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        async def mongodb() -> str:
            hello = await self.mongo.admin.command("hello")
            if not hello.get("isWritablePrimary"):
                raise RuntimeError("not connected to a replica set primary")
            return f"primary of {hello.get('setName')}"

        async def kafka() -> str:
            detail = await check_kafka(self.settings.kafka_bootstrap_servers)
            if not self.topics_ready.is_set():
                raise RuntimeError("topics not created yet")
            return detail

        return {"mongodb": mongodb, "kafka": kafka, "object_storage": self.storage.check}

    def _ledger_options(self) -> dict[str, Any]:
        """How every consumer retries and parks messages; database outages are waited out, not dead-lettered."""
        return {
            "dead_letters": self.dead_letters,
            "max_attempts": self.settings.consumer_max_attempts,
            "backoff_s": self.settings.consumer_retry_backoff_s,
            "infrastructure_errors": (ConnectionFailure,),
            "infrastructure_up": self._mongo_answers,
        }

    async def _mongo_answers(self) -> bool:
        await asyncio.wait_for(self.mongo.admin.command("ping"), timeout=5)
        return True

    def consumer(
        self, *, group: str, subscriptions: Iterable[Subscription[TxT, Any]], run: TransactionRunner[TxT]
    ) -> KafkaConsumerLoop:
        """An idempotent consumer of the platform's event topics, dead-lettering to the group's DLQ."""
        processor = EventProcessor(group=group, subscriptions=list(subscriptions), run=run, **self._ledger_options())
        return KafkaConsumerLoop(
            processor=processor,
            topics=processor.topics,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            start_from=self.settings.consumer_start_from,
            linger_ms=self.settings.consumer_linger_ms,
        )

    def raw_consumer(
        self,
        *,
        group: str,
        topic: str,
        kind: str,
        decode: Callable[[IncomingMessage], tuple[str, P2]],
        handle: Callable[[TxT, list[P2]], Awaitable[None]],
        run: TransactionRunner[TxT],
    ) -> KafkaConsumerLoop:
        """An idempotent consumer of a topic of foreign messages (not CloudEvents), e.g. bucket notifications."""
        processor: RawMessageProcessor[TxT, P2] = RawMessageProcessor(
            group=group, kind=kind, decode=decode, handle=handle, run=run, **self._ledger_options()
        )
        return KafkaConsumerLoop(
            processor=processor,
            topics=[topic],
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            start_from=self.settings.consumer_start_from,
            linger_ms=self.settings.consumer_linger_ms,
        )

    async def start(
        self,
        *,
        consumers: Iterable[KafkaConsumerLoop] = (),
        extra_topics: Iterable[str] = (),
        compacted_topics: Iterable[str] = (),
        workers: Iterable[BackgroundWork] = (),
    ) -> None:
        """Start background work for the roles this process runs (LS_ROLES); workers run with the consumers."""
        await ensure_plumbing_indexes(self.db)
        loops = list(consumers) if "consumers" in self.settings.role_set else []
        compacted = sorted(set(compacted_topics))
        topics = {*EVENT_TOPICS, *extra_topics, *compacted, *(dead_letter_topic(c.processor.group) for c in loops)}
        self._spawn("topics", self._ensure_topics(sorted(topics), compacted=compacted))
        if "relay" in self.settings.role_set:
            relay = OutboxRelay(
                service=self.settings.service_name,
                store=self.outbox_store,
                publisher=self.publisher,
                lease=MongoLease(self.db, name="outbox-relay", owner=f"{socket.gethostname()}:{os.getpid()}"),
                batch_size=self.settings.relay_batch_size,
                poll_interval_s=self.settings.relay_poll_interval_s,
            )
            self._spawn("outbox-relay", relay.run(self._stop))
        for loop in loops:
            self._spawn(f"consumer-{loop.processor.group}", self._after_topics(loop.run))
        if "consumers" in self.settings.role_set:
            for index, work in enumerate(workers):
                self._spawn(f"worker-{index}", self._after_topics(work))

    async def _ensure_topics(self, topics: list[str], *, compacted: list[str]) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                await ensure_topics(
                    self.settings.kafka_bootstrap_servers,
                    topics,
                    partitions=self.settings.kafka_topic_partitions,
                    replication_factor=self.settings.kafka_replication_factor,
                    compacted=compacted,
                )
                self.topics_ready.set()
                return
            except Exception as exc:  # noqa: BLE001 - Kafka not up yet: the service still serves its API
                log.warning("topic creation failed, retrying", extra={"fields": {"error": repr(exc)}})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _after_topics(self, run: BackgroundWork) -> None:
        await first_of(self.topics_ready.wait(), self._stop.wait())
        if not self._stop.is_set():
            await run(self._stop)

    def _spawn(self, name: str, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s crashed", name)

        self._tasks.append(asyncio.create_task(guarded(), name=name))

    async def stop(self) -> None:
        """Let background work finish its current step, then close the clients."""
        self._stop.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=SHUTDOWN_GRACE_S)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await closed_within(self.outbox_store.close, "the outbox's change stream")
        await closed_within(self.publisher.close, "the Kafka producer")
        await closed_within(self.mongo.close, "the MongoDB client")


async def closed_within(close: Callable[[], Awaitable[None]], what: str) -> None:
    """`close()`, given up after CLOSE_TIMEOUT_S (logged)."""
    try:
        await asyncio.wait_for(close(), CLOSE_TIMEOUT_S)
    except TimeoutError:
        log.warning("shutdown: %s did not close within %g s; left to the process's exit", what, CLOSE_TIMEOUT_S)


TxM = TypeVar("TxM", bound=MongoTransaction)
TxM_co = TypeVar("TxM_co", bound=MongoTransaction, covariant=True)


class MongoTransactionFactory(Protocol[TxM_co]):
    def __call__(self, *, source: str, db: AsyncDatabase[Document], session: AsyncClientSession) -> TxM_co: ...


def mongo_runner(runtime: ServiceRuntime, transaction: MongoTransactionFactory[TxM]) -> MongoTransactionRunner[TxM]:
    """A transaction runner over the service's database, emitting events as this service."""
    return MongoTransactionRunner(
        client=runtime.mongo,
        db=runtime.db,
        make=lambda db, session: transaction(source=runtime.source, db=db, session=session),
        on_commit=runtime.outbox_store.nudge,
    )


@dataclass(frozen=True)
class Wiring:
    """What a service's wiring function returns: the API's dependencies and the consumers to run."""

    deps: object
    consumers: Sequence[KafkaConsumerLoop] = ()
    extra_topics: Sequence[str] = ()
    compacted_topics: Sequence[str] = ()  # created with cleanup.policy=compact (latest value per key)
    extra_checks: Mapping[str, ReadinessCheck] = field(default_factory=dict)
    closers: Sequence[Callable[[], Awaitable[None]]] = ()
    workers: Sequence[BackgroundWork] = ()


def service_app(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter],
    wire: Callable[[ServiceRuntime], Awaitable[Wiring]],
    fake_deps: object | None = None,
) -> FastAPI:
    """A service's FastAPI app: wiring runs in the lifespan (nothing at import); `fake_deps` skips it in unit tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if fake_deps is not None:
            app.state.deps = fake_deps
            yield
            return
        runtime = ServiceRuntime(settings)
        wiring = await wire(runtime)
        app.state.deps = wiring.deps
        app.state.consumer_loops = list(wiring.consumers)
        app.state.readiness_checks.update({**runtime.readiness_checks(), **wiring.extra_checks})
        await runtime.start(
            consumers=wiring.consumers,
            extra_topics=wiring.extra_topics,
            compacted_topics=wiring.compacted_topics,
            workers=wiring.workers,
        )
        try:
            yield
        finally:
            await runtime.stop()
            for close in wiring.closers:
                await closed_within(close, getattr(close, "__qualname__", "a closer"))

    mounted = routers if "api" in settings.role_set else []
    return create_app(service=settings.service_name, lifespan=lifespan, routers=mounted)
