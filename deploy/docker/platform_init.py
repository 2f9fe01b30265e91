"""One-shot set-up of a containerized platform, before MinIO and the services start (docker-compose.yml's
platform-init; copied into every Python image as /app/platform_init.py):
- MongoDB: initiate the single-node replica set rs0 (member: LS_MONGO_HOST, default mongo:27017), wait for a primary;
- Kafka: create the topic of MinIO's bucket notifications (LS_BUCKET_NOTIFICATION_TOPIC), which MinIO's Kafka target
  needs when it starts, as the launcher (`make up`) does.
The services create their own topics and indexes when they start. Idempotent: a second run changes nothing.
`--wait` changes nothing: it waits until both are done (the Helm chart's init containers; its hook Job does them)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable

from aiokafka.admin import AIOKafkaAdminClient
from labelstream_shared.kafka import ensure_topics
from pymongo import MongoClient
from pymongo.errors import OperationFailure

NOT_YET_INITIALIZED = 94


def wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                print(f"platform-init: {what}", flush=True)
                return
        except Exception as exc:  # noqa: BLE001 - not up yet
            error = exc
        time.sleep(0.5)
    raise SystemExit(f"platform-init: {what}: not within {timeout:.0f}s ({error})")


def mongo_replica_set(member: str) -> None:
    host, port = member.rsplit(":", 1)
    client: MongoClient[dict[str, object]] = MongoClient(
        host, int(port), directConnection=True, serverSelectionTimeoutMS=2000
    )
    with client:
        wait_for(lambda: bool(client.admin.command("ping")), "mongod answers")
        try:
            client.admin.command("replSetGetStatus")
        except OperationFailure as exc:
            if exc.code != NOT_YET_INITIALIZED:
                raise
            client.admin.command("replSetInitiate", {"_id": "rs0", "members": [{"_id": 0, "host": member}]})
        wait_for(lambda: bool(client.admin.command("hello").get("isWritablePrimary")), "replica set rs0 has a primary")


def kafka_topic(bootstrap: str, topic: str) -> None:
    def created() -> bool:
        partitions = int(os.environ.get("LS_KAFKA_TOPIC_PARTITIONS", "3"))
        replication = int(os.environ.get("LS_KAFKA_REPLICATION_FACTOR", "1"))
        asyncio.run(ensure_topics(bootstrap, [topic], partitions=partitions, replication_factor=replication))
        return True

    wait_for(created, f"topic {topic} exists")


def topic_exists(bootstrap: str, topic: str) -> bool:
    async def listed() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return topic in await admin.list_topics()
        finally:
            await admin.close()

    return asyncio.run(listed())


def wait_until_initialized(mongo_url: str, bootstrap: str, topic: str) -> None:
    """The replica set has a primary (found through the services' own URL) and the topic exists."""
    client: MongoClient[dict[str, object]] = MongoClient(mongo_url, serverSelectionTimeoutMS=2000)
    with client:
        wait_for(lambda: bool(client.admin.command("hello").get("isWritablePrimary")), "the replica set has a primary")
    wait_for(lambda: topic_exists(bootstrap, topic), f"topic {topic} exists", timeout=300)


def main() -> None:
    topic = os.environ.get("LS_BUCKET_NOTIFICATION_TOPIC", "labelstream.bucket-notifications")
    bootstrap = os.environ.get("LS_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    if "--wait" in sys.argv[1:]:
        wait_until_initialized(
            os.environ.get("LS_MONGO_URL", "mongodb://mongo:27017/?replicaSet=rs0"), bootstrap, topic
        )
        return
    if os.environ.get("LS_MONGO_INITIATE", "true") == "true":  # "false": an external replica set, left as it is
        mongo_replica_set(os.environ.get("LS_MONGO_HOST", "mongo:27017"))
    kafka_topic(bootstrap, topic)


if __name__ == "__main__":
    main()
